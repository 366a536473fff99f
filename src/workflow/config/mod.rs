//! Workflow configuration: the registry and per-workflow YAML under `workflows/`, parsed into
//! typed structs and validated with errors that name the file and line. The same files are
//! embedded in the binary so that `postmagiq workflows sync` works from any directory.

pub mod model;
pub mod persona;
pub mod registry;
pub mod sync;
pub mod validate;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use rust_embed::RustEmbed;

pub use model::WorkflowConfig;
pub use registry::{Environment, Registry, RegistryEntry};
pub use validate::{check, ConfigError};

#[derive(RustEmbed)]
#[folder = "workflows/"]
struct Bundled;

/// Where the `workflows/` files come from: the copy built into the binary or a folder on disk.
#[derive(Debug, Clone)]
pub enum Source {
    Embedded,
    Dir(PathBuf),
}

impl Source {
    /// A file's text, by its path relative to the `workflows/` folder.
    pub fn read(&self, rel: &str) -> Option<String> {
        match self {
            Source::Embedded => {
                Bundled::get(rel).and_then(|f| String::from_utf8(f.data.into_owned()).ok())
            }
            Source::Dir(dir) => std::fs::read_to_string(dir.join(rel)).ok(),
        }
    }

    pub fn exists(&self, rel: &str) -> bool {
        match self {
            Source::Embedded => Bundled::get(rel).is_some(),
            Source::Dir(dir) => dir.join(rel).is_file(),
        }
    }

    pub fn has_persona(&self, slug: &str) -> bool {
        is_slug(slug) && self.exists(&format!("personas/{slug}.md"))
    }

    /// How the source's files are named in messages.
    pub fn display(&self, rel: &str) -> String {
        match self {
            Source::Embedded => format!("workflows/{rel}"),
            Source::Dir(dir) => dir.join(rel).display().to_string(),
        }
    }
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A shipped text file (persona, rules, voice) from the built-in copy.
pub fn bundled_text(rel: &str) -> Option<Cow<'static, str>> {
    Bundled::get(rel).and_then(|f| match f.data {
        Cow::Borrowed(b) => std::str::from_utf8(b).ok().map(Cow::Borrowed),
        Cow::Owned(v) => String::from_utf8(v).ok().map(Cow::Owned),
    })
}

/// A registry entry with its parsed, valid workflow.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub slug: String,
    pub entry: RegistryEntry,
    pub config: WorkflowConfig,
    /// The file's text, stored with the synced row so runs use exactly what was validated.
    pub text: String,
}

/// The registry and every workflow it lists, all valid; otherwise every problem found, each
/// as `file:line: message`.
pub fn load_all(source: &Source) -> Result<(Registry, Vec<Loaded>), Vec<String>> {
    let reg_file = "registry.yaml";
    let text = source.read(reg_file).ok_or_else(|| {
        vec![format!(
            "{}: cannot read the file",
            source.display(reg_file)
        )]
    })?;
    let registry = registry::parse_registry(&text, &|f| source.exists(f)).map_err(|errs| {
        errs.iter()
            .map(|e| e.in_file(&source.display(reg_file)))
            .collect::<Vec<_>>()
    })?;
    let mut problems = Vec::new();
    let mut loaded = Vec::new();
    for (slug, entry) in &registry.workflows.0 {
        let file = entry.config_file.value.as_str();
        let Some(text) = source.read(file) else {
            problems.push(format!("{}: cannot read the file", source.display(file)));
            continue;
        };
        match check(&text, &|p| source.has_persona(p)) {
            Ok(config) => loaded.push(Loaded {
                slug: slug.value.clone(),
                entry: entry.clone(),
                config,
                text: text.clone(),
            }),
            Err(errs) => problems.extend(errs.iter().map(|e| e.in_file(&source.display(file)))),
        }
    }
    if problems.is_empty() {
        Ok((registry, loaded))
    } else {
        Err(problems)
    }
}

/// Validates one workflow file on disk. Personas are looked up in the `personas/` folder
/// next to the file's folder (`workflows/configs/x.yaml` → `workflows/personas/`), or in the
/// built-in set when there is none.
pub fn validate_file(path: &Path) -> Result<WorkflowConfig, Vec<String>> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| vec![format!("{name}: {e}")])?;
    let source = match path.parent().and_then(Path::parent) {
        Some(root) if root.join("personas").is_dir() => Source::Dir(root.to_path_buf()),
        _ => Source::Embedded,
    };
    check(&text, &|p| source.has_persona(p))
        .map_err(|errs| errs.iter().map(|e| e.in_file(&name)).collect())
}

#[cfg(test)]
mod tests;

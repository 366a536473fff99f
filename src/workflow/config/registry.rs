//! `workflows/registry.yaml`: which workflows this installation offers, in which deployment
//! environments, for which tier, and which one is each environment's default.

use std::collections::HashSet;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::model::{line_of, Entries};
use super::validate::{parse_yaml, ConfigError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Production,
    Development,
    Staging,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Development => "development",
            Environment::Staging => "staging",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registry {
    #[serde(default)]
    pub version: Option<u32>,
    pub workflows: Entries<RegistryEntry>,
    /// Per deployment environment: its default workflow.
    #[serde(default)]
    pub deployment: Entries<Deployment>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryEntry {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Relative to the `workflows/` folder.
    pub config_file: Spanned<String>,
    pub environment: Environment,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// None: every tier may use it.
    #[serde(default)]
    pub tier_required: Option<String>,
    #[serde(default)]
    pub features: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    #[serde(default)]
    pub default_workflow: Option<Spanned<String>>,
}

fn yes() -> bool {
    true
}

impl Registry {
    /// The slug marked default for a deployment environment, if any.
    pub fn default_for(&self, env: &str) -> Option<&str> {
        self.deployment
            .get(env)
            .and_then(|d| d.default_workflow.as_ref())
            .map(|s| s.value.as_str())
    }
}

/// Parses the registry and checks its own cross-references: slugs, unique config files,
/// default workflows that exist, and config files that exist (`file_exists`).
pub fn parse_registry(
    text: &str,
    file_exists: &dyn Fn(&str) -> bool,
) -> Result<Registry, Vec<ConfigError>> {
    let registry: Registry = parse_yaml(text).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let mut slugs = HashSet::new();
    for (slug, entry) in &registry.workflows.0 {
        let ok = !slug.value.is_empty()
            && slug.value.len() <= 60
            && slug
                .value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            errors.push(ConfigError::new(
                line_of(slug),
                format!(
                    "workflow slug `{}` must be lowercase letters, digits and dashes",
                    slug.value
                ),
            ));
        }
        if !slugs.insert(slug.value.as_str()) {
            errors.push(ConfigError::new(
                line_of(slug),
                format!("workflow `{}` is listed twice", slug.value),
            ));
        }
        if !file_exists(&entry.config_file.value) {
            errors.push(ConfigError::new(
                line_of(&entry.config_file),
                format!(
                    "workflow `{}`: config file `{}` does not exist",
                    slug.value, entry.config_file.value
                ),
            ));
        }
    }
    for (env, deployment) in &registry.deployment.0 {
        if !["production", "development", "staging"].contains(&env.value.as_str()) {
            errors.push(ConfigError::new(
                line_of(env),
                format!(
                    "unknown deployment environment `{}` (production, development or staging)",
                    env.value
                ),
            ));
        }
        if let Some(default) = &deployment.default_workflow {
            if !slugs.contains(default.value.as_str()) {
                errors.push(ConfigError::new(
                    line_of(default),
                    format!(
                        "default workflow `{}` is not listed under `workflows`",
                        default.value
                    ),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(registry)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

//! Copies the registry into `workflow_configs`, matching rows by slug, and switches off rows
//! the registry no longer lists. All of it happens in
//! one transaction, and only after every listed workflow validated, so a bad file changes
//! nothing.

use crate::db::DbConn;
use crate::repo::workflow_configs::{self as repo, WorkflowConfigFields};

use super::{Loaded, Registry};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Updated,
    Unchanged,
    /// In the database but no longer in the registry: kept (runs may point at it) but switched
    /// off.
    Disabled,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Updated => "updated",
            Change::Unchanged => "unchanged",
            Change::Disabled => "disabled",
        }
    }
}

/// The row a registry entry should become. `default_slug` is the default workflow of the
/// deployment environment being synced.
pub fn fields_for(loaded: &Loaded, default_slug: Option<&str>) -> WorkflowConfigFields {
    let e = &loaded.entry;
    WorkflowConfigFields {
        name: e.name.clone(),
        description: e.description.clone(),
        config_file: e.config_file.value.clone(),
        environment: e.environment.as_str().to_string(),
        features: serde_json::to_string(&e.features).unwrap_or_else(|_| "[]".into()),
        tier_required: e.tier_required.clone(),
        enabled: e.enabled,
        is_default: default_slug == Some(loaded.slug.as_str()),
        yaml: loaded.text.clone(),
    }
}

/// Upserts every loaded workflow; returns each slug with what happened to it.
pub fn sync(
    conn: &mut DbConn,
    registry: &Registry,
    loaded: &[Loaded],
    deployment_env: &str,
) -> diesel::QueryResult<Vec<(String, Change)>> {
    let default_slug = registry.default_for(deployment_env);
    crate::db::write_tx(conn, |conn| {
        let now = crate::model::now();
        let mut out = Vec::new();
        for l in loaded {
            let fields = fields_for(l, default_slug);
            let change = match repo::find_by_slug_global(conn, &l.slug)? {
                None => {
                    repo::insert(conn, &l.slug, &fields, now)?;
                    Change::Added
                }
                Some(row) if row.fields() == fields => Change::Unchanged,
                Some(row) => {
                    repo::update(conn, &row.id, &fields, now)?;
                    Change::Updated
                }
            };
            out.push((l.slug.clone(), change));
        }
        for row in repo::list_all_global(conn)? {
            if row.enabled && !loaded.iter().any(|l| l.slug == row.slug) {
                let fields = WorkflowConfigFields {
                    enabled: false,
                    is_default: false,
                    ..row.fields()
                };
                repo::update(conn, &row.id, &fields, now)?;
                out.push((row.slug, Change::Disabled));
            }
        }
        Ok(out)
    })
}

/// On a fresh installation, fills `workflow_configs` from the built-in registry so the New
/// run page has workflows without a manual `workflows sync`. A table that already has rows
/// is left alone: an operator's sync (perhaps from a folder of their own) wins.
pub fn ensure_synced(conn: &mut DbConn, deployment_env: &str) -> Result<usize, String> {
    if !repo::list_all_global(conn)
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        return Ok(0);
    }
    let (registry, loaded) =
        super::load_all(&super::Source::Embedded).map_err(|problems| problems.join("; "))?;
    let changes = sync(conn, &registry, &loaded, deployment_env).map_err(|e| e.to_string())?;
    Ok(changes.len())
}

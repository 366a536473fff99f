//! Creating, renaming and deleting workspaces, and the slug rules.

use diesel::prelude::*;

use crate::auth::{tenant, Tenant};
use crate::db::DbConn;
use crate::error::AppError;
use crate::model::{now, NewWorkspace, User, Workspace, WorkspaceId};
use crate::repo;
use crate::service::audit::{self, Actor, Event};
use crate::web::forms::FieldErrors;

pub const SLUG_MIN: usize = 2;
pub const SLUG_MAX: usize = 60;
pub const NAME_MAX: usize = 100;

/// A slug suggestion from any name: lowercase ASCII letters and digits joined by single hyphens.
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    let mut pending_hyphen = false;
    for c in name.chars().flat_map(fold_char) {
        if c.is_ascii_alphanumeric() {
            let hyphen = pending_hyphen && !out.is_empty();
            if out.len() + usize::from(hyphen) + 1 > SLUG_MAX {
                break;
            }
            if hyphen {
                out.push('-');
            }
            pending_hyphen = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending_hyphen = true;
        }
    }
    if out.len() < SLUG_MIN {
        "workspace".into()
    } else {
        out
    }
}

/// Folds the common accented Latin letters to ASCII so "Café Zürich" becomes "cafe-zurich".
fn fold_char(c: char) -> Vec<char> {
    let folded = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        _ => return vec![c],
    };
    folded.chars().collect()
}

/// The problem with a slug a person typed, if any.
pub fn validate_slug(slug: &str) -> Option<String> {
    if slug.len() < SLUG_MIN || slug.len() > SLUG_MAX {
        return Some(format!(
            "Use {SLUG_MIN} to {SLUG_MAX} characters: lowercase letters, digits and hyphens."
        ));
    }
    let chars_ok = slug
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !chars_ok || slug.starts_with('-') || slug.ends_with('-') || slug.contains("--") {
        return Some(
            "Use only lowercase letters, digits and single hyphens, not at the start or end."
                .into(),
        );
    }
    None
}

/// `base` if free, else `base-2`, `base-3`, …
pub fn unique_slug(conn: &mut DbConn, base: &str) -> QueryResult<String> {
    if !repo::workspaces::slug_taken(conn, base)? {
        return Ok(base.to_string());
    }
    for n in 2..100 {
        let suffix = format!("-{n}");
        let stem: String = base.chars().take(SLUG_MAX - suffix.len()).collect();
        let candidate = format!("{}{}", stem.trim_end_matches('-'), suffix);
        if !repo::workspaces::slug_taken(conn, &candidate)? {
            return Ok(candidate);
        }
    }
    let stem: String = base.chars().take(SLUG_MAX - 9).collect();
    Ok(format!(
        "{}-{}",
        stem.trim_end_matches('-'),
        crate::auth::tokens::random_token(4)
    ))
}

/// Creates a workspace owned by `owner`. With no slug given one is derived from the name.
/// Call inside a transaction.
pub fn create(
    conn: &mut DbConn,
    owner: &User,
    name: &str,
    slug: Option<&str>,
    actor: &Actor,
) -> Result<Result<Workspace, FieldErrors>, AppError> {
    let mut errors = FieldErrors::new();
    let name = match crate::web::forms::clean_name(name, NAME_MAX, "a workspace name") {
        Ok(n) => n,
        Err(e) => {
            errors.add("name", e);
            String::new()
        }
    };
    let slug = match slug.map(str::trim).filter(|s| !s.is_empty()) {
        Some(given) => {
            if let Some(e) = validate_slug(given) {
                errors.add("slug", e);
            } else if repo::workspaces::slug_taken(conn, given)? {
                errors.add("slug", "That address is taken. Try another.");
            }
            given.to_string()
        }
        None => unique_slug(conn, &slugify(&name))?,
    };
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let at = now();
    let id = WorkspaceId::new();
    repo::workspaces::insert(
        conn,
        &NewWorkspace {
            id: &id,
            name: &name,
            slug: &slug,
            description: None,
            owner_id: &owner.id,
            settings: "{}",
            created_at: at,
            updated_at: at,
        },
    )?;
    let workspace = Workspace {
        id,
        name,
        slug,
        description: None,
        owner_id: owner.id.clone(),
        settings: "{}".into(),
        created_at: at,
        updated_at: at,
    };
    let tenant = tenant::for_new_workspace(&workspace, &owner.id);
    repo::memberships::insert_owner(conn, &tenant, owner)?;
    audit::workspace(
        conn,
        &tenant,
        actor,
        Event::new(
            "workspace.created",
            format!("Created workspace \u{201c}{}\u{201d}", workspace.name),
        )
        .on("workspace", workspace.id.as_str()),
    )?;
    Ok(Ok(workspace))
}

/// Renames the workspace and changes its slug. Call inside a transaction.
pub fn update(
    conn: &mut DbConn,
    tenant: &Tenant,
    current: &Workspace,
    name: &str,
    slug: &str,
    description: &str,
    actor: &Actor,
) -> Result<Result<(), FieldErrors>, AppError> {
    let mut errors = FieldErrors::new();
    let name = crate::web::forms::clean_name(name, NAME_MAX, "a workspace name")
        .map_err(|e| errors.add("name", e))
        .unwrap_or_default();
    let slug = slug.trim().to_string();
    if let Some(e) = validate_slug(&slug) {
        errors.add("slug", e);
    } else if slug != current.slug && repo::workspaces::slug_taken(conn, &slug)? {
        errors.add("slug", "That address is taken. Try another.");
    }
    let description = description.trim();
    if description.chars().count() > 500 {
        errors.add(
            "description",
            "Keep the description to 500 characters or fewer.",
        );
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let description = (!description.is_empty()).then_some(description);
    repo::workspaces::rename(conn, tenant, &name, &slug, description)?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "workspace.renamed",
            format!("Renamed workspace to \u{201c}{name}\u{201d} ({slug})"),
        )
        .on("workspace", tenant.workspace_id().as_str())
        .change(
            serde_json::json!({ "name": current.name, "slug": current.slug }),
            serde_json::json!({ "name": name, "slug": slug }),
        ),
    )?;
    Ok(Ok(()))
}

/// Deletes the workspace and everything in it. The audit row is written without a workspace so
/// that it outlives the deletion. Call inside a transaction.
pub fn delete(
    conn: &mut DbConn,
    tenant: &Tenant,
    workspace: &Workspace,
    actor: &Actor,
) -> Result<(), AppError> {
    repo::workspaces::delete(conn, tenant)?;
    audit::account(
        conn,
        actor,
        Event::new(
            "workspace.deleted",
            format!(
                "Deleted workspace \u{201c}{}\u{201d} ({})",
                workspace.name, workspace.slug
            ),
        )
        .on("workspace", workspace.id.as_str()),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_makes_readable_addresses() {
        assert_eq!(slugify("Acme Marketing"), "acme-marketing");
        assert_eq!(slugify("  Café -- Zürich!! "), "cafe-zurich");
        assert_eq!(slugify("<script>"), "script");
        assert_eq!(slugify("日本"), "workspace");
        assert!(slugify(&"a ".repeat(100)).len() <= SLUG_MAX);
    }

    #[test]
    fn slug_rules() {
        assert!(validate_slug("acme").is_none());
        assert!(validate_slug("acme-2").is_none());
        assert!(validate_slug("Acme").is_some());
        assert!(validate_slug("-acme").is_some());
        assert!(validate_slug("ac--me").is_some());
        assert!(validate_slug("a").is_some());
        assert!(validate_slug("acme_co").is_some());
    }
}

//! What every page layout needs: title, CSRF token, theme, the user menu, the workspace switcher
//! and the navigation a role may use.

use actix_session::Session;

use crate::app::AppState;
use crate::auth::{csrf, AuthUser, Scope, Tenant};
use crate::error::AppResult;
use crate::model::{Role, Workspace};
use crate::repo;
use crate::web::assets::{self, AssetUrls};
use crate::web::flash::{self, Flash};

pub struct ShellUser {
    pub name: String,
    pub email: String,
    pub initials: String,
}

pub struct WorkspaceLink {
    pub name: String,
    pub slug: String,
    pub role: Role,
    pub current: bool,
}

pub struct NavLink {
    pub label: &'static str,
    pub href: String,
    pub active: bool,
}

pub struct Shell {
    pub title: String,
    pub csrf: String,
    pub theme: &'static str,
    pub assets: &'static AssetUrls,
    pub user: Option<ShellUser>,
    pub current: Option<WorkspaceLink>,
    pub workspaces: Vec<WorkspaceLink>,
    pub nav: Vec<NavLink>,
    pub flash: Option<Flash>,
    /// The signed-in user's unread notifications, across workspaces (for the bell).
    pub unread: i64,
}

/// Which navigation entry a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Dashboard,
    Board,
    Runs,
    Strategy,
    Finished,
    Voice,
    Approvals,
    Team,
    Notifications,
    Posts,
    Settings,
    Audit,
    Workspaces,
    Account,
}

pub(crate) fn initials(name: &str) -> String {
    let mut parts = name.split_whitespace();
    let first = parts.next().and_then(|p| p.chars().next());
    let last = parts.last().and_then(|p| p.chars().next());
    match (first, last) {
        (Some(a), Some(b)) => format!("{a}{b}").to_uppercase(),
        (Some(a), None) => a.to_uppercase().to_string(),
        _ => "?".into(),
    }
}

impl Shell {
    /// For public pages (landing, sign-in, legal).
    pub fn public(session: &Session, title: impl Into<String>) -> Shell {
        Shell {
            title: title.into(),
            csrf: csrf::token(session),
            theme: "system",
            assets: assets::urls(),
            user: None,
            current: None,
            workspaces: Vec::new(),
            nav: Vec::new(),
            flash: flash::take(session),
            unread: 0,
        }
    }

    /// For signed-in pages; `workspace` is the one in the URL, when there is one.
    pub async fn app(
        state: &AppState,
        session: &Session,
        auth: &AuthUser,
        workspace: Option<(&Tenant, &Workspace)>,
        section: Section,
        title: impl Into<String>,
    ) -> AppResult<Shell> {
        let user_id = auth.user.id.clone();
        let (memberships, unread) = crate::db::run(&state.pool, move |conn| {
            Ok((
                repo::workspaces::list_for_user(conn, &user_id)?,
                repo::notifications::unread_count(conn, &user_id)?,
            ))
        })
        .await?;
        let current_slug = workspace.map(|(_, w)| w.slug.as_str());
        let workspaces: Vec<WorkspaceLink> = memberships
            .into_iter()
            .map(|(w, role)| WorkspaceLink {
                current: Some(w.slug.as_str()) == current_slug,
                name: w.name,
                slug: w.slug,
                role,
            })
            .collect();
        let mut nav = Vec::new();
        let current = match workspace {
            Some((tenant, w)) => {
                let base = format!("/w/{}", w.slug);
                // (label, path under the workspace, scope needed, section)
                let items: Vec<(&'static str, &str, Scope, Section)> = vec![
                    ("Dashboard", "", Scope::ContentRead, Section::Dashboard),
                    // board nav
                    ("Board", "/board", Scope::ContentRead, Section::Board),
                    // runs nav
                    ("Runs", "/runs", Scope::WorkflowRead, Section::Runs),
                    // strategy nav
                    (
                        "Strategy",
                        "/strategy",
                        Scope::StrategyRead,
                        Section::Strategy,
                    ),
                    ("Voice", "/voice", Scope::ContentRead, Section::Voice),
                    // approvals nav
                    (
                        "Approvals",
                        "/approvals",
                        Scope::ContentRead,
                        Section::Approvals,
                    ),
                    // team nav
                    ("Team", "/team", Scope::TeamRead, Section::Team),
                    (
                        "Finished",
                        "/finished",
                        Scope::ContentRead,
                        Section::Finished,
                    ),
                    (
                        "Settings",
                        "/settings/general",
                        Scope::WorkspaceSettings,
                        Section::Settings,
                    ),
                    (
                        "Audit log",
                        "/settings/audit",
                        Scope::WorkspaceSettings,
                        Section::Audit,
                    ),
                ];
                for (label, path, scope, s) in items {
                    if tenant.can(scope) {
                        nav.push(NavLink {
                            label,
                            href: format!("{base}{path}"),
                            active: s == section,
                        });
                    }
                }
                Some(WorkspaceLink {
                    name: w.name.clone(),
                    slug: w.slug.clone(),
                    role: tenant.role(),
                    current: true,
                })
            }
            None => None,
        };
        nav.push(NavLink {
            label: "All workspaces",
            href: "/workspaces".into(),
            active: section == Section::Workspaces,
        });
        nav.push(NavLink {
            label: "Account",
            href: "/account".into(),
            active: section == Section::Account,
        });
        Ok(Shell {
            title: title.into(),
            csrf: csrf::token(session),
            theme: auth.user.theme.as_str(),
            assets: assets::urls(),
            user: Some(ShellUser {
                initials: initials(&auth.user.name),
                name: auth.user.name.clone(),
                email: auth.user.email.clone(),
            }),
            current,
            workspaces,
            nav,
            flash: flash::take(session),
            unread,
        })
    }

    /// The bell's badge: empty at zero, capped so it stays one small pill.
    pub fn unread_badge(&self) -> String {
        crate::web::notifications::badge_text(self.unread)
    }

    /// The bell's accessible name.
    pub fn unread_label(&self) -> String {
        crate::web::notifications::bell_label(self.unread)
    }

    pub fn notifications_js(&self) -> String {
        assets::url("js/notifications.js")
    }

    /// The theme the toggle switches to.
    pub fn next_theme(&self) -> &'static str {
        if self.theme == "dark" {
            "light"
        } else {
            "dark"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::initials;

    #[test]
    fn initials_take_first_and_last_word() {
        assert_eq!(initials("Ada Byron Lovelace"), "AL");
        assert_eq!(initials("émile"), "É");
        assert_eq!(initials("  "), "?");
    }
}

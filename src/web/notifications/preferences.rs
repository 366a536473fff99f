//! Which kinds of notification a person wants, per workspace and channel. One form holds the
//! whole table: a box left unchecked means "off", so every kind's state is saved each time.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{tenant, AuthUser};
use crate::error::{AppError, AppResult};
use crate::model::{Channel, NotificationKind};
use crate::repo;
use crate::web::flash;
use crate::web::notifications::WorkspaceOption;
use crate::web::shell::{Section, Shell};
use crate::web::{page, see_other, urlencode, Ctx};

pub struct Cell {
    pub name: String,
    pub label: &'static str,
    pub on: bool,
}

pub struct Row {
    pub label: &'static str,
    pub cells: Vec<Cell>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/notifications/preferences.html")]
struct PreferencesPage {
    shell: Shell,
    workspaces: Vec<WorkspaceOption>,
    ws: String,
    ws_name: String,
    channels: Vec<&'static str>,
    rows: Vec<Row>,
}

fn channel_label(c: Channel) -> &'static str {
    match c {
        Channel::InApp => "In app",
        Channel::Email => "Email",
    }
}

/// The form field of one cell: `post_assigned.email`.
fn field(kind: NotificationKind, channel: Channel) -> String {
    format!("{}.{}", kind.as_str(), channel.as_str())
}

#[derive(Debug, Default, Deserialize)]
pub struct Which {
    #[serde(default)]
    ws: Option<String>,
}

/// `GET /notifications/preferences?ws=slug`
pub async fn show(ctx: Ctx, auth: AuthUser, query: web::Query<Which>) -> AppResult<HttpResponse> {
    let user = auth.user.id.clone();
    let wanted = query.into_inner().ws.unwrap_or_default();
    let (list, chosen) = crate::db::run(&ctx.state.pool, move |conn| {
        let list = repo::workspaces::list_for_user(conn, &user)?;
        let slug = if wanted.is_empty() {
            match list.first() {
                Some((w, _)) => w.slug.clone(),
                None => return Ok((list, None)),
            }
        } else {
            wanted
        };
        let Some((tenant, workspace)) = tenant::check_membership(conn, &user, &slug)? else {
            return Err(AppError::NotFound);
        };
        let stored = repo::notifications::preferences(conn, &tenant)?;
        Ok((list, Some((workspace, stored))))
    })
    .await?;
    let (ws, ws_name, rows) = match chosen {
        None => (String::new(), String::new(), Vec::new()),
        Some((workspace, stored)) => {
            let rows = NotificationKind::ALL
                .iter()
                .map(|&kind| Row {
                    label: kind.label(),
                    cells: Channel::ALL
                        .iter()
                        .map(|&channel| Cell {
                            name: field(kind, channel),
                            label: channel_label(channel),
                            on: stored
                                .iter()
                                .find(|(k, c, _)| *k == kind && *c == channel)
                                .is_none_or(|(_, _, on)| *on),
                        })
                        .collect(),
                })
                .collect();
            (workspace.slug, workspace.name, rows)
        }
    };
    let workspaces = list
        .iter()
        .map(|(w, _)| WorkspaceOption {
            slug: w.slug.clone(),
            name: w.name.clone(),
            selected: w.slug == ws,
        })
        .collect();
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        &auth,
        None,
        Section::Notifications,
        "Notification settings",
    )
    .await?;
    Ok(page(
        &ctx.req,
        PreferencesPage {
            shell,
            workspaces,
            ws,
            ws_name,
            channels: Channel::ALL.iter().map(|&c| channel_label(c)).collect(),
            rows,
        },
        StatusCode::OK,
    ))
}

/// `POST /notifications/preferences`: the whole table for one workspace, in one transaction.
pub async fn save(
    ctx: Ctx,
    auth: AuthUser,
    form: web::Form<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let fields = form.into_inner();
    let slug = fields.get("ws").cloned().unwrap_or_default();
    let user = auth.user.id.clone();
    let target = slug.clone();
    let name = crate::db::tx(&ctx.state.pool, move |conn| {
        let Some((tenant, workspace)) = tenant::check_membership(conn, &user, &target)? else {
            return Err(AppError::NotFound);
        };
        for &kind in NotificationKind::ALL {
            for &channel in Channel::ALL {
                let on = fields.contains_key(&field(kind, channel));
                repo::notifications::set_preference(conn, &tenant, kind, channel, on)?;
            }
        }
        Ok(workspace.name)
    })
    .await?;
    flash::success(
        &ctx.session,
        format!("Notification settings saved for {name}."),
    );
    Ok(see_other(&format!(
        "/notifications/preferences?ws={}",
        urlencode(&slug)
    )))
}

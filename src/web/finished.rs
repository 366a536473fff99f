//! Finished posts: everything approved or later, ready to copy, with the platforms each one has
//! been published on.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{need, Member, Scope};
use crate::error::{AppError, AppResult};
use crate::model::{Platform, Post, PostId, Publication};
use crate::repo;
use crate::service::publishing;
use crate::web::posts::post_id;
use crate::web::shell::{Section, Shell};
use crate::web::{fmt_time, page, see_other, Ctx};

const PER_PAGE: i64 = 25;

pub struct ListItem {
    pub id: String,
    pub title: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub platforms: Vec<&'static str>,
    pub selected: bool,
}

pub struct PlatformView {
    pub key: &'static str,
    pub label: &'static str,
    pub url: String,
    pub marked: bool,
    pub when: String,
    pub error: String,
}

pub struct Selected {
    pub id: String,
    pub title: String,
    pub body: String,
    pub status_label: &'static str,
    pub platforms: Vec<PlatformView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/finished/index.html")]
struct FinishedPage {
    shell: Shell,
    slug: String,
    items: Vec<ListItem>,
    selected: Option<Selected>,
    page: i64,
    more: bool,
    can_write: bool,
}

#[derive(Deserialize)]
pub struct FinishedQuery {
    page: Option<i64>,
    post: Option<String>,
}

/// A failed publish mark, shown next to its platform.
struct MarkError {
    platform: Platform,
    message: String,
}

async fn render(
    ctx: &Ctx,
    member: &Member<need::ContentRead>,
    page_no: i64,
    selected_id: Option<PostId>,
    error: Option<MarkError>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let tenant = member.tenant.clone();
    let wanted = selected_id.clone();
    let (posts, more, selected, marks) = crate::db::run(&ctx.state.pool, move |conn| {
        let (posts, more) = repo::posts::finished_page(conn, &tenant, page_no, PER_PAGE)?;
        // The selected post may be on another page: load it on its own.
        let selected: Option<Post> = match &wanted {
            Some(id) => repo::posts::find(conn, &tenant, id)?,
            None => posts.first().cloned(),
        };
        let mut ids: Vec<PostId> = posts.iter().map(|p| p.id.clone()).collect();
        if let Some(s) = &selected {
            ids.push(s.id.clone());
        }
        let marks = repo::publications::for_posts(conn, &tenant, &ids)?;
        Ok((posts, more, selected, marks))
    })
    .await?;
    if selected_id.is_some() && selected.is_none() {
        return Err(AppError::NotFound);
    }
    let mut by_post: HashMap<PostId, Vec<Publication>> = HashMap::new();
    for m in marks {
        by_post.entry(m.post_id.clone()).or_default().push(m);
    }
    let selected_key = selected.as_ref().map(|p| p.id.clone());
    let items = posts
        .iter()
        .map(|p| ListItem {
            id: p.id.to_string(),
            title: p.title.clone(),
            status: p.status.as_str(),
            status_label: p.status.label(),
            platforms: by_post
                .get(&p.id)
                .map(|v| v.iter().map(|m| m.platform.label()).collect())
                .unwrap_or_default(),
            selected: Some(&p.id) == selected_key.as_ref(),
        })
        .collect();
    let selected = selected.map(|p| {
        let marks = by_post.get(&p.id);
        Selected {
            id: p.id.to_string(),
            title: p.title.clone(),
            body: p.body.clone(),
            status_label: p.status.label(),
            platforms: Platform::ALL
                .iter()
                .map(|platform| {
                    let mark = marks.and_then(|v| v.iter().find(|m| m.platform == *platform));
                    PlatformView {
                        key: platform.as_str(),
                        label: platform.label(),
                        url: mark.and_then(|m| m.url.clone()).unwrap_or_default(),
                        marked: mark.is_some(),
                        when: mark.map(|m| fmt_time(m.published_at)).unwrap_or_default(),
                        error: error
                            .as_ref()
                            .filter(|e| e.platform == *platform)
                            .map(|e| e.message.clone())
                            .unwrap_or_default(),
                    }
                })
                .collect(),
        }
    });
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Finished,
        "Finished posts",
    )
    .await?;
    Ok(page(
        &ctx.req,
        FinishedPage {
            shell,
            slug: member.workspace.slug.clone(),
            items,
            selected,
            page: page_no,
            more,
            can_write: member.tenant.can(Scope::ContentWrite),
        },
        status,
    ))
}

pub async fn index(
    ctx: Ctx,
    member: Member<need::ContentRead>,
    query: web::Query<FinishedQuery>,
) -> AppResult<HttpResponse> {
    let page_no = query.page.unwrap_or(1).clamp(1, 100_000);
    let selected = match query.post.as_deref() {
        Some(raw) => Some(post_id(raw)?),
        None => None,
    };
    render(&ctx, &member, page_no, selected, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct MarkForm {
    #[serde(default)]
    platform: String,
    #[serde(default)]
    url: String,
}

fn platform(raw: &str) -> AppResult<Platform> {
    Platform::parse(raw.trim()).ok_or_else(|| AppError::BadRequest("Unknown platform.".into()))
}

pub async fn publish(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    path: web::Path<(String, String)>,
    form: web::Form<MarkForm>,
) -> AppResult<HttpResponse> {
    let id = post_id(&path.1)?;
    let platform = platform(&form.platform)?;
    let url = form.url.trim().to_string();
    if let Some(problem) = publishing::url_problem(&url) {
        let reader = member.into_reader();
        return render(
            &ctx,
            &reader,
            1,
            Some(id),
            Some(MarkError {
                platform,
                message: problem.into(),
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let actor = member.actor(&ctx.req);
    let tenant = member.tenant.clone();
    let target = id.clone();
    crate::db::tx(&ctx.state.pool, move |conn| {
        publishing::mark(conn, &tenant, &actor, &target, platform, &url)
    })
    .await?;
    crate::web::flash::success(
        &ctx.session,
        format!("Marked as published on {}.", platform.label()),
    );
    Ok(see_other(&format!(
        "/w/{}/finished?post={id}",
        member.workspace.slug
    )))
}

pub async fn unpublish(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    path: web::Path<(String, String)>,
    form: web::Form<MarkForm>,
) -> AppResult<HttpResponse> {
    let id = post_id(&path.1)?;
    let platform = platform(&form.platform)?;
    let actor = member.actor(&ctx.req);
    let tenant = member.tenant.clone();
    let target = id.clone();
    crate::db::tx(&ctx.state.pool, move |conn| {
        publishing::unmark(conn, &tenant, &actor, &target, platform)
    })
    .await?;
    crate::web::flash::success(
        &ctx.session,
        format!("No longer marked as published on {}.", platform.label()),
    );
    Ok(see_other(&format!(
        "/w/{}/finished?post={id}",
        member.workspace.slug
    )))
}

//! The list of the user's workspaces, and creating one.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::AuthUser;
use crate::error::AppResult;
use crate::model::Role;
use crate::repo;
use crate::service::audit::Actor;
use crate::service::workspaces;
use crate::web::forms::FieldErrors;
use crate::web::shell::{Section, Shell};
use crate::web::{page, see_other, Ctx};

pub struct Row {
    pub name: String,
    pub slug: String,
    pub role: Role,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/workspaces/index.html")]
struct WorkspacesPage {
    shell: Shell,
    list: Vec<Row>,
    name: String,
    slug: String,
    errors: FieldErrors,
}

async fn render(
    ctx: &Ctx,
    auth: &AuthUser,
    name: String,
    slug: String,
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let user_id = auth.user.id.clone();
    let list = crate::db::run(&ctx.state.pool, move |conn| {
        Ok(repo::workspaces::list_for_user(conn, &user_id)?)
    })
    .await?
    .into_iter()
    .map(|(w, role)| Row {
        name: w.name,
        slug: w.slug,
        role,
    })
    .collect();
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        auth,
        None,
        Section::Workspaces,
        "Workspaces",
    )
    .await?;
    Ok(page(
        &ctx.req,
        WorkspacesPage {
            shell,
            list,
            name,
            slug,
            errors,
        },
        status,
    ))
}

pub async fn index(ctx: Ctx, auth: AuthUser) -> AppResult<HttpResponse> {
    render(
        &ctx,
        &auth,
        String::new(),
        String::new(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    slug: Option<String>,
}

pub async fn create(
    ctx: Ctx,
    auth: AuthUser,
    form: web::Form<CreateForm>,
) -> AppResult<HttpResponse> {
    let Ctx {
        req,
        state,
        session,
    } = &ctx;
    let form = form.into_inner();
    let actor = Actor::from_request(req, Some(&auth.user.id));
    let user = auth.user.clone();
    let (name, slug) = (form.name.clone(), form.slug.clone());
    let result = crate::db::tx(&state.pool, move |conn| {
        workspaces::create(conn, &user, &name, slug.as_deref(), &actor)
    })
    .await?;
    match result {
        Ok(workspace) => {
            crate::web::flash::success(
                session,
                format!("Workspace \u{201c}{}\u{201d} created.", workspace.name),
            );
            Ok(see_other(&format!("/w/{}", workspace.slug)))
        }
        Err(errors) => {
            render(
                &ctx,
                &auth,
                form.name,
                form.slug.unwrap_or_default(),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

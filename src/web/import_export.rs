//! Importing post ideas (CSV or JSON, checked whole before anything is saved) and exporting a
//! workspace's posts.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{need, Member};
use crate::error::{AppError, AppResult};
use crate::repo;
use crate::service::import::{self, Format, RowReport};
use crate::web::shell::{Section, Shell};
use crate::web::{page, see_other, Ctx};

#[derive(Template, WebTemplate)]
#[template(path = "pages/import/index.html")]
struct ImportPage {
    shell: Shell,
    slug: String,
    content: String,
    format: String,
    /// Empty until a file is checked.
    rows: Vec<RowReport>,
    checked: bool,
    ok: bool,
    error_count: usize,
    file_error: String,
    max_rows: usize,
}

#[derive(Deserialize, Default)]
pub struct ImportForm {
    #[serde(default)]
    content: String,
    #[serde(default)]
    format: String,
}

async fn shell(ctx: &Ctx, member: &Member<need::ContentWrite>) -> AppResult<Shell> {
    Shell::app(
        &ctx.state,
        &ctx.session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Board,
        "Import ideas",
    )
    .await
}

pub async fn form(ctx: Ctx, member: Member<need::ContentWrite>) -> AppResult<HttpResponse> {
    let shell = shell(&ctx, &member).await?;
    Ok(page(
        &ctx.req,
        ImportPage {
            shell,
            slug: member.workspace.slug.clone(),
            content: String::new(),
            format: "auto".into(),
            rows: Vec::new(),
            checked: false,
            ok: false,
            error_count: 0,
            file_error: String::new(),
            max_rows: import::MAX_ROWS,
        },
        StatusCode::OK,
    ))
}

async fn check(
    ctx: &Ctx,
    member: &Member<need::ContentWrite>,
    form: &ImportForm,
) -> AppResult<(Format, import::Checked)> {
    let format = Format::detect(form.format.trim(), &form.content);
    let tenant = member.tenant.clone();
    let chapters = crate::db::run(&ctx.state.pool, move |conn| {
        Ok(repo::chapters::list(conn, &tenant)?)
    })
    .await?;
    let content = form.content.clone();
    // Parsing a large file is CPU work: keep it off the executor too.
    let checked = web::block(move || import::check(&content, format, &chapters)).await?;
    Ok((format, checked))
}

async fn render_checked(
    ctx: &Ctx,
    member: &Member<need::ContentWrite>,
    form: ImportForm,
    format: Format,
    checked: import::Checked,
) -> AppResult<HttpResponse> {
    let ok = checked.ok();
    let error_count = checked.rows.iter().filter(|r| !r.errors.is_empty()).count();
    let shell = shell(ctx, member).await?;
    Ok(page(
        &ctx.req,
        ImportPage {
            shell,
            slug: member.workspace.slug.clone(),
            content: form.content,
            format: match format {
                Format::Csv => "csv".into(),
                Format::Json => "json".into(),
            },
            rows: checked.rows,
            checked: true,
            ok,
            error_count,
            file_error: checked.file_error.unwrap_or_default(),
            max_rows: import::MAX_ROWS,
        },
        if ok {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
    ))
}

/// Shows what would be imported, row by row, with every problem found.
pub async fn preview(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    form: web::Form<ImportForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let (format, checked) = check(&ctx, &member, &form).await?;
    render_checked(&ctx, &member, form, format, checked).await
}

/// Checks the file again and imports every row in one transaction, or nothing.
pub async fn confirm(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    form: web::Form<ImportForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let (format, checked) = check(&ctx, &member, &form).await?;
    if !checked.ok() {
        return render_checked(&ctx, &member, form, format, checked).await;
    }
    let actor = member.actor(&ctx.req);
    let tenant = member.tenant.clone();
    let rows = checked.valid;
    let count = crate::db::tx(&ctx.state.pool, move |conn| {
        import::import(conn, &tenant, &actor, &rows)
    })
    .await?;
    crate::web::flash::success(
        &ctx.session,
        format!(
            "Imported {count} {}.",
            if count == 1 { "idea" } else { "ideas" }
        ),
    );
    Ok(see_other(&format!("/w/{}/board", member.workspace.slug)))
}

/// `/export/posts.csv` or `/export/posts.json`: every post of the workspace.
pub async fn export(
    ctx: Ctx,
    member: Member<need::ContentRead>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let format = match path.1.as_str() {
        "csv" => Format::Csv,
        "json" => Format::Json,
        _ => return Err(AppError::NotFound),
    };
    let tenant = member.tenant.clone();
    let (posts, chapters, names) = crate::db::run(&ctx.state.pool, move |conn| {
        Ok((
            repo::posts::all(conn, &tenant)?,
            repo::chapters::list(conn, &tenant)?,
            repo::memberships::member_names(conn, &tenant)?,
        ))
    })
    .await?;
    let rows = import::export_rows(posts, &chapters, &names);
    let (body, content_type, ext) = match format {
        Format::Csv => (import::to_csv(&rows)?, "text/csv; charset=utf-8", "csv"),
        Format::Json => (
            serde_json::to_string_pretty(&rows)
                .map_err(|e| AppError::internal(format!("json export: {e}")))?,
            "application/json",
            "json",
        ),
    };
    let filename = format!(
        "{}-posts-{}.{ext}",
        member.workspace.slug,
        crate::model::now().format("%Y%m%d")
    );
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

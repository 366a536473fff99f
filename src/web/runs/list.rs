//! `GET /w/{slug}/runs`: the run history, filtered by status and workflow through the query
//! string (so a filtered page can be linked), 25 runs a page.

use std::collections::HashSet;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::{need, Member, Scope};
use crate::error::AppResult;
use crate::model::{RunStatus, RunSummary};
use crate::repo;
use crate::repo::runs::ListFilter;
use crate::web::board::filters::Params;
use crate::web::shell::{Section, Shell};
use crate::web::{fmt_time, page, Ctx};

use super::{duration, money, status_tone, thousands, DEMO_LABEL};

pub const PER_PAGE: i64 = 25;
/// Highest page number a link may ask for; beyond it the list is empty anyway.
const MAX_PAGE: i64 = 100_000;

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct RunRow {
    pub href: String,
    pub title: String,
    pub config: String,
    pub demo: bool,
    pub status: &'static str,
    pub status_label: &'static str,
    pub tone: &'static str,
    pub final_state: String,
    pub started: String,
    pub duration: String,
    pub tokens: String,
    pub cost: String,
    pub credits: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/runs/index.html")]
struct HistoryPage {
    shell: Shell,
    slug: String,
    rows: Vec<RunRow>,
    total: i64,
    statuses: Vec<Choice>,
    configs: Vec<Choice>,
    filtered: bool,
    can_start: bool,
    page_no: i64,
    pages: i64,
    prev_href: Option<String>,
    next_href: Option<String>,
    demo_label: &'static str,
}

/// The filters as a query string without the page, for links that keep them.
fn filter_query(status: Option<RunStatus>, config: Option<&str>) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    if let Some(s) = status {
        q.append_pair("status", s.as_str());
    }
    if let Some(c) = config {
        q.append_pair("config", c);
    }
    q.finish()
}

fn page_href(slug: &str, filters: &str, page_no: i64) -> String {
    let mut href = format!("/w/{slug}/runs?");
    if !filters.is_empty() {
        href.push_str(filters);
        href.push('&');
    }
    href.push_str(&format!("page={page_no}"));
    href
}

fn row(slug: &str, r: RunSummary, demo: &HashSet<String>) -> RunRow {
    let end = r.finished_at.unwrap_or_else(crate::model::now);
    RunRow {
        href: format!("/w/{slug}/runs/{}", r.id),
        // A demo whose name already says so needs no badge.
        demo: demo.contains(&r.config_slug) && !r.config_name.contains(DEMO_LABEL),
        title: r.title,
        config: r.config_name,
        status: r.status.as_str(),
        status_label: r.status.label(),
        tone: status_tone(r.status),
        final_state: r.final_state.unwrap_or_default(),
        started: fmt_time(r.started_at),
        duration: duration(end - r.started_at),
        tokens: thousands(r.input_tokens + r.output_tokens),
        cost: money(r.cost_micros),
        credits: format!("{} of {}", r.credits_used, r.credits_reserved),
    }
}

pub async fn index(ctx: Ctx, member: Member<need::WorkflowRead>) -> AppResult<HttpResponse> {
    let params = Params::parse(ctx.req.query_string());
    let status = RunStatus::parse(params.get("status"));
    let config = Some(params.get("config"))
        .filter(|c| !c.is_empty() && c.len() <= 100)
        .map(str::to_string);
    let page_no = params
        .get("page")
        .parse::<i64>()
        .unwrap_or(1)
        .clamp(1, MAX_PAGE);
    let filter = ListFilter {
        status,
        config: config.clone(),
    };
    let tenant = member.tenant.clone();
    let (rows, total, used, configs) = crate::db::run(&ctx.state.pool, move |conn| {
        let (rows, total) =
            repo::runs::list(conn, &tenant, &filter, (page_no - 1) * PER_PAGE, PER_PAGE)?;
        let used = repo::runs::used_configs(conn, &tenant)?;
        // Names and features only: the registry rows say enough without parsing every workflow.
        let configs = repo::workflow_configs::list_all_global(conn)?;
        Ok((rows, total, used, configs))
    })
    .await?;
    let slug = member.workspace.slug.clone();
    let mut demo: HashSet<String> = configs
        .iter()
        .filter(|c| {
            serde_json::from_str::<Vec<String>>(&c.features)
                .is_ok_and(|f| f.iter().any(|x| x == "demo"))
        })
        .map(|c| c.slug.clone())
        .collect();
    demo.insert("demo".into());
    let name_of = |s: &str| {
        configs
            .iter()
            .find(|c| c.slug == s)
            .map_or_else(|| s.to_string(), |c| c.name.clone())
    };
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let filters = filter_query(status, config.as_deref());
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Runs,
        "Runs",
    )
    .await?;
    let view = HistoryPage {
        shell,
        rows: rows.into_iter().map(|r| row(&slug, r, &demo)).collect(),
        total,
        statuses: RunStatus::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().into(),
                label: s.label().into(),
                selected: Some(*s) == status,
            })
            .collect(),
        configs: used
            .iter()
            .map(|c| Choice {
                value: c.clone(),
                label: name_of(c),
                selected: config.as_deref() == Some(c.as_str()),
            })
            .collect(),
        filtered: status.is_some() || config.is_some(),
        can_start: member.tenant.can(Scope::WorkflowExecute),
        prev_href: (page_no > 1).then(|| page_href(&slug, &filters, (page_no - 1).min(pages))),
        next_href: (page_no < pages).then(|| page_href(&slug, &filters, page_no + 1)),
        page_no,
        pages,
        demo_label: DEMO_LABEL,
        slug,
    };
    Ok(page(&ctx.req, view, StatusCode::OK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_the_filters() {
        let q = filter_query(Some(RunStatus::Complete), Some("demo"));
        assert_eq!(q, "status=complete&config=demo");
        assert_eq!(
            page_href("acme", &q, 2),
            "/w/acme/runs?status=complete&config=demo&page=2"
        );
        assert_eq!(page_href("acme", "", 3), "/w/acme/runs?page=3");
    }
}

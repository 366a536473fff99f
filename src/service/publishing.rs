//! Marking finished posts as published by hand, per platform. (Publishing through the
//! platforms' APIs is a later feature; these marks are what it will fill in.)

use crate::auth::Tenant;
use crate::db::DbConn;
use crate::error::AppError;
use crate::model::{now, Platform, PostId, PostStatus, Publication, PublicationId};
use crate::repo;
use crate::service::audit::{self, Actor, Event};
use crate::service::posts;

/// The problem with a published-post URL, if any. Empty is fine: the URL is optional.
pub fn url_problem(url: &str) -> Option<&'static str> {
    if url.is_empty() {
        return None;
    }
    if url.len() > 500 {
        return Some("Keep the link to 500 characters or fewer.");
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && !r.chars().any(char::is_whitespace) => {
            None
        }
        _ => Some("Enter the post's full address, starting with https://."),
    }
}

/// Records that the post is live on `platform`, and moves it to Published if it is not yet.
pub fn mark(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    post_id: &PostId,
    platform: Platform,
    url: &str,
) -> Result<(), AppError> {
    let post = repo::posts::find(conn, tenant, post_id)?.ok_or(AppError::NotFound)?;
    if !matches!(
        post.status,
        PostStatus::Approved | PostStatus::Scheduled | PostStatus::Published
    ) {
        return Err(AppError::Conflict(
            "Only approved posts can be marked as published.".into(),
        ));
    }
    if let Some(problem) = url_problem(url) {
        return Err(AppError::BadRequest(problem.into()));
    }
    let url = (!url.is_empty()).then_some(url);
    if repo::publications::find(conn, tenant, post_id, platform)?.is_some() {
        repo::publications::set_url(conn, tenant, post_id, platform, url)?;
    } else {
        repo::publications::insert(
            conn,
            tenant,
            &Publication {
                id: PublicationId::new(),
                workspace_id: tenant.workspace_id().clone(),
                post_id: post_id.clone(),
                platform,
                url: url.map(str::to_string),
                marked_by_id: actor.user_id.clone(),
                published_at: now(),
            },
        )?;
    }
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "post.published_marked",
            format!(
                "Marked \u{201c}{}\u{201d} as published on {}",
                post.title,
                platform.label()
            ),
        )
        .on("post", post_id.as_str()),
    )?;
    if post.status != PostStatus::Published {
        posts::move_to(conn, tenant, actor, post_id, PostStatus::Published)?;
    }
    Ok(())
}

/// Removes the mark; when no platform is left, the post goes back to Approved.
pub fn unmark(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    post_id: &PostId,
    platform: Platform,
) -> Result<(), AppError> {
    let post = repo::posts::find(conn, tenant, post_id)?.ok_or(AppError::NotFound)?;
    if repo::publications::delete(conn, tenant, post_id, platform)? == 0 {
        return Err(AppError::NotFound);
    }
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "post.published_unmarked",
            format!(
                "Unmarked \u{201c}{}\u{201d} on {}",
                post.title,
                platform.label()
            ),
        )
        .on("post", post_id.as_str()),
    )?;
    let left = repo::publications::for_posts(conn, tenant, std::slice::from_ref(post_id))?;
    if left.is_empty() && post.status == PostStatus::Published {
        posts::move_to(conn, tenant, actor, post_id, PostStatus::Approved)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::url_problem;

    #[test]
    fn urls_must_be_full_web_addresses() {
        assert!(url_problem("").is_none());
        assert!(url_problem("https://www.linkedin.com/posts/abc").is_none());
        assert!(url_problem("javascript:alert(1)").is_some());
        assert!(url_problem("https://").is_some());
        assert!(url_problem("https://a b").is_some());
    }
}

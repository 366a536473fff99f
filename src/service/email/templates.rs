//! Email bodies, rendered from `templates/email/` in HTML with a plain-text alternative.

use askama::Template;

use crate::error::AppError;

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Template)]
#[template(path = "email/password_reset.html")]
struct ResetHtml<'a> {
    name: &'a str,
    link: &'a str,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "email/password_reset.txt")]
struct ResetText<'a> {
    name: &'a str,
    link: &'a str,
    minutes: i64,
}

fn render_err(e: askama::Error) -> AppError {
    AppError::internal(format!("email template: {e}"))
}

pub fn password_reset(name: &str, link: &str) -> Result<Rendered, AppError> {
    let minutes = crate::repo::reset_tokens::LIFETIME.num_minutes();
    Ok(Rendered {
        subject: "Reset your Postmagiq password".into(),
        html: ResetHtml {
            name,
            link,
            minutes,
        }
        .render()
        .map_err(render_err)?,
        text: ResetText {
            name,
            link,
            minutes,
        }
        .render()
        .map_err(render_err)?,
    })
}

#[derive(Template)]
#[template(path = "email/notification.html")]
struct NoticeHtml<'a> {
    name: &'a str,
    workspace: &'a str,
    title: &'a str,
    body: &'a str,
    link: &'a str,
    settings: &'a str,
}

#[derive(Template)]
#[template(path = "email/notification.txt")]
struct NoticeText<'a> {
    name: &'a str,
    workspace: &'a str,
    title: &'a str,
    body: &'a str,
    link: &'a str,
    settings: &'a str,
}

/// A notification email, with links made absolute with the instance's public URL.
pub fn notification(
    notice: &crate::service::notify::NoticeEmail,
    public_url: &str,
) -> Result<super::Email, AppError> {
    let link = format!("{public_url}{}", notice.link);
    let settings = format!("{public_url}/notifications/preferences");
    let (name, workspace, title, body) = (
        notice.to_name.as_str(),
        notice.workspace.as_str(),
        notice.title.as_str(),
        notice.body.as_str(),
    );
    Ok(super::Email {
        to: notice.to.clone(),
        to_name: Some(notice.to_name.clone()),
        subject: format!("{} \u{b7} {}", notice.title, notice.workspace),
        html: NoticeHtml {
            name,
            workspace,
            title,
            body,
            link: &link,
            settings: &settings,
        }
        .render()
        .map_err(render_err)?,
        text: NoticeText {
            name,
            workspace,
            title,
            body,
            link: &link,
            settings: &settings,
        }
        .render()
        .map_err(render_err)?,
    })
}

#[derive(Template)]
#[template(path = "email/invite.html")]
struct InviteHtml<'a> {
    inviter: &'a str,
    workspace: &'a str,
    role: &'a str,
    link: &'a str,
    days: i64,
}

#[derive(Template)]
#[template(path = "email/invite.txt")]
struct InviteText<'a> {
    inviter: &'a str,
    workspace: &'a str,
    role: &'a str,
    link: &'a str,
    days: i64,
}

/// An invitation to join a workspace; `link` is the absolute invitation address.
pub fn invite(
    inviter: &str,
    workspace: &str,
    role: crate::model::Role,
    link: &str,
    days: i64,
) -> Result<Rendered, AppError> {
    let role = role.label();
    Ok(Rendered {
        subject: format!("{inviter} invited you to {workspace} on Postmagiq"),
        html: InviteHtml {
            inviter,
            workspace,
            role,
            link,
            days,
        }
        .render()
        .map_err(render_err)?,
        text: InviteText {
            inviter,
            workspace,
            role,
            link,
            days,
        }
        .render()
        .map_err(render_err)?,
    })
}

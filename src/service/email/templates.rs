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

//! Public pages: the landing page and the legal texts.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;

use crate::app::AppState;
use crate::auth::MaybeUser;
use crate::error::AppResult;
use crate::web::shell::Shell;
use crate::web::{page, see_other};

#[derive(Template, WebTemplate)]
#[template(path = "pages/public/landing.html")]
struct Landing {
    shell: Shell,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/legal/privacy.html")]
struct Privacy {
    shell: Shell,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/legal/terms.html")]
struct Terms {
    shell: Shell,
}

/// Signed in: straight to the last workspace. Otherwise the product page.
pub async fn landing(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
) -> AppResult<HttpResponse> {
    if let Some(auth) = user.0 {
        return Ok(see_other(&crate::web::home_path(&state, &auth.user).await?));
    }
    Ok(page(
        &req,
        Landing {
            shell: Shell::public(&session, "Your stories, your voice"),
        },
        StatusCode::OK,
    ))
}

pub async fn privacy(req: HttpRequest, session: Session) -> HttpResponse {
    page(
        &req,
        Privacy {
            shell: Shell::public(&session, "Privacy policy"),
        },
        StatusCode::OK,
    )
}

pub async fn terms(req: HttpRequest, session: Session) -> HttpResponse {
    page(
        &req,
        Terms {
            shell: Shell::public(&session, "Terms of service"),
        },
        StatusCode::OK,
    )
}

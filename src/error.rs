//! The one error type of the app. Each variant has a stable snake_case code and one status;
//! it renders as an HTML page (full, or a fragment for htmx) or as the JSON envelope for `/api`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::auth::scopes::Scope;
use crate::web::request_meta::RequestMeta;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("sign-in required")]
    Unauthenticated,
    #[error("missing required permission: {0}")]
    MissingScope(Scope),
    #[error("{0}")]
    Forbidden(String),
    #[error("the form has expired or did not come from this site")]
    Csrf,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    /// The workspace's plan does not cover this (out of credits); the message says what to do.
    #[error("{0}")]
    PaymentRequired(String),
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    #[error("internal error: {0}")]
    Internal(String),
    #[error("database error: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("database pool error: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
}

impl AppError {
    pub fn internal(msg: impl Into<String>) -> Self {
        AppError::Internal(msg.into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Unauthenticated => "unauthenticated",
            AppError::MissingScope(_) | AppError::Forbidden(_) => "forbidden",
            AppError::Csrf => "csrf_failed",
            AppError::BadRequest(_) => "bad_request",
            AppError::Conflict(_) => "conflict",
            AppError::PaymentRequired(_) => "payment_required",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Internal(_) | AppError::Db(_) | AppError::Pool(_) => "internal",
        }
    }

    /// What a user may read. Internal details stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            AppError::NotFound => "We could not find that page.".into(),
            AppError::Unauthenticated => "Please sign in to continue.".into(),
            AppError::MissingScope(scope) => format!(
                "Missing required permission: {}. Ask a workspace owner or admin for access.",
                scope.as_str()
            ),
            AppError::Internal(_) | AppError::Db(_) | AppError::Pool(_) => {
                "Something went wrong on our side. It has been logged.".into()
            }
            other => other.to_string(),
        }
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(format!("blocking task failed: {e}"))
    }
}

#[derive(Template)]
#[template(path = "pages/error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: String,
    request_id: String,
    assets: &'static crate::web::assets::AssetUrls,
    show_signin: bool,
}

#[derive(Template)]
#[template(path = "partials/error.html")]
struct ErrorFragment<'a> {
    title: &'a str,
    message: String,
    request_id: String,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::MissingScope(_) | AppError::Forbidden(_) | AppError::Csrf => {
                StatusCode::FORBIDDEN
            }
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PaymentRequired(_) => StatusCode::PAYMENT_REQUIRED,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) | AppError::Db(_) | AppError::Pool(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        let meta = RequestMeta::current();
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(request_id = %meta.id, error = %self, "request failed");
        }
        // A browser that is not signed in is sent to the sign-in page and brought back after.
        if matches!(self, AppError::Unauthenticated) && !meta.api {
            let next = meta.path_for_next();
            let location = format!("/auth/login?next={}", crate::web::urlencode(&next));
            if meta.htmx {
                return HttpResponse::Unauthorized()
                    .insert_header(("HX-Redirect", location))
                    .finish();
            }
            return HttpResponse::SeeOther()
                .insert_header(("Location", location))
                .finish();
        }
        let mut builder = HttpResponse::build(status);
        if let AppError::RateLimited {
            retry_after_secs, ..
        } = self
        {
            builder.insert_header(("Retry-After", retry_after_secs.to_string()));
        }
        if meta.api {
            return builder.json(serde_json::json!({
                "error": { "code": self.code(), "message": self.public_message() }
            }));
        }
        let title = match status {
            StatusCode::NOT_FOUND => "Page not found",
            StatusCode::FORBIDDEN => "Access denied",
            StatusCode::UNAUTHORIZED => "Sign-in required",
            StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
            StatusCode::PAYMENT_REQUIRED => "Out of credits",
            s if s.is_server_error() => "Something went wrong",
            _ => "That did not work",
        };
        let body = if meta.htmx {
            ErrorFragment {
                title,
                message: self.public_message(),
                request_id: meta.id.clone(),
            }
            .render()
        } else {
            ErrorPage {
                status: status.as_u16(),
                title,
                message: self.public_message(),
                request_id: meta.id.clone(),
                assets: crate::web::assets::urls(),
                show_signin: matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            }
            .render()
        };
        match body {
            Ok(html) => builder
                .content_type("text/html; charset=utf-8")
                .insert_header(("Cache-Control", "no-store"))
                .body(html),
            Err(e) => {
                tracing::error!(request_id = %meta.id, error = %e, "error page failed to render");
                builder
                    .content_type("text/plain; charset=utf-8")
                    .body(format!("Error. Request id: {}", meta.id))
            }
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

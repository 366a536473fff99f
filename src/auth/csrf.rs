//! Synchronizer-token CSRF protection. The token lives in the encrypted session cookie; forms
//! send it as `csrf_token`, htmx as the `X-CSRF-Token` header. Every unsafe request outside the
//! exempt prefixes (Stripe webhook, API-key JSON API) must carry it.

use actix_session::{Session, SessionExt};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, ResponseError};

use crate::auth::tokens;
use crate::error::AppError;

pub const SESSION_KEY: &str = "csrf";
pub const HEADER: &str = "X-CSRF-Token";
pub const FIELD: &str = "csrf_token";

const EXEMPT_PREFIXES: &[&str] = &["/api/", "/webhooks/"];

/// The session's CSRF token, created on first use.
pub fn token(session: &Session) -> String {
    if let Ok(Some(t)) = session.get::<String>(SESSION_KEY) {
        return t;
    }
    let t = tokens::new_secret_token();
    // Inserting a String cannot fail to serialise.
    let _ = session.insert(SESSION_KEY, &t);
    t
}

/// A fresh token, for sign-in and sign-out.
pub fn rotate(session: &Session) -> String {
    let t = tokens::new_secret_token();
    let _ = session.insert(SESSION_KEY, &t);
    t
}

fn field_from_form(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v.into_owned())
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let unsafe_method = !req.method().is_safe();
    let exempt = EXEMPT_PREFIXES.iter().any(|p| req.path().starts_with(p));
    if unsafe_method && !exempt {
        let expected = req.get_session().get::<String>(SESSION_KEY).ok().flatten();
        let mut provided = req
            .headers()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let is_form = req.content_type() == "application/x-www-form-urlencoded";
        if provided.is_none() && is_form {
            let body = req.extract::<Bytes>().await?;
            provided = field_from_form(&body);
            // Put the body back for the handler's own extractor.
            req.set_payload(actix_web::dev::Payload::from(body));
        }
        let ok =
            matches!((&expected, &provided), (Some(e), Some(p)) if tokens::constant_time_eq(e, p));
        if !ok {
            tracing::warn!(path = req.path(), "csrf check failed");
            let res = AppError::Csrf.error_response();
            return Ok(req.into_response(res).map_into_right_body());
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

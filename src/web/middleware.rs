//! Middleware of our own: the request context (id, log span, access log, metrics) and the
//! security headers.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use tracing::Instrument;

use crate::web::request_meta::RequestMeta;

/// The request id, also stored in request extensions for handlers.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = crate::auth::tokens::random_token(8);
    req.extensions_mut().insert(RequestId(id.clone()));
    let meta = RequestMeta {
        id: id.clone(),
        api: req.path().starts_with("/api/"),
        htmx: req.headers().contains_key("HX-Request"),
        method_is_get: req.method() == actix_web::http::Method::GET,
        path_and_query: req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
    };
    let method = req.method().to_string();
    let span = tracing::info_span!("request", request_id = %id);
    let started = Instant::now();
    let result = RequestMeta::scope(meta, next.call(req).instrument(span.clone())).await;
    let elapsed = started.elapsed();
    let _enter = span.enter();
    match result {
        Ok(mut res) => {
            // The route pattern, never the raw path: paths can hold tokens (reset links).
            let route = res
                .request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".into());
            let status = res.status();
            crate::web::ops::METRICS.observe(&method, &route, status.as_u16(), elapsed);
            if let Ok(v) = HeaderValue::from_str(&id) {
                res.headers_mut()
                    .insert(HeaderName::from_static("x-request-id"), v);
            }
            tracing::info!(
                method = %method,
                route = %route,
                status = status.as_u16(),
                ms = elapsed.as_millis() as u64,
                "request"
            );
            Ok(res)
        }
        Err(e) => {
            tracing::error!(method = %method, error = %e, "request failed in middleware");
            Err(e)
        }
    }
}

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let https = req
        .app_data::<actix_web::web::Data<crate::app::AppState>>()
        .map(|s| s.config.secure_cookies())
        .unwrap_or(false);
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    let set = |h: &mut actix_web::http::header::HeaderMap, k: &'static str, v: &'static str| {
        h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
    };
    set(
        h,
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'",
    );
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "strict-origin-when-cross-origin");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    set(h, "cross-origin-opener-policy", "same-origin");
    if https {
        set(
            h,
            "strict-transport-security",
            "max-age=63072000; includeSubDomains",
        );
    }
    h.remove(header::SERVER);
    // Pages are personal: nothing but the fingerprinted static files may be cached.
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, "cache-control", "no-store");
    }
    Ok(res)
}

/// Answers with our error page for a request that matched no route.
pub async fn not_found() -> Result<actix_web::HttpResponse, crate::error::AppError> {
    Err(crate::error::AppError::NotFound)
}

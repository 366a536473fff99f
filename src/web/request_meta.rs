//! Per-request facts that error rendering needs but cannot get from its arguments: the request
//! id, and whether the caller wants JSON or an htmx fragment. Set by the request middleware.

use std::cell::RefCell;

#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub id: String,
    pub api: bool,
    pub htmx: bool,
    pub method_is_get: bool,
    pub path_and_query: String,
}

tokio::task_local! {
    static META: RefCell<RequestMeta>;
}

impl RequestMeta {
    /// The meta of the request being served, or a blank one outside a request.
    pub fn current() -> RequestMeta {
        META.try_with(|m| m.borrow().clone()).unwrap_or_default()
    }

    pub async fn scope<F: std::future::Future>(meta: RequestMeta, fut: F) -> F::Output {
        META.scope(RefCell::new(meta), fut).await
    }

    /// Where sign-in should bring the user back to: the page they asked for, when it was a GET.
    pub fn path_for_next(&self) -> String {
        if self.method_is_get && self.path_and_query.starts_with('/') {
            self.path_and_query.clone()
        } else {
            "/".into()
        }
    }
}

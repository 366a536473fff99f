//! Static files embedded in the binary, served under fingerprinted names so browsers may cache
//! them for a year: `/static/css/app.3f9c2a1b.css`.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::{http::header, web, HttpResponse};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

#[derive(RustEmbed)]
#[folder = "static/"]
struct Files;

struct Manifest {
    /// logical path ("css/app.css") → public URL
    urls: HashMap<String, String>,
    /// fingerprinted path ("css/app.3f9c2a1b.css") → logical path
    by_fingerprint: HashMap<String, String>,
}

fn fingerprinted(path: &str, hash: &str) -> String {
    match path.rfind('.') {
        Some(dot) if !path[dot..].contains('/') => {
            format!("{}.{}{}", &path[..dot], hash, &path[dot..])
        }
        _ => format!("{path}.{hash}"),
    }
}

fn manifest() -> &'static Manifest {
    static M: OnceLock<Manifest> = OnceLock::new();
    M.get_or_init(|| {
        let mut urls = HashMap::new();
        let mut by_fingerprint = HashMap::new();
        for path in Files::iter() {
            if let Some(file) = Files::get(&path) {
                let hash = hex::encode(&Sha256::digest(&file.data)[..4]);
                let fp = fingerprinted(&path, &hash);
                urls.insert(path.to_string(), format!("/static/{fp}"));
                by_fingerprint.insert(fp, path.to_string());
            }
        }
        Manifest {
            urls,
            by_fingerprint,
        }
    })
}

/// The URLs the page layouts need.
#[derive(Debug)]
pub struct AssetUrls {
    pub css: String,
    pub favicon: String,
    pub js: String,
    pub htmx: String,
    pub htmx_sse: String,
}

pub fn url(path: &str) -> String {
    manifest()
        .urls
        .get(path)
        .cloned()
        .unwrap_or_else(|| format!("/static/{path}"))
}

pub fn urls() -> &'static AssetUrls {
    static U: OnceLock<AssetUrls> = OnceLock::new();
    U.get_or_init(|| AssetUrls {
        css: url("css/app.css"),
        favicon: url("img/favicon.svg"),
        js: url("js/app.js"),
        htmx: url("vendor/htmx.min.js"),
        htmx_sse: url("vendor/htmx-ext-sse.min.js"),
    })
}

pub async fn serve(path: web::Path<String>) -> HttpResponse {
    let requested = path.into_inner();
    let m = manifest();
    let (logical, immutable) = match m.by_fingerprint.get(&requested) {
        Some(l) => (l.clone(), true),
        None => (requested.clone(), false),
    };
    match Files::get(&logical) {
        Some(file) => {
            let mime = mime_guess::from_path(&logical).first_or_octet_stream();
            let cache = if immutable {
                "public, max-age=31536000, immutable"
            } else {
                "public, max-age=300"
            };
            HttpResponse::Ok()
                .content_type(mime.as_ref())
                .insert_header((header::CACHE_CONTROL, cache))
                .body(file.data.into_owned())
        }
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body("not found"),
    }
}

/// Browsers ask for /favicon.ico on their own; point them at the fingerprinted icon.
pub async fn favicon() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, url("img/favicon.svg")))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_go_before_the_extension() {
        assert_eq!(fingerprinted("css/app.css", "ab12"), "css/app.ab12.css");
        assert_eq!(
            fingerprinted("vendor/htmx.min.js", "ab12"),
            "vendor/htmx.min.ab12.js"
        );
    }

    #[test]
    fn every_layout_asset_is_embedded() {
        for p in [
            "css/app.css",
            "js/app.js",
            "vendor/htmx.min.js",
            "vendor/htmx-ext-sse.min.js",
        ] {
            assert!(Files::get(p).is_some(), "{p} is not embedded");
        }
    }
}

//! Static assets embedded in the binary, served under content-hashed names
//! (`/assets/app.3f2a9c1b.css`) so they can be cached forever and never go stale.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/app.js"),
    },
];

fn hashed() -> &'static Vec<(String, &'static Asset)> {
    static H: OnceLock<Vec<(String, &'static Asset)>> = OnceLock::new();
    H.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let digest = hex::encode(&Sha256::digest(a.body)[..4]);
                let (stem, ext) = a.name.rsplit_once('.').unwrap_or((a.name, ""));
                (format!("{stem}.{digest}.{ext}"), a)
            })
            .collect()
    })
}

/// The URL of an asset by its plain name (`app.css`).
pub fn url(name: &str) -> String {
    hashed()
        .iter()
        .find(|(_, a)| a.name == name)
        .map(|(h, _)| format!("/assets/{h}"))
        .unwrap_or_default()
}

pub async fn serve(Path(file): Path<String>) -> Response {
    match hashed().iter().find(|(h, _)| *h == file) {
        Some((_, a)) => {
            let mut r = a.body.into_response();
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(a.content_type));
            r.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            );
            r
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

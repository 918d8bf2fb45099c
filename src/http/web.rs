//! The web page for auditors and staff (`web/`), embedded in the binary: nothing is fetched from
//! any other host, and a newcomer needs no Node to run it.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::problem::ApiError;

/// Every file of `web/`: (name, media type, content).
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../../web/index.html"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../web/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/app.js"),
    ),
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/api.js"),
    ),
    (
        "charts.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/charts.js"),
    ),
    (
        "dom.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/dom.js"),
    ),
    (
        "format.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/format.js"),
    ),
    (
        "forms.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/forms.js"),
    ),
    (
        "json.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/json.js"),
    ),
    (
        "i18n.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/i18n.js"),
    ),
];

/// `GET /`: the page.
pub async fn index() -> Response {
    asset(Path("index.html".to_owned())).await
}

/// `GET /{file}`: one of the page's files.
pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(asset_name, _, _)| *asset_name == name) {
        Some((_, media_type, content)) => {
            let mut response = (*content).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
            // The page talks only to its own origin.
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'self'; img-src 'self' data:; style-src 'self'",
                ),
            );
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            response
        }
        None => ApiError::NotFound(format!("no such file: {name}")).into_response(),
    }
}

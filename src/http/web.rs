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
        "statement.css",
        "text/css; charset=utf-8",
        include_str!("../../web/statement.css"),
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
        "dates.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/dates.js"),
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
        "log.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/log.js"),
    ),
    (
        "panels.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/panels.js"),
    ),
    (
        "record.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/record.js"),
    ),
    (
        "replay.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/replay.js"),
    ),
    (
        "state.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/state.js"),
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

/// The page talks only to its own origin: its scripts and styles are files of `web/` (none
/// inline, no `eval`), it draws with the DOM and CSSOM (no `style` attributes in markup), and
/// no other site may frame it.
pub const PAGE_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

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
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(PAGE_CONTENT_SECURITY_POLICY),
            );
            // The files hold no record: a browser may keep them, asking each time whether they
            // changed (every API answer is `no-store`, set in ops.rs with the other headers).
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        None => ApiError::NotFound(format!("no such file: {name}")).into_response(),
    }
}

/// The API reference in OpenAPI 3.1 (`docs/openapi.json`), as this binary was built with it.
const OPENAPI: &str = include_str!("../../docs/openapi.json");

/// `GET /v1/openapi.json`: the document client generators and validators read.
pub async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        OPENAPI,
    )
        .into_response()
}

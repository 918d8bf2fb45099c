//! What an operator and a browser need of every answer: `/healthz`, the security headers, and
//! the warning a reader gets while the writer refuses.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};
use tower_http::set_header::SetResponseHeaderLayer;

use acta_events::WriterStatus;

use super::AppState;
use super::problem::ApiError;

/// The policy of every answer but the page's files (`web.rs` sets theirs): an answer of the API
/// loads nothing, and no other site may frame it.
pub const API_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// Carried by every `/v1` answer while the writer refuses appends.
pub const WARNING_HEADER: HeaderName = HeaderName::from_static("acta-warning");

/// What [`WARNING_HEADER`] says.
pub const REFUSING_WARNING: &str =
    "database damaged or replaced; appends refused (see GET /healthz)";

type SetHeader = SetResponseHeaderLayer<HeaderValue>;

/// The layers of [`security_headers`].
pub type SecurityHeaders = Stack<
    SetHeader,
    Stack<SetHeader, Stack<SetHeader, Stack<SetHeader, Stack<SetHeader, Identity>>>>,
>;

/// Sets on every answer, unless its handler set them: `Content-Security-Policy`,
/// `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`, `X-Content-Type-Options: nosniff`,
/// and `Cache-Control: no-store` (the page's files say `no-cache` instead, so that only the
/// API's answers, which carry the record, are never stored).
pub fn security_headers() -> ServiceBuilder<SecurityHeaders> {
    let set =
        |name, value| SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value));
    ServiceBuilder::new()
        .layer(set(
            header::CONTENT_SECURITY_POLICY,
            API_CONTENT_SECURITY_POLICY,
        ))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(header::REFERRER_POLICY, "no-referrer"))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::CACHE_CONTROL, "no-store"))
}

/// `GET /healthz`: `200 ok` while the writer can commit; `503` problem+json naming why not when
/// its last commit failed (it tries again with the next) or it refuses every append (a damaged
/// or replaced database file: until a restart).
pub async fn healthz(State(state): State<AppState>) -> Response {
    let health = state.log.writer_health();
    let cause = health
        .cause
        .unwrap_or_else(|| "no cause was recorded".into());
    match health.status {
        WriterStatus::Healthy => "ok\n".into_response(),
        WriterStatus::Failing => ApiError::StorageUnavailable(format!(
            "the last commit failed (the next append tries again): {cause}"
        ))
        .into_response(),
        // Its cause says what was found and that appends are refused until a restart.
        WriterStatus::Refusing => ApiError::StorageUnavailable(cause).into_response(),
    }
}

/// Marks every `/v1` answer with [`WARNING_HEADER`] while the writer refuses appends, so that a
/// reader knows the record it reads cannot grow.
pub async fn warn_while_refusing(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let is_api = is_api_path(request.uri().path());
    let mut response = next.run(request).await;
    if is_api && state.log.writer_status() == WriterStatus::Refusing {
        response
            .headers_mut()
            .insert(WARNING_HEADER, HeaderValue::from_static(REFUSING_WARNING));
    }
    response
}

pub fn is_api_path(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/")
}

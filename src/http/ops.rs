//! What an operator and a browser need of every answer: `/healthz`, the security headers, the
//! warning a reader gets while the writer refuses, and the access log (`serve --access-log`).

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};
use tower_http::set_header::SetResponseHeaderLayer;

use acta_events::WriterStatus;

use super::extract::Actor;
use super::problem::ApiError;
use super::state::AppState;

/// The policy of every answer but the page's files (`web.rs` sets theirs): an answer of the API
/// loads nothing, and no other site may frame it.
pub const API_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// Carried by every `/v1` answer while the writer refuses appends.
pub const WARNING_HEADER: HeaderName = HeaderName::from_static("acta-warning");

/// What [`WARNING_HEADER`] says.
pub const REFUSING_WARNING: &str =
    "database damaged or replaced; appends refused (see GET /healthz)";

/// Longest path written to a log line; the rest is cut.
const LOGGED_PATH_CHARS_MAX: usize = 200;

/// Longest list of query parameter names written to a log line.
const LOGGED_QUERY_CHARS_MAX: usize = 100;

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

/// With `serve --access-log`, one line per request at `info` on target `acta::access`: method,
/// path (cut short), the names of its query parameters (never their values), status, duration
/// until the answer's head was ready, the token's name when it was valid, and the client's
/// address when the server hands it over (`ConnectInfo`).
pub async fn access_log(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !state.access_log {
        return next.run(request).await;
    }
    let started = Instant::now();
    let method = request.method().clone();
    let path = logged_path(request.uri().path());
    let query = request.uri().query().map(query_names);
    let client = client_address(&request);
    let response = next.run(request).await;
    let actor = response
        .extensions()
        .get::<Actor>()
        .map(|actor| actor.0.as_str());
    tracing::info!(
        target: "acta::access",
        %method,
        path,
        query,
        status = response.status().as_u16(),
        // Milliseconds to the hundredth.
        duration_ms = (started.elapsed().as_secs_f64() * 100_000.0).round() / 100.0,
        actor,
        client = client.map(tracing::field::display),
    );
    response
}

pub fn is_api_path(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/")
}

/// The client's address, when the server that runs the router hands it over.
pub fn client_address(request: &Request) -> Option<SocketAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0)
}

/// `text`, cut to `chars_max` characters with `…` when longer.
pub fn cut(text: &str, chars_max: usize) -> String {
    match text.char_indices().nth(chars_max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// A path as a log line writes it.
pub fn logged_path(path: &str) -> String {
    cut(path, LOGGED_PATH_CHARS_MAX)
}

/// The names of a query's parameters, in order, without their values: `as_of&plan`.
fn query_names(query: &str) -> String {
    let names: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').map_or(pair, |(name, _)| name))
        .collect();
    cut(&names.join("&"), LOGGED_QUERY_CHARS_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_logged_by_its_names_alone() {
        assert_eq!(query_names("as_of=2012-12-31&plan=dn-sxsh"), "as_of&plan");
        assert_eq!(query_names("limit&&after=9"), "limit&after");
        assert_eq!(
            query_names(&"x".repeat(500)).chars().count(),
            LOGGED_QUERY_CHARS_MAX + 1
        );
    }

    use std::sync::{Arc, Mutex};

    use axum::body::Body;
    use tower::ServiceExt;

    use acta_events::{Log, LogOptions, Tokens};

    use crate::http::app;
    use crate::live::Live;
    use crate::verifier::Verifier;

    /// What the log lines written on this thread said.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The router over a new database, with the access log on, and its admin token.
    fn router(dir: &std::path::Path) -> (axum::Router, String) {
        let db = dir.join("acta.db");
        let clock: acta_events::Clock = Arc::new(|| "2026-11-28T12:00:00Z".parse().unwrap());
        let log = Log::open(
            &db,
            LogOptions {
                clock: clock.clone(),
                on_commit: None,
                bulk: false,
            },
        )
        .unwrap();
        let state = AppState {
            verifier: Arc::new(Verifier::start(log.clone(), None).unwrap()),
            tokens: Arc::new(Tokens::open_beside(&log).unwrap()),
            log,
            live: Live::new(),
            access_log: true,
            clock,
            reads: Arc::default(),
            checkpoints: None,
        };
        let token = crate::http::auth::first_admin_token(&state)
            .unwrap()
            .unwrap();
        (app(state), token)
    }

    /// Sends `path` with `token` from `client`, and returns what was logged meanwhile.
    fn logged(router: axum::Router, path: &str, token: &str, client: SocketAddr) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        let _default = tracing::subscriber::set_default(subscriber);
        let mut request = Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        request.extensions_mut().insert(ConnectInfo(client));
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(router.oneshot(request))
            .unwrap();
        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn the_client_address_is_logged_when_the_server_hands_it_over() {
        let dir = tempfile::tempdir().unwrap();
        let (router, token) = router(dir.path());
        let client: SocketAddr = "192.0.2.7:40123".parse().unwrap();
        let refused = logged(router.clone(), "/v1/head", "acta_wrong", client);
        assert!(
            refused.contains("request refused") && refused.contains("client=192.0.2.7:40123"),
            "{refused}"
        );
        let served = logged(router, "/v1/head?after=3", &token, client);
        assert!(
            served.contains("acta::access")
                && served.contains("client=192.0.2.7:40123")
                && served.contains("actor=\"admin\"")
                && served.contains("query=\"after\""),
            "{served}"
        );
    }

    #[test]
    fn long_texts_are_cut_on_a_character() {
        assert_eq!(cut("/v1/plans/đồng-nai", 12), "/v1/plans/đồ…");
        assert_eq!(cut("/v1/head", 200), "/v1/head");
    }
}

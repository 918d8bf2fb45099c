//! The HTTP API of CONTRACT §3: routes, handlers and the mapping of every failure to
//! problem+json. Handlers turn the request into checked values on their first line and hand
//! them to `acta-events` (writes) or the projections (reads).

mod amounts;
pub mod auth;
mod checkpoint;
mod events;
mod ops;
mod projections;
mod warnings;
mod web;
pub use events::verify_json as events_verify_json;
pub mod extract;
pub mod limits;
mod pacing;
pub mod problem;
pub mod serve;
pub mod spreadsheet;
mod state;
mod statement;
pub mod stream;
pub use state::{AppState, blocking};

use std::convert::Infallible;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use tower::limit::ConcurrencyLimitLayer;
use tower_http::trace::TraceLayer;

use std::sync::Arc;

use extract::{BATCH_BODY_BYTES_MAX, BodyLimit, EVENT_BODY_BYTES_MAX};
use problem::ApiError;

/// Most single-event appends read and checked at once (1 MiB each at most).
pub const EVENTS_IN_FLIGHT_MAX: usize = 256;
/// Most batch appends read and checked at once (16 MiB each at most).
pub const BATCHES_IN_FLIGHT_MAX: usize = 4;

/// The whole API as a router, for `acta serve` and for tests.
pub fn app(state: AppState) -> Router {
    let single = post(events::append_one)
        .layer::<_, Infallible>(DefaultBodyLimit::max(EVENT_BODY_BYTES_MAX))
        .layer::<_, Infallible>(ConcurrencyLimitLayer::new(EVENTS_IN_FLIGHT_MAX))
        .layer::<_, Infallible>(axum::Extension(BodyLimit(EVENT_BODY_BYTES_MAX)));
    let batch = post(events::append_batch)
        .layer::<_, Infallible>(DefaultBodyLimit::max(BATCH_BODY_BYTES_MAX))
        // At most this many batches are read and checked at once (each may be 16 MiB, and
        // several times that parsed): the rest wait, so memory stays bounded under load.
        .layer::<_, Infallible>(ConcurrencyLimitLayer::new(BATCHES_IN_FLIGHT_MAX))
        .layer::<_, Infallible>(axum::Extension(BodyLimit(BATCH_BODY_BYTES_MAX)));
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/", get(web::index))
        .route("/{file}", get(web::asset))
        .route("/v1/events", single.get(events::list))
        .route("/v1/events/batch", batch)
        .route("/v1/events/stream", get(stream::events_stream))
        .route("/v1/events/{id}", get(events::one))
        .route("/v1/head", get(events::head))
        .route("/v1/verify", get(events::verify))
        .route("/v1/checkpoint", get(checkpoint::checkpoint))
        .route("/v1/checkpoint/key", get(checkpoint::key))
        .route("/v1/proof/inclusion", get(checkpoint::inclusion))
        .route("/v1/proof/consistency", get(checkpoint::consistency))
        .route("/v1/plans", get(projections::plans))
        .route("/v1/plans/{plan}", get(projections::plan))
        .route("/v1/funding", get(projections::funding))
        .route("/v1/summaries/yearly", get(projections::yearly))
        .route("/v1/reconciliation", get(projections::reconciliation))
        .route("/v1/whoami", get(auth::whoami))
        .route("/v1/openapi.json", get(web::openapi))
        .route("/v1/amounts", get(amounts::read))
        .route("/v1/statement", get(statement::statement))
        .route(
            "/v1/tokens",
            post(auth::create_token)
                .layer::<_, Infallible>(DefaultBodyLimit::max(EVENT_BODY_BYTES_MAX)),
        )
        .route("/v1/tokens/{name}", delete(auth::revoke_token))
        // Only on matched routes, inside the token middleware: a path without a table asked
        // for CSV is 406 before its handler runs.
        .route_layer(axum::middleware::from_fn(
            spreadsheet::refuse_csv_without_table,
        ))
        .fallback(|| async { ApiError::NotFound("no such path".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        // Inside the token middleware, which names the caller whose heavy reads are counted.
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state.reads),
            limits::limit_heavy_reads,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ))
        .layer(TraceLayer::new_for_http())
        // Operations (ops.rs): the warning while appends are refused, the security headers of
        // every answer, and the access log, outermost so that it times the whole request.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::warn_while_refusing,
        ))
        .layer(ops::security_headers())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::access_log,
        ))
        // Outermost: every answer, refusals of the token middleware included, is rendered in
        // the language the request asked for.
        .layer(axum::middleware::from_fn(problem::with_language))
        .with_state(state)
}

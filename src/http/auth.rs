//! Authentication and authorisation (CONTRACT §1): every `/v1` path needs a bearer token, checked
//! before anything else; the route decides the role it needs, checked next — before the body
//! is read, so a refused request costs nothing and changes nothing.

use acta_messages::{Message, codes};
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use http_body_util::BodyExt;
use serde_json::{Value, json};

use acta_events::fields::{self, ObjectReader};
use acta_events::tokens::TokenError;
use acta_events::{AppendError, Caller, FieldErrors, PlanKey, Role, TokenStatus};

use super::extract::{Actor, BATCH_BODY_BYTES_MAX, JsonBody};
use super::ops;
use super::problem::ApiError;
use super::state::{AppState, blocking};

/// The role a request needs: appending needs `recorder`, tokens need `admin`, reading needs any.
fn role_needed(method: &Method, path: &str) -> Role {
    if path == "/v1/tokens" || path.starts_with("/v1/tokens/") {
        Role::Admin
    } else if *method == Method::POST && (path == "/v1/events" || path.starts_with("/v1/events/")) {
        Role::Recorder
    } else {
        Role::Auditor
    }
}

/// Resolves the bearer token of every `/v1` request into a [`Caller`] and an [`Actor`]. The
/// actor is also put on the answer, for the access log. A refusal is logged (`info`) with the
/// client's address when the server hands it over, and the token's name when it has one (a
/// revoked token, a role that may not) — never the token or its hash.
pub async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if !ops::is_api_path(&path) {
        return next.run(request).await;
    }
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            // The scheme name is case-insensitive (RFC 7235 §2.1).
            let (scheme, token) = value.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_owned())
        });
    let Some(token) = token else {
        log_refusal(&request, "no bearer token", None);
        return refuse(request, ApiError::Unauthorized).await;
    };
    // Known tokens are answered from memory; only an unknown one costs a database look-up.
    let cached = state.tokens.authenticate_cached(&token);
    let tokens = state.tokens.clone();
    let found = match cached {
        Some(caller) => Ok(TokenStatus::Valid(caller)),
        None => blocking(move || Ok(tokens.status(&token)?)).await,
    };
    let caller = match found {
        Ok(TokenStatus::Valid(caller)) => caller,
        Ok(TokenStatus::Revoked { name }) => {
            log_refusal(&request, "revoked token", Some(&name));
            return refuse(request, ApiError::Unauthorized).await;
        }
        Ok(TokenStatus::Unknown) => {
            log_refusal(&request, "unknown token", None);
            return refuse(request, ApiError::Unauthorized).await;
        }
        Err(error) => return error.into_response(),
    };
    let needed = role_needed(request.method(), &path);
    let actor = Actor(caller.name.clone());
    if !caller.role.allows(needed) {
        log_refusal(&request, "role may not", Some(&caller.name));
        let forbidden = ApiError::Forbidden(format!(
            "this needs the {needed} role; the token's role is {}",
            caller.role
        ));
        let mut response = refuse(request, forbidden).await;
        response.extensions_mut().insert(actor);
        return response;
    }
    request.extensions_mut().insert(actor.clone());
    request.extensions_mut().insert(caller);
    let mut response = next.run(request).await;
    response.extensions_mut().insert(actor);
    response
}

/// Logs a refused request: why, the token's public name if it has one, the client's address if
/// the server handed it over.
fn log_refusal(request: &Request, reason: &str, token_name: Option<&str>) {
    tracing::info!(
        reason,
        token_name,
        method = %request.method(),
        path = ops::logged_path(request.uri().path()),
        client = ops::client_address(request).map(tracing::field::display),
        "request refused"
    );
}

/// Answers a refused request after reading (and discarding) its body, up to the largest body
/// any path accepts: a server that answers while the client is still sending and then closes
/// makes the client see a broken connection instead of the `401` or `403`.
async fn refuse(request: Request, error: ApiError) -> Response {
    let mut body = request.into_body();
    let drain = async {
        let mut drained = 0;
        while drained <= BATCH_BODY_BYTES_MAX {
            match body.frame().await {
                Some(Ok(frame)) => drained += frame.data_ref().map_or(0, |data| data.len()),
                _ => break,
            }
        }
    };
    // Nothing is kept, and a client that sends slowly is not waited for long.
    let _ = tokio::time::timeout(REFUSED_BODY_DRAIN_TIMEOUT, drain).await;
    error.into_response()
}

/// How long a refused request's body is read before answering anyway.
const REFUSED_BODY_DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// `GET /v1/whoami`: the name and role of the token (for the web page).
pub async fn whoami(Extension(caller): Extension<Caller>) -> Json<Value> {
    Json(json!({ "name": caller.name, "role": caller.role.as_str() }))
}

/// `POST /v1/tokens`: `{"name","role"}` → `201 {"name","role","token"}`.
pub async fn create_token(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (name, role) = read_token_request(&body).map_err(AppendError::from_fields)?;
    let tokens = state.tokens.clone();
    let now = state.now();
    let response_name = name.to_string();
    let token = blocking(move || tokens.create(&name, role, now).map_err(token_error)).await?;
    tracing::info!(name = %response_name, role = %role, "token created");
    Ok((
        StatusCode::CREATED,
        Json(json!({"name": response_name, "role": role.as_str(), "token": token})),
    )
        .into_response())
}

/// Reads `{"name", "role"}`, listing every problem.
fn read_token_request(body: &Value) -> Result<(PlanKey, Role), FieldErrors> {
    let mut errors = FieldErrors::default();
    let read = ObjectReader::new(body, "", &["name", "role"], &mut errors).map(|mut reader| {
        let name = reader.required("name", fields::plan_key);
        let role = reader.required("role", fields::parsed::<Role>);
        (name, role)
    });
    match read {
        Some((Some(name), Some(role))) if errors.is_empty() => Ok((name, role)),
        _ => Err(errors),
    }
}

/// `DELETE /v1/tokens/{name}` → `204`.
pub async fn revoke_token(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let tokens = state.tokens.clone();
    let now = state.now();
    let logged = name.clone();
    blocking(move || tokens.revoke(&name, now).map_err(token_error)).await?;
    tracing::info!(name = %logged, "token revoked");
    Ok(StatusCode::NO_CONTENT)
}

fn token_error(error: TokenError) -> ApiError {
    match error {
        TokenError::NameTaken(name) => ApiError::Conflict {
            detail: Message::new(codes::DETAIL_TOKEN_NAME_TAKEN).text("name", name),
            errors: vec![acta_events::FieldError::new(
                "/name",
                codes::TOKEN_NAME_TAKEN,
            )],
        },
        TokenError::NoSuchName(name) => ApiError::NotFound(format!(
            "no active token is named {}",
            fields::quoted(&name)
        )),
        TokenError::Store(error) => error.into(),
    }
}

/// For the first start on a database without tokens: the name of the admin token created.
pub const FIRST_ADMIN_NAME: &str = "admin";

/// Creates the first admin token if the database has none; returns it to print once.
pub fn first_admin_token(state: &AppState) -> Result<Option<String>, ApiError> {
    if !state.tokens.is_empty()? {
        return Ok(None);
    }
    let name: PlanKey = FIRST_ADMIN_NAME.parse().expect("a valid name");
    state
        .tokens
        .create(&name, Role::Admin, state.now())
        .map(Some)
        .map_err(token_error)
}

//! Extractors that turn a request into checked values, rejecting with the contract's
//! problem+json rather than axum's plain-text rejections.

use acta_messages::{Message, codes};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts};
use serde_json::Value;

use super::problem::ApiError;

/// Most bytes `POST /v1/events` accepts.
pub const EVENT_BODY_BYTES_MAX: usize = acta_events::request::EVENT_JSON_BYTES_MAX;
/// Most bytes `POST /v1/events/batch` accepts.
pub const BATCH_BODY_BYTES_MAX: usize = 16 * 1024 * 1024;

/// A JSON request body: declared `application/json`, within the route's size limit, valid JSON
/// with no key twice in one object, nested at most 64 levels (`acta_events::json`). Its fields
/// are checked by the handler.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json_content_type(request.headers().get(header::CONTENT_TYPE)) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let limit_bytes = request
            .extensions()
            .get::<BodyLimit>()
            .map_or(EVENT_BODY_BYTES_MAX, |limit| limit.0);
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge { limit_bytes }
                } else if let Some(timed_out) = super::serve::find_body_timeout(&rejection) {
                    ApiError::RequestTimeout(timed_out.to_string())
                } else {
                    let reason = rejection.body_text();
                    ApiError::malformed_body(
                        Message::new(codes::JSON_SYNTAX).text("reason", reason.as_str()),
                        reason,
                    )
                }
            })?;
        let value = acta_events::json::parse(&bytes)?;
        Ok(JsonBody(value))
    }
}

/// The body limit of a route, recorded for error messages.
#[derive(Clone, Copy)]
pub struct BodyLimit(pub usize);

/// `application/json`, with any parameters (`charset=utf-8`), in any letter case.
fn is_json_content_type(value: Option<&header::HeaderValue>) -> bool {
    let Some(Ok(value)) = value.map(|value| value.to_str()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// The query string as name–value pairs, with the names a route accepts. Any other name is
/// `422` (a misspelt `asof` should not be silently ignored).
pub struct QueryParams(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(pairs) =
            axum::extract::Query::<Vec<(String, String)>>::from_request_parts(parts, state)
                .await
                .map_err(|rejection| {
                    ApiError::invalid_parameter(
                        "",
                        Message::new(codes::PARAMETER_MALFORMED)
                            .text("reason", rejection.body_text()),
                    )
                })?;
        Ok(QueryParams(pairs))
    }
}

impl QueryParams {
    /// Refuses names outside `known` and repeated names; returns the value of each known name.
    pub fn take(&self, known: &[&'static str]) -> Result<Vec<Option<&str>>, ApiError> {
        let mut values = vec![None; known.len()];
        for (name, value) in &self.0 {
            let Some(index) = known.iter().position(|k| k == name) else {
                return Err(ApiError::invalid_parameter(
                    &acta_events::fields::cut(name),
                    Message::new(codes::PARAMETER_UNKNOWN).text("expected", known.join(", ")),
                ));
            };
            if values[index].replace(value.as_str()).is_some() {
                return Err(ApiError::invalid_parameter(name, codes::PARAMETER_REPEATED));
            }
        }
        Ok(values)
    }
}

/// Who is making the request: the name of its token, recorded as the `actor` of what it
/// appends. Set by the token middleware on every `/v1` request.
#[derive(Debug, Clone)]
pub struct Actor(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Actor>().cloned().ok_or_else(|| {
            ApiError::Internal("a /v1 request reached a handler without a token".into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn json_content_types() {
        let accepts =
            |text: &'static str| is_json_content_type(Some(&HeaderValue::from_static(text)));
        assert!(accepts("application/json"));
        assert!(accepts("application/json; charset=utf-8"));
        assert!(accepts("Application/JSON"));
        assert!(!accepts("text/plain"));
        assert!(!accepts("application/jsonx"));
        assert!(!is_json_content_type(None));
    }
}

//! Every failure the API sends is `application/problem+json` (RFC 9457) with the contract's
//! status. [`ApiError`] is the one error type of the HTTP layer; each variant names its status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use acta_events::json::JsonError;
use acta_events::{AppendError, FieldError, StoreError};
use acta_messages::{Arg, Lang, Message, codes};

tokio::task_local! {
    /// The language the request asked for (`Accept-Language`), set for the whole of its
    /// handling by [`with_language`]; answers rendered outside a request are Vietnamese.
    static LANGUAGE: Lang;
}

/// The language of the request being answered.
pub fn language() -> Lang {
    LANGUAGE.try_with(|lang| *lang).unwrap_or_default()
}

/// Middleware, outermost: reads `Accept-Language` (`vi` by default) and answers the request
/// with it in scope, so that every message of the answer is rendered in that language; the
/// answer says which in `Content-Language` and `Vary`.
pub async fn with_language(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let header = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok());
    let lang = Lang::from_accept_language(header);
    let mut response = LANGUAGE.scope(lang, next.run(request)).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.tag()),
    );
    headers.append(header::VARY, HeaderValue::from_static("accept-language"));
    response
}

/// The media type of every error response.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// Most entries one answer's `errors` lists (a batch of 10,000 bad events has at least
/// 10,000); `detail` then says how many there were in all.
pub const ERRORS_LISTED_MAX: usize = 100;

/// Most characters of `detail` and of one entry's `field` or `message`. What quotes the
/// request is cut far shorter where it is written (`fields::QUOTED_CHARS_MAX`); this bounds
/// whatever else might grow.
pub const PROBLEM_TEXT_CHARS_MAX: usize = 1024;

/// Most bytes of an error answer's body, whatever the request was: entries that would pass it
/// are left out, as those beyond [`ERRORS_LISTED_MAX`] are.
pub const PROBLEM_BODY_BYTES_MAX: usize = 64 * 1024;

/// The `Retry-After` of every `429`, `503` and `507`, in seconds.
pub const RETRY_AFTER_SECS: u64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// `400`: the body is not JSON, nests too deep, or has fields the contract does not know.
    #[error("{detail}")]
    BadRequest {
        detail: Message,
        errors: Vec<FieldError>,
    },
    /// `401`: no token, or a token that is not valid.
    #[error("a valid bearer token is required")]
    Unauthorized,
    /// `403`: the token's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// `404`: unknown path, event or plan.
    #[error("{0}")]
    NotFound(String),
    /// `405`: the path exists but not with this method.
    #[error("this path does not accept that method")]
    MethodNotAllowed,
    /// `409`: conflict with what is stored.
    #[error("{detail}")]
    Conflict {
        detail: Message,
        errors: Vec<FieldError>,
    },
    /// `413`: the body is larger than the path accepts.
    #[error("the body is larger than {limit_bytes} bytes")]
    PayloadTooLarge { limit_bytes: usize },
    /// `406`: CSV was asked for (`?format=csv`, or an `Accept` that prefers `text/csv`) on a
    /// path that has no table.
    #[error("{0}")]
    NotAcceptable(String),
    /// `408`: the request's body did not arrive in time (it came slower than the server's
    /// minimum rate); the connection is closed after this answer.
    #[error("{0}")]
    RequestTimeout(String),
    /// `429`: this token has as many heavy reads in flight as it may; retry when one is done.
    #[error("{0}")]
    TooManyRequests(String),
    /// `415`: the body is not declared as `application/json`.
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    /// `422`: everything else that is wrong with the request.
    #[error("{detail}")]
    Unprocessable {
        detail: Message,
        errors: Vec<FieldError>,
    },
    /// `503`: the service is shutting down.
    #[error("the service is shutting down; retry shortly")]
    Unavailable,
    /// `503`: the server is at one of its limits (connections, requests in flight, bytes of
    /// answers not yet written); retry shortly.
    #[error("{0}")]
    Busy(String),
    /// `503`: the database cannot be written now; the cause is told (it names no internals
    /// beyond what an operator must know: an I/O error, a damaged file, a lock).
    #[error("{0}")]
    StorageUnavailable(String),
    /// `503`: the commit failed on the disk midway, so whether this request's events are stored
    /// is not known until the database is opened again; a retry with the same `id` then settles
    /// it.
    #[error("{0}")]
    CommitInDoubt(String),
    /// `507`: the disk holding the database is full; nothing was stored.
    #[error("{0}")]
    InsufficientStorage(String),
    /// `500`: logged with its cause; the client hears nothing of internals.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn invalid_parameter(name: &str, message: impl Into<Message>) -> Self {
        ApiError::Unprocessable {
            detail: Message::new(codes::DETAIL_PARAMETER).text("name", name),
            errors: vec![FieldError::new(name, message)],
        }
    }

    /// `400` for a body that is not JSON; `message` says why (serde_json's words, in English).
    pub fn malformed_body(message: Message, reason: impl Into<String>) -> Self {
        ApiError::BadRequest {
            detail: Message::new(codes::DETAIL_NOT_JSON).text("reason", reason),
            errors: vec![FieldError::new("", message)],
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable
            | ApiError::Busy(_)
            | ApiError::StorageUnavailable(_)
            | ApiError::CommitInDoubt(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::InsufficientStorage(_) => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable identifier of the kind of problem, for clients to branch on.
    fn problem_type(&self) -> &'static str {
        match self {
            ApiError::BadRequest { .. } => "urn:acta:problem:bad-request",
            ApiError::Unauthorized => "urn:acta:problem:unauthorized",
            ApiError::Forbidden(_) => "urn:acta:problem:forbidden",
            ApiError::NotFound(_) => "urn:acta:problem:not-found",
            ApiError::MethodNotAllowed => "urn:acta:problem:method-not-allowed",
            ApiError::Conflict { .. } => "urn:acta:problem:conflict",
            ApiError::PayloadTooLarge { .. } => "urn:acta:problem:payload-too-large",
            ApiError::NotAcceptable(_) => "urn:acta:problem:not-acceptable",
            ApiError::RequestTimeout(_) => "urn:acta:problem:request-timeout",
            ApiError::TooManyRequests(_) => "urn:acta:problem:too-many-requests",
            ApiError::UnsupportedMediaType => "urn:acta:problem:unsupported-media-type",
            ApiError::Unprocessable { .. } => "urn:acta:problem:unprocessable",
            ApiError::Unavailable => "urn:acta:problem:unavailable",
            ApiError::Busy(_) => "urn:acta:problem:busy",
            ApiError::StorageUnavailable(_) => "urn:acta:problem:storage-unavailable",
            ApiError::CommitInDoubt(_) => "urn:acta:problem:commit-in-doubt",
            ApiError::InsufficientStorage(_) => "urn:acta:problem:insufficient-storage",
            ApiError::Internal(_) => "urn:acta:problem:internal",
        }
    }
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    problem_type: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
    errors: &'a [ProblemEntry],
}

/// One entry of `errors`: the field, the stable code and its parameters, and the message in the
/// language asked.
#[derive(Debug, Clone, Serialize)]
struct ProblemEntry {
    code: &'static str,
    field: String,
    message: String,
    params: serde_json::Map<String, serde_json::Value>,
}

impl ProblemEntry {
    fn of(error: &FieldError, lang: Lang) -> Self {
        ProblemEntry {
            field: error.field.clone(),
            code: error.message.code(),
            params: error.message.params_json(),
            message: error.message.render(lang),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let lang = language();
        let detail = match &self {
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                "the server failed to handle the request; it has been logged".to_owned()
            }
            ApiError::BadRequest { detail, .. }
            | ApiError::Conflict { detail, .. }
            | ApiError::Unprocessable { detail, .. } => detail.render(lang),
            other => other.to_string(),
        };
        let errors = match &self {
            ApiError::BadRequest { errors, .. }
            | ApiError::Conflict { errors, .. }
            | ApiError::Unprocessable { errors, .. } => errors.as_slice(),
            _ => &[],
        };
        let title = status.canonical_reason().unwrap_or("Error");
        let entries: Vec<ProblemEntry> = errors
            .iter()
            .take(ERRORS_LISTED_MAX + 1)
            .map(|error| ProblemEntry::of(error, lang))
            .collect();
        let (detail, errors) = bounded(
            self.problem_type(),
            title,
            detail,
            &entries,
            errors.len(),
            lang,
        );
        let body = ProblemBody {
            problem_type: self.problem_type(),
            title,
            status: status.as_u16(),
            detail,
            errors: &errors,
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        if status == StatusCode::SERVICE_UNAVAILABLE
            || status == StatusCode::INSUFFICIENT_STORAGE
            || status == StatusCode::TOO_MANY_REQUESTS
        {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        }
        if status == StatusCode::REQUEST_TIMEOUT {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"acta\""),
            );
        }
        response
    }
}

/// The `detail` and `errors` of an answer, bounded: at most [`ERRORS_LISTED_MAX`] entries,
/// each text at most [`PROBLEM_TEXT_CHARS_MAX`] characters, and the whole body at most
/// [`PROBLEM_BODY_BYTES_MAX`] bytes; when entries are left out, `detail` says how many there
/// were.
fn bounded(
    problem_type: &str,
    title: &str,
    detail: String,
    errors: &[ProblemEntry],
    total: usize,
    lang: Lang,
) -> (String, Vec<ProblemEntry>) {
    let cut = |text: &str| match text.char_indices().nth(PROBLEM_TEXT_CHARS_MAX) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    };
    let mut detail = cut(&detail);
    let left_out_note = |listed: usize| {
        Message::new(codes::DETAIL_LEFT_OUT)
            .int("listed", listed as u64)
            .int("total", total as u64)
            .render(lang)
    };
    // The body without entries, with the longest note it may carry: an upper bound.
    let fixed = json_bytes(&ProblemBody {
        problem_type,
        title,
        status: 0,
        detail: format!("{detail}{}", left_out_note(ERRORS_LISTED_MAX)),
        errors: &[],
    }) + "000".len();
    let mut used = fixed;
    let mut listed = Vec::new();
    for error in errors.iter().take(ERRORS_LISTED_MAX) {
        let entry = ProblemEntry {
            field: cut(&error.field),
            message: cut(&error.message),
            params: cut_params(&error.params, &cut),
            ..error.clone()
        };
        // One more for the comma between entries.
        used += json_bytes(&entry) + 1;
        if used > PROBLEM_BODY_BYTES_MAX {
            break;
        }
        listed.push(entry);
    }
    if listed.len() < total {
        detail.push_str(&left_out_note(listed.len()));
    }
    (detail, listed)
}

/// `params` with every text in it (an inner message's too) cut by `cut`.
fn cut_params(
    params: &serde_json::Map<String, serde_json::Value>,
    cut: &impl Fn(&str) -> String,
) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::Value;
    fn cut_value(value: &Value, cut: &impl Fn(&str) -> String) -> Value {
        match value {
            Value::String(text) => Value::String(cut(text)),
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(name, value)| (name.clone(), cut_value(value, cut)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    params
        .iter()
        .map(|(name, value)| (name.clone(), cut_value(value, cut)))
        .collect()
}

/// The length of `value` as JSON.
fn json_bytes(value: &impl Serialize) -> usize {
    serde_json::to_vec(value).map_or(0, |bytes| bytes.len())
}

impl From<AppendError> for ApiError {
    fn from(error: AppendError) -> Self {
        match error {
            AppendError::UnknownFields { errors } => ApiError::BadRequest {
                detail: codes::DETAIL_UNKNOWN_FIELDS.into(),
                errors,
            },
            AppendError::Invalid { errors } => ApiError::Unprocessable {
                detail: summarise(&errors),
                errors,
            },
            AppendError::Conflict { detail, errors } => ApiError::Conflict { detail, errors },
            AppendError::Storage(cause) => ApiError::Internal(cause),
            AppendError::StorageFull(cause) => ApiError::InsufficientStorage(cause),
            AppendError::Unavailable(cause) => ApiError::StorageUnavailable(cause),
            AppendError::InDoubt(cause) => ApiError::CommitInDoubt(cause),
            AppendError::Closed => ApiError::Unavailable,
            batch @ AppendError::InBatch { .. } => batch.with_batch_pointers().into(),
        }
    }
}

impl From<JsonError> for ApiError {
    fn from(error: JsonError) -> Self {
        match &error {
            JsonError::DuplicateKey { pointer } => ApiError::BadRequest {
                detail: Message::new(codes::DETAIL_DUPLICATE_KEY).text("field", pointer.as_str()),
                errors: vec![FieldError::new(error.field(), codes::JSON_DUPLICATE_KEY)],
            },
            JsonError::Syntax(reason) => ApiError::malformed_body(
                Message::new(codes::JSON_SYNTAX).text("reason", reason.as_str()),
                reason.as_str(),
            ),
            JsonError::TooDeep => {
                let message = Message::new(codes::JSON_TOO_DEEP)
                    .int("maximum", acta_events::json::JSON_DEPTH_MAX as u64);
                ApiError::malformed_body(message.clone(), message.render(language()))
            }
        }
    }
}

/// A read that failed: a database that cannot be reached or read now (PostgreSQL down, a lock
/// held too long) is `503` naming why, like a write; anything else an internal error.
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        let described = error.to_string();
        match AppendError::from(error) {
            AppendError::Storage(_) => ApiError::Internal(described),
            unavailable => unavailable.into(),
        }
    }
}

/// A one-line `detail` for a list of field errors.
fn summarise(errors: &[FieldError]) -> Message {
    let field = |pointer: &str| match pointer {
        "" => Arg::Message(Box::new(Message::new(codes::THE_BODY))),
        pointer => Arg::Text(pointer.to_owned()),
    };
    match errors {
        [] => codes::DETAIL_INVALID.into(),
        [only] => Message::new(codes::DETAIL_ONE)
            .arg_as("field", field(&only.field))
            .message("message", only.message.clone()),
        [first, rest @ ..] => Message::new(codes::DETAIL_MANY)
            .arg_as("field", field(&first.field))
            .message("message", first.message.clone())
            .int("more", rest.len() as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use serde_json::Value;

    /// A message whose text is `text`, whatever the language.
    fn saying(text: &str) -> Message {
        Message::new(codes::PARAMETER_MALFORMED).text("reason", text)
    }

    fn errors(count: usize, message: &str) -> Vec<FieldError> {
        (0..count)
            .map(|index| FieldError::new(format!("/events/{index}/type"), saying(message)))
            .collect()
    }

    fn bounded_en(detail: String, errors: &[FieldError]) -> (String, Vec<ProblemEntry>) {
        let entries: Vec<ProblemEntry> = errors
            .iter()
            .map(|error| ProblemEntry::of(error, Lang::En))
            .collect();
        bounded("t", "T", detail, &entries, errors.len(), Lang::En)
    }

    /// The answer to a request that asked for English.
    async fn rendered(error: ApiError) -> (usize, Value) {
        let response = LANGUAGE.sync_scope(Lang::En, || error.into_response());
        let body = response.into_body().collect().await.unwrap();
        let bytes = body.to_bytes();
        (bytes.len(), serde_json::from_slice(&bytes).unwrap())
    }

    #[test]
    fn at_most_100_entries_are_listed_and_detail_says_how_many_there_were() {
        let (detail, listed) = bounded_en("bad".into(), &errors(ERRORS_LISTED_MAX, "m"));
        assert_eq!((detail.as_str(), listed.len()), ("bad", ERRORS_LISTED_MAX));
        let (detail, listed) = bounded_en("bad".into(), &errors(ERRORS_LISTED_MAX + 1, "m"));
        assert_eq!(listed.len(), ERRORS_LISTED_MAX);
        assert_eq!(detail, "bad; errors lists the first 100 of 101 problems");
    }

    #[test]
    fn each_text_is_cut_at_1024_characters() {
        let edge = "ệ".repeat(PROBLEM_TEXT_CHARS_MAX);
        let (detail, listed) = bounded_en(edge.clone(), &errors(1, &edge));
        assert_eq!(
            (detail.as_str(), listed[0].message.as_str()),
            (&*edge, &*edge)
        );
        let over = format!("{edge}x");
        let (detail, listed) = bounded_en(over.clone(), &[FieldError::new(&over, saying(&over))]);
        let cut = format!("{edge}…");
        assert_eq!(detail, cut);
        assert_eq!(
            (listed[0].field.as_str(), listed[0].message.as_str()),
            (&*cut, &*cut)
        );
        // So is every text among the parameters.
        assert_eq!(listed[0].params["reason"], cut);
    }

    #[tokio::test]
    async fn no_answer_is_larger_than_64_kib() {
        // The worst case for JSON: every character of every text escaped as six bytes.
        let worst = "\u{1}".repeat(10 * PROBLEM_TEXT_CHARS_MAX);
        let error = ApiError::Unprocessable {
            detail: saying(&worst),
            errors: (0..10_000)
                .map(|_| FieldError::new(&worst, saying(&worst)))
                .collect(),
        };
        let (bytes, body) = rendered(error).await;
        assert!(bytes <= PROBLEM_BODY_BYTES_MAX, "{bytes}");
        let listed = body["errors"].as_array().unwrap().len();
        assert!((1..ERRORS_LISTED_MAX).contains(&listed), "{listed}");
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.ends_with(&format!(
                "; errors lists the first {listed} of 10000 problems"
            )),
            "{detail}"
        );
        // An ordinary answer is listed whole.
        let (_, body) = rendered(ApiError::Unprocessable {
            detail: saying("d"),
            errors: errors(3, "m"),
        })
        .await;
        assert_eq!(body["errors"].as_array().unwrap().len(), 3);
        assert_eq!(body["detail"], "d");
    }
}

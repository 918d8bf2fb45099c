//! Access control (CONTRACT §1, §3, §4): every `/v1` path needs a bearer token, checked before
//! anything else; the role is checked next, before the body; tokens are stored only as hashes,
//! stop working the moment they are revoked, and name the `actor` of what they record.

mod common;

use std::path::Path;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use common::{Server, acta, assert_problem_shape, client, event, fields, new_id, register};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// What came back, with the headers these tests look at.
#[derive(Debug)]
struct Reply {
    status: u16,
    www_authenticate: Option<String>,
    content_type: String,
    body: Value,
}

/// A request body.
enum Body<'a> {
    None,
    Json(&'a Value),
    /// Raw bytes with the given `Content-Type` (or none).
    Raw(Option<&'a str>, Vec<u8>),
}

/// Sends `method path` with the `Authorization` header exactly as given (or none).
fn send_with_authorization(
    server: &Server,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: Body,
) -> Reply {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client().request(method, server.url(path));
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    match body {
        Body::None => {}
        Body::Json(value) => {
            request = request
                .header("content-type", "application/json")
                .body(value.to_string());
        }
        Body::Raw(content_type, bytes) => {
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            request = request.body(bytes);
        }
    }
    let response = request.send().expect("the server answers");
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let www_authenticate = header("www-authenticate");
    let content_type = header("content-type").unwrap_or_default();
    let text = response.text().expect("a body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        www_authenticate,
        content_type,
        body,
    }
}

/// Sends `method path` with `Authorization: Bearer <token>` (or no header).
fn send(server: &Server, method: &str, path: &str, token: Option<&str>, body: Body) -> Reply {
    let authorization = token.map(|token| format!("Bearer {token}"));
    send_with_authorization(server, method, path, authorization.as_deref(), body)
}

/// A `401`: problem+json, a `WWW-Authenticate: Bearer…` challenge. Returns the body.
fn assert_unauthorized(reply: &Reply, context: &str) -> Value {
    assert_eq!(reply.status, 401, "{context}: {reply:?}");
    let challenge = reply
        .www_authenticate
        .as_deref()
        .unwrap_or_else(|| panic!("{context}: 401 without WWW-Authenticate: {reply:?}"));
    assert!(
        challenge.starts_with("Bearer"),
        "{context}: challenge {challenge:?}"
    );
    assert_eq!(
        reply.content_type, "application/problem+json",
        "{context}: {reply:?}"
    );
    assert_problem_shape(401, &reply.body);
    reply.body.clone()
}

/// A `403`: problem+json. Returns the body.
fn assert_forbidden(reply: &Reply, context: &str) -> Value {
    assert_eq!(reply.status, 403, "{context}: {reply:?}");
    assert_eq!(
        reply.content_type, "application/problem+json",
        "{context}: {reply:?}"
    );
    assert_problem_shape(403, &reply.body);
    reply.body.clone()
}

/// Any error status: problem+json with the contract's keys.
fn assert_problem(reply: &Reply, status: u16, context: &str) {
    assert_eq!(reply.status, status, "{context}: {reply:?}");
    assert_eq!(
        reply.content_type, "application/problem+json",
        "{context}: {reply:?}"
    );
    assert_problem_shape(status, &reply.body);
}

/// 64 lowercase hex digits that no server issued.
fn random_hex() -> String {
    Sha256::digest(new_id().as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A token of the right form that was never issued.
fn unknown_token() -> String {
    format!("acta_{}", random_hex())
}

/// Creates a token through the API with the admin token; returns it.
fn create_token(server: &Server, name: &str, role: &str) -> String {
    let reply = send(
        server,
        "POST",
        "/v1/tokens",
        Some(&server.token),
        Body::Json(&json!({"name": name, "role": role})),
    );
    assert_eq!(reply.status, 201, "create {name} ({role}): {reply:?}");
    reply.body["token"]
        .as_str()
        .expect("a token in the answer")
        .to_owned()
}

fn revoke(server: &Server, name: &str) {
    let reply = send(
        server,
        "DELETE",
        &format!("/v1/tokens/{name}"),
        Some(&server.token),
        Body::None,
    );
    assert_eq!(reply.status, 204, "revoke {name}: {reply:?}");
}

/// `GET /v1/whoami` with `token`.
fn whoami(server: &Server, token: &str) -> Reply {
    send(server, "GET", "/v1/whoami", Some(token), Body::None)
}

fn head(server: &Server) -> Value {
    let reply = send(server, "GET", "/v1/head", Some(&server.token), Body::None);
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body
}

fn all_events(server: &Server) -> Vec<Value> {
    let reply = send(
        server,
        "GET",
        "/v1/events?limit=1000",
        Some(&server.token),
        Body::None,
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["events"].as_array().unwrap().clone()
}

/// A `progress.reported` act on `plan`.
fn progress(plan: &str) -> Value {
    let data = json!({"indicator": "training.sessions", "quantity": 2});
    event("progress.reported", plan, "2013-06-30", data)
}

/// Runs `acta token create` on `db`; returns (exit success, stdout, stderr).
fn cli_token_create(db: &Path, name: &str, role: &str) -> (bool, String, String) {
    let db = db.to_str().unwrap();
    let output = acta(&[
        "token", "create", "--name", name, "--role", role, "--db", db,
    ]);
    (
        output.status.success(),
        String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every line the server printed on stdout until it exited (call after [`Server::kill`]).
fn remaining_stdout(server: &Server) -> Vec<String> {
    let lines = server.stdout.lock().unwrap();
    let mut seen = Vec::new();
    loop {
        match lines.recv_timeout(Duration::from_secs(10)) {
            Ok(line) => seen.push(line),
            Err(RecvTimeoutError::Disconnected) => return seen,
            Err(RecvTimeoutError::Timeout) => panic!("stdout did not close; so far: {seen:?}"),
        }
    }
}

/// A token is `acta_` and 64 lowercase hex digits.
fn assert_token_form(token: &str) {
    let random = token
        .strip_prefix("acta_")
        .unwrap_or_else(|| panic!("token without acta_: {token:?}"));
    assert_eq!(random.len(), 64, "{token:?}");
    assert!(
        random
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte)),
        "{token:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The matrix: every endpoint × every kind of caller
// ---------------------------------------------------------------------------------------------

/// The least a route needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Need {
    /// `GET /healthz`: nothing at all.
    Nothing,
    Auditor,
    Recorder,
    Admin,
}

/// Who is calling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    NoToken,
    /// Not a token at all.
    Malformed,
    /// `acta_` + 64 hex that was never issued.
    Unknown,
    Revoked,
    Auditor,
    Recorder,
    Admin,
}

const CALLERS: [Who; 7] = [
    Who::NoToken,
    Who::Malformed,
    Who::Unknown,
    Who::Revoked,
    Who::Auditor,
    Who::Recorder,
    Who::Admin,
];

/// CONTRACT §3, plus `GET /v1/whoami`.
const ENDPOINTS: [(&str, &str, Need); 15] = [
    ("POST", "/v1/events", Need::Recorder),
    ("POST", "/v1/events/batch", Need::Recorder),
    ("GET", "/v1/events", Need::Auditor),
    ("GET", "/v1/events/{id}", Need::Auditor),
    ("GET", "/v1/head", Need::Auditor),
    ("GET", "/v1/verify", Need::Auditor),
    ("GET", "/v1/plans", Need::Auditor),
    ("GET", "/v1/plans/{plan}", Need::Auditor),
    ("GET", "/v1/funding", Need::Auditor),
    ("GET", "/v1/summaries/yearly", Need::Auditor),
    ("GET", "/v1/reconciliation", Need::Auditor),
    ("POST", "/v1/tokens", Need::Admin),
    ("DELETE", "/v1/tokens/{name}", Need::Admin),
    ("GET", "/healthz", Need::Nothing),
    ("GET", "/v1/whoami", Need::Auditor),
];

/// A server with one plan, one token of each role and one revoked token.
struct Fixture {
    server: Server,
    auditor: String,
    recorder: String,
    revoked: String,
    unknown: String,
    first_event: String,
}

const AUDITOR_NAME: &str = "kiem-toan";
const RECORDER_NAME: &str = "phong-sxsh";
const REVOKED_NAME: &str = "nguoi-cu";

impl Fixture {
    fn new() -> Fixture {
        let server = Server::start();
        let auditor = create_token(&server, AUDITOR_NAME, "auditor");
        let recorder = create_token(&server, RECORDER_NAME, "recorder");
        let revoked = create_token(&server, REVOKED_NAME, "recorder");
        assert_eq!(whoami(&server, &revoked).status, 200);
        revoke(&server, REVOKED_NAME);
        let registered = send(
            &server,
            "POST",
            "/v1/events",
            Some(&recorder),
            Body::Json(&register("p", None)),
        );
        assert_eq!(registered.status, 201, "{registered:?}");
        let first_event = registered.body["id"].as_str().unwrap().to_owned();
        Fixture {
            server,
            auditor,
            recorder,
            revoked,
            unknown: unknown_token(),
            first_event,
        }
    }

    fn token(&self, who: Who) -> Option<String> {
        match who {
            Who::NoToken => None,
            Who::Malformed => Some("not-a-token".to_owned()),
            Who::Unknown => Some(self.unknown.clone()),
            Who::Revoked => Some(self.revoked.clone()),
            Who::Auditor => Some(self.auditor.clone()),
            Who::Recorder => Some(self.recorder.clone()),
            Who::Admin => Some(self.server.token.clone()),
        }
    }

    /// The token's name and role, for a caller with a valid token.
    fn identity(who: Who) -> Option<(&'static str, &'static str)> {
        match who {
            Who::Auditor => Some((AUDITOR_NAME, "auditor")),
            Who::Recorder => Some((RECORDER_NAME, "recorder")),
            Who::Admin => Some(("admin", "admin")),
            _ => None,
        }
    }
}

/// The status a cell must answer: `None` is the route's success.
fn refusal(need: Need, who: Who) -> Option<u16> {
    if need == Need::Nothing {
        return None;
    }
    let role = match who {
        Who::NoToken | Who::Malformed | Who::Unknown | Who::Revoked => return Some(401),
        Who::Auditor => Need::Auditor,
        Who::Recorder => Need::Recorder,
        Who::Admin => Need::Admin,
    };
    if role >= need { None } else { Some(403) }
}

#[test]
fn every_endpoint_answers_every_caller_as_the_contract_says() {
    let fixture = Fixture::new();
    let server = &fixture.server;
    let mut cells = 0;
    // 401 bodies of callers who presented something (bad, unknown, revoked) and of those who
    // presented nothing: each group must be one and the same body, whatever the path.
    let mut presented_401 = Vec::new();
    let mut absent_401 = Vec::new();

    for (method, route, need) in ENDPOINTS {
        for who in CALLERS {
            cells += 1;
            let context = format!("{method} {route} as {who:?}");
            let token = fixture.token(who);
            let token = token.as_deref();
            let expected_refusal = refusal(need, who);
            let head_before = head(server);

            let reply = match route {
                "/v1/events" if method == "POST" => {
                    let plan = format!("m-{cells}");
                    let reply = send(
                        server,
                        method,
                        route,
                        token,
                        Body::Json(&register(&plan, None)),
                    );
                    if expected_refusal.is_none() {
                        assert_eq!(reply.status, 201, "{context}: {reply:?}");
                        let (name, _) = Fixture::identity(who).unwrap();
                        assert_eq!(reply.body["actor"], name, "{context}");
                        assert_eq!(reply.body["plan"], plan.as_str(), "{context}");
                    }
                    reply
                }
                "/v1/events/batch" => {
                    let plan = format!("m-{cells}");
                    let batch = json!({"events": [register(&plan, None), progress(&plan)]});
                    let reply = send(server, method, route, token, Body::Json(&batch));
                    if expected_refusal.is_none() {
                        assert_eq!(reply.status, 201, "{context}: {reply:?}");
                        let (name, _) = Fixture::identity(who).unwrap();
                        let stored = reply.body["events"].as_array().unwrap();
                        assert_eq!(stored.len(), 2, "{context}");
                        for event in stored {
                            assert_eq!(event["actor"], name, "{context}");
                        }
                    }
                    reply
                }
                "/v1/tokens" => {
                    let name = format!("fresh-{cells}");
                    let body = json!({"name": name, "role": "auditor"});
                    let reply = send(server, method, route, token, Body::Json(&body));
                    if expected_refusal.is_none() {
                        assert_eq!(reply.status, 201, "{context}: {reply:?}");
                        assert_eq!(reply.body["name"], name.as_str(), "{context}");
                        assert_eq!(reply.body["role"], "auditor", "{context}");
                        let issued = reply.body["token"].as_str().unwrap();
                        assert_token_form(issued);
                        assert_eq!(whoami(server, issued).status, 200, "{context}");
                    } else {
                        // The refused attempt took nothing: the name is still free.
                        create_token(server, &name, "auditor");
                    }
                    reply
                }
                "/v1/tokens/{name}" => {
                    let name = format!("throwaway-{cells}");
                    let throwaway = create_token(server, &name, "recorder");
                    assert_eq!(whoami(server, &throwaway).status, 200, "{context}");
                    let path = format!("/v1/tokens/{name}");
                    let reply = send(server, method, &path, token, Body::None);
                    let after = whoami(server, &throwaway);
                    if expected_refusal.is_none() {
                        assert_eq!(reply.status, 204, "{context}: {reply:?}");
                        assert_eq!(reply.body, json!(""), "{context}: 204 with a body");
                        assert_unauthorized(&after, &format!("{context}: the revoked token"));
                    } else {
                        assert_eq!(after.status, 200, "{context}: a refused revocation revoked");
                    }
                    reply
                }
                _ => {
                    let path = route
                        .replace("{id}", &fixture.first_event)
                        .replace("{plan}", "p");
                    let reply = send(server, method, &path, token, Body::None);
                    if expected_refusal.is_none() {
                        assert_eq!(reply.status, 200, "{context}: {reply:?}");
                        check_read(route, who, &reply.body, &fixture, &context);
                    }
                    reply
                }
            };

            match expected_refusal {
                Some(401) => {
                    let body = assert_unauthorized(&reply, &context);
                    if who == Who::NoToken {
                        absent_401.push(body);
                    } else {
                        presented_401.push(body);
                    }
                }
                Some(403) => {
                    assert_forbidden(&reply, &context);
                }
                Some(other) => unreachable!("{other}"),
                None => assert!((200..300).contains(&reply.status), "{context}: {reply:?}"),
            }
            if expected_refusal.is_some() {
                assert_eq!(
                    head(server),
                    head_before,
                    "{context}: a refusal changed the log"
                );
            }
        }
    }

    assert_eq!(cells, ENDPOINTS.len() * CALLERS.len());
    assert_eq!(cells, 105);
    // The answer to a bad, a revoked and an unknown well-formed token is the same, everywhere:
    // nothing tells whether a token (or its name) exists or once existed.
    assert!(!presented_401.is_empty());
    for body in &presented_401 {
        assert_eq!(body, &presented_401[0], "401 bodies differ");
        assert!(!body.to_string().contains(REVOKED_NAME), "{body}");
    }
    assert!(!absent_401.is_empty());
    for body in &absent_401 {
        assert_eq!(body, &absent_401[0], "401 bodies differ");
    }
}

/// What a successful read must hold.
fn check_read(route: &str, who: Who, body: &Value, fixture: &Fixture, context: &str) {
    match route {
        "/v1/events" => assert!(body["events"].is_array(), "{context}: {body}"),
        "/v1/events/{id}" => {
            assert_eq!(body["id"], fixture.first_event.as_str(), "{context}");
            assert_eq!(body["actor"], RECORDER_NAME, "{context}");
        }
        "/v1/head" => assert!(body["seq"].is_u64(), "{context}: {body}"),
        "/v1/verify" => assert_eq!(body["ok"], true, "{context}: {body}"),
        "/v1/plans" => assert!(body["plans"].is_array(), "{context}: {body}"),
        "/v1/plans/{plan}" => assert_eq!(body["plan"], "p", "{context}: {body}"),
        "/v1/funding" => assert_eq!(body["currency"], "VND", "{context}: {body}"),
        "/v1/summaries/yearly" => assert!(body["years"].is_array(), "{context}: {body}"),
        "/v1/reconciliation" => assert!(body["findings"].is_array(), "{context}: {body}"),
        "/v1/whoami" => {
            let (name, role) = Fixture::identity(who).unwrap();
            assert_eq!(body["name"], name, "{context}: {body}");
            assert_eq!(body["role"], role, "{context}: {body}");
        }
        "/healthz" => {}
        other => unreachable!("{other}"),
    }
}

#[test]
fn refusals_do_not_tell_whether_a_token_name_exists() {
    let fixture = Fixture::new();
    let server = &fixture.server;
    let existing = RECORDER_NAME;
    let missing = "no-such-name";

    // The 401 detail is one and the same for a bad, a revoked and an unknown well-formed token.
    let mut details = Vec::new();
    for token in [
        "not-a-token".to_owned(),
        "acta_".to_owned(),
        "acta_zz".to_owned(),
        fixture.revoked.clone(),
        unknown_token(),
        fixture.revoked.to_uppercase(),
    ] {
        let reply = send(server, "GET", "/v1/head", Some(&token), Body::None);
        let body = assert_unauthorized(&reply, &format!("token {token:?}"));
        details.push(body["detail"].as_str().unwrap().to_owned());
        assert!(!body.to_string().contains(REVOKED_NAME), "{body}");
    }
    for detail in &details {
        assert_eq!(detail, &details[0], "401 details differ");
    }

    // Revoking or creating a name answers refusals alike whether or not the name exists.
    for who in [
        Who::NoToken,
        Who::Malformed,
        Who::Unknown,
        Who::Revoked,
        Who::Auditor,
        Who::Recorder,
    ] {
        let token = fixture.token(who);
        let token = token.as_deref();
        let status = if matches!(who, Who::Auditor | Who::Recorder) {
            403
        } else {
            401
        };
        let context = format!("{who:?}");
        let mut bodies = Vec::new();
        for name in [existing, missing, REVOKED_NAME] {
            let path = format!("/v1/tokens/{name}");
            let revoked = send(server, "DELETE", &path, token, Body::None);
            let created = send(
                server,
                "POST",
                "/v1/tokens",
                token,
                Body::Json(&json!({"name": name, "role": "recorder"})),
            );
            for reply in [&revoked, &created] {
                assert_problem(reply, status, &context);
                assert!(
                    !reply.body.to_string().contains(name),
                    "{context}: the refusal names {name}: {reply:?}"
                );
            }
            bodies.push((revoked.body, created.body));
        }
        for body in &bodies {
            assert_eq!(body, &bodies[0], "{context}: refusals differ by name");
        }
    }
    // Nothing was revoked or taken by those refusals.
    assert_eq!(whoami(server, &fixture.recorder).status, 200);
    create_token(server, missing, "auditor");
}

// ---------------------------------------------------------------------------------------------
// Tokens at rest, actors, first run, the command line, revocation, the tokens endpoint
// ---------------------------------------------------------------------------------------------

/// The bytes of the database and its `-wal` and `-shm` files.
fn database_bytes(db: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", db.display());
        if let Ok(bytes) = std::fs::read(&path) {
            files.push((path, bytes));
        }
    }
    assert!(
        files.iter().any(|(path, _)| path.ends_with(".db")),
        "no database file at {}",
        db.display()
    );
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn hex_to_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn assert_no_token_in(db: &Path, tokens: &[String], when: &str) {
    let files = database_bytes(db);
    for token in tokens {
        let random = token.strip_prefix("acta_").unwrap();
        let needles = [
            token.as_bytes().to_vec(),
            random.as_bytes().to_vec(),
            random.to_uppercase().into_bytes(),
            hex_to_bytes(random),
        ];
        for (path, bytes) in &files {
            for needle in &needles {
                assert!(
                    !contains(bytes, needle),
                    "{when}: {path} holds the token {token} (or its random part)"
                );
            }
        }
    }
}

#[test]
fn the_database_holds_no_issued_token_in_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let mut server = Server::start_new(&db, &[]);
    let mut tokens = vec![server.token.clone()];
    for (name, role) in [
        ("api-admin", "admin"),
        ("api-recorder", "recorder"),
        ("api-auditor", "auditor"),
    ] {
        tokens.push(create_token(&server, name, role));
    }
    for (name, role) in [("cli-recorder", "recorder"), ("cli-auditor", "auditor")] {
        let (ok, stdout, stderr) = cli_token_create(&db, name, role);
        assert!(ok, "{stderr}");
        tokens.push(stdout.trim_end().to_owned());
    }
    // Every one of them is used, so that nothing about them is only in a cache.
    for token in &tokens {
        assert_token_form(token);
        assert_eq!(whoami(&server, token).status, 200);
    }
    revoke(&server, "api-auditor");
    assert_eq!(
        send(
            &server,
            "POST",
            "/v1/events",
            Some(&tokens[2]),
            Body::Json(&register("p", None))
        )
        .status,
        201
    );
    assert_no_token_in(&db, &tokens, "while the server runs");
    server.kill();
    assert_no_token_in(&db, &tokens, "after the server stopped");
}

#[test]
fn actor_is_the_recording_tokens_name_and_an_auditor_changes_nothing() {
    let server = Server::start();
    let recorder = create_token(&server, "phong-sxsh", "recorder");
    let auditor = create_token(&server, "kiem-toan-nn", "auditor");

    let one = send(
        &server,
        "POST",
        "/v1/events",
        Some(&recorder),
        Body::Json(&register("dn-sxsh", None)),
    );
    assert_eq!(one.status, 201, "{one:?}");
    assert_eq!(one.body["actor"], "phong-sxsh");
    let batch = json!({"events": [progress("dn-sxsh"), progress("dn-sxsh")]});
    let many = send(
        &server,
        "POST",
        "/v1/events/batch",
        Some(&recorder),
        Body::Json(&batch),
    );
    assert_eq!(many.status, 201, "{many:?}");
    for event in many.body["events"].as_array().unwrap() {
        assert_eq!(event["actor"], "phong-sxsh");
    }
    let by_admin = send(
        &server,
        "POST",
        "/v1/events",
        Some(&server.token),
        Body::Json(&progress("dn-sxsh")),
    );
    assert_eq!(by_admin.status, 201);
    assert_eq!(by_admin.body["actor"], "admin");
    // As stored, read back by anyone.
    let id = one.body["id"].as_str().unwrap();
    let read = send(
        &server,
        "GET",
        &format!("/v1/events/{id}"),
        Some(&auditor),
        Body::None,
    );
    assert_eq!(read.status, 200);
    assert_eq!(read.body["actor"], "phong-sxsh");
    let actors: Vec<Value> = all_events(&server)
        .iter()
        .map(|event| event["actor"].clone())
        .collect();
    assert_eq!(
        actors,
        [
            json!("phong-sxsh"),
            json!("phong-sxsh"),
            json!("phong-sxsh"),
            json!("admin")
        ]
    );

    // An auditor cannot append, and its attempt changes nothing.
    let head_before = head(&server);
    let events_before = all_events(&server);
    let mut attempt = progress("dn-sxsh");
    let attempt_id = new_id();
    attempt["id"] = json!(attempt_id);
    let refused = send(
        &server,
        "POST",
        "/v1/events",
        Some(&auditor),
        Body::Json(&attempt),
    );
    assert_forbidden(&refused, "auditor appends one");
    let mut registering = register("kiem-toan-plan", None);
    registering["id"] = json!(new_id());
    let refused_batch = send(
        &server,
        "POST",
        "/v1/events/batch",
        Some(&auditor),
        Body::Json(&json!({"events": [registering, attempt]})),
    );
    assert_forbidden(&refused_batch, "auditor appends a batch");
    assert_eq!(head(&server), head_before);
    assert_eq!(all_events(&server), events_before);
    // Nothing of the attempt was kept: its id is new to the log, its plan unknown.
    let retried = send(
        &server,
        "POST",
        "/v1/events",
        Some(&recorder),
        Body::Json(&attempt),
    );
    assert_eq!(retried.status, 201, "{retried:?}");
    assert_eq!(retried.body["actor"], "phong-sxsh");
    let plan = send(
        &server,
        "GET",
        "/v1/plans/kiem-toan-plan",
        Some(&auditor),
        Body::None,
    );
    assert_problem(&plan, 404, "plan of the refused batch");
}

#[test]
fn the_first_admin_token_is_printed_once_and_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let mut first = Server::start_new(&db, &[]);
    let token = first.token.clone();
    assert_token_form(&token);
    let me = whoami(&first, &token);
    assert_eq!(me.status, 200);
    assert_eq!(me.body, json!({"name": "admin", "role": "admin"}));
    first.kill();
    assert_eq!(
        remaining_stdout(&first),
        Vec::<String>::new(),
        "the first start printed more than the token on stdout"
    );

    let mut second = Server::start_on(&db, &[]);
    assert_eq!(whoami(&second, &token).status, 200, "the first token works");
    assert_eq!(
        send(&second, "GET", "/v1/head", Some(&token), Body::None).status,
        200
    );
    second.kill();
    assert_eq!(
        remaining_stdout(&second),
        Vec::<String>::new(),
        "a second start printed a token"
    );
}

#[test]
fn token_create_on_the_command_line_prints_only_the_token_and_works_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let server = Server::start_new(&db, &[]);

    // Created while the server runs, used against it straight away.
    let (ok, stdout, stderr) = cli_token_create(&db, "phong-sxsh", "recorder");
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "stdout: {stdout:?}");
    assert_eq!(stdout, format!("{}\n", lines[0]), "stdout: {stdout:?}");
    let token = lines[0];
    assert_token_form(token);
    let me = whoami(&server, token);
    assert_eq!(me.body, json!({"name": "phong-sxsh", "role": "recorder"}));
    let stored = send(
        &server,
        "POST",
        "/v1/events",
        Some(token),
        Body::Json(&register("p", None)),
    );
    assert_eq!(stored.status, 201, "{stored:?}");
    assert_eq!(stored.body["actor"], "phong-sxsh");

    let (ok, stdout, stderr) = cli_token_create(&db, "kiem-toan", "auditor");
    assert!(ok, "{stderr}");
    let auditor = stdout.trim_end();
    assert_eq!(
        whoami(&server, auditor).body,
        json!({"name": "kiem-toan", "role": "auditor"})
    );
    assert_forbidden(
        &send(
            &server,
            "POST",
            "/v1/events",
            Some(auditor),
            Body::Json(&progress("p")),
        ),
        "a CLI auditor appends",
    );

    // Bad roles and names: non-zero, a message on stderr, nothing on stdout, nothing created.
    let too_long = "a".repeat(65);
    for (name, role) in [
        ("ok-name", "root"),
        ("ok-name", "Admin"),
        ("ok-name", ""),
        ("Bad-Name", "recorder"),
        ("-dash-first", "recorder"),
        ("has space", "recorder"),
        ("", "recorder"),
        (too_long.as_str(), "recorder"),
        ("phở", "recorder"),
    ] {
        let (ok, stdout, stderr) = cli_token_create(&db, name, role);
        assert!(!ok, "--name {name:?} --role {role:?} succeeded");
        assert_eq!(stdout, "", "--name {name:?} --role {role:?}");
        assert!(
            !stderr.trim().is_empty(),
            "--name {name:?} --role {role:?}: no message"
        );
    }
    create_token(&server, "ok-name", "recorder");

    // A name in use, whichever way it was created, fails and changes nothing.
    for (name, role) in [
        ("phong-sxsh", "recorder"),
        ("phong-sxsh", "admin"),
        ("admin", "admin"),
        ("ok-name", "auditor"),
    ] {
        let (ok, stdout, stderr) = cli_token_create(&db, name, role);
        assert!(!ok, "a duplicate {name} was created: {stdout}");
        assert_eq!(stdout, "", "duplicate {name}");
        assert!(!stderr.trim().is_empty(), "duplicate {name}: no message");
    }
    assert_eq!(
        whoami(&server, token).body,
        json!({"name": "phong-sxsh", "role": "recorder"})
    );
    assert_eq!(whoami(&server, &server.token).status, 200);
}

#[test]
fn a_revoked_token_fails_on_the_very_next_request() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let server = Server::start_new(&db, &[]);

    // Created through the API and used, so the server knows it well.
    let token = create_token(&server, "tam-thoi", "recorder");
    assert_eq!(whoami(&server, &token).status, 200);
    let stored = send(
        &server,
        "POST",
        "/v1/events",
        Some(&token),
        Body::Json(&register("p", None)),
    );
    assert_eq!(stored.status, 201);
    revoke(&server, "tam-thoi");
    let head_before = head(&server);
    assert_unauthorized(
        &send(
            &server,
            "POST",
            "/v1/events",
            Some(&token),
            Body::Json(&progress("p")),
        ),
        "the first request after revocation",
    );
    assert_unauthorized(&whoami(&server, &token), "a read after revocation");
    assert_eq!(head(&server), head_before);

    // Created on the command line while the server runs, used, revoked through the API.
    let (ok, stdout, stderr) = cli_token_create(&db, "tu-dong", "admin");
    assert!(ok, "{stderr}");
    let cli_token = stdout.trim_end().to_owned();
    assert_eq!(whoami(&server, &cli_token).status, 200);
    revoke(&server, "tu-dong");
    assert_unauthorized(&whoami(&server, &cli_token), "a CLI token after revocation");
    assert_unauthorized(
        &send(
            &server,
            "POST",
            "/v1/tokens",
            Some(&cli_token),
            Body::Json(&json!({"name": "x", "role": "admin"})),
        ),
        "a revoked admin creates a token",
    );

    // An admin may revoke itself; from then on it is refused too.
    let other_admin = create_token(&server, "quan-tri-2", "admin");
    let reply = send(
        &server,
        "DELETE",
        "/v1/tokens/quan-tri-2",
        Some(&other_admin),
        Body::None,
    );
    assert_eq!(reply.status, 204, "{reply:?}");
    assert_unauthorized(&whoami(&server, &other_admin), "a self-revoked admin");

    // Revoking again, or a name never issued: 404. The name stays taken: 409.
    for name in ["tam-thoi", "never-issued"] {
        let reply = send(
            &server,
            "DELETE",
            &format!("/v1/tokens/{name}"),
            Some(&server.token),
            Body::None,
        );
        assert_problem(&reply, 404, name);
    }
    let reply = send(
        &server,
        "POST",
        "/v1/tokens",
        Some(&server.token),
        Body::Json(&json!({"name": "tam-thoi", "role": "recorder"})),
    );
    assert_problem(&reply, 409, "a revoked name again");
    // The others are untouched.
    assert_eq!(whoami(&server, &server.token).status, 200);
}

#[test]
fn post_tokens_checks_name_and_role() {
    let server = Server::start();
    let admin = server.token.clone();
    let post = |body: &Value| {
        send(
            &server,
            "POST",
            "/v1/tokens",
            Some(&admin),
            Body::Json(body),
        )
    };

    let created = post(&json!({"name": "phong-sxsh", "role": "recorder"}));
    assert_eq!(created.status, 201, "{created:?}");
    assert!(created.content_type.starts_with("application/json"));
    let object = created.body.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["name", "role", "token"]);
    assert_eq!(created.body["name"], "phong-sxsh");
    assert_eq!(created.body["role"], "recorder");
    let token = created.body["token"].as_str().unwrap();
    assert!(token.starts_with("acta_"));
    assert_token_form(token);
    // Every role, with the longest and shortest names.
    let longest = format!("a{}", "-".repeat(63));
    for (name, role) in [("0", "admin"), (longest.as_str(), "auditor")] {
        let reply = post(&json!({"name": name, "role": role}));
        assert_eq!(reply.status, 201, "{name}: {reply:?}");
        let issued = reply.body["token"].as_str().unwrap();
        assert_ne!(issued, token);
        assert_eq!(
            whoami(&server, issued).body,
            json!({"name": name, "role": role})
        );
    }

    // A name in use.
    for role in ["recorder", "admin", "auditor"] {
        for name in ["phong-sxsh", "admin"] {
            let reply = post(&json!({"name": name, "role": role}));
            assert_problem(&reply, 409, &format!("{name} again"));
        }
    }

    // A bad name: 422 naming /name.
    let too_long = "a".repeat(65);
    for name in [
        json!("Phong"),
        json!("-phong"),
        json!("phong sxsh"),
        json!("phong_sxsh"),
        json!(""),
        json!(too_long),
        json!("phở"),
        json!("a/b"),
        json!(7),
        json!(null),
        json!(["phong"]),
    ] {
        let reply = post(&json!({"name": name, "role": "recorder"}));
        assert_problem(&reply, 422, &format!("name {name}"));
        assert_eq!(fields(&reply.body), ["/name"], "name {name}: {reply:?}");
    }
    let reply = post(&json!({"role": "recorder"}));
    assert_problem(&reply, 422, "no name");
    assert_eq!(fields(&reply.body), ["/name"], "{reply:?}");

    // A bad role: 422 naming /role.
    for role in [
        json!("root"),
        json!("Admin"),
        json!("ADMIN"),
        json!(" admin"),
        json!(""),
        json!(1),
        json!(null),
    ] {
        let reply = post(&json!({"name": "new-name", "role": role}));
        assert_problem(&reply, 422, &format!("role {role}"));
        assert_eq!(fields(&reply.body), ["/role"], "role {role}: {reply:?}");
    }
    let reply = post(&json!({"name": "new-name"}));
    assert_problem(&reply, 422, "no role");
    assert_eq!(fields(&reply.body), ["/role"], "{reply:?}");

    // Both bad: both named.
    let reply = post(&json!({"name": "Bad Name", "role": "root"}));
    assert_problem(&reply, 422, "both bad");
    let mut named = fields(&reply.body);
    named.sort();
    assert_eq!(named, ["/name", "/role"], "{reply:?}");

    // None of the refused names was taken.
    create_token(&server, "new-name", "auditor");
}

#[test]
fn no_token_is_401_before_anything_else() {
    let fixture = Fixture::new();
    let server = &fixture.server;
    let head_before = head(server);
    let bad_tokens = [
        None,
        Some("not-a-token".to_owned()),
        Some(unknown_token()),
        Some(fixture.revoked.clone()),
    ];

    for token in &bad_tokens {
        let token = token.as_deref();
        let context = |what: &str| format!("{what} with token {token:?}");
        // Malformed bodies and wrong content types on every POST.
        for path in ["/v1/events", "/v1/events/batch", "/v1/tokens"] {
            for (content_type, bytes) in [
                (Some("application/json"), b"{not json".to_vec()),
                (Some("text/plain"), b"{not json".to_vec()),
                (None, b"{}".to_vec()),
                (
                    Some("text/plain"),
                    register("p", None).to_string().into_bytes(),
                ),
                (Some("application/json"), b"{\"colour\": 1}".to_vec()),
                (Some("application/json"), b"null".to_vec()),
                (Some("application/json"), b"[".repeat(100)),
            ] {
                let reply = send(
                    server,
                    "POST",
                    path,
                    token,
                    Body::Raw(content_type, bytes.clone()),
                );
                assert_unauthorized(&reply, &context(&format!("POST {path} {content_type:?}")));
            }
        }
        // Paths that would be 404, 405 or 422 with a token.
        for (method, path) in [
            ("GET", "/v1/nope"),
            ("GET", "/v1"),
            ("GET", "/v1/"),
            ("POST", "/v1/nope"),
            ("DELETE", "/v1/events"),
            ("PUT", "/v1/head"),
            ("GET", "/v1/tokens"),
            ("GET", "/v1/events/not-an-id"),
            ("GET", "/v1/events/01ARZ3NDEKTSV4RRFFQ69G5FAV"),
            ("GET", "/v1/plans/no-such-plan"),
            ("GET", "/v1/events?limit=0"),
            ("GET", "/v1/funding?plan=no-such-plan"),
            ("GET", "/v1/plans?as_of=07/12/2011"),
            ("DELETE", "/v1/tokens/no-such-name"),
        ] {
            let reply = send(server, method, path, token, Body::None);
            assert_unauthorized(&reply, &context(&format!("{method} {path}")));
        }
    }

    // The same paths with a token are what they are.
    let admin = Some(server.token.as_str());
    for (method, path, status) in [
        ("GET", "/v1/nope", 404),
        ("GET", "/v1", 404),
        ("DELETE", "/v1/events", 405),
        ("GET", "/v1/plans/no-such-plan", 404),
        ("GET", "/v1/events?limit=0", 422),
        ("DELETE", "/v1/tokens/no-such-name", 404),
    ] {
        let reply = send(server, method, path, admin, Body::None);
        assert_problem(&reply, status, &format!("{method} {path} as admin"));
    }

    // Other schemes and a bare `Bearer` are no token.
    for authorization in [
        format!("Basic {}", fixture.recorder),
        fixture.recorder.clone(),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Token {}", fixture.recorder),
    ] {
        let reply = send_with_authorization(
            server,
            "POST",
            "/v1/events",
            Some(&authorization),
            Body::Json(&progress("p")),
        );
        assert_unauthorized(&reply, &format!("Authorization: {authorization}"));
    }

    // A body over the limit without a token is refused as unauthenticated, not as too large.
    let large = vec![b' '; 2 * 1024 * 1024];
    let reply = send(
        server,
        "POST",
        "/v1/events",
        None,
        Body::Raw(Some("application/json"), large),
    );
    assert_unauthorized(&reply, "2 MiB without a token");

    assert_eq!(head(server), head_before, "a refused request wrote");
}

#[test]
fn a_role_that_may_not_is_403_before_the_body_is_looked_at() {
    let fixture = Fixture::new();
    let server = &fixture.server;
    let head_before = head(server);
    let mut invalid = progress("p");
    invalid["data"]["quantity"] = json!(1.5);

    let bodies: Vec<(Option<&str>, Vec<u8>)> = vec![
        (Some("application/json"), b"{not json".to_vec()),
        (Some("text/plain"), b"{not json".to_vec()),
        (None, progress("p").to_string().into_bytes()),
        (Some("application/json"), b"{\"colour\": 1}".to_vec()),
        (Some("application/json"), b"null".to_vec()),
        (Some("application/json"), invalid.to_string().into_bytes()),
        (Some("application/json"), b"[".repeat(100)),
        (Some("application/json"), vec![b' '; 2 * 1024 * 1024]),
    ];
    for (content_type, bytes) in &bodies {
        for path in ["/v1/events", "/v1/events/batch"] {
            let reply = send(
                server,
                "POST",
                path,
                Some(&fixture.auditor),
                Body::Raw(*content_type, bytes.clone()),
            );
            assert_forbidden(&reply, &format!("auditor POST {path} {content_type:?}"));
        }
        for token in [&fixture.auditor, &fixture.recorder] {
            let reply = send(
                server,
                "POST",
                "/v1/tokens",
                Some(token),
                Body::Raw(*content_type, bytes.clone()),
            );
            assert_forbidden(&reply, &format!("POST /v1/tokens {content_type:?}"));
        }
    }
    for token in [&fixture.auditor, &fixture.recorder] {
        // Would be 422 or 409 for an admin.
        for body in [
            json!({"name": "Bad Name", "role": "root"}),
            json!({"name": RECORDER_NAME, "role": "admin"}),
            json!({"name": "ok", "role": "admin", "colour": 1}),
        ] {
            let reply = send(server, "POST", "/v1/tokens", Some(token), Body::Json(&body));
            assert_forbidden(&reply, &format!("POST /v1/tokens {body}"));
        }
        // Would be 404 for an admin.
        let reply = send(
            server,
            "DELETE",
            "/v1/tokens/no-such-name",
            Some(token),
            Body::None,
        );
        assert_forbidden(&reply, "DELETE an unknown name");
    }
    // A recorder may not revoke even itself.
    let reply = send(
        server,
        "DELETE",
        &format!("/v1/tokens/{RECORDER_NAME}"),
        Some(&fixture.recorder),
        Body::None,
    );
    assert_forbidden(&reply, "a recorder revokes itself");
    assert_eq!(whoami(server, &fixture.recorder).status, 200);

    assert_eq!(head(server), head_before, "a refused request wrote");
    // `ok` and the other names of the refused requests were not taken.
    create_token(server, "ok", "auditor");
}

// See: `Authorization: bearer …` was refused; the scheme name is case-insensitive (RFC 7235).
#[test]
fn the_bearer_scheme_is_case_insensitive() {
    let server = Server::start();
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let response = client()
            .get(server.url("/v1/head"))
            .header("authorization", format!("{scheme} {}", server.token))
            .send()
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{scheme}");
    }
}

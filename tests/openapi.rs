//! Keeps `docs/openapi.json` honest: it parses and every `$ref` in it resolves; its paths and
//! methods are exactly the routes of `src/http/mod.rs`, and each of them is routed by the real
//! server; every event type of the catalogue has a request schema whose fields, required
//! fields, enums and bounds are the parser's; the schemas accept and refuse what the parser
//! accepts and refuses; and real answers of `acta serve --demo` match their schemas, with no
//! key the document does not name. Also checks the worked example of the hash in
//! `docs/API.md`.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use acta_events::catalogue::{AssessmentKind, Channel, DecisionKind, PlanKind, Source};
use acta_events::fields::COLLECTION_ENTRIES_MAX;
use acta_events::types::{JSON_SAFE_INTEGER_MAX, YEAR_MAX, YEAR_MIN};
use acta_events::{BATCH_EVENTS_MAX, CivilDate, EventData, EventType, NewEvent, PlanStatus, Text};
use common::{Reply, Server, client};
use jsonschema::{Draft, Validator};
use serde_json::{Value, json};

const SCHEMAS: &str = "#/components/schemas/";

fn document() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");
    let text = std::fs::read_to_string(path).expect("docs/openapi.json is readable");
    serde_json::from_str(&text).expect("docs/openapi.json is JSON")
}

/// The value a local `$ref` (`#/…`) points at.
fn resolve<'a>(doc: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("{reference} is not a local reference"));
    doc.pointer(pointer)
        .unwrap_or_else(|| panic!("{reference} points at nothing"))
}

/// `value`, or what it points at if it is a `$ref`.
fn deref<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => deref(doc, resolve(doc, reference)),
        None => value,
    }
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    resolve(doc, &format!("{SCHEMAS}{name}"))
}

/// Every value under `value`, itself included.
fn walk<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    out.push(value);
    match value {
        Value::Array(items) => items.iter().for_each(|item| walk(item, out)),
        Value::Object(map) => map.values().for_each(|item| walk(item, out)),
        _ => {}
    }
}

/// Every object schema that lists `properties` and says nothing of others is closed: a real
/// answer with a key the document does not name fails. (The document leaves answers open, as
/// the contract lets answers grow; the test holds this build to exactly what it documents.)
fn close_objects(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.contains_key("properties")
                && !map.contains_key("additionalProperties")
                && !map.contains_key("allOf")
            {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(close_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

/// A validator of `schema` (which may `$ref` into the document's components) as JSON Schema
/// 2020-12, formats asserted.
fn validator(doc: &Value, schema: &Value, strict: bool) -> Validator {
    let mut components = doc["components"].clone();
    if strict {
        close_objects(&mut components);
    }
    let root = json!({"allOf": [schema], "components": components});
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|error| panic!("{schema} does not compile: {error}"))
}

fn assert_valid(validator: &Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match its schema:\n  {}\n{instance:#}",
        errors.join("\n  ")
    );
}

fn named(name: &str) -> Value {
    json!({ "$ref": format!("{SCHEMAS}{name}") })
}

// ---------------------------------------------------------------------------------------------
// The document itself
// ---------------------------------------------------------------------------------------------

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// (path, method) of every operation in the document.
fn operations(doc: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .map(|(path, item)| {
            let methods = METHODS
                .iter()
                .filter(|method| item.get(**method).is_some())
                .map(|method| method.to_uppercase())
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

#[test]
fn the_document_is_openapi_3_1_and_every_reference_resolves() {
    let doc = document();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "OpenAPI 3.1"
    );
    let mut all = Vec::new();
    walk(&doc, &mut all);
    for value in &all {
        if let Some(reference) = value.get("$ref").and_then(Value::as_str) {
            resolve(&doc, reference);
        }
        // Every number of the API is an integer: no schema may admit a float.
        assert_ne!(value.get("type"), Some(&json!("number")), "{value}");
    }
    let mut ids = BTreeSet::new();
    for (path, methods) in operations(&doc) {
        for method in methods {
            let operation = &doc["paths"][&path][method.to_lowercase()];
            let id = operation["operationId"].as_str().expect("an operationId");
            assert!(ids.insert(id.to_owned()), "operationId {id} twice");
            assert!(operation["summary"].is_string(), "{method} {path}");
            assert!(operation["x-summary-vi"].is_string(), "{method} {path}");
            let responses = operation["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{method} {path}");
            // A /v1 path needs a token (the document's default); the others say they do not.
            let open = operation.get("security") == Some(&json!([]));
            assert_eq!(open, !path.starts_with("/v1/"), "{method} {path}");
            if path.starts_with("/v1/") {
                assert!(responses.contains_key("401"), "{method} {path}");
                assert!(responses.contains_key("500"), "{method} {path}");
            }
        }
    }
    assert_eq!(doc["security"], json!([{"bearer": []}]));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

/// The text of `source` from `open` (just after an opening parenthesis) to its matching closing
/// parenthesis, string literals skipped.
fn until_closing(source: &str) -> &str {
    let mut depth = 1;
    let mut in_string = false;
    let mut escaped = false;
    for (index, c) in source.char_indices() {
        match (in_string, c) {
            (true, '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (true, '"') if !escaped => in_string = false,
            (false, '"') => in_string = true,
            (false, '(') => depth += 1,
            (false, ')') => {
                depth -= 1;
                if depth == 0 {
                    return &source[..index];
                }
            }
            _ => {}
        }
        escaped = false;
    }
    panic!("unbalanced parentheses in src/http/mod.rs");
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `text` holds `word` as a whole word, followed by `after`.
fn has_word(text: &str, word: &str, after: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before_ok = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !is_word_char(c));
        let rest = &text[at + word.len()..];
        let after_ok = if after.is_empty() {
            rest.chars().next().is_none_or(|c| !is_word_char(c))
        } else {
            rest.starts_with(after)
        };
        before_ok && after_ok
    })
}

/// The routes `src/http/mod.rs` registers: path → methods, read from its `.route("…", …)` calls.
/// A method router bound by `let name = post(…)…;` and used by name is followed.
fn routes_in_source() -> BTreeMap<String, BTreeSet<String>> {
    let source = include_str!("../src/http/mod.rs");
    let lets: Vec<(&str, &str)> = source
        .match_indices("let ")
        .filter_map(|(at, _)| {
            let rest = &source[at + 4..];
            let (name, value) = rest.split_once('=')?;
            let name = name.trim();
            let value = &value[..value.find(';')?];
            name.chars().all(is_word_char).then_some((name, value))
        })
        .collect();
    let mut routes = BTreeMap::new();
    for (at, _) in source.match_indices(".route(") {
        let arguments = until_closing(&source[at + ".route(".len()..]);
        let (path, handler) = arguments
            .trim_start()
            .strip_prefix('"')
            .and_then(|rest| rest.split_once('"'))
            .expect("a route's first argument is a string literal");
        let mut expression = handler.to_owned();
        for (name, value) in &lets {
            if has_word(handler, name, "") {
                expression.push(' ');
                expression.push_str(value);
            }
        }
        let methods: BTreeSet<String> = METHODS
            .iter()
            .filter(|method| has_word(&expression, method, "("))
            .map(|method| method.to_uppercase())
            .collect();
        assert!(!methods.is_empty(), "no method found for route {path}");
        assert!(
            routes.insert(path.to_owned(), methods).is_none(),
            "route {path} twice"
        );
    }
    routes
}

#[test]
fn the_documented_paths_and_methods_are_the_routes_of_the_source() {
    let routes = routes_in_source();
    assert!(
        routes.len() >= 16,
        "the reader of src/http/mod.rs found only {routes:?}"
    );
    assert_eq!(
        routes.get("/v1/events"),
        Some(&BTreeSet::from(["GET".to_owned(), "POST".to_owned()])),
        "the reader follows method routers bound by let"
    );
    assert_eq!(operations(&document()), routes);
}

#[test]
fn every_documented_operation_is_routed_by_the_server_and_no_other_method_is() {
    let doc = document();
    let server = Server::start();
    let (status, page) = server.get("/v1/events?limit=1");
    assert_eq!(status, 200);
    assert!(page["events"].as_array().unwrap().is_empty());
    // A plan and an event for the path parameters.
    let (status, stored) = server.post("/v1/events", &common::register("p", None));
    assert_eq!(status, 201, "{stored}");
    let concrete = |path: &str| {
        path.replace("{id}", stored["id"].as_str().unwrap())
            .replace("{plan}", "p")
            .replace("{name}", "nobody")
            .replace("{file}", "app.js")
    };
    for (path, methods) in operations(&doc) {
        let url = concrete(&path);
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            let request = client()
                .request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                    server.url(&url),
                )
                .bearer_auth(&server.token);
            let response = request.send().expect("the server answers");
            let status = response.status().as_u16();
            // An event stream never ends: its head is enough (tests/stream.rs reads streams).
            let streams = response
                .headers()
                .get("content-type")
                .is_some_and(|value| value.as_bytes().starts_with(b"text/event-stream"));
            let body: Value = if streams {
                Value::Null
            } else {
                serde_json::from_str(&response.text().unwrap()).unwrap_or(Value::Null)
            };
            if methods.contains(method) {
                assert_ne!(status, 405, "{method} {url}: {body}");
                assert_ne!(body["detail"], "no such path", "{method} {url}");
                let responses = &doc["paths"][&path][method.to_lowercase()]["responses"];
                assert!(
                    responses.get(status.to_string()).is_some(),
                    "{method} {url} answered {status}, which the document does not list: {body}"
                );
            } else {
                assert_eq!(status, 405, "{method} {url} is not documented: {body}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Event types and their data
// ---------------------------------------------------------------------------------------------

/// The field names an "unknown field" error lists as expected.
fn expected_fields(message: &str) -> BTreeSet<String> {
    message
        .split_once("expected one of: ")
        .unwrap_or_else(|| panic!("not an unknown-field message: {message}"))
        .1
        .split(", ")
        .map(str::to_owned)
        .collect()
}

fn keys(object: &Value) -> BTreeSet<String> {
    object
        .as_object()
        .map(|map| map.keys().cloned().collect())
        .unwrap_or_default()
}

fn strings(array: &Value) -> BTreeSet<String> {
    array
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| item.as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn ordered_strings(array: &Value) -> Vec<String> {
    array
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item.as_str().unwrap().to_owned())
        .collect()
}

fn today() -> CivilDate {
    "2030-01-01".parse().unwrap()
}

/// The request schema of `event_type`, through the discriminator's mapping.
fn request_schema(doc: &Value, event_type: EventType) -> &Value {
    let request = schema(doc, "EventRequest");
    let reference = request["discriminator"]["mapping"][event_type.as_str()]
        .as_str()
        .unwrap_or_else(|| panic!("no request schema for {event_type}"));
    resolve(doc, reference)
}

#[test]
fn every_event_type_has_a_request_schema_with_the_parsers_fields() {
    let doc = document();
    let all: Vec<String> = EventType::ALL
        .iter()
        .map(|t| t.as_str().to_owned())
        .collect();
    assert_eq!(ordered_strings(&schema(&doc, "EventType")["enum"]), all);
    let request = schema(&doc, "EventRequest");
    assert_eq!(
        keys(&request["discriminator"]["mapping"]),
        all.iter().cloned().collect()
    );
    assert_eq!(request["oneOf"].as_array().unwrap().len(), all.len());
    assert_eq!(request["discriminator"]["propertyName"], "type");

    // The top level of a request.
    let unknown = NewEvent::parse(&json!({"zz_unknown": 1}), "", today()).unwrap_err();
    let top_fields = expected_fields(&unknown.unknown[0].message.to_string());
    let missing = NewEvent::parse(&json!({}), "", today()).unwrap_err();
    let top_required: BTreeSet<String> = missing
        .invalid
        .iter()
        .filter(|error| error.message.to_string().starts_with("is required"))
        .map(|error| error.field.trim_start_matches('/').to_owned())
        .collect();

    for event_type in EventType::ALL {
        let variant = request_schema(&doc, *event_type);
        assert_eq!(
            variant["properties"]["type"]["const"],
            event_type.as_str(),
            "{event_type}"
        );
        assert_eq!(keys(&variant["properties"]), top_fields, "{event_type}");
        assert_eq!(strings(&variant["required"]), top_required, "{event_type}");
        assert_eq!(variant["additionalProperties"], false, "{event_type}");

        let data = deref(&doc, &variant["properties"]["data"]);
        let unknown =
            EventData::parse(*event_type, &json!({"zz_unknown": 1}), "/data").unwrap_err();
        assert_eq!(
            keys(&data["properties"]),
            expected_fields(&unknown.unknown[0].message.to_string()),
            "the data fields of {event_type}"
        );
        let missing = EventData::parse(*event_type, &json!({}), "/data").err();
        let required: BTreeSet<String> = missing
            .iter()
            .flat_map(|errors| &errors.invalid)
            .filter(|error| error.message.code() == "field-required")
            .map(|error| error.field.trim_start_matches("/data/").to_owned())
            .collect();
        assert_eq!(
            strings(&data["required"]),
            required,
            "the required data fields of {event_type}"
        );
        assert_eq!(data["additionalProperties"], false, "{event_type}");
    }
}

#[test]
fn enums_and_bounds_are_the_catalogues() {
    let doc = document();
    let names = |all: &[&str]| all.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let data = |name: &str, field: &str| schema(&doc, name)["properties"][field].clone();
    assert_eq!(
        ordered_strings(&data("PlanRegisteredData", "kind")["enum"]),
        names(&PlanKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>())
    );
    assert_eq!(
        ordered_strings(&data("DecisionIssuedData", "kind")["enum"]),
        names(
            &DecisionKind::ALL
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
        )
    );
    assert_eq!(
        ordered_strings(&data("OutreachDeliveredData", "channel")["enum"]),
        names(&Channel::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>())
    );
    assert_eq!(
        ordered_strings(&data("AssessmentCompletedData", "kind")["enum"]),
        names(
            &AssessmentKind::ALL
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
        )
    );
    assert_eq!(
        ordered_strings(&data("FundsData", "source")["enum"]),
        names(&Source::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>())
    );
    assert_eq!(
        ordered_strings(&schema(&doc, "PlanStatus")["properties"]["status"]["enum"]),
        names(
            &PlanStatus::ALL
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
        )
    );
    let amount = schema(&doc, "Amount");
    assert_eq!(amount["type"], "integer");
    assert_eq!(amount["minimum"], 1);
    assert_eq!(amount["maximum"], JSON_SAFE_INTEGER_MAX);
    for count in ["CountFrom0", "CountFrom1"] {
        assert_eq!(schema(&doc, count)["maximum"], JSON_SAFE_INTEGER_MAX);
    }
    let year = schema(&doc, "Year");
    assert_eq!(
        (year["minimum"].clone(), year["maximum"].clone()),
        (json!(YEAR_MIN), json!(YEAR_MAX))
    );
    assert_eq!(
        schema(&doc, "BatchRequest")["properties"]["events"]["maxItems"],
        BATCH_EVENTS_MAX
    );
    assert_eq!(
        data("DecisionIssuedData", "basis")["maxItems"],
        COLLECTION_ENTRIES_MAX
    );
    assert_eq!(
        data("TrainingHeldData", "participants_by_group")["maxProperties"],
        COLLECTION_ENTRIES_MAX
    );
    // Money is an Amount wherever it is sent.
    for name in ["FundsData", "TotalReportedData"] {
        assert_eq!(data(name, "amount"), named("Amount"), "{name}");
    }
}

/// A valid request of every type, with every optional field, for `plan`.
fn samples() -> Vec<Value> {
    let id = "01JD0000000000000000000000";
    let event = |event_type: &str, data: Value| {
        json!({"id": id, "type": event_type, "plan": "dn-sxsh-2015", "occurred_on": "2014-12-31",
               "date_precision": "year", "data": data, "expected_version": 3,
               "evidence": {"document": "Báo cáo 17/05/2015", "locator": "mục 4"}})
    };
    let funds = json!({"fiscal_year": 2014, "source": "local", "amount": 587_000_000,
                       "budget_line": "sự nghiệp", "document": "QĐ 1/QĐ-UBND"});
    vec![
        event(
            "plan.registered",
            json!({"title": "Kế hoạch", "code": "3269/QĐ-UBND", "issuer": "UBND tỉnh",
                   "kind": "annual_plan", "period": {"from_year": 2011, "to_year": 2015},
                   "parent": "dn-sxsh"}),
        ),
        event(
            "plan.submitted",
            json!({"to": "UBND tỉnh", "document": "Tờ trình 1"}),
        ),
        event(
            "plan.approved",
            json!({"decision": "3269/QĐ-UBND", "approved_by": "UBND tỉnh"}),
        ),
        event("plan.completed", json!({"note": "xong"})),
        event("plan.cancelled", json!({"reason": "hết kinh phí"})),
        event(
            "decision.issued",
            json!({"number": "1/QĐ-UBND", "issuer": "UBND tỉnh", "title": "Quyết định",
                   "kind": "directive", "basis": ["1419/QĐ-TTg"]}),
        ),
        event(
            "unit.established",
            json!({"name": "Ban chỉ đạo", "decision": "2/QĐ-UBND"}),
        ),
        event(
            "staff.assigned",
            json!({"unit": "Ban chỉ đạo", "count": 7, "role": "thành viên"}),
        ),
        event(
            "training.held",
            json!({"topic": "cleaner_production", "sessions": 2, "participants": 160,
                   "participants_by_group": {"doanh nghiệp": 150, "cán bộ": 10},
                   "organisations": 40, "approximate": true}),
        ),
        event(
            "outreach.delivered",
            json!({"channel": "radio", "items": 3, "note": "VOV"}),
        ),
        event(
            "assessment.completed",
            json!({"kind": "rapid", "enterprises": 4}),
        ),
        event(
            "progress.reported",
            json!({"indicator": "training.participants", "quantity": 0, "note": "n"}),
        ),
        event(
            "target.set",
            json!({"indicator": "outreach.banner", "year": 2014, "quantity": 440, "unit": "cái"}),
        ),
        event("funds.planned", funds.clone()),
        event("funds.allocated", funds.clone()),
        event("funds.disbursed", funds),
        event(
            "total.reported",
            json!({"metric": "funding.budget", "amount": 1_276_000_000u64,
                   "amount_in_words": "Một tỷ hai trăm bảy mươi sáu triệu đồng",
                   "from_year": 2009, "to_year": 2015, "document": "Báo cáo"}),
        ),
        event(
            "event.corrected",
            json!({"target": id, "reason": "sai số", "data": {"anything": 1},
                   "occurred_on": "2014-12-30"}),
        ),
        event(
            "event.retracted",
            json!({"target": id, "reason": "ghi nhầm"}),
        ),
    ]
}

/// Whether the parser accepts `body` as one event.
fn parser_accepts(body: &Value) -> bool {
    NewEvent::parse(body, "", today()).is_ok()
}

#[test]
fn the_request_schema_accepts_and_refuses_what_the_parser_does() {
    let doc = document();
    let request = validator(&doc, &named("EventRequest"), false);
    let samples = samples();
    assert_eq!(samples.len(), EventType::ALL.len());
    for sample in &samples {
        assert!(parser_accepts(sample), "{sample}");
        assert_valid(&request, sample, "a valid request");
        // Its required fields alone are valid too.
        let mut minimal = json!({"type": sample["type"], "plan": sample["plan"],
                                 "occurred_on": sample["occurred_on"], "data": {}});
        let data = deref(
            &doc,
            &request_schema(&doc, sample["type"].as_str().unwrap().parse().unwrap())["properties"]
                ["data"],
        );
        for field in strings(&data["required"]) {
            minimal["data"][&field] = sample["data"][&field].clone();
        }
        if sample["type"] == "event.corrected" {
            minimal["data"]["occurred_on"] = json!("2014-12-30");
        }
        assert!(parser_accepts(&minimal), "{minimal}");
        assert_valid(&request, &minimal, "a minimal request");
    }

    // Changes the parser refuses, which the schema must refuse too.
    let funds = samples
        .iter()
        .find(|s| s["type"] == "funds.planned")
        .unwrap()
        .clone();
    let with = |pointer: &str, value: Value| {
        let mut changed = funds.clone();
        *changed.pointer_mut(pointer).unwrap() = value;
        changed
    };
    let without = |field: &str| {
        let mut changed = funds.clone();
        changed["data"].as_object_mut().unwrap().remove(field);
        changed
    };
    let mut refused = vec![
        with("/data/amount", json!(1.5)),
        with("/data/amount", json!("587000000")),
        with("/data/amount", json!(0)),
        with("/data/amount", json!(-5)),
        with("/data/amount", json!(JSON_SAFE_INTEGER_MAX + 1)),
        with("/data/fiscal_year", json!(1899)),
        with("/data/fiscal_year", json!(2201)),
        with("/data/source", json!("bank")),
        with("/data/budget_line", json!(null)),
        with("/data/budget_line", json!("   ")),
        with("/plan", json!("Dn_Sxsh")),
        with("/occurred_on", json!("31/12/2014")),
        with("/occurred_on", json!("2014-02-30")),
        with("/date_precision", json!("week")),
        with("/id", json!("01jd0000000000000000000000")),
        with("/expected_version", json!(-1)),
        with("/evidence", json!({"locator": "mục 4"})),
        with("/type", json!("funds.spent")),
        without("amount"),
        without("source"),
    ];
    let mut unknown = funds.clone();
    unknown["data"]["colour"] = json!("red");
    refused.push(unknown);
    let mut unknown = funds.clone();
    unknown["colour"] = json!("red");
    refused.push(unknown);
    let mut no_data = funds.clone();
    no_data.as_object_mut().unwrap().remove("data");
    refused.push(no_data);
    let mut correction = samples
        .iter()
        .find(|s| s["type"] == "event.corrected")
        .unwrap()
        .clone();
    let data = correction["data"].as_object_mut().unwrap();
    data.remove("data");
    data.remove("occurred_on");
    refused.push(correction);
    for body in &refused {
        assert!(!parser_accepts(body), "the parser accepts {body}");
        assert!(!request.is_valid(body), "the schema accepts {body}");
    }
    // JSON Schema counts 587000000.0 as an integer (a number with no fraction); acta refuses
    // it, as it refuses every float. The Amount schema's description says so.
    assert!(!parser_accepts(&with("/data/amount", json!(587_000_000.0))));
    assert!(request.is_valid(&with("/data/amount", json!(587_000_000.0))));
    assert!(
        schema(&doc, "Amount")["description"]
            .as_str()
            .unwrap()
            .contains("1.0")
    );
    // Changes both accept.
    for body in [
        with("/data/amount", json!(JSON_SAFE_INTEGER_MAX)),
        with("/data/amount", json!(1)),
        with("/evidence", json!(null)),
        with("/evidence/locator", json!(null)),
        with("/data/fiscal_year", json!(2015)),
    ] {
        assert!(parser_accepts(&body), "the parser refuses {body}");
        assert_valid(&request, &body, "an accepted change");
    }

    // A batch.
    let batch = validator(&doc, &named("BatchRequest"), false);
    assert_valid(&batch, &json!({"events": samples}), "a batch");
    assert!(!batch.is_valid(&json!({"events": []})));
    assert!(!batch.is_valid(&json!({"events": [funds], "more": 1})));
}

#[test]
fn the_text_schema_is_the_text_rule() {
    let doc = document();
    let text = validator(&doc, &named("Text"), false);
    let cases = [
        "a".to_owned(),
        " a ".to_owned(),
        "tab\there\nand\r".to_owned(),
        String::new(),
        "   ".to_owned(),
        "\t\n".to_owned(),
        "bell\u{7}".to_owned(),
        "del\u{7f}".to_owned(),
        "c1\u{85}".to_owned(),
        "ệ".repeat(500),
        "ệ".repeat(501),
        format!("  {}  ", "a".repeat(500)),
        format!("  {} a", "a".repeat(499)),
        format!("x{}x", " ".repeat(498)),
        format!("x{}x", " ".repeat(499)),
        "😀".repeat(500),
        "Báo cáo \"số 1\"".to_owned(),
        "\u{a0}x\u{a0}".to_owned(),
        "\u{3000}\u{2028}\u{2029}\u{a0}".to_owned(),
        "\u{feff}".to_owned(),
        "x\u{b}y".to_owned(),
        "x\u{c}y".to_owned(),
        format!("\u{2003}{}\u{2003}", "ệ".repeat(500)),
        format!("\u{2003}{}\u{2003}", "ệ".repeat(501)),
    ];
    for case in cases {
        assert_eq!(
            text.is_valid(&json!(case)),
            case.parse::<Text>().is_ok(),
            "{case:?} ({} characters)",
            case.chars().count()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Real answers
// ---------------------------------------------------------------------------------------------

/// Checks `reply` against what the document says `method template` answers with its status:
/// the status is listed, the media type is the documented one, and the body matches the schema
/// with no undocumented key.
fn check(doc: &Value, method: &str, template: &str, reply: &Reply, what: &str) {
    let operation = &doc["paths"][template][method.to_lowercase()];
    assert!(operation.is_object(), "no operation {method} {template}");
    let response = operation["responses"]
        .get(reply.status.to_string())
        .unwrap_or_else(|| {
            panic!(
                "{what}: {method} {template} answered {}, which the document does not list: {}",
                reply.status, reply.body
            )
        });
    check_response(doc, deref(doc, response), reply, what);
}

fn check_response(doc: &Value, response: &Value, reply: &Reply, what: &str) {
    let media_type = reply.content_type.split(';').next().unwrap().trim();
    let content = &response["content"];
    let schema = content
        .get(media_type)
        .map(|media| &media["schema"])
        .unwrap_or_else(|| panic!("{what}: {media_type} is not documented: {content}"));
    assert_valid(&validator(doc, schema, true), &reply.body, what);
}

/// The request form of a stored event: what a client would have sent.
fn request_form(stored: &Value) -> Value {
    let mut request = json!({});
    for key in [
        "id",
        "type",
        "plan",
        "occurred_on",
        "date_precision",
        "data",
        "evidence",
    ] {
        request[key] = stored[key].clone();
    }
    request
}

#[test]
fn real_answers_of_the_demo_match_their_schemas() {
    let doc = document();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_new(&dir.path().join("acta.db"), &["--demo"]);
    let token = server.token.clone();
    let get = |path: &str| server.send("GET", path, Some(&token), None);

    let reply = get("/v1/events?limit=1000");
    check(&doc, "GET", "/v1/events", &reply, "the demo's events");
    let events = reply.body["events"].as_array().unwrap().clone();
    assert!(events.len() >= 50);
    let request = validator(&doc, &named("EventRequest"), false);
    let mut types_seen = BTreeSet::new();
    for event in &events {
        assert_valid(&request, &request_form(event), "a demo event as a request");
        types_seen.insert(event["type"].as_str().unwrap().to_owned());
    }
    assert!(types_seen.len() >= 12, "{types_seen:?}");

    for (template, path) in [
        ("/v1/head", "/v1/head".to_owned()),
        ("/v1/verify", "/v1/verify".to_owned()),
        ("/v1/events", "/v1/events?after=50&limit=1".to_owned()),
        (
            "/v1/events",
            "/v1/events?plan=dn-kh-2014&type=funds.disbursed".to_owned(),
        ),
        (
            "/v1/events/{id}",
            format!("/v1/events/{}", events[0]["id"].as_str().unwrap()),
        ),
        ("/v1/plans", "/v1/plans".to_owned()),
        (
            "/v1/plans",
            "/v1/plans?as_of=2012-12-31&known_at=2030-01-01".to_owned(),
        ),
        ("/v1/plans/{plan}", "/v1/plans/dn-sxsh-2015".to_owned()),
        (
            "/v1/plans/{plan}",
            "/v1/plans/dn-kh-2015?as_of=2015-05-17".to_owned(),
        ),
        ("/v1/funding", "/v1/funding".to_owned()),
        (
            "/v1/funding",
            "/v1/funding?plan=dn-kh-2014&as_of=2014-12-31".to_owned(),
        ),
        ("/v1/summaries/yearly", "/v1/summaries/yearly".to_owned()),
        (
            "/v1/summaries/yearly",
            "/v1/summaries/yearly?plan=dn-sxsh-2015".to_owned(),
        ),
        ("/v1/reconciliation", "/v1/reconciliation".to_owned()),
        (
            "/v1/reconciliation",
            "/v1/reconciliation?as_of=2015-05-17".to_owned(),
        ),
        ("/v1/whoami", "/v1/whoami".to_owned()),
        ("/v1/openapi.json", "/v1/openapi.json".to_owned()),
        ("/healthz", "/healthz".to_owned()),
        ("/v1/funding", "/v1/funding?format=csv".to_owned()),
        (
            "/v1/reconciliation",
            "/v1/reconciliation?format=csv&as_of=2015-05-17".to_owned(),
        ),
        (
            "/v1/plans/{plan}",
            "/v1/plans/dn-sxsh?format=csv".to_owned(),
        ),
    ] {
        let reply = get(&path);
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
        check(&doc, "GET", template, &reply, &format!("GET {path}"));
    }
    let findings = get("/v1/reconciliation").body["findings"].clone();
    assert!(
        findings.as_array().unwrap().len() >= 2,
        "the demo has findings"
    );

    // Problems.
    let problems = [
        ("GET", "/v1/funding", "/v1/funding?asof=2012-12-31", 422),
        ("GET", "/v1/funding", "/v1/funding?plan=nope", 404),
        ("GET", "/v1/events", "/v1/events?limit=1001", 422),
        ("GET", "/v1/events/{id}", "/v1/events/not-an-id", 404),
        (
            "GET",
            "/v1/plans/{plan}",
            "/v1/plans/dn-kh-2015?as_of=2012-01-01",
            404,
        ),
        ("DELETE", "/v1/tokens/{name}", "/v1/tokens/nobody", 404),
        ("GET", "/v1/head", "/v1/head?format=csv", 406),
        ("GET", "/v1/events/stream", "/v1/events/stream?after=x", 400),
        (
            "GET",
            "/v1/events/stream",
            "/v1/events/stream?after=99999",
            400,
        ),
        ("GET", "/v1/events/stream", "/v1/events/stream?limit=1", 422),
        ("GET", "/v1/events", "/v1/events?format=csv", 406),
        ("GET", "/v1/funding", "/v1/funding?format=xlsx", 422),
    ];
    for (method, template, path, status) in problems {
        let reply = server.send(method, path, Some(&token), None);
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.body);
        check(&doc, method, template, &reply, &format!("{method} {path}"));
    }
    let reply = server.send("GET", "/v1/head", None, None);
    check(&doc, "GET", "/v1/head", &reply, "no token");
    assert_eq!(reply.status, 401);
    let not_found = deref(&doc, &doc["components"]["responses"]["NotFound"]);
    let reply = get("/v1/nowhere");
    assert_eq!(reply.status, 404);
    check_response(&doc, not_found, &reply, "an unknown path");
    let reply = server.send("PUT", "/v1/head", Some(&token), None);
    assert_eq!(reply.status, 405);
    check_response(
        &doc,
        deref(&doc, &doc["components"]["responses"]["MethodNotAllowed"]),
        &reply,
        "another method",
    );

    // Appends.
    let training = json!({"type": "training.held", "plan": "dn-sxsh-2015",
                          "occurred_on": "2014-06-01", "id": common::new_id(),
                          "data": {"topic": "energy_efficiency", "sessions": 1, "participants": 30}});
    let reply = server.send("POST", "/v1/events", Some(&token), Some(&training));
    assert_eq!(reply.status, 201, "{}", reply.body);
    check(&doc, "POST", "/v1/events", &reply, "an append");
    let reply = server.send("POST", "/v1/events", Some(&token), Some(&training));
    assert_eq!(reply.status, 200, "{}", reply.body);
    check(&doc, "POST", "/v1/events", &reply, "an idempotent repeat");
    let mut changed = training.clone();
    changed["data"]["sessions"] = json!(2);
    let reply = server.send("POST", "/v1/events", Some(&token), Some(&changed));
    assert_eq!(reply.status, 409, "{}", reply.body);
    check(&doc, "POST", "/v1/events", &reply, "an id reused");
    let mut float = training.clone();
    float["id"] = json!(common::new_id());
    float["data"]["participants"] = json!(30.0);
    let reply = server.send("POST", "/v1/events", Some(&token), Some(&float));
    assert_eq!(reply.status, 422, "{}", reply.body);
    check(&doc, "POST", "/v1/events", &reply, "a float");
    let mut unknown = training.clone();
    unknown["colour"] = json!("red");
    let reply = server.send("POST", "/v1/events", Some(&token), Some(&unknown));
    assert_eq!(reply.status, 400, "{}", reply.body);
    check(&doc, "POST", "/v1/events", &reply, "an unknown field");
    let batch = json!({"events": [
        {"type": "outreach.delivered", "plan": "dn-sxsh-2015", "occurred_on": "2014-06-02",
         "data": {"channel": "banner", "items": 20}},
        {"type": "funds.allocated", "plan": "dn-sxsh-2015", "occurred_on": "2014-06-02",
         "data": {"fiscal_year": 2014, "source": "central", "amount": JSON_SAFE_INTEGER_MAX}},
    ]});
    let reply = server.send("POST", "/v1/events/batch", Some(&token), Some(&batch));
    assert_eq!(reply.status, 201, "{}", reply.body);
    check(&doc, "POST", "/v1/events/batch", &reply, "a batch");
    // Sums beyond 2^53 − 1 are still integers of the funding schema.
    let reply = get("/v1/funding");
    check(&doc, "GET", "/v1/funding", &reply, "funding beyond 2^53");
    let reply = get("/v1/reconciliation");
    check(
        &doc,
        "GET",
        "/v1/reconciliation",
        &reply,
        "findings beyond 2^53",
    );

    // Tokens.
    let reply = server.send(
        "POST",
        "/v1/tokens",
        Some(&token),
        Some(&json!({"name": "kiem-toan", "role": "auditor"})),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    check(&doc, "POST", "/v1/tokens", &reply, "a new token");
    let auditor = reply.body["token"].as_str().unwrap().to_owned();
    let reply = server.send("POST", "/v1/events", Some(&auditor), Some(&training));
    assert_eq!(reply.status, 403, "{}", reply.body);
    check(&doc, "POST", "/v1/events", &reply, "an auditor appending");
    let reply = server.send("GET", "/v1/whoami", Some(&auditor), None);
    check(&doc, "GET", "/v1/whoami", &reply, "whoami of an auditor");
    let reply = server.send("GET", "/v1/openapi.json", Some(&auditor), None);
    assert_eq!(
        reply.body, doc,
        "the server serves the document it was built with"
    );
    let reply = server.send(
        "POST",
        "/v1/tokens",
        Some(&token),
        Some(&json!({"name": "kiem-toan", "role": "auditor"})),
    );
    assert_eq!(reply.status, 409, "{}", reply.body);
    check(&doc, "POST", "/v1/tokens", &reply, "a name in use");
    let reply = server.send("DELETE", "/v1/tokens/kiem-toan", Some(&token), None);
    assert_eq!(reply.status, 204);
}

// ---------------------------------------------------------------------------------------------
// The worked example of the hash in docs/API.md
// ---------------------------------------------------------------------------------------------

/// The text after `label` on the line of `text` that starts with it.
fn labelled<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|line| line.strip_prefix(label))
        .unwrap_or_else(|| panic!("docs/API.md has no line starting {label:?}"))
        .trim()
}

#[test]
fn the_worked_example_of_the_hash_in_api_md_is_right() {
    let page = include_str!("../docs/API.md");
    let stored_section = &page[page
        .find("### Stored shape")
        .expect("a stored shape section")..];
    let block = &stored_section[stored_section.find("```json\n").unwrap() + "```json\n".len()..];
    let stored: Value = serde_json::from_str(&block[..block.find("```").unwrap()])
        .expect("the stored shape's example is JSON");
    let prev_hash = labelled(page, "prev_hash: ");
    let canonical = labelled(page, "canonical: ");
    let hash = labelled(page, "hash: ");
    assert_eq!(stored["prev_hash"], prev_hash);
    assert_eq!(stored["hash"], hash);
    let mut body = stored.clone();
    let object = body.as_object_mut().unwrap();
    object.remove("hash");
    object.remove("prev_hash");
    assert_eq!(object.len(), 11, "the hashed object has eleven keys");
    assert_eq!(acta_events::jcs::canonical_json(&body).unwrap(), canonical);
    assert_eq!(
        acta_events::stored::chain_hash(prev_hash, &body).unwrap(),
        hash
    );
    // The stored example is a valid stored event, and its request form a valid request.
    let doc = document();
    assert_valid(
        &validator(&doc, &named("StoredEvent"), true),
        &stored,
        "the example",
    );
    assert_valid(
        &validator(&doc, &named("EventRequest"), false),
        &request_form(&stored),
        "the example as a request",
    );
}

//! Warnings at the desk (issue 19, point 7): a `201` tells what reconciliation would flag about
//! the act just stored, in the language asked; nothing refused or accepted changes.

mod common;

use common::{Server, client_in, event, funds, new_id, register};
use serde_json::{Value, json};

fn post_in(server: &Server, language: Option<&str>, body: &Value) -> (u16, Value) {
    let response = client_in(language)
        .post(server.url("/v1/events"))
        .bearer_auth(&server.token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .expect("POST answers");
    (response.status().as_u16(), response.json().expect("JSON"))
}

fn training(participants: u64, groups: Value) -> Value {
    event(
        "training.held",
        "p",
        "2015-06-05",
        json!({"topic": "cleaner_production", "sessions": 1, "participants": participants,
               "participants_by_group": groups}),
    )
}

/// The stored event without `warnings`, as `GET /v1/events/{id}` gives it.
fn without_warnings(answer: &Value) -> Value {
    let mut answer = answer.clone();
    answer.as_object_mut().unwrap().remove("warnings");
    answer
}

#[test]
fn a_training_whose_groups_do_not_add_up_is_stored_with_a_warning() {
    let server = Server::start();
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    let mut act = training(48, json!({"nông dân": 25, "doanh nghiệp": 15}));
    act["id"] = json!(new_id());
    let (status, stored) = post_in(&server, None, &act);
    assert_eq!(status, 201);
    assert_eq!(
        stored["warnings"],
        json!([{
            "kind": "breakdown_mismatch", "severity": "error",
            "code": "finding-breakdown_mismatch",
            "params": {"date": "2015-06-05", "plan": "p", "participants": 48, "group_sum": 40,
                       "difference": -8},
            "pointer": "/data/participants_by_group",
            "message": "Đợt tập huấn ngày 05/06/2015 của kế hoạch p ghi 48 người tham dự, nhưng \
                        tổng các nhóm là 40 (chênh lệch -8).",
        }])
    );
    // The event itself is as stored; the warning is the reconciliation's own finding.
    let (_, read) = server.get(&format!("/v1/events/{}", stored["id"].as_str().unwrap()));
    assert_eq!(without_warnings(&stored), read);
    let (_, reconciliation) = server.get("/v1/reconciliation");
    assert_eq!(
        reconciliation["findings"][0]["code"],
        stored["warnings"][0]["code"]
    );
    assert_eq!(
        reconciliation["findings"][0]["params"],
        stored["warnings"][0]["params"]
    );
    // In English when asked.
    let mut again = act.clone();
    again["id"] = json!(new_id());
    let (status, english) = post_in(&server, Some("en"), &again);
    assert_eq!(status, 201);
    assert_eq!(
        english["warnings"][0]["message"],
        "The training of 2015-06-05 on plan p states 48 participants, but its groups add up to \
         40 (difference -8)."
    );
    // A repeat (same id) is 200 and the event as first stored, exactly: no warnings.
    let (status, repeat) = post_in(&server, None, &act);
    assert_eq!(status, 200);
    assert_eq!(repeat, read);
    assert_eq!(server.all_events().len(), 3);
}

#[test]
fn a_disbursement_with_nothing_allocated_is_stored_with_a_warning_and_one_allocated_is_not() {
    let server = Server::start();
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    let (status, stored) = post_in(
        &server,
        Some("en"),
        &funds("funds.disbursed", "p", 2014, 587_000_000),
    );
    assert_eq!(status, 201);
    let warnings = stored["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0]["kind"], "disbursed_without_allocation");
    assert_eq!(warnings[0]["pointer"], "/data/amount");
    assert_eq!(
        warnings[0]["params"],
        json!({"plan": "p", "source": "local", "fiscal_year": 2014, "disbursed": 587000000})
    );
    assert_eq!(
        warnings[0]["message"],
        "Plan p disbursed 587.000.000 ₫ of local funds for fiscal year 2014, where nothing was \
         allocated."
    );
    // Another year and source with its allocation first: nothing to tell.
    assert_eq!(
        server
            .post(
                "/v1/events",
                &funds("funds.allocated", "p", 2013, 90_000_000)
            )
            .0,
        201
    );
    let (status, clean) = post_in(
        &server,
        None,
        &funds("funds.disbursed", "p", 2013, 90_000_000),
    );
    assert_eq!(status, 201);
    assert!(clean.get("warnings").is_none(), "{clean}");
    // A disbursement of the same year from another source is its own cell.
    let mut central = funds("funds.disbursed", "p", 2013, 1_000);
    central["data"]["source"] = json!("central");
    let (_, central) = post_in(&server, None, &central);
    assert_eq!(central["warnings"][0]["params"]["source"], "central");
    assert_eq!(
        central["warnings"][0]["message"],
        "Kế hoạch p đã giải ngân 1.000 ₫ từ ngân sách trung ương cho năm ngân sách 2013, trong \
         khi chưa có khoản phân bổ nào."
    );
}

#[test]
fn an_act_identical_to_a_stored_one_sent_without_id_is_stored_with_a_warning() {
    let server = Server::start();
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    let act = event(
        "outreach.delivered",
        "p",
        "2015-03-01",
        json!({"channel": "radio", "items": 3}),
    );
    let (status, first) = post_in(&server, None, &act);
    assert_eq!(status, 201);
    assert!(first.get("warnings").is_none(), "{first}");
    let (status, second) = post_in(&server, Some("en"), &act);
    assert_eq!(status, 201);
    assert_eq!(
        second["warnings"],
        json!([{
            "kind": "duplicate_without_id", "severity": "warning",
            "code": "warning-duplicate_without_id",
            "params": {"id": first["id"], "seq": first["seq"]},
            "pointer": "",
            "message": format!(
                "An identical act is already stored as event {} (seq 2), and this one was sent \
                 without an id, so it is now stored twice. If it is a repeat, retract it; send \
                 an id with every act so that a retry is safe.",
                first["id"].as_str().unwrap()
            ),
        }])
    );
    // Stored all the same: warnings refuse nothing.
    assert_eq!(server.all_events().len(), 3);
    // Another date, or an id sent, is no such repeat.
    let mut other_day = act.clone();
    other_day["occurred_on"] = json!("2015-03-02");
    assert!(
        post_in(&server, None, &other_day)
            .1
            .get("warnings")
            .is_none()
    );
    let mut with_id = act.clone();
    with_id["id"] = json!(new_id());
    assert!(post_in(&server, None, &with_id).1.get("warnings").is_none());
}

#[test]
fn a_clean_act_is_answered_exactly_as_stored_and_refusals_are_unchanged() {
    let server = Server::start();
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    let mut act = training(40, json!({"nông dân": 25, "doanh nghiệp": 15}));
    act["id"] = json!(new_id());
    let (status, stored) = post_in(&server, None, &act);
    assert_eq!(status, 201);
    assert!(stored.get("warnings").is_none(), "{stored}");
    let (_, read) = server.get(&format!("/v1/events/{}", stored["id"].as_str().unwrap()));
    assert_eq!(stored, read);
    // What was refused before is refused still, and writes nothing.
    let head = server.head();
    let (status, _) = post_in(&server, None, &funds("funds.disbursed", "p", 2030, 5));
    assert_eq!(status, 422);
    assert_eq!(server.head(), head);
}

//! Signed checkpoints and Merkle proofs over a real server: the note verifies with the key the
//! server serves and prints, its root is the RFC 9162 root of the exported events' hashes, the
//! proofs verify, bad parameters are refused, and `acta verify --checkpoint` catches a log
//! truncated or rewritten behind the server's back.

mod common;

use std::path::Path;

use acta_events::checkpoint::VerifierKey;
use acta_events::merkle::{self, Hash};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use common::{Server, acta, assert_problem_shape, event, register};

/// Events beyond one chunk of the tree (256 leaves), so that proofs read stored hashes.
const EVENTS: usize = 300;

fn append_events(server: &Server, plan: &str, count: usize) {
    let mut events = vec![register(plan, None)];
    for quantity in 1..count {
        events.push(event(
            "progress.reported",
            plan,
            "2012-06-30",
            json!({"indicator": "training.sessions", "quantity": quantity}),
        ));
    }
    let (status, body) = server.post("/v1/events/batch", &json!({ "events": events }));
    assert_eq!(status, 201, "{body}");
}

fn checkpoint_text(server: &Server) -> String {
    let reply = server.send("GET", "/v1/checkpoint", Some(&server.token), None);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type, "text/plain; charset=utf-8");
    reply.body.as_str().expect("a text body").to_owned()
}

fn verifier(server: &Server) -> VerifierKey {
    let (status, key) = server.get("/v1/checkpoint/key");
    assert_eq!(status, 200, "{key}");
    VerifierKey::parse(key["verifier_key"].as_str().unwrap()).unwrap()
}

fn leaf_hashes(events: &[Value]) -> Vec<Hash> {
    events
        .iter()
        .map(|event| {
            merkle::leaf_hash(&merkle::hash_of_hex(event["hash"].as_str().unwrap()).unwrap())
        })
        .collect()
}

fn hashes(list: &Value) -> Vec<Hash> {
    list.as_array().unwrap().iter().map(decode).collect()
}

fn decode(hash: &Value) -> Hash {
    BASE64
        .decode(hash.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

fn verify_checkpoint(db: &Path, file: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec![
        "verify",
        "--db",
        db.to_str().unwrap(),
        "--checkpoint",
        file.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = acta(&args);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

#[test]
fn the_checkpoint_is_signed_over_the_rfc_9162_root_of_the_events_hashes_and_its_proofs_verify() {
    let server = Server::start();
    let verifier = verifier(&server);
    assert!(
        server
            .startup
            .iter()
            .any(|line| line.contains(&verifier.to_string())),
        "the verifier key is printed at start: {:?}",
        server.startup
    );
    append_events(&server, "a", EVENTS);
    let note = checkpoint_text(&server);
    let checkpoint = verifier.open_checkpoint(&note).unwrap();
    let events = server.all_events();
    let leaves = leaf_hashes(&events);
    assert_eq!(checkpoint.size, events.len() as u64);
    assert_eq!(checkpoint.root, merkle::root_of_leaf_hashes(&leaves));
    assert!(
        note.starts_with(&format!("{}\n\u{2014} ", checkpoint.body())),
        "{note}"
    );

    for (seq, size) in [
        (1, 1),
        (1, 300),
        (3, 10),
        (257, 300),
        (300, 300),
        (100, 256),
        (256, 257),
    ] {
        let (status, proof) = server.get(&format!("/v1/proof/inclusion?seq={seq}&size={size}"));
        assert_eq!(status, 200, "{proof}");
        let root = decode(&proof["root"]);
        assert_eq!(root, merkle::root_of_leaf_hashes(&leaves[..size]));
        assert_eq!(proof["event_hash"], events[seq - 1]["hash"]);
        assert!(merkle::verify_inclusion(
            seq as u64 - 1,
            size as u64,
            &leaves[seq - 1],
            &hashes(&proof["proof"]),
            &root,
        ));
    }
    for (from, to) in [
        (1, 300),
        (6, 8),
        (255, 257),
        (256, 300),
        (299, 300),
        (300, 300),
        (7, 128),
    ] {
        let (status, proof) = server.get(&format!("/v1/proof/consistency?from={from}&to={to}"));
        assert_eq!(status, 200, "{proof}");
        let (from_root, to_root) = (decode(&proof["from_root"]), decode(&proof["to_root"]));
        assert_eq!(from_root, merkle::root_of_leaf_hashes(&leaves[..from]));
        assert_eq!(to_root, merkle::root_of_leaf_hashes(&leaves[..to]));
        assert!(merkle::verify_consistency(
            from as u64,
            to as u64,
            &from_root,
            &to_root,
            &hashes(&proof["proof"]),
        ));
    }
    // Without size or to, the head.
    let (_, proof) = server.get("/v1/proof/consistency?from=10");
    assert_eq!(proof["to"], 300);
    assert_eq!(decode(&proof["to_root"]), checkpoint.root);

    // The checkpoint grows with the log, and the new one is consistent with the saved one.
    append_events(&server, "b", 5);
    let later = verifier.open_checkpoint(&checkpoint_text(&server)).unwrap();
    assert_eq!(later.size, 305);
    let (_, proof) = server.get("/v1/proof/consistency?from=300&to=305");
    assert!(merkle::verify_consistency(
        300,
        305,
        &checkpoint.root,
        &later.root,
        &hashes(&proof["proof"]),
    ));

    // Saved, it verifies offline against the database, on either back end.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checkpoint.txt");
    std::fs::write(&file, &note).unwrap();
    let (code, said) = verify_checkpoint(&server.db, &file, &[]);
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains("checkpoint of") && said.contains("verified"),
        "{said}"
    );
    let (code, said) = verify_checkpoint(&server.db, &file, &["--key", &verifier.to_string()]);
    assert_eq!(code, Some(0), "{said}");
}

#[test]
fn bad_proof_parameters_are_refused_naming_the_parameter() {
    let server = Server::start();
    append_events(&server, "a", 10);
    for (path, field) in [
        ("/v1/proof/inclusion?seq=0&size=5", "seq"),
        ("/v1/proof/inclusion?seq=6&size=5", "seq"),
        ("/v1/proof/inclusion?seq=1&size=11", "size"),
        ("/v1/proof/inclusion?size=5", "seq"),
        ("/v1/proof/inclusion?seq=x", "seq"),
        ("/v1/proof/inclusion?seq=1&seq=2", "seq"),
        ("/v1/proof/inclusion?seq=18446744073709551616", "seq"),
        ("/v1/proof/consistency?from=0&to=5", "from"),
        ("/v1/proof/consistency?from=6&to=5", "from"),
        ("/v1/proof/consistency?from=1&to=11", "to"),
        ("/v1/proof/consistency?to=5", "from"),
        ("/v1/proof/consistency?from=1&size=3", "size"),
        ("/v1/checkpoint?size=3", "size"),
    ] {
        let (status, problem) = server.get(path);
        assert_eq!(status, 422, "{path}: {problem}");
        assert_problem_shape(status, &problem);
        assert_eq!(problem["errors"][0]["field"], field, "{path}: {problem}");
    }
    // Nothing was written by any of them.
    assert_eq!(server.head()["seq"], 10);
    // Without a token, 401 like every /v1 path.
    let (status, _) = server.call("GET", "/v1/checkpoint", None, None);
    assert_eq!(status, 401);
}

#[test]
fn the_key_is_kept_across_restarts_and_an_empty_log_has_a_checkpoint_too() {
    let (_dir, db) = common::new_database();
    let mut server = Server::start_new(&db, &[]);
    let key = verifier(&server);
    let empty = key.open_checkpoint(&checkpoint_text(&server)).unwrap();
    assert_eq!((empty.size, empty.root), (0, merkle::empty_root()));
    append_events(&server, "a", 3);
    let token = server.token.clone();
    server.terminate(std::time::Duration::from_secs(10));
    let mut again = Server::start_on(&db, &[]);
    again.token = token;
    assert_eq!(verifier(&again), key);
    assert_eq!(
        key.open_checkpoint(&checkpoint_text(&again)).unwrap().size,
        3
    );
    if db.to_str().is_some_and(|db| !db.starts_with("postgres")) {
        use std::os::unix::fs::PermissionsExt;
        let key_file = common::side(&db, ".signing-key");
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

/// Saves a checkpoint of 10 events of a SQLite log and returns the server, the file and the
/// verifier key.
fn saved_checkpoint(dir: &Path) -> (Server, std::path::PathBuf) {
    let server = Server::start_sqlite();
    append_events(&server, "a", 10);
    let file = dir.join("checkpoint.txt");
    std::fs::write(&file, checkpoint_text(&server)).unwrap();
    (server, file)
}

#[test]
fn a_log_truncated_behind_the_server_s_back_fails_the_saved_checkpoint_naming_the_first_missing_seq()
 {
    let dir = tempfile::tempdir().unwrap();
    let (server, file) = saved_checkpoint(dir.path());
    let connection = rusqlite::Connection::open(&server.db).unwrap();
    connection
        .execute_batch(
            "DROP TRIGGER events_are_never_deleted;
             DELETE FROM events WHERE seq > 7;",
        )
        .unwrap();
    drop(connection);
    let (code, said) = verify_checkpoint(&server.db, &file, &[]);
    assert_eq!(code, Some(1), "{said}");
    // The chain alone cannot tell: what is left of it is intact.
    assert!(said.contains("chain intact: 7 events"), "{said}");
    assert!(
        said.contains("TRUNCATED") && said.contains("seq 8 is the first missing"),
        "{said}"
    );
    // The server signs no checkpoint of a log shorter than it has seen.
    assert_eq!(server.get("/v1/checkpoint").0, 500);
}

#[test]
fn a_log_rewritten_behind_the_server_s_back_fails_the_saved_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (server, file) = saved_checkpoint(dir.path());
    let db = server.db.clone();
    // An edit that leaves the chain broken: the chain names the seq, the tree fails the
    // checkpoint.
    let connection = rusqlite::Connection::open(&db).unwrap();
    connection
        .execute_batch(
            "DROP TRIGGER events_are_never_updated;
             UPDATE events SET occurred_on = '2012-07-01' WHERE seq = 4;",
        )
        .unwrap();
    let (code, said) = verify_checkpoint(&db, &file, &[]);
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("REWRITTEN") && said.contains("seq 4 is the first that differs"),
        "{said}"
    );

    // A rewrite that recomputes the chain after its change by the contract's recipe: the chain
    // verifies, the checkpoint does not.
    let mut events: Vec<Value> = common::export(&db);
    let mut prev_hash = events[2]["hash"].as_str().unwrap().to_owned();
    for event in &mut events[3..] {
        event["prev_hash"] = json!(prev_hash);
        let mut body = event.clone();
        body.as_object_mut().unwrap().remove("hash");
        body.as_object_mut().unwrap().remove("prev_hash");
        let hash = acta_events::stored::chain_hash(&prev_hash, &body).unwrap();
        connection
            .execute(
                "UPDATE events SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
                rusqlite::params![prev_hash, hash, event["seq"].as_i64().unwrap()],
            )
            .unwrap();
        prev_hash = hash;
    }
    drop(connection);
    let verified = acta(&["verify", "--db", db.to_str().unwrap()]);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "the rewritten chain verifies on its own"
    );
    let (code, said) = verify_checkpoint(&db, &file, &[]);
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("chain intact") && said.contains("REWRITTEN"),
        "{said}"
    );
    assert!(said.contains("at or before seq 10"), "{said}");
}

#[test]
fn a_checkpoint_altered_or_signed_by_another_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (server, file) = saved_checkpoint(dir.path());
    let note = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, note.replacen("\n10\n", "\n9\n", 1)).unwrap();
    let (code, said) = verify_checkpoint(&server.db, &file, &[]);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("does not verify"), "{said}");
    std::fs::write(&file, &note).unwrap();
    let other = acta_events::checkpoint::SigningKey::generate()
        .unwrap()
        .verifier();
    let (code, said) = verify_checkpoint(&server.db, &file, &["--key", &other.to_string()]);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("no signature by"), "{said}");
}

#[test]
fn instances_sharing_a_postgresql_database_sign_with_one_key() {
    let Some(url) = common::postgres_database() else {
        return;
    };
    let db = std::path::PathBuf::from(&url);
    let first = Server::start_new(&db, &[]);
    let mut second = Server::start_on(&db, &[]);
    second.token = first.token.clone();
    let key = verifier(&first);
    assert_eq!(verifier(&second), key);
    append_events(&first, "a", 20);
    // The second instance's tree follows the first's commits.
    let checkpoint = key.open_checkpoint(&checkpoint_text(&second)).unwrap();
    assert_eq!(checkpoint.size, 20);
    assert_eq!(
        checkpoint.root,
        merkle::root_of_leaf_hashes(&leaf_hashes(&second.all_events()))
    );
}

/// RFC 9162 §2.1 written again, in Python, from the RFC's text: the root of the exported
/// events' hashes, and the check of an inclusion and a consistency proof (§2.1.3.2, §2.1.4.2).
const RFC_9162_IN_PYTHON: &str = r#"
import base64, hashlib, json, sys
data = json.load(sys.stdin)
leaves = [hashlib.sha256(b"\x00" + bytes.fromhex(h)).digest() for h in data["hashes"]]
node = lambda l, r: hashlib.sha256(b"\x01" + l + r).digest()
def mth(d):
    if len(d) == 1:
        return d[0]
    k = 1
    while k * 2 < len(d):
        k *= 2
    return node(mth(d[:k]), mth(d[k:]))
def inclusion(index, size, leaf, proof, root):
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1; sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1; sn >>= 1
    return sn == 0 and r == root
def consistency(first, second, first_hash, second_hash, proof):
    if first & (first - 1) == 0:
        proof = [first_hash] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1; sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr); sr = node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1; sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1; sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0
b = lambda text: base64.b64decode(text)
i, c = data["inclusion"], data["consistency"]
print(json.dumps({
    "root": base64.b64encode(mth(leaves)).decode(),
    "inclusion": inclusion(i["seq"] - 1, i["size"], leaves[i["seq"] - 1],
                           [b(p) for p in i["proof"]], mth(leaves[:i["size"]])),
    "consistency": consistency(c["from"], c["to"], mth(leaves[:c["from"]]),
                               mth(leaves[:c["to"]]), [b(p) for p in c["proof"]]),
}))
"#;

#[test]
fn a_python_implementation_of_rfc_9162_agrees_with_the_checkpoint_and_the_proofs() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("SKIPPED: no python3");
        return;
    }
    let server = Server::start();
    append_events(&server, "a", 777);
    let checkpoint = verifier(&server)
        .open_checkpoint(&checkpoint_text(&server))
        .unwrap();
    let hashes: Vec<Value> = server
        .all_events()
        .iter()
        .map(|event| event["hash"].clone())
        .collect();
    let (_, inclusion) = server.get("/v1/proof/inclusion?seq=513&size=700");
    let (_, consistency) = server.get("/v1/proof/consistency?from=333&to=777");
    let input = json!({"hashes": hashes, "inclusion": inclusion, "consistency": consistency});
    let mut python = Command::new("python3")
        .args(["-c", RFC_9162_IN_PYTHON])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    python
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let output = python.wait_with_output().unwrap();
    assert!(output.status.success());
    let said: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(said["root"], BASE64.encode(checkpoint.root));
    assert_eq!(said["inclusion"], true);
    assert_eq!(said["consistency"], true);
}

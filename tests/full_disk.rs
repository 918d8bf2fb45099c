//! A disk that fills up under the server: the real binary with its database on a small tmpfs
//! mounted for the test. Appends that cannot be stored answer `507` naming the cause, nothing
//! of them is stored, every `201` stays, and the server stores again once there is room.
//!
//! Mounting needs root (CI runs as root). Elsewhere the test says it was skipped — except
//! under CI (`CI` set), where a test that cannot run fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Server, new_id, register};
use serde_json::{Value, json};

/// A tmpfs of `size_kib` mounted on a new directory, unmounted when dropped.
struct SmallDisk {
    mount_point: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size_kib: u64) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mount_point = dir.path().join("disk");
        std::fs::create_dir(&mount_point).unwrap();
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size_kib}k,mode=0700"),
                "tmpfs",
            ])
            .arg(&mount_point)
            .output();
        match mounted {
            Ok(output) if output.status.success() => Some(SmallDisk {
                mount_point,
                _dir: dir,
            }),
            Ok(output) => {
                skip_or_fail(&String::from_utf8_lossy(&output.stderr));
                None
            }
            Err(error) => {
                skip_or_fail(&error.to_string());
                None
            }
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(&self.mount_point)
            .status();
    }
}

fn skip_or_fail(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("cannot mount a tmpfs for the full-disk test under CI: {why}");
    }
    eprintln!("skipped: cannot mount a tmpfs (needs root): {why}");
}

/// Fills `disk` with a file until writing fails, then gives `room` bytes back, so that some
/// appends fit before the disk is full; returns the file.
fn fill(disk: &Path, room: u64) -> PathBuf {
    use std::io::Write;
    let filler = disk.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    let block = vec![0u8; 4096];
    while file.write_all(&block).is_ok() {}
    let length = file.metadata().unwrap().len();
    file.set_len(length.saturating_sub(room)).unwrap();
    let _ = file.sync_all();
    filler
}

fn training(id: &str, i: usize) -> Value {
    json!({"id": id, "type": "training.held", "plan": "p", "occurred_on": "2013-05-01",
           "data": {"topic": format!("topic_{}", "x".repeat(200 + i % 50)), "sessions": 1 + i}})
}

#[test]
fn a_full_disk_answers_507_stores_nothing_of_it_and_recovers_when_space_returns() {
    let Some(disk) = SmallDisk::mount(8 * 1024) else {
        return;
    };
    let db = disk.mount_point.join("acta.db");
    let server = Server::start_new(&db, &[]);
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    let filler = fill(&disk.mount_point, 128 * 1024);

    let mut stored: Vec<String> = Vec::new();
    let mut refused: Vec<String> = Vec::new();
    for i in 0..2_000 {
        let id = new_id();
        let (status, body) = server.post("/v1/events", &training(&id, i));
        match status {
            201 => stored.push(id),
            507 => {
                assert_eq!(
                    body["type"], "urn:acta:problem:insufficient-storage",
                    "{body}"
                );
                assert!(
                    body["detail"].as_str().unwrap().contains("full"),
                    "the cause is named: {body}"
                );
                refused.push(id);
                if refused.len() >= 5 {
                    break;
                }
            }
            other => panic!("append {i}: status {other}: {body}"),
        }
    }
    assert!(
        refused.len() >= 5,
        "the disk never filled ({} stored)",
        stored.len()
    );

    eprintln!(
        "{} stored before the disk was full, {} refused",
        stored.len(),
        refused.len()
    );
    // Room again: the very next append is stored, without a restart.
    std::fs::remove_file(&filler).unwrap();
    let id = new_id();
    let (status, body) = server.post("/v1/events", &training(&id, 0));
    assert_eq!(status, 201, "{body}");
    stored.push(id);
    let health = common::client().get(server.url("/healthz")).send().unwrap();
    assert_eq!(health.status().as_u16(), 200, "healthy again");

    // Every 201 is there, nothing answered 507 is, and the chain holds.
    for id in &stored {
        assert_eq!(server.get(&format!("/v1/events/{id}")).0, 200, "{id} lost");
    }
    for id in &refused {
        assert_eq!(
            server.get(&format!("/v1/events/{id}")).0,
            404,
            "{id} stored"
        );
    }
    assert_eq!(server.head()["seq"], 1 + stored.len() as u64);
    let (status, report) = server.get("/v1/verify");
    assert_eq!(status, 200);
    assert_eq!(report["ok"], true, "{report}");
}

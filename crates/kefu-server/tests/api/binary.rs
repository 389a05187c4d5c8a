//! The `kefu-server` binary: start-up line, serving, SIGTERM, help and flag errors.

use std::net::SocketAddr;
use std::process::Stdio;

use kefu_protocol::TICKETS_PATH;
use kefu_server::{Database, Store};
use tokio::io::{AsyncBufReadExt as _, BufReader};

use crate::support::{TIMEOUT, header_value, http, static_dir, ticket};

/// Sends SIGTERM the way a service manager would, through the system's `kill` command so the
/// test needs no FFI.
fn terminate(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn binary_prints_ready_line_serves_and_stops_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("state/db/kefu.db");
    let www = static_dir(tmp.path());
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kefu-server"))
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--db")
        .arg(&db)
        .arg("--static")
        .arg(&www)
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(TIMEOUT, lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();

    let expected_tail = format!(" (db: {}, static: {})", db.display(), www.display());
    assert!(
        line.starts_with("kefu-server listening on http://127.0.0.1:"),
        "{line}"
    );
    assert!(line.ends_with(&expected_tail), "{line}");
    let addr: SocketAddr = line
        .trim_start_matches("kefu-server listening on http://")
        .trim_end_matches(&expected_tail)
        .parse()
        .unwrap();
    assert_ne!(addr.port(), 0);

    let created = http(
        addr,
        "POST",
        TICKETS_PATH,
        Some(&ticket("binary-key-1", "hi")),
    )
    .await;
    assert_eq!(created.status, 201);
    let wasm = http(addr, "GET", "/kefu_bg.wasm", None).await;
    assert_eq!(
        header_value(&wasm.headers, "content-type"),
        Some("application/wasm")
    );

    terminate(child.id().unwrap());
    let status = tokio::time::timeout(TIMEOUT, child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");

    // The process is gone, so this reads what it left on disk.
    let store = Store::open(&Database::Sqlite(db)).await.unwrap();
    assert!(
        store
            .ticket_by_idempotency_key("binary-key-1")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn binary_help_and_bad_flags() {
    let run = |args: &'static [&'static str]| async move {
        tokio::time::timeout(
            TIMEOUT,
            tokio::process::Command::new(env!("CARGO_BIN_EXE_kefu-server"))
                .args(args)
                .env_remove("DATABASE_URL")
                .output(),
        )
        .await
        .unwrap()
        .unwrap()
    };

    let help = run(&["--help"]).await;
    assert!(help.status.success());
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(text.contains("Usage: kefu-server [--listen ADDR] [--db PATH | --database-url URL]"));

    let bad = run(&["--port", "80"]).await;
    assert_eq!(bad.status.code(), Some(2));
    let text = String::from_utf8(bad.stderr).unwrap();
    assert!(text.contains("unknown flag `--port`"), "{text}");

    // --db points at a path that cannot be created, so the test fails loudly rather than
    // leaving a database in the working directory if the static check ever moves after it.
    let missing = run(&[
        "--listen",
        "127.0.0.1:0",
        "--db",
        "/proc/kefu-test/kefu.db",
        "--static",
        "/definitely/not/here",
    ])
    .await;
    assert_eq!(missing.status.code(), Some(1));
    let text = String::from_utf8(missing.stderr).unwrap();
    assert!(text.contains("is not a directory"), "{text}");
}

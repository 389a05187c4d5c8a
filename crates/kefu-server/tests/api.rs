//! Integration tests for kefu-server: the HTTP API through `app()` in memory, the same over a real
//! socket with a hand-written HTTP/1.1 client, and the `kefu-server` binary itself.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use kefu_protocol::{TICKETS_PATH, TicketRequest};
use kefu_server::{AppState, MAX_BODY_BYTES, Store, app, reference, serve};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt as _;

/// The first bytes of every WebAssembly module, so the test file is a plausible `.wasm`.
const WASM_BYTES: &[u8] = b"\0asm\x01\0\0\0";

/// Any single test finishing slower than this is hung, not slow.
const TIMEOUT: Duration = Duration::from_secs(20);

struct Fixture {
    dir: TempDir,
    store: Arc<Store>,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path().join("kefu.db")).unwrap());
        Self { dir, store }
    }

    fn app(&self) -> Router {
        app(AppState::from_shared(Arc::clone(&self.store)))
    }

    fn count(&self) -> u64 {
        self.store.count_tickets().unwrap()
    }
}

fn ticket(key: &str, message: &str) -> Value {
    json!({ "idempotency_key": key, "message": message })
}

async fn send(app: Router, request: Request<Body>) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, body.to_vec())
}

async fn post_raw(app: Router, content_type: Option<&str>, body: Vec<u8>) -> (StatusCode, Value) {
    let mut request = Request::post(TICKETS_PATH);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    let (status, _, body) = send(app, request.body(Body::from(body)).unwrap()).await;
    (status, serde_json::from_slice(&body).unwrap())
}

async fn post_json(app: Router, body: &Value) -> (StatusCode, Value) {
    post_raw(
        app,
        Some("application/json"),
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

async fn get(app: Router, path: &str) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
    send(app, Request::get(path).body(Body::empty()).unwrap()).await
}

fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Checks the `YYYY-MM-DDTHH:MM:SSZ` shape of an RFC 3339 UTC timestamp.
fn is_rfc3339_utc(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 20
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b'T',
            13 | 16 => *b == b':',
            19 => *b == b'Z',
            _ => b.is_ascii_digit(),
        })
}

fn static_dir(root: &Path) -> std::path::PathBuf {
    let dir = root.join("www");
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>Kefu demo</title>",
    )
    .unwrap();
    std::fs::write(dir.join("docs/index.html"), "<p>docs</p>").unwrap();
    std::fs::write(dir.join("kefu_bg.wasm"), WASM_BYTES).unwrap();
    dir
}

#[tokio::test]
async fn new_ticket_is_201_and_repeat_key_is_200_with_same_reference() {
    let fx = Fixture::new();
    let (status, first) = post_json(fx.app(), &ticket("retry-key-1", "我找不到发票。")).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let reference = first["reference"].as_str().unwrap().to_owned();
    assert!(reference::is_reference(&reference), "{reference}");
    assert!(
        is_rfc3339_utc(first["created_at"].as_str().unwrap()),
        "{first}"
    );
    assert_eq!(first["duplicate"], json!(false));

    // A retry with different content must not change the stored ticket.
    let (status, second) = post_json(fx.app(), &ticket("retry-key-1", "changed")).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["reference"], first["reference"]);
    assert_eq!(second["created_at"], first["created_at"]);
    assert_eq!(second["duplicate"], json!(true));

    assert_eq!(fx.count(), 1);
    let stored = fx.store.ticket_by_reference(&reference).unwrap().unwrap();
    assert_eq!(stored.message, "我找不到发票。");
    assert_eq!(stored.idempotency_key, "retry-key-1");
}

#[tokio::test]
async fn different_keys_make_different_tickets() {
    let fx = Fixture::new();
    let (_, a) = post_json(fx.app(), &ticket("key-aaaa-1", "one")).await;
    let (_, b) = post_json(fx.app(), &ticket("key-bbbb-2", "two")).await;
    assert_ne!(a["reference"], b["reference"]);
    assert_eq!(fx.count(), 2);
}

#[tokio::test]
async fn full_ticket_is_stored_with_context() {
    let fx = Fixture::new();
    let body = json!({
        "idempotency_key": "full-ticket-1",
        "name": "李雷",
        "contact": "+86 138 0013 8000",
        "category": "billing",
        "message": "发票问题",
        "locale": "zh-CN",
        "page_url": "https://example.com/pricing",
        "context": { "searches": ["发票"], "articles": ["invoices"], "widget_version": "0.1.0" },
        "website": ""
    });
    let (status, response) = post_json(fx.app(), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{response}");
    let stored = fx
        .store
        .ticket_by_idempotency_key("full-ticket-1")
        .unwrap()
        .unwrap();
    assert_eq!(stored.name.as_deref(), Some("李雷"));
    assert_eq!(stored.contact.as_deref(), Some("+86 138 0013 8000"));
    assert_eq!(stored.locale.as_deref(), Some("zh-CN"));
    let context: Value = serde_json::from_str(stored.context_json.as_deref().unwrap()).unwrap();
    assert_eq!(context["searches"], json!(["发票"]));
    assert_eq!(context["transcript"], Value::Null);
}

#[tokio::test]
async fn empty_message_is_422_naming_the_field() {
    let fx = Fixture::new();
    let (status, body) = post_json(fx.app(), &ticket("empty-msg-1", "  \n ")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "invalid_field");
    assert_eq!(body["field"], "message");
    assert!(!body["message"].as_str().unwrap().is_empty());
    assert_eq!(fx.count(), 0);
}

#[tokio::test]
async fn bad_contact_is_422_naming_the_field() {
    let fx = Fixture::new();
    let mut body = ticket("bad-contact-1", "help");
    body["contact"] = json!("call me maybe");
    let (status, body) = post_json(fx.app(), &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "invalid_field");
    assert_eq!(body["field"], "contact");
    assert!(
        body["message"].as_str().unwrap().contains("email"),
        "{body}"
    );
    assert_eq!(fx.count(), 0);
}

#[tokio::test]
async fn bad_idempotency_key_is_422() {
    let fx = Fixture::new();
    let (status, body) = post_json(fx.app(), &ticket("short", "help")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "idempotency_key");
}

#[tokio::test]
async fn honeypot_is_400_rejected_and_nothing_is_stored() {
    let fx = Fixture::new();
    let mut body = ticket("honeypot-1", "buy cheap watches");
    body["website"] = json!("http://spam.example");
    let (status, body) = post_json(fx.app(), &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "rejected");
    assert!(body.get("field").is_none(), "{body}");
    assert_eq!(fx.count(), 0);
    assert!(
        fx.store
            .ticket_by_idempotency_key("honeypot-1")
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn oversize_body_is_413() {
    let fx = Fixture::new();
    let body = ticket("big-body-1", &"x".repeat(MAX_BODY_BYTES));
    let (status, body) = post_json(fx.app(), &body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"], "payload_too_large");
    assert_eq!(fx.count(), 0);
}

#[tokio::test]
async fn largest_valid_ticket_fits_the_body_limit() {
    // A full-length Chinese message and transcript must not trip the byte limit: the limits
    // are documented in characters, and the body limit must leave room for them.
    let fx = Fixture::new();
    let body = json!({
        "idempotency_key": "max-size-1",
        "message": "字".repeat(kefu_protocol::MESSAGE_MAX_CHARS),
        "context": { "transcript": "话".repeat(kefu_protocol::TRANSCRIPT_MAX_CHARS / 2) },
    });
    let (status, response) = post_json(fx.app(), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{response}");
}

#[tokio::test]
async fn malformed_json_is_400() {
    let fx = Fixture::new();
    let (status, body) = post_raw(
        fx.app(),
        Some("application/json"),
        b"{\"idempotency_key\": ".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_json");
    assert!(body["message"].as_str().unwrap().contains("JSON"), "{body}");

    // Well-formed JSON of the wrong shape is also the client's mistake, reported the same way.
    let (status, body) = post_json(fx.app(), &json!({ "idempotency_key": "no-message-1" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_json");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("missing field `message`"), "{message}");
    assert_eq!(fx.count(), 0);
}

#[tokio::test]
async fn wrong_content_type_is_400() {
    let fx = Fixture::new();
    let payload = serde_json::to_vec(&ticket("ctype-key-1", "hi")).unwrap();
    for content_type in [Some("text/plain"), None] {
        let (status, body) = post_raw(fx.app(), content_type, payload.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{content_type:?}");
        assert_eq!(body["error"], "unsupported_content_type");
    }
    assert_eq!(fx.count(), 0);
}

#[tokio::test]
async fn healthz_is_ok() {
    let fx = Fixture::new();
    let (status, _, body) = get(fx.app(), "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({ "status": "ok" })
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_get_json_errors() {
    let fx = Fixture::new();
    let (status, _, body) = get(fx.app(), "/api/v2/tickets").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["error"],
        "not_found"
    );

    let (status, _, body) = get(fx.app(), "/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["error"],
        "not_found"
    );

    let (status, _, body) = get(fx.app(), TICKETS_PATH).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["error"],
        "method_not_allowed"
    );
}

#[tokio::test]
async fn concurrent_requests_with_one_key_make_one_ticket() {
    let fx = Fixture::new();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let app = fx.app();
        tasks.spawn(async move { post_json(app, &ticket("race-key-1", "double click")).await });
    }
    let mut created = 0;
    let mut references = std::collections::HashSet::new();
    while let Some(result) = tasks.join_next().await {
        let (status, body) = result.unwrap();
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::OK => assert_eq!(body["duplicate"], json!(true)),
            other => panic!("unexpected {other}: {body}"),
        }
        references.insert(body["reference"].as_str().unwrap().to_owned());
    }
    assert_eq!(created, 1);
    assert_eq!(references.len(), 1);
    assert_eq!(fx.count(), 1);
}

#[test]
fn two_connections_to_one_file_agree_on_a_key() {
    // Two stores on one file stand in for two server processes sharing a database.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let a = Store::open(&path).unwrap();
    let b = Store::open(&path).unwrap();
    let request = TicketRequest {
        idempotency_key: "shared-key-1".into(),
        message: "hello".into(),
        ..TicketRequest::default()
    };
    let first = a.insert_ticket(&request).unwrap();
    let second = b.insert_ticket(&request).unwrap();
    assert!(!first.duplicate);
    assert!(second.duplicate);
    assert_eq!(first.ticket, second.ticket);
    assert_eq!(b.count_tickets().unwrap(), 1);
}

#[tokio::test]
async fn ticket_survives_reopening_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/nested/kefu.db");
    let reference = {
        let state = AppState::new(Store::open(&path).unwrap());
        let (status, body) = post_json(app(state), &ticket("durable-key-1", "保存我")).await;
        assert_eq!(status, StatusCode::CREATED);
        body["reference"].as_str().unwrap().to_owned()
        // The router and the only store are dropped here, closing the connection.
    };
    assert!(path.is_file());

    let reopened = Store::open(&path).unwrap();
    let stored = reopened
        .ticket_by_idempotency_key("durable-key-1")
        .unwrap()
        .unwrap();
    assert_eq!(stored.reference, reference);
    assert_eq!(stored.message, "保存我");

    // The durability settings are what make a 201 a promise; check them on a fresh connection.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('tickets') ORDER BY cid")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        columns,
        [
            "id",
            "reference",
            "idempotency_key",
            "created_at",
            "name",
            "contact",
            "category",
            "message",
            "locale",
            "page_url",
            "context_json"
        ]
    );
}

#[tokio::test]
async fn static_files_are_served_with_wasm_mime_and_no_cache() {
    let fx = Fixture::new();
    let dir = static_dir(fx.dir.path());
    let router = || app(AppState::from_shared(Arc::clone(&fx.store)).with_static_dir(dir.clone()));

    let (status, headers, body) = get(router(), "/kefu_bg.wasm").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header_value(&headers, "content-type"),
        Some("application/wasm")
    );
    assert_eq!(header_value(&headers, "cache-control"), Some("no-cache"));
    assert_eq!(body, WASM_BYTES);

    let (status, headers, body) = get(router(), "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        header_value(&headers, "content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(String::from_utf8(body).unwrap().contains("Kefu demo"));

    let (status, _, body) = get(router(), "/docs/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"<p>docs</p>");

    // The API keeps working with static files on, and API misses do not fall through to them.
    let (status, _) = post_json(router(), &ticket("static-on-1", "hi")).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) = get(router(), "/api/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = get(router(), "/missing.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A response read off the wire by [`http`].
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Sends one HTTP/1.1 request over a fresh connection and reads the whole response, written by
/// hand so the test exercises the real socket path without an HTTP client dependency.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    json_body: Option<&Value>,
) -> RawResponse {
    let body = json_body
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if json_body.is_some() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str("\r\n");

    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(TIMEOUT, stream.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();

    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.trim().to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if header_value(&headers, "transfer-encoding") == Some("chunked") {
        body = dechunk(&body);
    }
    RawResponse {
        status,
        headers,
        body,
    }
}

/// Decodes a chunked HTTP/1.1 body, in case the server streams a response without a length.
fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_text = std::str::from_utf8(&data[..line_end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

#[tokio::test]
async fn real_socket_serves_api_and_static_then_shuts_down_gracefully() {
    let fx = Fixture::new();
    let dir = static_dir(fx.dir.path());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::from_shared(Arc::clone(&fx.store)).with_static_dir(dir);
    let server = tokio::spawn(serve(listener, state, async {
        let _ = stop_rx.await;
    }));

    let body = ticket("socket-key-1", "通过真实套接字");
    let created = http(addr, "POST", TICKETS_PATH, Some(&body)).await;
    assert_eq!(created.status, 201);
    assert_eq!(
        header_value(&created.headers, "content-type"),
        Some("application/json")
    );
    let created: Value = serde_json::from_slice(&created.body).unwrap();

    let repeated = http(addr, "POST", TICKETS_PATH, Some(&body)).await;
    assert_eq!(repeated.status, 200);
    let repeated: Value = serde_json::from_slice(&repeated.body).unwrap();
    assert_eq!(repeated["reference"], created["reference"]);
    assert_eq!(repeated["duplicate"], json!(true));

    let health = http(addr, "GET", "/healthz", None).await;
    assert_eq!(health.status, 200);
    assert_eq!(
        serde_json::from_slice::<Value>(&health.body).unwrap(),
        json!({ "status": "ok" })
    );

    let wasm = http(addr, "GET", "/kefu_bg.wasm", None).await;
    assert_eq!(wasm.status, 200);
    assert_eq!(
        header_value(&wasm.headers, "content-type"),
        Some("application/wasm")
    );
    assert_eq!(
        header_value(&wasm.headers, "cache-control"),
        Some("no-cache")
    );
    assert_eq!(wasm.body, WASM_BYTES);

    stop_tx.send(()).unwrap();
    tokio::time::timeout(TIMEOUT, server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(fx.count(), 1);
}

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
    let store = Store::open(&db).unwrap();
    assert!(
        store
            .ticket_by_idempotency_key("binary-key-1")
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
                .output(),
        )
        .await
        .unwrap()
        .unwrap()
    };

    let help = run(&["--help"]).await;
    assert!(help.status.success());
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(text.contains("Usage: kefu-server [--listen ADDR] [--db PATH] [--static DIR]"));

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

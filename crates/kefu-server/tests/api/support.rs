//! Shared fixtures: a fresh database per test on either backend, the in-memory router, and a
//! hand-written HTTP/1.1 client for tests that need a real socket.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use kefu_protocol::TICKETS_PATH;
use kefu_server::{AppState, Database, Store, app, serve};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt as _;

/// Any single step finishing slower than this is hung, not slow.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// The first bytes of every WebAssembly module, so the test file is a plausible `.wasm`.
pub const WASM_BYTES: &[u8] = b"\0asm\x01\0\0\0";

/// The environment variable `cargo xtask test` sets to a throwaway PostgreSQL server.
pub const PG_ENV: &str = "KEFU_TEST_DATABASE_URL";

/// A fresh, empty database and the directory it may live in.
pub struct Fixture {
    pub dir: TempDir,
    pub store: Store,
    pub database: Database,
}

impl Fixture {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database = Database::Sqlite(dir.path().join("kefu.db"));
        let store = Store::open(&database).await.unwrap();
        Self {
            dir,
            store,
            database,
        }
    }

    /// A new database on the test PostgreSQL server, or `None` (after saying so on the terminal)
    /// when there is none.
    pub async fn postgres() -> Option<Self> {
        let Some(database) = fresh_pg_database().await else {
            static SAID: Once = Once::new();
            SAID.call_once(|| {
                // Written to the real stderr, not through eprintln!, so the test harness does
                // not swallow it: a skipped backend must be visible.
                let _ = writeln!(
                    std::io::stderr(),
                    "skipped: PostgreSQL tests ({PG_ENV} is not set; `cargo xtask test` starts \
                     a throwaway PostgreSQL server and sets it)"
                );
            });
            return None;
        };
        let store = Store::open(&database).await.unwrap();
        Some(Self {
            dir: tempfile::tempdir().unwrap(),
            store,
            database,
        })
    }

    pub fn state(&self) -> AppState {
        AppState::new(self.store.clone())
    }

    pub fn app(&self) -> Router {
        app(self.state())
    }

    pub async fn count(&self) -> i64 {
        self.store.count_tickets().await.unwrap()
    }
}

/// Creates a database with a random name on the server in [`PG_ENV`] and returns its URL.
pub async fn fresh_pg_database() -> Option<Database> {
    let url = std::env::var(PG_ENV).ok().filter(|url| !url.is_empty())?;
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|err| panic!("{PG_ENV}={url} is set but unreachable: {err}"));
    tokio::spawn(connection);
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).unwrap();
    let name: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let name = format!("kefu_test_{name}");
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    // The URL is postgres://user@host:port/dbname as xtask writes it: swap the last segment.
    let base = url.split('?').next().unwrap_or(&url);
    let (server, _) = base.rsplit_once('/').unwrap();
    Some(Database::Postgres(format!("{server}/{name}")))
}

/// Defines one `#[tokio::test]` per backend for each named `async fn(Fixture)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::support::Fixture::sqlite().await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(fixture) = $crate::support::Fixture::postgres().await {
                    super::$name(fixture).await;
                }
            }
        }
    )* };
}

pub fn ticket(key: &str, message: &str) -> Value {
    json!({ "idempotency_key": key, "message": message })
}

pub async fn send(
    app: Router,
    request: Request<Body>,
) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
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

pub async fn post_raw(
    app: Router,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut request = Request::post(path);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    let (status, _, body) = send(app, request.body(Body::from(body)).unwrap()).await;
    (status, serde_json::from_slice(&body).unwrap())
}

pub async fn post_json(app: Router, body: &Value) -> (StatusCode, Value) {
    post_to(app, TICKETS_PATH, body).await
}

pub async fn post_to(app: Router, path: &str, body: &Value) -> (StatusCode, Value) {
    post_raw(
        app,
        path,
        Some("application/json"),
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

pub async fn get(app: Router, path: &str) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
    send(app, Request::get(path).body(Body::empty()).unwrap()).await
}

pub fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Checks the `YYYY-MM-DDTHH:MM:SSZ` shape of an RFC 3339 UTC timestamp.
pub fn is_rfc3339_utc(value: &str) -> bool {
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

pub fn static_dir(root: &Path) -> PathBuf {
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

/// A server on a loopback port, stopped by [`Running::stop`].
pub struct Running {
    pub addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    pub async fn start(state: AppState) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state, async {
            let _ = stop_rx.await;
        }));
        Self { addr, stop, task }
    }

    /// Asks for a graceful shutdown and waits until the server has finished.
    pub async fn stop(self) {
        self.stop.send(()).unwrap();
        tokio::time::timeout(TIMEOUT, self.task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
}

/// A response read off the wire by [`http`].
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        header_value(&self.headers, name)
    }
}

/// Sends one HTTP/1.1 request with a JSON body (if any) over a fresh connection.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    json_body: Option<&Value>,
) -> RawResponse {
    let body = json_body.map(|b| serde_json::to_vec(b).unwrap());
    let headers: &[(&str, &str)] = if body.is_some() {
        &[("Content-Type", "application/json")]
    } else {
        &[]
    };
    http_with(addr, method, path, headers, body.as_deref()).await
}

/// Sends one HTTP/1.1 request over a fresh connection and reads the whole response, written by
/// hand so the test exercises the real socket path without an HTTP client dependency.
pub async fn http_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> RawResponse {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let body = body.unwrap_or_default();
    stream
        .write_all(&request_head(addr, method, path, headers, body.len()))
        .await
        .unwrap();
    stream.write_all(body).await.unwrap();
    read_response(stream).await
}

pub fn request_head(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    content_length: usize,
) -> Vec<u8> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {content_length}\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

pub async fn read_response(mut stream: TcpStream) -> RawResponse {
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

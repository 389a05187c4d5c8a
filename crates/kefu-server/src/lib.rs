//! Kefu's escalation server: accepts tickets from the widget over HTTP, stores them durably in
//! SQLite, and can serve the widget's built files for demos.
//!
//! The router is built by [`app`] so tests can drive it without a socket; [`run`] is what the
//! `kefu-server` binary calls.

mod config;
mod error;
pub mod reference;
pub mod store;

use std::fmt;
use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use kefu_protocol::{TICKETS_PATH, TicketRequest, TicketResponse, validate};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeader;

pub use config::{ArgsError, Command, Config, DEFAULT_DB, DEFAULT_LISTEN, USAGE};
pub use error::AppError;
pub use store::{InsertOutcome, Store, StoreError, StoredTicket};

/// The largest request body accepted, 64 KiB: a maximal ticket (4000-character message, 20000-
/// character transcript, full context lists of CJK text) fits, and anything larger is not a ticket.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What every request handler shares: the ticket store and, for demos, a static directory.
#[derive(Debug, Clone)]
pub struct AppState {
    store: Arc<Store>,
    static_dir: Option<PathBuf>,
}

impl AppState {
    /// A state serving the API only.
    #[must_use]
    pub fn new(store: Store) -> Self {
        Self::from_shared(Arc::new(store))
    }

    /// A state over a store the caller also keeps, as tests do to inspect what was stored.
    #[must_use]
    pub fn from_shared(store: Arc<Store>) -> Self {
        Self {
            store,
            static_dir: None,
        }
    }

    /// Also serves the files under `dir` for GET paths the API does not claim.
    #[must_use]
    pub fn with_static_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.static_dir = Some(dir.into());
        self
    }

    /// The ticket store.
    #[must_use]
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }
}

/// Builds the router: the ticket API, the health check and, when configured, the static files.
pub fn app(state: AppState) -> Router {
    let static_dir = state.static_dir.clone();
    let router = Router::new()
        .route(
            TICKETS_PATH,
            post(create_ticket).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
        .route("/healthz", get(healthz))
        // Unknown API paths get a JSON answer rather than falling through to the static files,
        // so a widget pointed at the wrong version sees a clear error.
        .route("/api", any(not_found))
        .route("/api/{*rest}", any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);
    match static_dir {
        Some(dir) => router.fallback_service(SetResponseHeader::overriding(
            // ServeDir answers a directory with its index.html and picks each file's
            // Content-Type from its extension, which gives `.wasm` its `application/wasm`.
            ServeDir::new(dir),
            header::CACHE_CONTROL,
            // A demo server's files change with every build, so browsers must revalidate.
            HeaderValue::from_static("no-cache"),
        )),
        None => router.fallback(not_found),
    }
}

async fn create_ticket(
    State(state): State<AppState>,
    body: Result<Json<TicketRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<TicketResponse>), AppError> {
    let Json(req) = body?;
    // The honeypot is checked before validation so automated submitters learn nothing about
    // which fields would have passed.
    if req.honeypot_filled() {
        return Err(AppError::Rejected);
    }
    if let Err(errors) = validate(&req) {
        return Err(match errors.into_iter().next() {
            Some(first) => AppError::InvalidField(first),
            None => AppError::Internal("validation failed without naming a field".into()),
        });
    }
    let store = Arc::clone(&state.store);
    let outcome = blocking(move || store.insert_ticket(&req)).await?;
    let status = if outcome.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(TicketResponse {
            reference: outcome.ticket.reference,
            created_at: outcome.ticket.created_at,
            duplicate: outcome.duplicate,
        }),
    ))
}

async fn healthz(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    let store = Arc::clone(&state.store);
    blocking(move || store.ping()).await?;
    Ok(Json(json!({ "status": "ok" })))
}

async fn not_found() -> AppError {
    AppError::NotFound
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}

/// Runs a blocking store call on tokio's blocking pool, so a slow fsync never stalls the threads
/// that serve other requests.
async fn blocking<T, F>(f: F) -> Result<T, AppError>
where
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(AppError::from),
        Err(join_error) => Err(AppError::Internal(format!(
            "storage task failed: {join_error}"
        ))),
    }
}

/// Why the server could not start or stopped abnormally. `Display` describes this level only;
/// the cause is in `source()`, which `anyhow`'s `{:#}` prints after it.
#[derive(Debug)]
pub enum RunError {
    /// The database could not be opened or prepared.
    Store(StoreError),
    /// The `--static` path is not a directory.
    StaticDir(PathBuf),
    /// The listen address could not be bound.
    Bind(String, std::io::Error),
    /// Serving failed after start-up.
    Serve(std::io::Error),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Store(_) => write!(f, "the ticket database is not usable"),
            Self::StaticDir(dir) => write!(
                f,
                "--static {} is not a directory; pass the folder that holds index.html",
                dir.display()
            ),
            Self::Bind(addr, _) => write!(
                f,
                "could not listen on {addr} (pick another address or port with --listen)"
            ),
            Self::Serve(_) => write!(f, "the server failed"),
        }
    }
}

impl std::error::Error for RunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Store(err) => Some(err),
            Self::StaticDir(_) => None,
            Self::Bind(_, err) | Self::Serve(err) => Some(err),
        }
    }
}

/// Opens the store, binds the address, prints the start-up line and serves until Ctrl-C or
/// SIGTERM, letting requests in flight finish.
pub async fn run(config: Config) -> Result<(), RunError> {
    // The cheap check comes first so a typo in --static does not leave a new database behind.
    if let Some(dir) = &config.static_dir
        && !dir.is_dir()
    {
        return Err(RunError::StaticDir(dir.clone()));
    }
    let db = config.db.clone();
    let store = tokio::task::spawn_blocking(move || Store::open(db))
        .await
        .map_err(|err| RunError::Serve(std::io::Error::other(err)))?
        .map_err(RunError::Store)?;
    let mut state = AppState::new(store);
    if let Some(dir) = &config.static_dir {
        state = state.with_static_dir(dir.clone());
    }

    let listener = TcpListener::bind(config.listen.as_str())
        .await
        .map_err(|err| RunError::Bind(config.listen.clone(), err))?;
    let addr = listener
        .local_addr()
        .map_err(|err| RunError::Bind(config.listen.clone(), err))?;
    print_ready_line(addr, &config);
    serve(listener, state, shutdown_signal())
        .await
        .map_err(RunError::Serve)
}

/// Prints the line test harnesses wait for, with the port actually bound (which differs from the
/// configured one when it was 0), and flushes it because stdout is block-buffered in a pipe.
fn print_ready_line(addr: SocketAddr, config: &Config) {
    let static_dir = config
        .static_dir
        .as_ref()
        .map_or_else(|| "none".to_owned(), |dir| dir.display().to_string());
    let mut stdout = std::io::stdout().lock();
    // A closed stdout must not stop the server, so write errors are ignored here.
    let _ = writeln!(
        stdout,
        "kefu-server listening on http://{addr} (db: {}, static: {static_dir})",
        config.db.display()
    );
    let _ = stdout.flush();
}

/// Serves [`app`] on an already bound listener until `shutdown` completes, then waits for the
/// requests in flight to finish.
pub async fn serve<F>(listener: TcpListener, state: AppState, shutdown: F) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on Ctrl-C or, on Unix, SIGTERM (what `docker stop` and systemd send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            // Without a handler the server could never stop gracefully this way, but it can
            // still serve and be stopped by SIGTERM, so keep running rather than exit at once.
            eprintln!("kefu-server: cannot listen for Ctrl-C: {err}");
            std::future::pending::<()>().await;
        }
    };

    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                eprintln!("kefu-server: cannot listen for SIGTERM: {err}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    eprintln!("kefu-server: shutting down, finishing requests in flight");
}

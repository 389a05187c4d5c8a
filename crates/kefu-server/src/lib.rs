//! Kefu's escalation server: accepts tickets and usage events from the widget over HTTP, stores
//! them durably in SQLite or PostgreSQL, forwards new tickets to webhooks, and can serve the
//! widget's built files for demos.
//!
//! The router is built by [`app`] so tests can drive it without a socket; [`run`] is what the
//! `kefu-server` binary calls. Hardening, outermost first: metrics (latency and refusals), CORS
//! allowlist, request timeout, per-client rate limit (API writes only), body size limit, then
//! validation in the handlers. The server renders no HTML: every answer is JSON or plain text.

mod config;
mod error;
pub mod metrics;
pub mod rate_limit;
pub mod reference;
pub mod store;
pub mod webhook;

use std::fmt;
use std::future::Future;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use kefu_protocol::{
    EVENTS_MAX_PER_BATCH, EVENTS_PATH, Event, EventBatch, EventsResponse, FieldError, TICKETS_PATH,
    TicketRequest, TicketResponse, validate, validate_batch,
};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeader;

pub use config::{
    ArgsError, Command, Config, DEFAULT_DB, DEFAULT_LISTEN, DEFAULT_RATE_LIMIT,
    DEFAULT_TIMEOUT_SECS, USAGE,
};
pub use error::{AppError, Refused};
pub use store::{Database, InsertOutcome, Store, StoreError, StoredTicket};

use crate::metrics::Metrics;
use crate::rate_limit::{RateLimit, RateLimiter};
use crate::webhook::{Forwarder, RetryPolicy, WebhookTarget, now_ms};

/// The largest request body accepted, 64 KiB: a maximal ticket (4000-character message, 20000-
/// character transcript, full context lists of CJK text) fits, and anything larger is not a ticket.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long browsers may cache a CORS preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(3600);

/// What every request handler shares: the store, the hardening settings, the webhook queue's
/// wake-up, the metrics and, for demos, a static directory.
#[derive(Debug, Clone)]
pub struct AppState {
    store: Store,
    static_dir: Option<PathBuf>,
    metrics: Arc<Metrics>,
    webhooks: Arc<[WebhookTarget]>,
    retry: RetryPolicy,
    webhook_wake: Arc<Notify>,
    rate_limiter: Option<Arc<RateLimiter>>,
    allow_origins: Vec<HeaderValue>,
    timeout: Duration,
}

impl AppState {
    /// A state serving the API only: no webhooks, no rate limit, no cross-origin callers, and
    /// the default request timeout.
    #[must_use]
    pub fn new(store: Store) -> Self {
        Self {
            store,
            static_dir: None,
            metrics: Arc::new(Metrics::default()),
            webhooks: Arc::from(Vec::new()),
            retry: RetryPolicy::default(),
            webhook_wake: Arc::new(Notify::new()),
            rate_limiter: None,
            allow_origins: Vec::new(),
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
        }
    }

    /// The state `config` describes, over an opened store.
    #[must_use]
    pub fn from_config(store: Store, config: &Config) -> Self {
        let mut state = Self::new(store)
            .with_webhooks(config.webhooks.clone(), RetryPolicy::default())
            .with_allowed_origins(&config.allow_origins)
            .with_timeout(config.timeout);
        if let Some(limit) = config.rate_limit {
            state = state.with_rate_limit(limit);
        }
        if let Some(dir) = &config.static_dir {
            state = state.with_static_dir(dir.clone());
        }
        state
    }

    /// Also serves the files under `dir` for GET paths the API does not claim.
    #[must_use]
    pub fn with_static_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.static_dir = Some(dir.into());
        self
    }

    /// Announces new tickets to `webhooks`, retrying as `retry` says (see [`serve`]).
    #[must_use]
    pub fn with_webhooks(mut self, webhooks: Vec<WebhookTarget>, retry: RetryPolicy) -> Self {
        self.webhooks = Arc::from(webhooks);
        self.retry = retry;
        self
    }

    /// Limits API writes per client address.
    #[must_use]
    pub fn with_rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limiter = Some(Arc::new(RateLimiter::new(limit)));
        self
    }

    /// Lets pages on these origins call the API from the browser. Origins that are not valid
    /// header values are skipped; [`Config`] has already refused them with a message.
    #[must_use]
    pub fn with_allowed_origins(mut self, origins: &[String]) -> Self {
        self.allow_origins = origins
            .iter()
            .filter_map(|origin| HeaderValue::from_str(origin).ok())
            .collect();
        self
    }

    /// Answers `408` to requests that take longer than `timeout`.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The counters behind `/metrics`.
    #[must_use]
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }
}

/// Builds the router: the ticket and event API, the health check, the metrics and, when
/// configured, the static files, inside the hardening layers.
pub fn app(state: AppState) -> Router {
    let static_dir = state.static_dir.clone();
    let api = Router::new()
        .route(TICKETS_PATH, post(create_ticket))
        .route(EVENTS_PATH, post(create_events))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // route_layer: only requests that matched a route spend a token, so a mistyped path
        // gets its 404 rather than eating the client's budget.
        .route_layer(middleware::from_fn_with_state(state.clone(), rate_limit));
    let router = Router::new()
        .merge(api)
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        // Unknown API paths get a JSON answer rather than falling through to the static files,
        // so a widget pointed at the wrong version sees a clear error.
        .route("/api", any(not_found))
        .route("/api/{*rest}", any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state.clone());
    let router = match static_dir {
        Some(dir) => router.fallback_service(SetResponseHeader::overriding(
            // ServeDir answers a directory with its index.html and picks each file's
            // Content-Type from its extension, which gives `.wasm` its `application/wasm`.
            ServeDir::new(dir),
            header::CACHE_CONTROL,
            // A demo server's files change with every build, so browsers must revalidate.
            HeaderValue::from_static("no-cache"),
        )),
        None => router.fallback(not_found),
    };
    let router = router.layer(middleware::from_fn_with_state(state.clone(), timeout));
    let router = if state.allow_origins.is_empty() {
        router
    } else {
        router.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(state.allow_origins.clone()))
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE])
                .max_age(PREFLIGHT_MAX_AGE),
        )
    };
    router.layer(middleware::from_fn_with_state(state, observe))
}

/// Times every request and counts refusals by code.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics.observe_latency(started.elapsed());
    if let Some(Refused(code)) = response.extensions().get::<Refused>() {
        state.metrics.rejected(code);
    }
    response
}

/// Answers `408` when the request (reading its body included) outlasts the configured timeout.
/// Store writes run in their own tasks, so a timeout never abandons a half-done write: the
/// ticket is either stored or not, and a retry with the same key finds out which.
async fn timeout(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(state.timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::Timeout.into_response(),
    }
}

/// Spends one of the client's tokens, or answers `429` with `Retry-After`.
async fn rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(limiter) = &state.rate_limiter
        && request.method() == Method::POST
    {
        // In-process tests drive the router without a socket and so without a peer address;
        // they share one bucket.
        let client = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
        if let Err(wait) = limiter.check(client, Instant::now()) {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return AppError::RateLimited(seconds.max(1)).into_response();
        }
    }
    next.run(request).await
}

async fn create_ticket(
    State(state): State<AppState>,
    body: Result<Json<TicketRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<TicketResponse>), AppError> {
    let Json(req) = body?;
    // The honeypot is checked before validation so automated submitters learn nothing about
    // which fields would have passed. It is refused openly (400) rather than with a fake 201:
    // a person whose autofill strayed into the hidden field then sees an error and can retry,
    // where a fake success would silently lose their ticket.
    if req.honeypot_filled() {
        return Err(AppError::Rejected);
    }
    if let Err(errors) = validate(&req) {
        return Err(first_error(errors));
    }
    let store = state.store.clone();
    let webhooks = Arc::clone(&state.webhooks);
    // Its own task: neither a timeout nor a client hanging up can cancel the write half-way,
    // and graceful shutdown waits for it through the request that awaits it.
    let outcome = tokio::spawn(async move { store.insert_ticket(&req, &webhooks, now_ms()).await })
        .await
        .map_err(|err| AppError::Internal(format!("ticket task failed: {err}")))??;
    let status = if outcome.duplicate {
        state.metrics.ticket_duplicate();
        StatusCode::OK
    } else {
        state.metrics.ticket_created();
        if !state.webhooks.is_empty() {
            state.webhook_wake.notify_one();
        }
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

async fn create_events(
    State(state): State<AppState>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<EventsResponse>, AppError> {
    let Json(body) = body?;
    let batch = parse_batch(body)?;
    if let Err(errors) = validate_batch(&batch) {
        return Err(first_error(errors));
    }
    let store = state.store.clone();
    let events = batch.events;
    let accepted = tokio::spawn(async move { store.insert_events(events).await })
        .await
        .map_err(|err| AppError::Internal(format!("events task failed: {err}")))??;
    state.metrics.events_stored(accepted);
    Ok(Json(EventsResponse { accepted }))
}

/// Reads an [`EventBatch`] event by event, so a wrong event is reported with its index and,
/// where serde says which, its field (`events[4].kind`), instead of one message for the body.
fn parse_batch(body: Value) -> Result<EventBatch, AppError> {
    let field_error =
        |field: String, message: String| AppError::InvalidField(FieldError { field, message });
    let Value::Object(mut object) = body else {
        return Err(AppError::InvalidJson(
            "Send the events as one JSON object: {\"events\": [...]}.".into(),
        ));
    };
    if let Some(extra) = object.keys().find(|key| key.as_str() != "events") {
        return Err(field_error(
            extra.clone(),
            format!("Unknown field `{extra}`; a batch has only `events`."),
        ));
    }
    let Some(Value::Array(items)) = object.remove("events") else {
        return Err(field_error(
            "events".into(),
            "`events` must be a list of event objects.".into(),
        ));
    };
    if items.len() > EVENTS_MAX_PER_BATCH {
        return Err(field_error(
            "events".into(),
            format!(
                "Send at most {EVENTS_MAX_PER_BATCH} events per batch (there are {}); split them.",
                items.len()
            ),
        ));
    }
    let mut events = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let culprit = culprit_field(&item);
        match serde_json::from_value::<Event>(item.clone()) {
            Ok(event) => events.push(event),
            Err(err) => {
                let message = err.to_string();
                let field = culprit(&message);
                let path = match field {
                    Some(field) => format!("events[{index}].{field}"),
                    None => format!("events[{index}]"),
                };
                return Err(field_error(
                    path,
                    format!(
                        "{}. Each event needs a `kind` (helpful, search, search_miss, \
                         flow_outcome or deflection) and that kind's fields.",
                        message.trim_end_matches('.')
                    ),
                ));
            }
        }
    }
    Ok(EventBatch { events })
}

/// Which field of `item` a serde error message is about: the one it names in backticks
/// (`missing field `query``, `unknown field `email``), the field holding the unknown variant
/// it names (`kind` for an unknown kind, `reason` for an unknown reason), else none.
fn culprit_field(item: &Value) -> impl Fn(&str) -> Option<String> + '_ {
    move |message: &str| {
        let named = message.split('`').nth(1)?;
        if message.starts_with("missing field") || message.starts_with("unknown field") {
            return Some(named.to_owned());
        }
        if message.starts_with("unknown variant") {
            return item.as_object().and_then(|object| {
                object
                    .iter()
                    .find(|(_, value)| value.as_str() == Some(named))
                    .map(|(key, _)| key.clone())
            });
        }
        None
    }
}

/// The first validation error, which is what the response reports.
fn first_error(errors: Vec<FieldError>) -> AppError {
    match errors.into_iter().next() {
        Some(first) => AppError::InvalidField(first),
        None => AppError::Internal("validation failed without naming a field".into()),
    }
}

async fn healthz(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    state.store.ping().await?;
    Ok(Json(
        json!({ "status": "ok", "database": state.store.backend() }),
    ))
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.metrics.render(),
    )
        .into_response()
}

async fn not_found() -> AppError {
    AppError::NotFound
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
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
    let store = Store::open(&config.database)
        .await
        .map_err(RunError::Store)?;
    let state = AppState::from_config(store, &config);

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
        config.database
    );
    let _ = stdout.flush();
}

/// Serves [`app`] on an already bound listener, and runs the webhook [`Forwarder`] when webhooks
/// are configured, until `shutdown` completes. Then it waits for the requests in flight to finish
/// (every acknowledged ticket is committed by then) and for the forwarder to record the attempts
/// it had started, so the queue's state on disk is exact when this returns.
pub async fn serve<F>(listener: TcpListener, state: AppState, shutdown: F) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let (stop_tx, stop_rx) = watch::channel(false);
    let forwarder = if state.webhooks.is_empty() {
        None
    } else {
        let forwarder = Forwarder::new(
            state.store.clone(),
            state.retry,
            Arc::clone(&state.webhook_wake),
            Arc::clone(&state.metrics),
        )
        .map_err(std::io::Error::other)?;
        Some(tokio::spawn(forwarder.run(stop_rx)))
    };
    let served = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    // A send error means the forwarder already ended, which is what this asks for.
    let _ = stop_tx.send(true);
    if let Some(forwarder) = forwarder
        && let Err(err) = forwarder.await
    {
        eprintln!("kefu-server: webhook forwarder stopped abnormally: {err}");
    }
    served
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

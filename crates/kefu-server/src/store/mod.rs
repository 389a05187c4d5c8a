//! Storage: tickets, events and the webhook queue, in SQLite (the default, a file) or PostgreSQL
//! (for sites that run several server instances). [`Store`] is the one interface; every SQL
//! statement lives in `sqlite.rs` or `pg.rs`, so the HTTP layer, the webhook forwarder and the
//! `kefu` CLI never see which backend they talk to.
//!
//! **Invariant:** a ticket is committed (fsynced, in SQLite's case) before its `201`, and its
//! webhook deliveries are queued in the same transaction, so a crash can lose neither.
//!
//! Timestamps are RFC 3339 UTC text with whole seconds (`2025-01-31T09:30:00Z`) in both backends,
//! stamped by the database's clock: they print the same, and compare correctly as strings, which
//! keeps the report queries identical for both. Webhook scheduling uses integer milliseconds since
//! the Unix epoch from the server's clock, because the forwarder compares them with its own.

mod pg;
mod sqlite;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use kefu_protocol::{Event, TicketRequest};

pub use pg::PgStore;
pub use sqlite::SqliteStore;

use crate::webhook::WebhookTarget;

/// How many fresh references to try when a random one is already taken before giving up; with
/// 887 million codes, even one retry is rare, so exhausting these means something else is wrong.
pub(crate) const MAX_REFERENCE_ATTEMPTS: usize = 10;

/// A ticket as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTicket {
    /// The public reference, like `KF-7Q3M2K`.
    pub reference: String,
    /// The widget's idempotency key that created the ticket.
    pub idempotency_key: String,
    /// When the ticket was stored, RFC 3339 UTC.
    pub created_at: String,
    /// The visitor's name, trimmed; `None` when not given or blank.
    pub name: Option<String>,
    /// The email address or phone number, trimmed; `None` when not given or blank.
    pub contact: Option<String>,
    /// The chosen category, trimmed; `None` when not given or blank.
    pub category: Option<String>,
    /// The one-line subject, trimmed; `None` when not given or blank.
    pub subject: Option<String>,
    /// The message exactly as sent, because its line breaks and spacing may matter.
    pub message: String,
    /// The widget's locale, trimmed; `None` when not given or blank.
    pub locale: Option<String>,
    /// The page the widget was opened on, trimmed; `None` when not given or blank.
    pub page_url: Option<String>,
    /// The request's `context` object as JSON, kept whole so new context fields need no migration.
    pub context_json: Option<String>,
}

impl StoredTicket {
    /// The ticket a new request would store, before the database gives it a reference and time.
    pub(crate) fn from_request(req: &TicketRequest) -> Result<Self, StoreError> {
        let context_json = req
            .context
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|err| StoreError(ErrorKind::Encode(err)))?;
        Ok(Self {
            reference: String::new(),
            idempotency_key: req.idempotency_key.clone(),
            created_at: String::new(),
            name: non_blank(req.name.as_deref()),
            contact: non_blank(req.contact.as_deref()),
            category: non_blank(req.category.as_deref()),
            subject: non_blank(req.subject.as_deref()),
            message: req.message.clone(),
            locale: non_blank(req.locale.as_deref()),
            page_url: non_blank(req.page_url.as_deref()),
            context_json,
        })
    }
}

/// The result of [`Store::insert_ticket`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertOutcome {
    /// The ticket now stored under the request's idempotency key.
    pub ticket: StoredTicket,
    /// True when the key already had a ticket, which was returned unchanged instead of inserting.
    pub duplicate: bool,
}

/// A time range for listings and reports: RFC 3339 UTC bounds, both inclusive, either open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// The earliest time included, like `2025-01-01T00:00:00Z`.
    pub since: Option<String>,
    /// The latest time included, like `2025-01-31T23:59:59Z`.
    pub until: Option<String>,
}

impl TimeRange {
    /// The bounds as strings the SQL compares against, open ends widened to cover everything.
    pub(crate) fn bounds(&self) -> (String, String) {
        (
            self.since.clone().unwrap_or_default(),
            // `~` sorts after every digit, so it is later than any timestamp.
            self.until.clone().unwrap_or_else(|| "~".to_owned()),
        )
    }
}

/// One queued webhook delivery, claimed by the forwarder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The queue row.
    pub id: i64,
    /// The webhook it goes to.
    pub target: WebhookTarget,
    /// How many attempts were already made.
    pub attempts: u32,
    /// The ticket to announce.
    pub ticket: StoredTicket,
}

/// What became of one delivery attempt, as recorded by [`Store::finish_delivery`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryResult {
    /// The receiver accepted it.
    Delivered,
    /// It failed and is tried again at `next_attempt_ms`.
    Retry {
        /// When to try again, in milliseconds since the Unix epoch.
        next_attempt_ms: i64,
        /// Why it failed, for `kefu tickets show`.
        error: String,
    },
    /// It failed for the last time; it stays in the table, marked `failed`.
    GaveUp {
        /// Why the last attempt failed.
        error: String,
    },
}

/// A delivery's state, for `kefu tickets show` and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryStatus {
    /// `json`, `wecom`, `dingtalk`, `feishu` or `slack`.
    pub kind: String,
    /// The webhook URL.
    pub url: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// The last failure, if any.
    pub last_error: Option<String>,
}

/// One line of a counted list in a [`Report`]: a search query or an identifier and its count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    /// The query or identifier.
    pub key: String,
    /// The locale it was seen in, where that is part of the key.
    pub locale: String,
    /// How often.
    pub count: i64,
}

/// Helpfulness votes for one article or flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Votes {
    /// `article` or `flow`.
    pub target: String,
    /// The article or flow identifier.
    pub id: String,
    /// "Yes, this helped" votes.
    pub helpful: i64,
    /// "No" votes.
    pub not_helpful: i64,
    /// The reasons given with "no" votes, most frequent first.
    pub reasons: Vec<(String, i64)>,
    /// The latest comments left with "no" votes, newest first, at most
    /// [`COMMENTS_PER_ANSWER`]. Customer text: escape it wherever it is shown.
    pub comments: Vec<String>,
}

/// How many comments a [`Votes`] line of the report carries: enough to hear what is missing,
/// few enough to read.
pub const COMMENTS_PER_ANSWER: usize = 5;

/// How often one flow ended each way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowOutcomes {
    /// The flow identifier.
    pub flow_id: String,
    /// Ended solved.
    pub solved: i64,
    /// Ended at the contact form.
    pub escalated: i64,
    /// Left part-way.
    pub abandoned: i64,
    /// Where escalated and abandoned runs ended: `(outcome, last node, count)`, most frequent
    /// first, so editors see which step loses people.
    pub stops: Vec<(String, String, i64)>,
}

/// What `kefu report` prints: what customers search for, what they do not find, and which
/// answers do not help, over a [`TimeRange`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// All searches and zero-result searches counted.
    pub searches: i64,
    /// Searches with no hit.
    pub zero_result_searches: i64,
    /// The most frequent queries.
    pub top_searches: Vec<Counted>,
    /// The most frequent queries that found nothing.
    pub zero_result_queries: Vec<Counted>,
    /// The most frequent queries whose hits the visitor did not find useful.
    pub missed_queries: Vec<Counted>,
    /// Articles and flows with "no" votes, the worst ratio first.
    pub least_helpful: Vec<Votes>,
    /// Flow endings by flow.
    pub flows: Vec<FlowOutcomes>,
    /// Articles that answered a question before the ticket was sent, by article.
    pub deflections: Vec<Counted>,
    /// Tickets created in the range.
    pub tickets: i64,
}

/// A storage failure. Its message is for the server's log, never for clients; like other error
/// types its `Display` describes this level only, and the cause is available from `source()`.
#[derive(Debug)]
pub struct StoreError(pub(crate) ErrorKind);

#[derive(Debug)]
pub(crate) enum ErrorKind {
    CreateDir(std::path::PathBuf, std::io::Error),
    Open(std::path::PathBuf, rusqlite::Error),
    NotWal(String),
    Sqlite(rusqlite::Error),
    Connect(String, tokio_postgres::Error),
    Postgres(tokio_postgres::Error),
    Migration { found: i64, known: i64 },
    Encode(serde_json::Error),
    Random(getrandom::Error),
    ReferencesExhausted,
    Task(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            ErrorKind::CreateDir(path, _) => {
                write!(f, "could not create directory {}", path.display())
            }
            ErrorKind::Open(path, _) => write!(f, "could not open database {}", path.display()),
            ErrorKind::NotWal(mode) => write!(
                f,
                "the database refused write-ahead logging (journal mode is {mode}); \
                 use a file on a local filesystem"
            ),
            ErrorKind::Sqlite(_) => write!(f, "database error"),
            ErrorKind::Connect(url, _) => write!(
                f,
                "could not connect to PostgreSQL at {url}; check DATABASE_URL and that the \
                 server is running"
            ),
            ErrorKind::Postgres(_) => write!(f, "PostgreSQL error"),
            ErrorKind::Migration { found, known } => write!(
                f,
                "the database schema is version {found} but this server knows only up to \
                 {known}; run a newer kefu-server"
            ),
            ErrorKind::Encode(_) => write!(f, "could not encode ticket context"),
            ErrorKind::Random(_) => write!(f, "no random numbers for a reference"),
            ErrorKind::ReferencesExhausted => write!(
                f,
                "every one of {MAX_REFERENCE_ATTEMPTS} random references was already taken"
            ),
            ErrorKind::Task(detail) => write!(f, "storage task failed: {detail}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0 {
            ErrorKind::CreateDir(_, err) => Some(err),
            ErrorKind::Open(_, err) | ErrorKind::Sqlite(err) => Some(err),
            ErrorKind::Connect(_, err) | ErrorKind::Postgres(err) => Some(err),
            ErrorKind::Encode(err) => Some(err),
            ErrorKind::Random(err) => Some(err),
            ErrorKind::NotWal(_)
            | ErrorKind::Migration { .. }
            | ErrorKind::ReferencesExhausted
            | ErrorKind::Task(_) => None,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        Self(ErrorKind::Sqlite(err))
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(err: tokio_postgres::Error) -> Self {
        Self(ErrorKind::Postgres(err))
    }
}

/// Where the data lives, as given on the command line or in `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file, created on first use.
    Sqlite(std::path::PathBuf),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl Database {
    /// A PostgreSQL URL when `value` is one, else an SQLite path.
    #[must_use]
    pub fn parse(value: &str) -> Self {
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Self::Postgres(value.to_owned())
        } else {
            Self::Sqlite(value.into())
        }
    }
}

impl fmt::Display for Database {
    /// The path, or the URL with any password replaced by `***`, fit for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "{}", path.display()),
            Self::Postgres(url) => f.write_str(&redact_password(url)),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub(crate) fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// The ticket, event and webhook-queue database, whichever backend holds it. Cheap to clone.
#[derive(Debug, Clone)]
pub enum Store {
    /// A local SQLite file.
    Sqlite(Arc<SqliteStore>),
    /// A PostgreSQL server.
    Postgres(Arc<PgStore>),
}

/// Runs `$body` with `$s` bound to the SQLite store on tokio's blocking pool (so a slow fsync
/// never stalls the threads serving other requests), or to the PostgreSQL store directly.
macro_rules! dispatch {
    ($self:ident, |$s:ident| $body:expr) => {
        match $self {
            Store::Sqlite(store) => {
                let $s = Arc::clone(store);
                match tokio::task::spawn_blocking(move || $body).await {
                    Ok(result) => result,
                    Err(err) => Err(StoreError(ErrorKind::Task(err.to_string()))),
                }
            }
            Store::Postgres($s) => $body.await,
        }
    };
}

impl Store {
    /// Opens (and creates or migrates) the database.
    pub async fn open(database: &Database) -> Result<Self, StoreError> {
        match database {
            Database::Sqlite(path) => {
                let path = path.clone();
                let store = tokio::task::spawn_blocking(move || SqliteStore::open(path))
                    .await
                    .map_err(|err| StoreError(ErrorKind::Task(err.to_string())))??;
                Ok(Self::Sqlite(Arc::new(store)))
            }
            Database::Postgres(url) => Ok(Self::Postgres(Arc::new(PgStore::connect(url).await?))),
        }
    }

    /// Stores a new ticket for the validated `req` and queues one delivery per webhook in the
    /// same transaction, or returns the ticket its idempotency key already created (queueing
    /// nothing). An existing ticket is never changed, even when the repeated request differs.
    pub async fn insert_ticket(
        &self,
        req: &TicketRequest,
        webhooks: &[WebhookTarget],
        now_ms: i64,
    ) -> Result<InsertOutcome, StoreError> {
        let ticket = StoredTicket::from_request(req)?;
        let webhooks = webhooks.to_vec();
        dispatch!(self, |s| s.insert_ticket(ticket, &webhooks, now_ms))
    }

    /// Stores a validated batch of events in one transaction: all of them or none.
    pub async fn insert_events(&self, events: Vec<Event>) -> Result<usize, StoreError> {
        dispatch!(self, |s| s.insert_events(&events))
    }

    /// The ticket created with `key`, if any.
    pub async fn ticket_by_idempotency_key(
        &self,
        key: &str,
    ) -> Result<Option<StoredTicket>, StoreError> {
        let key = key.to_owned();
        dispatch!(self, |s| s.ticket_by_idempotency_key(&key))
    }

    /// The ticket with `reference`, if any.
    pub async fn ticket_by_reference(
        &self,
        reference: &str,
    ) -> Result<Option<StoredTicket>, StoreError> {
        let reference = reference.to_owned();
        dispatch!(self, |s| s.ticket_by_reference(&reference))
    }

    /// Tickets created in `range`, newest first, at most `limit` of them.
    pub async fn list_tickets(
        &self,
        range: &TimeRange,
        limit: i64,
    ) -> Result<Vec<StoredTicket>, StoreError> {
        let range = range.clone();
        dispatch!(self, |s| s.list_tickets(&range, limit))
    }

    /// How many tickets are stored.
    pub async fn count_tickets(&self) -> Result<i64, StoreError> {
        dispatch!(self, |s| s.count_tickets())
    }

    /// How many events are stored.
    pub async fn count_events(&self) -> Result<i64, StoreError> {
        dispatch!(self, |s| s.count_events())
    }

    /// The report over `range`, each list cut to `limit` lines.
    pub async fn report(&self, range: &TimeRange, limit: i64) -> Result<Report, StoreError> {
        let range = range.clone();
        dispatch!(self, |s| s.report(&range, limit))
    }

    /// Claims up to `limit` deliveries due at `now_ms`, leasing them until `lease_until_ms` so no
    /// other forwarder (another server instance) takes them meanwhile; a forwarder that dies
    /// mid-delivery leaves them to be retried when the lease ends.
    pub async fn claim_deliveries(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        dispatch!(self, |s| s.claim_deliveries(now_ms, lease_until_ms, limit))
    }

    /// Records the result of one attempt at delivery `id`.
    pub async fn finish_delivery(&self, id: i64, result: DeliveryResult) -> Result<(), StoreError> {
        dispatch!(self, |s| s.finish_delivery(id, &result))
    }

    /// The webhook deliveries of one ticket, in the order the webhooks were configured.
    pub async fn deliveries_for(&self, reference: &str) -> Result<Vec<DeliveryStatus>, StoreError> {
        let reference = reference.to_owned();
        dispatch!(self, |s| s.deliveries_for(&reference))
    }

    /// Runs a trivial query, proving the database is reachable.
    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, |s| s.ping())
    }

    /// Which backend this is, for the start-up line and `/metrics`.
    #[must_use]
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// Runs `future` to completion on a fresh single-threaded runtime: how the `kefu` CLI, which has
/// no async code of its own, uses [`Store`] without depending on tokio itself.
pub fn block_on<F: Future>(future: F) -> Result<F::Output, StoreError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| StoreError(ErrorKind::Task(err.to_string())))?;
    Ok(runtime.block_on(future))
}

pub(crate) fn non_blank(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The columns an event is stored in, flattened from [`Event`] so reports are plain SQL.
#[derive(Debug, Default)]
pub(crate) struct EventRow {
    pub kind: &'static str,
    pub locale: Option<String>,
    pub query: Option<String>,
    pub hits: Option<i64>,
    pub target: Option<&'static str>,
    pub target_id: Option<String>,
    pub helpful: Option<bool>,
    pub reason: Option<&'static str>,
    pub comment: Option<String>,
    pub outcome: Option<&'static str>,
    pub last_node: Option<String>,
}

impl EventRow {
    pub(crate) fn from_event(event: &Event) -> Self {
        let trimmed = |value: &str| Some(value.trim().to_owned());
        let mut row = Self {
            kind: event.kind(),
            ..Self::default()
        };
        match event {
            Event::Helpful {
                target,
                id,
                locale,
                helpful,
                reason,
                comment,
            } => {
                row.target = Some(target.as_str());
                row.target_id = trimmed(id);
                row.locale = trimmed(locale);
                row.helpful = Some(*helpful);
                row.reason = reason.map(kefu_protocol::Reason::as_str);
                row.comment = non_blank(comment.as_deref());
            }
            Event::Search {
                query,
                locale,
                hits,
            } => {
                row.query = trimmed(query);
                row.locale = trimmed(locale);
                row.hits = Some(i64::from(*hits));
            }
            Event::SearchMiss { query, locale } => {
                row.query = trimmed(query);
                row.locale = trimmed(locale);
            }
            Event::FlowOutcome {
                flow_id,
                outcome,
                last_node,
            } => {
                row.target = Some("flow");
                row.target_id = trimmed(flow_id);
                row.outcome = Some(outcome.as_str());
                row.last_node = trimmed(last_node);
            }
            Event::Deflection { article_id, locale } => {
                row.target = Some("article");
                row.target_id = trimmed(article_id);
                row.locale = trimmed(locale);
            }
        }
        row
    }
}

/// The report's queries, written once with `$N` placeholders; SQLite reads `$N` as `?N` after
/// [`sqlite::numbered`]. Each takes `$1` since, `$2` until and (lists) `$3` limit.
pub(crate) mod report_sql {
    pub const SEARCH_TOTALS: &str = "SELECT COUNT(*), COALESCE(SUM(CASE WHEN hits = 0 THEN 1 ELSE 0 END), 0) \
         FROM events WHERE kind = 'search' AND received_at >= $1 AND received_at <= $2";
    pub const TOP_SEARCHES: &str = "SELECT query, locale, COUNT(*) AS n FROM events \
         WHERE kind = 'search' AND received_at >= $1 AND received_at <= $2 \
         GROUP BY query, locale ORDER BY n DESC, query, locale LIMIT $3";
    pub const ZERO_RESULTS: &str = "SELECT query, locale, COUNT(*) AS n FROM events \
         WHERE kind = 'search' AND hits = 0 AND received_at >= $1 AND received_at <= $2 \
         GROUP BY query, locale ORDER BY n DESC, query, locale LIMIT $3";
    pub const MISSES: &str = "SELECT query, locale, COUNT(*) AS n FROM events \
         WHERE kind = 'search_miss' AND received_at >= $1 AND received_at <= $2 \
         GROUP BY query, locale ORDER BY n DESC, query, locale LIMIT $3";
    /// Worst share of "no" votes first; ties by more "no" votes, then by name for stable output.
    pub const LEAST_HELPFUL: &str = "SELECT target, target_id, \
         SUM(CASE WHEN helpful THEN 1 ELSE 0 END) AS n_yes, \
         SUM(CASE WHEN helpful THEN 0 ELSE 1 END) AS n_no FROM events \
         WHERE kind = 'helpful' AND received_at >= $1 AND received_at <= $2 \
         GROUP BY target, target_id HAVING SUM(CASE WHEN helpful THEN 0 ELSE 1 END) > 0 \
         ORDER BY (SUM(CASE WHEN helpful THEN 0 ELSE 1 END) * 1.0 / COUNT(*)) DESC, n_no DESC, \
         target, target_id LIMIT $3";
    pub const REASONS: &str = "SELECT target, target_id, reason, COUNT(*) AS n FROM events \
         WHERE kind = 'helpful' AND NOT helpful AND reason IS NOT NULL \
         AND received_at >= $1 AND received_at <= $2 \
         GROUP BY target, target_id, reason ORDER BY n DESC, reason";
    pub const FLOWS: &str = "SELECT target_id, \
         SUM(CASE WHEN outcome = 'solved' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN outcome = 'escalated' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN outcome = 'abandoned' THEN 1 ELSE 0 END) FROM events \
         WHERE kind = 'flow_outcome' AND received_at >= $1 AND received_at <= $2 \
         GROUP BY target_id ORDER BY COUNT(*) DESC, target_id LIMIT $3";
    /// Comments with "no" votes, newest first, for [`super::attach_comments`].
    pub const COMMENTS: &str = "SELECT target, target_id, comment FROM events \
         WHERE kind = 'helpful' AND NOT helpful AND comment IS NOT NULL \
         AND received_at >= $1 AND received_at <= $2 ORDER BY received_at DESC, id DESC";
    /// Escalated and abandoned endings by the node they happened at, for [`super::attach_stops`].
    pub const FLOW_STOPS: &str = "SELECT target_id, outcome, last_node, COUNT(*) AS n FROM events \
         WHERE kind = 'flow_outcome' AND outcome IN ('escalated', 'abandoned') \
         AND last_node IS NOT NULL AND received_at >= $1 AND received_at <= $2 \
         GROUP BY target_id, outcome, last_node ORDER BY n DESC, outcome, last_node";
    pub const DEFLECTIONS: &str = "SELECT target_id, locale, COUNT(*) AS n FROM events \
         WHERE kind = 'deflection' AND received_at >= $1 AND received_at <= $2 \
         GROUP BY target_id, locale ORDER BY n DESC, target_id, locale LIMIT $3";
    pub const TICKETS: &str =
        "SELECT COUNT(*) FROM tickets WHERE created_at >= $1 AND created_at <= $2";
}

/// One result row of a report query (`report_sql`), read alike from either database, so that
/// each row of the report is built from its columns once, here, rather than once per driver.
pub(crate) trait ReportRow {
    type Error;
    fn text(&self, column: usize) -> Result<String, Self::Error>;
    fn optional_text(&self, column: usize) -> Result<Option<String>, Self::Error>;
    fn count(&self, column: usize) -> Result<i64, Self::Error>;
}

impl Counted {
    /// A row `(key, locale or NULL, count)`.
    pub(crate) fn from_row<R: ReportRow>(row: &R) -> Result<Counted, R::Error> {
        Ok(Counted {
            key: row.text(0)?,
            locale: row.optional_text(1)?.unwrap_or_default(),
            count: row.count(2)?,
        })
    }
}

impl Votes {
    /// A row `(target, id, helpful, not helpful)`; reasons and comments come in their own rows.
    pub(crate) fn from_row<R: ReportRow>(row: &R) -> Result<Votes, R::Error> {
        Ok(Votes {
            target: row.text(0)?,
            id: row.text(1)?,
            helpful: row.count(2)?,
            not_helpful: row.count(3)?,
            reasons: Vec::new(),
            comments: Vec::new(),
        })
    }
}

impl FlowOutcomes {
    /// A row `(flow, solved, escalated, abandoned)`; stops come in their own rows.
    pub(crate) fn from_row<R: ReportRow>(row: &R) -> Result<FlowOutcomes, R::Error> {
        Ok(FlowOutcomes {
            flow_id: row.text(0)?,
            solved: row.count(1)?,
            escalated: row.count(2)?,
            abandoned: row.count(3)?,
            stops: Vec::new(),
        })
    }
}

/// A row of three texts and a count: the reasons rows `(target, id, reason, count)` and the
/// stops rows `(flow, outcome, node, count)`.
pub(crate) fn texts_and_count<R: ReportRow>(
    row: &R,
) -> Result<(String, String, String, i64), R::Error> {
    Ok((row.text(0)?, row.text(1)?, row.text(2)?, row.count(3)?))
}

/// A comments row `(target, id, comment)`.
pub(crate) fn three_texts<R: ReportRow>(row: &R) -> Result<(String, String, String), R::Error> {
    Ok((row.text(0)?, row.text(1)?, row.text(2)?))
}

/// Attaches the reasons rows `(target, id, reason, count)` to their [`Votes`].
pub(crate) fn attach_reasons(votes: &mut [Votes], reasons: Vec<(String, String, String, i64)>) {
    for (target, id, reason, count) in reasons {
        if let Some(vote) = votes
            .iter_mut()
            .find(|vote| vote.target == target && vote.id == id)
        {
            vote.reasons.push((reason, count));
        }
    }
}

/// Attaches the rows `(flow, outcome, node, count)` to their [`FlowOutcomes`].
pub(crate) fn attach_stops(flows: &mut [FlowOutcomes], stops: Vec<(String, String, String, i64)>) {
    for (flow_id, outcome, node, count) in stops {
        if let Some(flow) = flows.iter_mut().find(|flow| flow.flow_id == flow_id) {
            flow.stops.push((outcome, node, count));
        }
    }
}

/// Attaches the rows `(target, id, comment)`, newest first, to their [`Votes`], keeping at most
/// [`COMMENTS_PER_ANSWER`] each.
pub(crate) fn attach_comments(votes: &mut [Votes], comments: Vec<(String, String, String)>) {
    for (target, id, comment) in comments {
        if let Some(vote) = votes
            .iter_mut()
            .find(|vote| vote.target == target && vote.id == id)
            && vote.comments.len() < COMMENTS_PER_ANSWER
        {
            vote.comments.push(comment);
        }
    }
}

//! The SQLite backend: one file, write-ahead logging, `synchronous = FULL`, created on first start.
//!
//! Every method is blocking; [`super::Store`] runs them on tokio's blocking pool.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use kefu_protocol::Event;
use rusqlite::{Connection, OptionalExtension as _, Row, TransactionBehavior, params};

use super::{
    Counted, Delivery, DeliveryResult, DeliveryStatus, ErrorKind, EventRow, FlowOutcomes,
    InsertOutcome, MAX_REFERENCE_ATTEMPTS, Report, ReportRow, StoreError, StoredTicket, TimeRange,
    Votes, attach_comments, attach_reasons, attach_stops, report_sql, texts_and_count, three_texts,
};
use crate::reference;
use crate::webhook::{WebhookKind, WebhookTarget};

/// How long a write waits for another process holding the database lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The schema, one entry per version; `PRAGMA user_version` records how many have run. Version 1
/// is the original ticket table, written with `IF NOT EXISTS` so databases made before versioning
/// (user_version 0, table present) migrate cleanly.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS tickets (
        id INTEGER PRIMARY KEY,
        reference TEXT UNIQUE NOT NULL,
        idempotency_key TEXT UNIQUE NOT NULL,
        created_at TEXT NOT NULL,
        name TEXT,
        contact TEXT,
        category TEXT,
        message TEXT NOT NULL,
        locale TEXT,
        page_url TEXT,
        context_json TEXT
    );",
    "CREATE INDEX tickets_created_at ON tickets (created_at);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        received_at TEXT NOT NULL,
        kind TEXT NOT NULL,
        locale TEXT,
        query TEXT,
        hits INTEGER,
        target TEXT,
        target_id TEXT,
        helpful INTEGER,
        reason TEXT,
        comment TEXT,
        outcome TEXT,
        last_node TEXT
    );
    CREATE INDEX events_kind_received_at ON events (kind, received_at);
    CREATE TABLE webhook_deliveries (
        id INTEGER PRIMARY KEY,
        ticket_reference TEXT NOT NULL REFERENCES tickets (reference),
        kind TEXT NOT NULL,
        url TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL,
        last_error TEXT
    );
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_ms);",
    // Version 3: the one-line subject of the contact form.
    "ALTER TABLE tickets ADD COLUMN subject TEXT;",
];

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

const TICKET_COLUMNS: &str = "reference, idempotency_key, created_at, name, contact, category, \
                              message, locale, page_url, context_json, subject";

/// The database lets SQLite stamp `created_at` so every writer, in any process, uses one clock.
/// `DO NOTHING` on any conflict: no row back means either the key already exists (a duplicate)
/// or the random reference was taken (try another), told apart by looking the key up.
const INSERT_TICKET: &str = "
INSERT INTO tickets (reference, idempotency_key, created_at, name, contact, category, message,
                     locale, page_url, context_json, subject)
VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
ON CONFLICT DO NOTHING
RETURNING created_at
";

/// Rewrites the shared `$N` placeholders as SQLite's `?N`.
pub(crate) fn numbered(sql: &str) -> String {
    sql.replace('$', "?")
}

/// The ticket database: one SQLite connection, shared behind a mutex.
///
/// One connection is plenty for a help widget's ticket rate, and serialising writers in-process
/// means SQLite's lock is only ever contended by other processes sharing the file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
    /// Opens the database at `path`, creating the file, its parent directories and the schema
    /// when missing, and switches on write-ahead logging with full fsync so an acknowledged
    /// ticket survives a crash or power loss.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|err| StoreError(ErrorKind::CreateDir(parent.to_path_buf(), err)))?;
        }
        let mut conn = Connection::open(&path)
            .map_err(|err| StoreError(ErrorKind::Open(path.clone(), err)))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // journal_mode answers with the mode actually in force, which is not WAL on filesystems
        // that cannot share memory maps; refusing to start beats silently weaker durability.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError(ErrorKind::NotWal(mode)));
        }
        // synchronous is per connection, so it is set on every open rather than stored in the file.
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// The database file this store was opened on.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn insert_ticket(
        &self,
        mut ticket: StoredTicket,
        webhooks: &[WebhookTarget],
        now_ms: i64,
    ) -> Result<InsertOutcome, StoreError> {
        let mut conn = self.lock();
        // IMMEDIATE takes the write lock up front, so the look-up and the insert below see the
        // same database even when another process writes to the same file.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(existing) = select_by_key(&tx, &ticket.idempotency_key)? {
            return Ok(InsertOutcome {
                ticket: existing,
                duplicate: true,
            });
        }
        for _ in 0..MAX_REFERENCE_ATTEMPTS {
            ticket.reference =
                reference::generate().map_err(|err| StoreError(ErrorKind::Random(err)))?;
            let inserted: Option<String> = tx
                .query_row(
                    INSERT_TICKET,
                    params![
                        ticket.reference,
                        ticket.idempotency_key,
                        ticket.name,
                        ticket.contact,
                        ticket.category,
                        ticket.message,
                        ticket.locale,
                        ticket.page_url,
                        ticket.context_json,
                        ticket.subject,
                    ],
                    |row| row.get(0),
                )
                .optional()?;
            let Some(created_at) = inserted else {
                // The key appeared after the look-up above, which the IMMEDIATE transaction
                // should prevent; answering with the winner's ticket is still right. Otherwise
                // the reference was taken: draw another.
                if let Some(existing) = select_by_key(&tx, &ticket.idempotency_key)? {
                    return Ok(InsertOutcome {
                        ticket: existing,
                        duplicate: true,
                    });
                }
                continue;
            };
            for webhook in webhooks {
                tx.execute(
                    "INSERT INTO webhook_deliveries (ticket_reference, kind, url, next_attempt_ms) \
                     VALUES (?1, ?2, ?3, ?4)",
                    params![ticket.reference, webhook.kind.as_str(), webhook.url, now_ms],
                )?;
            }
            tx.commit()?;
            ticket.created_at = created_at;
            return Ok(InsertOutcome {
                ticket,
                duplicate: false,
            });
        }
        Err(StoreError(ErrorKind::ReferencesExhausted))
    }

    pub(crate) fn insert_events(&self, events: &[Event]) -> Result<usize, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(&format!(
                "INSERT INTO events (received_at, kind, locale, query, hits, target, target_id, \
                 helpful, reason, comment, outcome, last_node) \
                 VALUES ({NOW}, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ))?;
            for event in events {
                let row = EventRow::from_event(event);
                insert.execute(params![
                    row.kind,
                    row.locale,
                    row.query,
                    row.hits,
                    row.target,
                    row.target_id,
                    row.helpful,
                    row.reason,
                    row.comment,
                    row.outcome,
                    row.last_node,
                ])?;
            }
        }
        tx.commit()?;
        Ok(events.len())
    }

    pub(crate) fn ticket_by_idempotency_key(
        &self,
        key: &str,
    ) -> Result<Option<StoredTicket>, StoreError> {
        Ok(select_by_key(&self.lock(), key)?)
    }

    pub(crate) fn ticket_by_reference(
        &self,
        reference: &str,
    ) -> Result<Option<StoredTicket>, StoreError> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE reference = ?1");
        Ok(self
            .lock()
            .query_row(&sql, [reference], ticket_from_row)
            .optional()?)
    }

    pub(crate) fn list_tickets(
        &self,
        range: &TimeRange,
        limit: i64,
    ) -> Result<Vec<StoredTicket>, StoreError> {
        let (since, until) = range.bounds();
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM tickets WHERE created_at >= ?1 AND created_at <= ?2 \
             ORDER BY created_at DESC, id DESC LIMIT ?3"
        );
        let conn = self.lock();
        let mut statement = conn.prepare(&sql)?;
        let rows = statement.query_map(params![since, until, limit], ticket_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub(crate) fn count_tickets(&self) -> Result<i64, StoreError> {
        Ok(self
            .lock()
            .query_row("SELECT COUNT(*) FROM tickets", [], |row| row.get(0))?)
    }

    pub(crate) fn count_events(&self) -> Result<i64, StoreError> {
        Ok(self
            .lock()
            .query_row("SELECT COUNT(*) FROM events", [], |row| row.get(0))?)
    }

    pub(crate) fn report(&self, range: &TimeRange, limit: i64) -> Result<Report, StoreError> {
        let (since, until) = range.bounds();
        let conn = self.lock();
        let counted = |sql: &str| -> rusqlite::Result<Vec<Counted>> {
            let mut statement = conn.prepare(&numbered(sql))?;
            let rows =
                statement.query_map(params![since, until, limit], |row| Counted::from_row(row))?;
            rows.collect()
        };
        let (searches, zero_result_searches) = conn.query_row(
            &numbered(report_sql::SEARCH_TOTALS),
            params![since, until],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let top_searches = counted(report_sql::TOP_SEARCHES)?;
        let zero_result_queries = counted(report_sql::ZERO_RESULTS)?;
        let missed_queries = counted(report_sql::MISSES)?;
        let deflections = counted(report_sql::DEFLECTIONS)?;
        let mut least_helpful: Vec<Votes> = conn
            .prepare(&numbered(report_sql::LEAST_HELPFUL))?
            .query_map(params![since, until, limit], |row| Votes::from_row(row))?
            .collect::<Result<_, _>>()?;
        let reasons = conn
            .prepare(&numbered(report_sql::REASONS))?
            .query_map(params![since, until], |row| texts_and_count(row))?
            .collect::<Result<_, _>>()?;
        attach_reasons(&mut least_helpful, reasons);
        let comments = conn
            .prepare(&numbered(report_sql::COMMENTS))?
            .query_map(params![since, until], |row| three_texts(row))?
            .collect::<Result<_, _>>()?;
        attach_comments(&mut least_helpful, comments);
        let mut flows: Vec<FlowOutcomes> = conn
            .prepare(&numbered(report_sql::FLOWS))?
            .query_map(params![since, until, limit], |row| {
                FlowOutcomes::from_row(row)
            })?
            .collect::<Result<_, _>>()?;
        let stops = conn
            .prepare(&numbered(report_sql::FLOW_STOPS))?
            .query_map(params![since, until], |row| texts_and_count(row))?
            .collect::<Result<_, _>>()?;
        attach_stops(&mut flows, stops);
        let tickets = conn.query_row(
            &numbered(report_sql::TICKETS),
            params![since, until],
            |row| row.get(0),
        )?;
        Ok(Report {
            searches,
            zero_result_searches,
            top_searches,
            zero_result_queries,
            missed_queries,
            least_helpful,
            flows,
            deflections,
            tickets,
        })
    }

    pub(crate) fn claim_deliveries(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let claimed: Vec<(i64, String, String, String, u32)> = tx
            .prepare(
                "UPDATE webhook_deliveries SET next_attempt_ms = ?2 WHERE id IN \
                 (SELECT id FROM webhook_deliveries WHERE status = 'pending' \
                  AND next_attempt_ms <= ?1 ORDER BY next_attempt_ms, id LIMIT ?3) \
                 RETURNING id, ticket_reference, kind, url, attempts",
            )?
            .query_map(params![now_ms, lease_until_ms, limit], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE reference = ?1");
        let mut deliveries = Vec::with_capacity(claimed.len());
        for (id, reference, kind, url, attempts) in claimed {
            let ticket = tx.query_row(&sql, [&reference], ticket_from_row)?;
            // A kind this version does not know (written by a newer server sharing the file)
            // is left leased; the newer server delivers it when the lease ends.
            if let Some(kind) = WebhookKind::parse(&kind) {
                deliveries.push(Delivery {
                    id,
                    target: WebhookTarget { kind, url },
                    attempts,
                    ticket,
                });
            }
        }
        tx.commit()?;
        Ok(deliveries)
    }

    pub(crate) fn finish_delivery(
        &self,
        id: i64,
        result: &DeliveryResult,
    ) -> Result<(), StoreError> {
        let conn = self.lock();
        match result {
            DeliveryResult::Delivered => conn.execute(
                "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, \
                 last_error = NULL WHERE id = ?1",
                [id],
            )?,
            DeliveryResult::Retry {
                next_attempt_ms,
                error,
            } => conn.execute(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_ms = ?2, \
                 last_error = ?3 WHERE id = ?1",
                params![id, next_attempt_ms, error],
            )?,
            DeliveryResult::GaveUp { error } => conn.execute(
                "UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, \
                 last_error = ?2 WHERE id = ?1",
                params![id, error],
            )?,
        };
        Ok(())
    }

    pub(crate) fn deliveries_for(
        &self,
        reference: &str,
    ) -> Result<Vec<DeliveryStatus>, StoreError> {
        let conn = self.lock();
        let mut statement = conn.prepare(
            "SELECT kind, url, status, attempts, last_error FROM webhook_deliveries \
             WHERE ticket_reference = ?1 ORDER BY id",
        )?;
        let rows = statement.query_map([reference], |row| {
            Ok(DeliveryStatus {
                kind: row.get(0)?,
                url: row.get(1)?,
                status: row.get(2)?,
                attempts: row.get(3)?,
                last_error: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub(crate) fn ping(&self) -> Result<(), StoreError> {
        self.lock().query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    /// Locks the connection. A panic while the lock was held cannot leave a half-written ticket,
    /// because an open transaction rolls back when dropped during unwinding, so a poisoned lock
    /// is safe to take over instead of failing every later request.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs the migrations this file has not seen yet, each in its own transaction with its version.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > known {
        return Err(StoreError(ErrorKind::Migration { found, known }));
    }
    for (version, sql) in (1..).zip(MIGRATIONS.iter()) {
        if version > found {
            tx.execute_batch(sql)?;
        }
    }
    // PRAGMA takes no parameters; the value is our own integer.
    tx.execute_batch(&format!("PRAGMA user_version = {known}"))?;
    tx.commit()?;
    Ok(())
}

fn select_by_key(conn: &Connection, key: &str) -> rusqlite::Result<Option<StoredTicket>> {
    let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE idempotency_key = ?1");
    conn.query_row(&sql, [key], ticket_from_row).optional()
}

fn ticket_from_row(row: &Row<'_>) -> rusqlite::Result<StoredTicket> {
    Ok(StoredTicket {
        reference: row.get(0)?,
        idempotency_key: row.get(1)?,
        created_at: row.get(2)?,
        name: row.get(3)?,
        contact: row.get(4)?,
        category: row.get(5)?,
        message: row.get(6)?,
        locale: row.get(7)?,
        page_url: row.get(8)?,
        context_json: row.get(9)?,
        subject: row.get(10)?,
    })
}

impl ReportRow for Row<'_> {
    type Error = rusqlite::Error;

    fn text(&self, column: usize) -> rusqlite::Result<String> {
        self.get(column)
    }

    fn optional_text(&self, column: usize) -> rusqlite::Result<Option<String>> {
        self.get(column)
    }

    fn count(&self, column: usize) -> rusqlite::Result<i64> {
        self.get(column)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn open_creates_parent_directories_and_migrates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/c/kefu.db");
        let store = SqliteStore::open(&path).unwrap();
        store.ping().unwrap();
        assert!(path.is_file());
        assert_eq!(store.path(), path);
        let version: i64 = store
            .lock()
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(version, i64::try_from(MIGRATIONS.len()).unwrap());
        drop(store);
        // Opening again runs nothing twice.
        SqliteStore::open(&path).unwrap().ping().unwrap();
    }

    #[test]
    fn a_pre_versioning_database_is_migrated_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute(
            "INSERT INTO tickets (reference, idempotency_key, created_at, message) \
             VALUES ('KF-222222', 'old-key-1', '2024-01-01T00:00:00Z', 'old')",
            [],
        )
        .unwrap();
        drop(conn);
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.count_tickets().unwrap(), 1);
        assert_eq!(store.count_events().unwrap(), 0);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch("PRAGMA user_version = 99")
            .unwrap();
        let err = SqliteStore::open(&path).unwrap_err().to_string();
        assert!(err.contains("version 99"), "{err}");
    }

    #[test]
    fn open_error_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        // A directory cannot be opened as a database file.
        let err = SqliteStore::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
    }
}

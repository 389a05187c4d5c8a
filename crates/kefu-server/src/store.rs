//! Ticket storage in SQLite. All SQL lives in this module so that another backend (PostgreSQL)
//! can later be added behind the same methods without touching the HTTP layer.
//!
//! Every method is blocking; async callers run them with `tokio::task::spawn_blocking`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use kefu_protocol::TicketRequest;
use rusqlite::{Connection, OptionalExtension as _, Row, TransactionBehavior, params};

use crate::reference;

/// How many fresh references to try when a random one is already taken before giving up; with
/// 887 million codes, even one retry is rare, so exhausting these means something else is wrong.
const MAX_REFERENCE_ATTEMPTS: usize = 10;

/// How long a write waits for another process holding the database lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tickets (
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
);
";

const TICKET_COLUMNS: &str = "reference, idempotency_key, created_at, name, contact, category, \
                              message, locale, page_url, context_json";

/// The database lets SQLite stamp `created_at` so every writer, in any process, uses one clock
/// and one format: RFC 3339 in UTC with whole seconds.
const INSERT_TICKET: &str = "
INSERT INTO tickets (reference, idempotency_key, created_at, name, contact, category, message,
                     locale, page_url, context_json)
VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?3, ?4, ?5, ?6, ?7, ?8, ?9)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING created_at
";

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
    /// The message exactly as sent, because its line breaks and spacing may matter.
    pub message: String,
    /// The widget's locale, trimmed; `None` when not given or blank.
    pub locale: Option<String>,
    /// The page the widget was opened on, trimmed; `None` when not given or blank.
    pub page_url: Option<String>,
    /// The request's `context` object as JSON, kept whole so new context fields need no migration.
    pub context_json: Option<String>,
}

/// The result of [`Store::insert_ticket`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertOutcome {
    /// The ticket now stored under the request's idempotency key.
    pub ticket: StoredTicket,
    /// True when the key already had a ticket, which was returned unchanged instead of inserting.
    pub duplicate: bool,
}

/// A storage failure. Its message is for the server's log, never for clients; like other error
/// types its `Display` describes this level only, and the cause is available from `source()`.
#[derive(Debug)]
pub struct StoreError(ErrorKind);

#[derive(Debug)]
enum ErrorKind {
    CreateDir(PathBuf, std::io::Error),
    Open(PathBuf, rusqlite::Error),
    NotWal(String),
    Sqlite(rusqlite::Error),
    Encode(serde_json::Error),
    Random(getrandom::Error),
    ReferencesExhausted,
    VanishedDuplicate,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            ErrorKind::CreateDir(path, _) => {
                write!(f, "could not create directory {}", path.display())
            }
            ErrorKind::Open(path, _) => {
                write!(f, "could not open database {}", path.display())
            }
            ErrorKind::NotWal(mode) => write!(
                f,
                "the database refused write-ahead logging (journal mode is {mode}); \
                 use a file on a local filesystem"
            ),
            ErrorKind::Sqlite(_) => write!(f, "database error"),
            ErrorKind::Encode(_) => write!(f, "could not encode ticket context"),
            ErrorKind::Random(_) => write!(f, "no random numbers for a reference"),
            ErrorKind::ReferencesExhausted => write!(
                f,
                "every one of {MAX_REFERENCE_ATTEMPTS} random references was already taken"
            ),
            ErrorKind::VanishedDuplicate => write!(
                f,
                "the idempotency key conflicted but its ticket could not be read back"
            ),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0 {
            ErrorKind::CreateDir(_, err) => Some(err),
            ErrorKind::Open(_, err) | ErrorKind::Sqlite(err) => Some(err),
            ErrorKind::Encode(err) => Some(err),
            ErrorKind::Random(err) => Some(err),
            ErrorKind::NotWal(_)
            | ErrorKind::ReferencesExhausted
            | ErrorKind::VanishedDuplicate => None,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        Self(ErrorKind::Sqlite(err))
    }
}

/// The ticket database: one SQLite connection, shared behind a mutex.
///
/// One connection is plenty for a help widget's ticket rate, and serialising writers in-process
/// means SQLite's lock is only ever contended by other processes sharing the file.
pub struct Store {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens the database at `path`, creating the file, its parent directories and the schema
    /// when missing, and switches on write-ahead logging with full fsync so an acknowledged
    /// ticket survives a crash or power loss.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|err| StoreError(ErrorKind::CreateDir(parent.to_path_buf(), err)))?;
        }
        let conn = Connection::open(&path)
            .map_err(|err| StoreError(ErrorKind::Open(path.clone(), err)))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // journal_mode answers with the mode actually in force, which is not WAL on filesystems
        // that cannot share memory maps; refusing to start beats silently weaker durability.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError(ErrorKind::NotWal(mode)));
        }
        // synchronous is per connection, so it is set on every open rather than stored in the file.
        conn.execute_batch("PRAGMA synchronous = FULL;")?;
        conn.execute_batch(SCHEMA)?;
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

    /// Stores a new ticket for `req`, or returns the ticket its idempotency key already created.
    ///
    /// The request must already be validated. The write is committed (and, with
    /// `synchronous = FULL`, on disk) before this returns. An existing ticket is never changed,
    /// even when the repeated request carries different content.
    pub fn insert_ticket(&self, req: &TicketRequest) -> Result<InsertOutcome, StoreError> {
        let context_json = req
            .context
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|err| StoreError(ErrorKind::Encode(err)))?;

        let mut conn = self.lock();
        // IMMEDIATE takes the write lock up front, so the look-up and the insert below see the
        // same database even when another process writes to the same file.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(ticket) = select_by_key(&tx, &req.idempotency_key)? {
            return Ok(InsertOutcome {
                ticket,
                duplicate: true,
            });
        }

        let mut ticket = StoredTicket {
            reference: String::new(),
            idempotency_key: req.idempotency_key.clone(),
            created_at: String::new(),
            name: non_blank(req.name.as_deref()),
            contact: non_blank(req.contact.as_deref()),
            category: non_blank(req.category.as_deref()),
            message: req.message.clone(),
            locale: non_blank(req.locale.as_deref()),
            page_url: non_blank(req.page_url.as_deref()),
            context_json,
        };
        for _ in 0..MAX_REFERENCE_ATTEMPTS {
            ticket.reference =
                reference::generate().map_err(|err| StoreError(ErrorKind::Random(err)))?;
            let inserted = tx
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
                    ],
                    |row| row.get::<_, String>(0),
                )
                .optional();
            match inserted {
                Ok(Some(created_at)) => {
                    tx.commit()?;
                    ticket.created_at = created_at;
                    return Ok(InsertOutcome {
                        ticket,
                        duplicate: false,
                    });
                }
                // The key appeared after the look-up above, which the IMMEDIATE transaction
                // should prevent; answering with the winner's ticket is still the right outcome.
                Ok(None) => {
                    let existing = select_by_key(&tx, &req.idempotency_key)?
                        .ok_or(StoreError(ErrorKind::VanishedDuplicate))?;
                    return Ok(InsertOutcome {
                        ticket: existing,
                        duplicate: true,
                    });
                }
                // Only this statement failed; the transaction is still usable for another try.
                Err(err) if is_unique_violation(&err, "tickets.reference") => {}
                Err(err) => return Err(err.into()),
            }
        }
        Err(StoreError(ErrorKind::ReferencesExhausted))
    }

    /// The ticket created with `key`, if any.
    pub fn ticket_by_idempotency_key(&self, key: &str) -> Result<Option<StoredTicket>, StoreError> {
        Ok(select_by_key(&self.lock(), key)?)
    }

    /// The ticket with `reference`, if any.
    pub fn ticket_by_reference(&self, reference: &str) -> Result<Option<StoredTicket>, StoreError> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE reference = ?1");
        Ok(self
            .lock()
            .query_row(&sql, [reference], ticket_from_row)
            .optional()?)
    }

    /// How many tickets are stored.
    pub fn count_tickets(&self) -> Result<u64, StoreError> {
        let count: i64 = self
            .lock()
            .query_row("SELECT COUNT(*) FROM tickets", [], |row| row.get(0))?;
        // SQLite integers are signed, but a count is never negative.
        Ok(count.unsigned_abs())
    }

    /// Runs a trivial query, proving the database file is open and readable.
    pub fn ping(&self) -> Result<(), StoreError> {
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
    })
}

fn non_blank(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Whether `err` is SQLite refusing a duplicate in the UNIQUE column `column` (`table.column`).
fn is_unique_violation(err: &rusqlite::Error, column: &str) -> bool {
    match err {
        rusqlite::Error::SqliteFailure(failure, message) => {
            failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                && message.as_deref().is_some_and(|m| m.contains(column))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn request(key: &str) -> TicketRequest {
        TicketRequest {
            idempotency_key: key.into(),
            message: "  hello\nworld  ".into(),
            name: Some("  Ada ".into()),
            contact: Some("   ".into()),
            ..TicketRequest::default()
        }
    }

    #[test]
    fn insert_normalises_optional_fields_and_keeps_message() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("t.db")).unwrap();
        let outcome = store.insert_ticket(&request("key-00001")).unwrap();
        assert!(!outcome.duplicate);
        assert_eq!(outcome.ticket.name.as_deref(), Some("Ada"));
        assert_eq!(outcome.ticket.contact, None);
        assert_eq!(outcome.ticket.message, "  hello\nworld  ");
        assert_eq!(outcome.ticket.context_json, None);
        let read = store
            .ticket_by_reference(&outcome.ticket.reference)
            .unwrap();
        assert_eq!(read, Some(outcome.ticket));
    }

    #[test]
    fn reference_collision_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("t.db")).unwrap();
        let first = store.insert_ticket(&request("key-00001")).unwrap().ticket;
        let conn = store.lock();
        let err = conn
            .execute(
                "INSERT INTO tickets (reference, idempotency_key, created_at, message) \
                 VALUES (?1, 'other-key', 'x', 'm')",
                [&first.reference],
            )
            .unwrap_err();
        assert!(is_unique_violation(&err, "tickets.reference"), "{err}");
        assert!(!is_unique_violation(&err, "tickets.idempotency_key"));
    }

    #[test]
    fn open_creates_parent_directories() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/c/kefu.db");
        let store = Store::open(&path).unwrap();
        store.ping().unwrap();
        assert!(path.is_file());
        assert_eq!(store.path(), path);
    }

    #[test]
    fn open_error_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        // A directory cannot be opened as a database file.
        let err = Store::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
    }
}

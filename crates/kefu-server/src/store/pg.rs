//! The PostgreSQL backend, for sites that run several server instances on one database.
//!
//! A small pool of our own: [`POOL_SIZE`] connections, each behind an async mutex and reopened
//! when it breaks. A pool crate (deadpool) would add a dependency tree for the thirty lines here.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use kefu_protocol::Event;
use tokio::sync::{Mutex, MutexGuard};
use tokio_postgres::{Client, NoTls, Row};

use super::{
    Counted, Delivery, DeliveryResult, DeliveryStatus, ErrorKind, EventRow, FlowOutcomes,
    InsertOutcome, MAX_REFERENCE_ATTEMPTS, Report, ReportRow, StoreError, StoredTicket, TimeRange,
    Votes, attach_comments, attach_reasons, attach_stops, redact_password, report_sql,
    texts_and_count, three_texts,
};
use crate::reference;
use crate::webhook::{WebhookKind, WebhookTarget};

/// Connections per server instance. Writes are short transactions, so a few connections keep
/// up with far more tickets than a help widget sees, and many instances fit under PostgreSQL's
/// default `max_connections` of 100.
pub const POOL_SIZE: usize = 8;

/// Any key works as long as every Kefu instance uses the same one: it serialises migrations when
/// several instances start at once.
const MIGRATION_LOCK: i64 = 0x6b65_6675; // "kefu"

/// The schema, one entry per version, recorded in `kefu_schema_version`. Same tables and columns
/// as SQLite's, with PostgreSQL types.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE tickets (
        id BIGSERIAL PRIMARY KEY,
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
        id BIGSERIAL PRIMARY KEY,
        received_at TEXT NOT NULL,
        kind TEXT NOT NULL,
        locale TEXT,
        query TEXT,
        hits BIGINT,
        target TEXT,
        target_id TEXT,
        helpful BOOLEAN,
        reason TEXT,
        comment TEXT,
        outcome TEXT,
        last_node TEXT
    );
    CREATE INDEX events_kind_received_at ON events (kind, received_at);
    CREATE TABLE webhook_deliveries (
        id BIGSERIAL PRIMARY KEY,
        ticket_reference TEXT NOT NULL REFERENCES tickets (reference),
        kind TEXT NOT NULL,
        url TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms BIGINT NOT NULL,
        last_error TEXT
    );
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_ms);",
    // Version 3: the one-line subject of the contact form.
    "ALTER TABLE tickets ADD COLUMN subject TEXT;",
];

/// The same RFC 3339 UTC text SQLite's `strftime` gives.
const NOW: &str = "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

const TICKET_COLUMNS: &str = "reference, idempotency_key, created_at, name, contact, category, \
                              message, locale, page_url, context_json, subject";

/// The PostgreSQL store.
pub struct PgStore {
    config: tokio_postgres::Config,
    display_url: String,
    slots: Vec<Mutex<Option<Client>>>,
    next: AtomicUsize,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("url", &self.display_url)
            .finish_non_exhaustive()
    }
}

type Slot<'a> = MutexGuard<'a, Option<Client>>;

impl PgStore {
    /// Connects, proving the server is reachable, and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let display_url = redact_password(url);
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|err| StoreError(ErrorKind::Connect(display_url.clone(), err)))?;
        let store = Self {
            config,
            display_url,
            slots: (0..POOL_SIZE).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        };
        let mut slot = store.client().await?;
        migrate(client_of(&mut slot)?).await?;
        drop(slot);
        Ok(store)
    }

    /// A free connection if there is one, else the next in turn; (re)connects a missing or
    /// broken one, so a PostgreSQL restart costs the requests in flight and nothing more.
    async fn client(&self) -> Result<Slot<'_>, StoreError> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let count = self.slots.len();
        let mut guard = None;
        for offset in 0..count {
            if let Ok(slot) = self.slots[(start + offset) % count].try_lock() {
                guard = Some(slot);
                break;
            }
        }
        let mut slot = match guard {
            Some(slot) => slot,
            None => self.slots[start % count].lock().await,
        };
        if slot.as_ref().is_none_or(Client::is_closed) {
            let (client, connection) = self
                .config
                .connect(NoTls)
                .await
                .map_err(|err| StoreError(ErrorKind::Connect(self.display_url.clone(), err)))?;
            tokio::spawn(async move {
                if let Err(err) = connection.await {
                    eprintln!("kefu-server: PostgreSQL connection closed: {err}");
                }
            });
            *slot = Some(client);
        }
        Ok(slot)
    }

    pub(crate) async fn insert_ticket(
        &self,
        mut ticket: StoredTicket,
        webhooks: &[WebhookTarget],
        now_ms: i64,
    ) -> Result<InsertOutcome, StoreError> {
        let mut slot = self.client().await?;
        let client = client_of(&mut slot)?;
        let tx = client.transaction().await?;
        if let Some(existing) = select_by_key(&tx, &ticket.idempotency_key).await? {
            return Ok(InsertOutcome {
                ticket: existing,
                duplicate: true,
            });
        }
        let insert = format!(
            "INSERT INTO tickets (reference, idempotency_key, created_at, name, contact, category, \
             message, locale, page_url, context_json, subject) \
             VALUES ($1, $2, {NOW}, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT DO NOTHING RETURNING created_at"
        );
        for _ in 0..MAX_REFERENCE_ATTEMPTS {
            ticket.reference =
                reference::generate().map_err(|err| StoreError(ErrorKind::Random(err)))?;
            // A concurrent insert of the same key blocks here until the other transaction ends,
            // then does nothing; the look-up below (a new statement) sees the committed row.
            let inserted = tx
                .query_opt(
                    &insert,
                    &[
                        &ticket.reference,
                        &ticket.idempotency_key,
                        &ticket.name,
                        &ticket.contact,
                        &ticket.category,
                        &ticket.message,
                        &ticket.locale,
                        &ticket.page_url,
                        &ticket.context_json,
                        &ticket.subject,
                    ],
                )
                .await?;
            let Some(row) = inserted else {
                if let Some(existing) = select_by_key(&tx, &ticket.idempotency_key).await? {
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
                     VALUES ($1, $2, $3, $4)",
                    &[
                        &ticket.reference,
                        &webhook.kind.as_str(),
                        &webhook.url,
                        &now_ms,
                    ],
                )
                .await?;
            }
            tx.commit().await?;
            ticket.created_at = row.try_get(0)?;
            return Ok(InsertOutcome {
                ticket,
                duplicate: false,
            });
        }
        Err(StoreError(ErrorKind::ReferencesExhausted))
    }

    pub(crate) async fn insert_events(&self, events: &[Event]) -> Result<usize, StoreError> {
        let mut slot = self.client().await?;
        let client = client_of(&mut slot)?;
        let tx = client.transaction().await?;
        let insert = tx
            .prepare(&format!(
                "INSERT INTO events (received_at, kind, locale, query, hits, target, target_id, \
                 helpful, reason, comment, outcome, last_node) \
                 VALUES ({NOW}, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            ))
            .await?;
        for event in events {
            let row = EventRow::from_event(event);
            tx.execute(
                &insert,
                &[
                    &row.kind,
                    &row.locale,
                    &row.query,
                    &row.hits,
                    &row.target,
                    &row.target_id,
                    &row.helpful,
                    &row.reason,
                    &row.comment,
                    &row.outcome,
                    &row.last_node,
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(events.len())
    }

    pub(crate) async fn ticket_by_idempotency_key(
        &self,
        key: &str,
    ) -> Result<Option<StoredTicket>, StoreError> {
        let mut slot = self.client().await?;
        select_by_key(client_of(&mut slot)?, key).await
    }

    pub(crate) async fn ticket_by_reference(
        &self,
        reference: &str,
    ) -> Result<Option<StoredTicket>, StoreError> {
        let mut slot = self.client().await?;
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE reference = $1");
        client_of(&mut slot)?
            .query_opt(&sql, &[&reference])
            .await?
            .map(|row| ticket_from_row(&row))
            .transpose()
    }

    pub(crate) async fn list_tickets(
        &self,
        range: &TimeRange,
        limit: i64,
    ) -> Result<Vec<StoredTicket>, StoreError> {
        let (since, until) = range.bounds();
        let mut slot = self.client().await?;
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM tickets WHERE created_at >= $1 AND created_at <= $2 \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        );
        client_of(&mut slot)?
            .query(&sql, &[&since, &until, &limit])
            .await?
            .iter()
            .map(ticket_from_row)
            .collect()
    }

    pub(crate) async fn count_tickets(&self) -> Result<i64, StoreError> {
        self.scalar("SELECT COUNT(*) FROM tickets").await
    }

    pub(crate) async fn count_events(&self) -> Result<i64, StoreError> {
        self.scalar("SELECT COUNT(*) FROM events").await
    }

    async fn scalar(&self, sql: &str) -> Result<i64, StoreError> {
        let mut slot = self.client().await?;
        Ok(client_of(&mut slot)?
            .query_one(sql, &[])
            .await?
            .try_get(0)?)
    }

    pub(crate) async fn report(&self, range: &TimeRange, limit: i64) -> Result<Report, StoreError> {
        let (since, until) = range.bounds();
        let mut slot = self.client().await?;
        let client = client_of(&mut slot)?;
        // Each report query's rows, built by `from_row`.
        let rows = async |sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]| {
            client.query(sql, params).await
        };
        let counted = async |sql: &str| -> Result<Vec<Counted>, StoreError> {
            let rows = rows(sql, &[&since, &until, &limit]).await?;
            Ok(rows
                .iter()
                .map(Counted::from_row)
                .collect::<Result<_, _>>()?)
        };
        let top_searches = counted(report_sql::TOP_SEARCHES).await?;
        let zero_result_queries = counted(report_sql::ZERO_RESULTS).await?;
        let missed_queries = counted(report_sql::MISSES).await?;
        let deflections = counted(report_sql::DEFLECTIONS).await?;
        let totals = client
            .query_one(report_sql::SEARCH_TOTALS, &[&since, &until])
            .await?;
        let mut least_helpful = rows(report_sql::LEAST_HELPFUL, &[&since, &until, &limit])
            .await?
            .iter()
            .map(Votes::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let reasons = rows(report_sql::REASONS, &[&since, &until])
            .await?
            .iter()
            .map(texts_and_count)
            .collect::<Result<Vec<_>, _>>()?;
        attach_reasons(&mut least_helpful, reasons);
        let comments = rows(report_sql::COMMENTS, &[&since, &until])
            .await?
            .iter()
            .map(three_texts)
            .collect::<Result<Vec<_>, _>>()?;
        attach_comments(&mut least_helpful, comments);
        let mut flows = rows(report_sql::FLOWS, &[&since, &until, &limit])
            .await?
            .iter()
            .map(FlowOutcomes::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let stops = rows(report_sql::FLOW_STOPS, &[&since, &until])
            .await?
            .iter()
            .map(texts_and_count)
            .collect::<Result<Vec<_>, _>>()?;
        attach_stops(&mut flows, stops);
        let tickets = client
            .query_one(report_sql::TICKETS, &[&since, &until])
            .await?
            .try_get(0)?;
        Ok(Report {
            searches: totals.try_get(0)?,
            zero_result_searches: totals.try_get(1)?,
            top_searches,
            zero_result_queries,
            missed_queries,
            least_helpful,
            flows,
            deflections,
            tickets,
        })
    }

    pub(crate) async fn claim_deliveries(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut slot = self.client().await?;
        let client = client_of(&mut slot)?;
        let tx = client.transaction().await?;
        // SKIP LOCKED lets several instances claim different rows at once without waiting.
        let claimed = tx
            .query(
                "UPDATE webhook_deliveries SET next_attempt_ms = $2 WHERE id IN \
                 (SELECT id FROM webhook_deliveries WHERE status = 'pending' \
                  AND next_attempt_ms <= $1 ORDER BY next_attempt_ms, id LIMIT $3 \
                  FOR UPDATE SKIP LOCKED) \
                 RETURNING id, ticket_reference, kind, url, attempts",
                &[&now_ms, &lease_until_ms, &limit],
            )
            .await?;
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE reference = $1");
        let mut deliveries = Vec::with_capacity(claimed.len());
        for row in claimed {
            let reference: String = row.try_get(1)?;
            let kind: String = row.try_get(2)?;
            let ticket = ticket_from_row(&tx.query_one(&sql, &[&reference]).await?)?;
            if let Some(kind) = WebhookKind::parse(&kind) {
                let attempts: i32 = row.try_get(4)?;
                deliveries.push(Delivery {
                    id: row.try_get(0)?,
                    target: WebhookTarget {
                        kind,
                        url: row.try_get(3)?,
                    },
                    attempts: u32::try_from(attempts).unwrap_or(0),
                    ticket,
                });
            }
        }
        tx.commit().await?;
        Ok(deliveries)
    }

    pub(crate) async fn finish_delivery(
        &self,
        id: i64,
        result: &DeliveryResult,
    ) -> Result<(), StoreError> {
        let mut slot = self.client().await?;
        let client = client_of(&mut slot)?;
        match result {
            DeliveryResult::Delivered => {
                client
                    .execute(
                        "UPDATE webhook_deliveries SET status = 'delivered', \
                         attempts = attempts + 1, last_error = NULL WHERE id = $1",
                        &[&id],
                    )
                    .await?
            }
            DeliveryResult::Retry {
                next_attempt_ms,
                error,
            } => {
                client
                    .execute(
                        "UPDATE webhook_deliveries SET attempts = attempts + 1, \
                         next_attempt_ms = $2, last_error = $3 WHERE id = $1",
                        &[&id, next_attempt_ms, error],
                    )
                    .await?
            }
            DeliveryResult::GaveUp { error } => {
                client
                    .execute(
                        "UPDATE webhook_deliveries SET status = 'failed', \
                         attempts = attempts + 1, last_error = $2 WHERE id = $1",
                        &[&id, error],
                    )
                    .await?
            }
        };
        Ok(())
    }

    pub(crate) async fn deliveries_for(
        &self,
        reference: &str,
    ) -> Result<Vec<DeliveryStatus>, StoreError> {
        let mut slot = self.client().await?;
        client_of(&mut slot)?
            .query(
                "SELECT kind, url, status, attempts, last_error FROM webhook_deliveries \
                 WHERE ticket_reference = $1 ORDER BY id",
                &[&reference],
            )
            .await?
            .iter()
            .map(|row| {
                let attempts: i32 = row.try_get(3)?;
                Ok(DeliveryStatus {
                    kind: row.try_get(0)?,
                    url: row.try_get(1)?,
                    status: row.try_get(2)?,
                    attempts: u32::try_from(attempts).unwrap_or(0),
                    last_error: row.try_get(4)?,
                })
            })
            .collect()
    }

    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        let mut slot = self.client().await?;
        client_of(&mut slot)?.query_one("SELECT 1", &[]).await?;
        Ok(())
    }
}

/// The connection in a slot that [`PgStore::client`] has just filled.
fn client_of<'a>(slot: &'a mut Slot<'_>) -> Result<&'a mut Client, StoreError> {
    slot.as_mut()
        .ok_or_else(|| StoreError(ErrorKind::Task("connection slot was empty".into())))
}

/// Runs the migrations the database has not seen, under an advisory lock so instances starting
/// together do not race, each with its version row in the same transaction.
async fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS kefu_schema_version (version BIGINT NOT NULL)")
        .await?;
    let found: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM kefu_schema_version",
            &[],
        )
        .await?
        .try_get(0)?;
    if found > known {
        return Err(StoreError(ErrorKind::Migration { found, known }));
    }
    for (version, sql) in (1_i64..).zip(MIGRATIONS.iter()) {
        if version > found {
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO kefu_schema_version (version) VALUES ($1)",
                &[&version],
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn select_by_key(
    client: &impl tokio_postgres::GenericClient,
    key: &str,
) -> Result<Option<StoredTicket>, StoreError> {
    let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE idempotency_key = $1");
    client
        .query_opt(&sql, &[&key])
        .await?
        .map(|row| ticket_from_row(&row))
        .transpose()
}

fn ticket_from_row(row: &Row) -> Result<StoredTicket, StoreError> {
    Ok(StoredTicket {
        reference: row.try_get(0)?,
        idempotency_key: row.try_get(1)?,
        created_at: row.try_get(2)?,
        name: row.try_get(3)?,
        contact: row.try_get(4)?,
        category: row.try_get(5)?,
        message: row.try_get(6)?,
        locale: row.try_get(7)?,
        page_url: row.try_get(8)?,
        context_json: row.try_get(9)?,
        subject: row.try_get(10)?,
    })
}

impl ReportRow for Row {
    type Error = tokio_postgres::Error;

    fn text(&self, column: usize) -> Result<String, tokio_postgres::Error> {
        self.try_get(column)
    }

    fn optional_text(&self, column: usize) -> Result<Option<String>, tokio_postgres::Error> {
        self.try_get(column)
    }

    fn count(&self, column: usize) -> Result<i64, tokio_postgres::Error> {
        self.try_get(column)
    }
}

//! `kefu tickets list|show|export` for support agents and `kefu report` for editors: both read the
//! server's database directly, SQLite (`--db PATH`) or PostgreSQL (`--database-url` or
//! `DATABASE_URL`), through `kefu_server::store` — the same code the server writes with, so the
//! CLI can never disagree with it about the schema.
//!
//! Everything a customer typed is printed as inert text: control characters (which could move
//! the cursor or recolour a terminal) are replaced in tables, CSV cells that a spreadsheet would
//! run as a formula are prefixed with `'`, and the report's HTML page escapes all of it
//! ([`html::escape`]).

mod groups;
mod html;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use kefu_server::store::{self, Report, Store, StoredTicket, TimeRange};
use kefu_server::{DEFAULT_DB, Database};
use serde_json::{Value, json};

use crate::args::UsageError;

/// How many tickets `list` shows, and how many lines each report section has, by default.
const DEFAULT_LIMIT: i64 = 50;
/// How many distinct queries the report reads for grouping by similarity, however small
/// `--limit` is: paraphrases are usually rare each, so grouping only the top few would miss them.
/// Comparing all pairs of this many takes a fraction of a second.
const GROUPING_POOL: i64 = 1000;
/// How many phrasings of a group the terminal table lists.
const PHRASINGS_IN_TABLE: usize = 3;
/// How many characters of a message `list` shows in a table.
const EXCERPT_CHARS: usize = 60;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    List,
    Show(String),
    Export,
    Report,
}

/// A parsed `kefu tickets …` or `kefu report` command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataArgs {
    pub action: Action,
    pub db: Option<PathBuf>,
    pub database_url: Option<String>,
    pub range: TimeRange,
    pub limit: i64,
    pub format: Format,
    /// `kefu report --html FILE`: also write the report as an HTML page.
    pub html: Option<PathBuf>,
}

fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

/// Parses the words after `kefu tickets` (`report` is false) or `kefu report` (true).
pub fn parse(report: bool, args: Vec<String>) -> Result<Option<DataArgs>, UsageError> {
    let mut args = args.into_iter();
    let command = if report {
        "kefu report"
    } else {
        "kefu tickets"
    };
    let action = if report {
        Action::Report
    } else {
        match args.next().as_deref() {
            Some("-h" | "--help" | "help") => return Ok(None),
            Some("list") => Action::List,
            Some("export") => Action::Export,
            Some("show") => Action::Show(String::new()),
            None => {
                return Err(usage(
                    "`kefu tickets` needs a subcommand: list, show or export",
                ));
            }
            Some(other) => {
                return Err(usage(format!(
                    "unknown subcommand `kefu tickets {other}`; the subcommands are list, show \
                     and export"
                )));
            }
        }
    };
    let mut parsed = DataArgs {
        action,
        db: None,
        database_url: None,
        range: TimeRange::default(),
        limit: DEFAULT_LIMIT,
        format: Format::Table,
        html: None,
    };
    let mut format = None;
    let mut positionals = Vec::new();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value.into())),
            _ => (arg.clone(), None),
        };
        if !flag.starts_with('-') {
            positionals.push(arg);
            continue;
        }
        let mut value = |name: &str| -> Result<String, UsageError> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| usage(format!("`{name}` needs a value")))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--db" => parsed.db = Some(value(&flag)?.into()),
            "--database-url" => parsed.database_url = Some(value(&flag)?),
            "--since" => parsed.range.since = Some(parse_time(&value(&flag)?, false)?),
            "--until" => parsed.range.until = Some(parse_time(&value(&flag)?, true)?),
            "--limit" => {
                let text = value(&flag)?;
                parsed.limit = text.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    usage(format!("`--limit` takes a positive number, not `{text}`"))
                })?;
            }
            "--format" => format = Some(value(&flag)?),
            "--html" if report => parsed.html = Some(value(&flag)?.into()),
            _ => return Err(usage(format!("unknown option `{flag}` for `{command}`"))),
        }
    }
    let mut positionals = positionals.into_iter();
    if let Action::Show(reference) = &mut parsed.action {
        *reference = positionals.next().ok_or_else(|| {
            usage("`kefu tickets show` needs the ticket's REFERENCE, like KF-7Q3M2K")
        })?;
    }
    if let Some(extra) = positionals.next() {
        return Err(usage(format!(
            "unexpected argument `{extra}` for `{command}`"
        )));
    }
    if parsed.db.is_some() && parsed.database_url.is_some() {
        return Err(usage("give either `--db` or `--database-url`, not both"));
    }
    let exporting = parsed.action == Action::Export;
    let tabular = matches!(parsed.action, Action::List | Action::Export);
    parsed.format = match format.as_deref() {
        None if exporting => {
            return Err(usage(
                "`kefu tickets export` needs `--format csv` or `--format json`",
            ));
        }
        None => Format::Table,
        Some("table") if !exporting => Format::Table,
        Some("json") => Format::Json,
        Some("csv") if tabular => Format::Csv,
        Some(other) => {
            let allowed = match parsed.action {
                Action::Export => "csv or json",
                Action::List => "table, json or csv",
                Action::Show(_) | Action::Report => "table or json",
            };
            return Err(usage(format!(
                "`--format {other}` is not available here; use {allowed}"
            )));
        }
    };
    Ok(Some(parsed))
}

/// `2025-01-31` (the whole day) or `2025-01-31T09:30:00Z`, as the database stores times.
fn parse_time(value: &str, end_of_day: bool) -> Result<String, UsageError> {
    let digits_at = |text: &str, positions: &[usize]| {
        positions
            .iter()
            .all(|i| text.as_bytes().get(*i).is_some_and(u8::is_ascii_digit))
    };
    let date_ok = value.len() >= 10
        && digits_at(value, &[0, 1, 2, 3, 5, 6, 8, 9])
        && value.as_bytes()[4] == b'-'
        && value.as_bytes()[7] == b'-';
    if date_ok && value.len() == 10 {
        let time = if end_of_day { "23:59:59" } else { "00:00:00" };
        return Ok(format!("{value}T{time}Z"));
    }
    let bytes = value.as_bytes();
    if date_ok
        && value.len() == 20
        && bytes[10] == b'T'
        && bytes[13] == b':'
        && bytes[16] == b':'
        && bytes[19] == b'Z'
        && digits_at(value, &[11, 12, 14, 15, 17, 18])
    {
        return Ok(value.to_owned());
    }
    Err(usage(format!(
        "`{value}` is not a date; write 2025-01-31 or 2025-01-31T09:30:00Z (UTC)"
    )))
}

/// Runs a parsed command.
pub fn run(args: &DataArgs) -> Result<ExitCode> {
    let database = match (&args.db, &args.database_url) {
        (Some(path), _) => Database::Sqlite(path.clone()),
        (None, Some(url)) => Database::parse(url),
        (None, None) => match std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(url) => Database::parse(&url),
            None => Database::Sqlite(DEFAULT_DB.into()),
        },
    };
    if let Database::Sqlite(path) = &database
        && !path.is_file()
    {
        // Opening would create an empty database, which only hides the mistake.
        bail!(
            "no ticket database at {}; pass the server's file with --db PATH, or \
             --database-url for PostgreSQL",
            path.display()
        );
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    store::block_on(async {
        let store = Store::open(&database)
            .await
            .with_context(|| format!("opening {database}"))?;
        match &args.action {
            Action::List => {
                let tickets = store.list_tickets(&args.range, args.limit).await?;
                write_tickets(&mut out, &tickets, &args.format)?;
            }
            Action::Export => {
                let tickets = store.list_tickets(&args.range, i64::MAX).await?;
                write_tickets(&mut out, &tickets, &args.format)?;
            }
            Action::Show(reference) => {
                let Some(ticket) = store.ticket_by_reference(reference.trim()).await? else {
                    bail!("no ticket {reference}; `kefu tickets list` shows the latest ones");
                };
                let deliveries = store.deliveries_for(&ticket.reference).await?;
                if args.format == Format::Json {
                    let mut value = ticket_json(&ticket);
                    value["webhooks"] = deliveries
                        .iter()
                        .map(|d| {
                            json!({ "kind": d.kind, "status": d.status, "attempts": d.attempts,
                                    "last_error": d.last_error })
                        })
                        .collect();
                    writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
                } else {
                    write_show(&mut out, &ticket, &deliveries)?;
                }
            }
            Action::Report => {
                let mut report = store
                    .report(&args.range, args.limit.max(GROUPING_POOL))
                    .await?;
                let zero_result_groups =
                    limited(groups::group(&report.zero_result_queries), args.limit);
                let missed_groups = limited(groups::group(&report.missed_queries), args.limit);
                truncate_report(&mut report, args.limit);
                let grouped = Grouped {
                    zero_results: &zero_result_groups,
                    missed: &missed_groups,
                };
                if let Some(path) = &args.html {
                    let page =
                        html::render(&report, grouped.zero_results, grouped.missed, &args.range);
                    std::fs::write(path, page).with_context(|| {
                        format!("writing the HTML report to {}", path.display())
                    })?;
                    // The page path goes to stderr so `--format json` output stays parseable.
                    eprintln!("wrote the HTML report to {}", path.display());
                }
                if args.format == Format::Json {
                    writeln!(
                        out,
                        "{}",
                        serde_json::to_string_pretty(&report_json(&report, &grouped))?
                    )?;
                } else {
                    write_report(&mut out, &report, &grouped, &args.range)?;
                }
            }
        }
        out.flush()?;
        Ok::<_, anyhow::Error>(ExitCode::SUCCESS)
    })?
}

fn ticket_json(ticket: &StoredTicket) -> Value {
    let context = ticket
        .context_json
        .as_deref()
        .and_then(|json| serde_json::from_str::<Value>(json).ok())
        .unwrap_or(Value::Null);
    json!({
        "reference": ticket.reference,
        "created_at": ticket.created_at,
        "name": ticket.name,
        "contact": ticket.contact,
        "category": ticket.category,
        "subject": ticket.subject,
        "message": ticket.message,
        "locale": ticket.locale,
        "page_url": ticket.page_url,
        "context": context,
    })
}

const CSV_COLUMNS: [&str; 10] = [
    "reference",
    "created_at",
    "name",
    "contact",
    "category",
    "locale",
    "page_url",
    "subject",
    "message",
    "context",
];

fn write_tickets(out: &mut impl Write, tickets: &[StoredTicket], format: &Format) -> Result<()> {
    match format {
        Format::Json => {
            let all: Vec<Value> = tickets.iter().map(ticket_json).collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
        }
        Format::Csv => {
            write!(out, "{}\r\n", CSV_COLUMNS.join(","))?;
            for ticket in tickets {
                let cells = [
                    Some(ticket.reference.as_str()),
                    Some(ticket.created_at.as_str()),
                    ticket.name.as_deref(),
                    ticket.contact.as_deref(),
                    ticket.category.as_deref(),
                    ticket.locale.as_deref(),
                    ticket.page_url.as_deref(),
                    ticket.subject.as_deref(),
                    Some(ticket.message.as_str()),
                    ticket.context_json.as_deref(),
                ];
                let line: Vec<String> = cells
                    .iter()
                    .map(|cell| csv_cell(cell.unwrap_or("")))
                    .collect();
                // RFC 4180 ends records with CRLF, which spreadsheets expect.
                write!(out, "{}\r\n", line.join(","))?;
            }
        }
        Format::Table => {
            if tickets.is_empty() {
                writeln!(out, "no tickets")?;
                return Ok(());
            }
            writeln!(
                out,
                "{:<10} {:<20} {:<12} {:<24} SUBJECT OR MESSAGE",
                "REFERENCE", "CREATED", "CATEGORY", "CONTACT"
            )?;
            for ticket in tickets {
                writeln!(
                    out,
                    "{:<10} {:<20} {:<12} {:<24} {}",
                    ticket.reference,
                    ticket.created_at,
                    inert(ticket.category.as_deref().unwrap_or("-")),
                    inert(ticket.contact.as_deref().unwrap_or("-")),
                    excerpt(ticket.subject.as_deref().unwrap_or(&ticket.message))
                )?;
            }
        }
    }
    Ok(())
}

fn write_show(
    out: &mut impl Write,
    ticket: &StoredTicket,
    deliveries: &[kefu_server::store::DeliveryStatus],
) -> Result<()> {
    writeln!(out, "{}  {}", ticket.reference, ticket.created_at)?;
    for (label, value) in [
        ("name", &ticket.name),
        ("contact", &ticket.contact),
        ("category", &ticket.category),
        ("subject", &ticket.subject),
        ("locale", &ticket.locale),
        ("page", &ticket.page_url),
    ] {
        if let Some(value) = value {
            writeln!(out, "{label:<9} {}", inert(value))?;
        }
    }
    writeln!(out)?;
    for line in ticket.message.lines() {
        writeln!(out, "  {}", inert(line))?;
    }
    if let Some(context) = &ticket.context_json {
        writeln!(out, "\ncontext   {}", inert(context))?;
    }
    for delivery in deliveries {
        writeln!(
            out,
            "webhook   {} {} after {} attempt(s){}",
            delivery.kind,
            delivery.status,
            delivery.attempts,
            delivery
                .last_error
                .as_deref()
                .map(|e| format!(": {}", inert(e)))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}

/// The similarity groups of the report's two query lists.
struct Grouped<'a> {
    zero_results: &'a [groups::QueryGroup],
    missed: &'a [groups::QueryGroup],
}

fn limited(mut list: Vec<groups::QueryGroup>, limit: i64) -> Vec<groups::QueryGroup> {
    list.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    list
}

/// Cuts each list of a report read with [`GROUPING_POOL`] back to `--limit` lines.
fn truncate_report(report: &mut Report, limit: i64) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    report.top_searches.truncate(limit);
    report.zero_result_queries.truncate(limit);
    report.missed_queries.truncate(limit);
    report.least_helpful.truncate(limit);
    report.flows.truncate(limit);
    report.deflections.truncate(limit);
}

fn groups_json(list: &[groups::QueryGroup]) -> Value {
    list.iter()
        .map(|group| {
            json!({
                "label": group.label,
                "total": group.total,
                "phrasings": group.phrasings.iter()
                    .map(|p| json!({ "query": p.key, "locale": p.locale, "count": p.count }))
                    .collect::<Vec<_>>(),
            })
        })
        .collect()
}

fn report_json(report: &Report, grouped: &Grouped<'_>) -> Value {
    let counted = |list: &[store::Counted]| -> Value {
        list.iter()
            .map(|c| json!({ "key": c.key, "locale": c.locale, "count": c.count }))
            .collect()
    };
    json!({
        "searches": report.searches,
        "zero_result_searches": report.zero_result_searches,
        "tickets": report.tickets,
        "top_searches": counted(&report.top_searches),
        "zero_result_queries": counted(&report.zero_result_queries),
        "missed_queries": counted(&report.missed_queries),
        "zero_result_groups": groups_json(grouped.zero_results),
        "missed_groups": groups_json(grouped.missed),
        "least_helpful": report.least_helpful.iter().map(|v| json!({
            "target": v.target, "id": v.id, "helpful": v.helpful,
            "not_helpful": v.not_helpful,
            "reasons": v.reasons.iter().map(|(r, n)| json!({ "reason": r, "count": n }))
                .collect::<Vec<_>>(),
            "comments": v.comments,
        })).collect::<Vec<_>>(),
        "flows": report.flows.iter().map(|f| json!({
            "flow_id": f.flow_id, "solved": f.solved, "escalated": f.escalated,
            "abandoned": f.abandoned,
            "stops": f.stops.iter().map(|(outcome, node, n)| json!({
                "outcome": outcome, "node": node, "count": n,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "deflections": counted(&report.deflections),
    })
}

fn write_report(
    out: &mut impl Write,
    report: &Report,
    grouped: &Grouped<'_>,
    range: &TimeRange,
) -> Result<()> {
    writeln!(
        out,
        "Kefu report, {} to {}",
        range.since.as_deref().unwrap_or("the beginning"),
        range.until.as_deref().unwrap_or("now")
    )?;
    writeln!(
        out,
        "{} searches, {} with no result; {} tickets\n",
        report.searches, report.zero_result_searches, report.tickets
    )?;
    let section = |out: &mut dyn Write, title: &str, list: &[store::Counted]| -> Result<()> {
        writeln!(out, "{title}")?;
        if list.is_empty() {
            writeln!(out, "  (none)")?;
        }
        for item in list {
            writeln!(
                out,
                "  {:>6}  {:<8} {}",
                item.count,
                inert(&item.locale),
                inert(&item.key)
            )?;
        }
        writeln!(out)?;
        Ok(())
    };
    let group_section =
        |out: &mut dyn Write, title: &str, list: &[groups::QueryGroup]| -> Result<()> {
            writeln!(out, "{title}")?;
            if list.is_empty() {
                writeln!(out, "  (none)")?;
            }
            for group in list {
                let examples: Vec<String> = group
                    .phrasings
                    .iter()
                    .take(PHRASINGS_IN_TABLE)
                    .map(|p| format!("\"{}\" ×{}", inert(&p.key), p.count))
                    .collect();
                let more = group.phrasings.len().saturating_sub(PHRASINGS_IN_TABLE);
                writeln!(
                    out,
                    "  {:>6}  {}  ({} phrasing{}: {}{})",
                    group.total,
                    inert(&group.label),
                    group.phrasings.len(),
                    if group.phrasings.len() == 1 { "" } else { "s" },
                    examples.join(", "),
                    if more > 0 {
                        format!(", {more} more")
                    } else {
                        String::new()
                    }
                )?;
            }
            writeln!(out)?;
            Ok(())
        };
    group_section(
        out,
        "Questions the KB cannot answer (zero-result searches, similar ones grouped)",
        grouped.zero_results,
    )?;
    group_section(
        out,
        "Searches whose results did not help (similar ones grouped)",
        grouped.missed,
    )?;
    section(out, "Top searches", &report.top_searches)?;
    section(out, "Zero-result queries", &report.zero_result_queries)?;
    section(
        out,
        "Searches whose results did not help",
        &report.missed_queries,
    )?;
    writeln!(out, "Least helpful answers")?;
    if report.least_helpful.is_empty() {
        writeln!(out, "  (none)")?;
    }
    for votes in &report.least_helpful {
        let reasons: Vec<String> = votes
            .reasons
            .iter()
            .map(|(reason, n)| format!("{reason} ×{n}"))
            .collect();
        writeln!(
            out,
            "  {:>4} no / {:<4} yes  {} {}{}",
            votes.not_helpful,
            votes.helpful,
            votes.target,
            inert(&votes.id),
            if reasons.is_empty() {
                String::new()
            } else {
                format!("  ({})", reasons.join(", "))
            }
        )?;
        for comment in &votes.comments {
            writeln!(out, "        “{}”", excerpt(comment))?;
        }
    }
    writeln!(out)?;
    writeln!(out, "Flows (solved / escalated / abandoned)")?;
    if report.flows.is_empty() {
        writeln!(out, "  (none)")?;
    }
    for flow in &report.flows {
        writeln!(
            out,
            "  {:>4} / {:>4} / {:>4}  {}",
            flow.solved,
            flow.escalated,
            flow.abandoned,
            inert(&flow.flow_id)
        )?;
        for (outcome, node, n) in &flow.stops {
            writeln!(
                out,
                "                      {outcome} at {} ×{n}",
                inert(node)
            )?;
        }
    }
    writeln!(out)?;
    section(
        out,
        "Deflections (article opened from the form, form left unsent)",
        &report.deflections,
    )?;
    Ok(())
}

/// Replaces control characters (escape sequences, carriage returns) so customer text cannot
/// drive the agent's terminal.
fn inert(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

/// The message's first characters on one line.
fn excerpt(message: &str) -> String {
    let flat: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = flat.chars();
    let mut short: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        short.push('…');
    }
    inert(&short)
}

/// One RFC 4180 cell. Cells a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR first) get
/// a leading `'`, the usual defence against formula injection from customer text.
fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &[&str]) -> Vec<String> {
        args.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn parses_ranges_formats_and_errors() {
        let Ok(Some(parsed)) = parse(
            false,
            words(&[
                "list",
                "--db",
                "k.db",
                "--since",
                "2025-01-01",
                "--until=2025-01-31",
                "--format",
                "csv",
            ]),
        ) else {
            panic!("did not parse");
        };
        assert_eq!(parsed.range.since.as_deref(), Some("2025-01-01T00:00:00Z"));
        assert_eq!(parsed.range.until.as_deref(), Some("2025-01-31T23:59:59Z"));
        assert_eq!(parsed.format, Format::Csv);
        let error = |report: bool, args: &[&str]| parse(report, words(args)).err().map(|e| e.0);
        assert_eq!(
            error(false, &["export"]),
            Some("`kefu tickets export` needs `--format csv` or `--format json`".into())
        );
        assert_eq!(
            error(true, &["--format", "csv"]),
            Some("`--format csv` is not available here; use table or json".into())
        );
        assert_eq!(
            error(true, &["--since", "yesterday"]),
            Some(
                "`yesterday` is not a date; write 2025-01-31 or 2025-01-31T09:30:00Z (UTC)".into()
            )
        );
        assert_eq!(
            error(false, &["show"]),
            Some("`kefu tickets show` needs the ticket's REFERENCE, like KF-7Q3M2K".into())
        );
        assert!(error(false, &[]).is_some());
        assert_eq!(
            error(false, &["list", "--html", "out.html"]),
            Some("unknown option `--html` for `kefu tickets`".into())
        );
        let Ok(Some(report)) = parse(true, words(&["--html=out.html", "--format", "json"])) else {
            panic!("did not parse");
        };
        assert_eq!(report.html, Some(PathBuf::from("out.html")));
        assert_eq!(report.format, Format::Json);
    }

    #[test]
    fn csv_cells_are_quoted_and_formula_safe() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\"\nbye"), "\"say \"\"hi\"\"\nbye\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+86 138"), "'+86 138");
    }

    #[test]
    fn terminal_text_is_inert() {
        assert_eq!(inert("ok\u{1b}[31mred"), "ok\u{FFFD}[31mred");
        assert_eq!(excerpt("line one\nline two"), "line one line two");
    }
}

//! Command-line parsing for `kefu-server`, written by hand: a handful of flags do not justify an
//! argument-parsing dependency.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::rate_limit::RateLimit;
use crate::store::Database;
use crate::webhook::{WebhookError, WebhookTarget};

/// The address the server listens on when `--listen` is not given.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The database file used when neither `--db` nor `DATABASE_URL` is given.
pub const DEFAULT_DB: &str = "kefu.db";
/// Requests per minute per client when `--rate-limit` is not given: far above what a person
/// submitting a form or a widget sending event batches needs, far below what a flood sends.
pub const DEFAULT_RATE_LIMIT: u32 = 60;
/// Seconds a request may take when `--timeout` is not given.
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;

/// The text printed by `kefu-server --help`.
pub const USAGE: &str = "\
kefu-server: Kefu's escalation endpoint (tickets and events from the widget), with an optional
static server for demos.

Usage: kefu-server [--listen ADDR] [--db PATH | --database-url URL] [--static DIR]
                   [--allow-origin ORIGIN]... [--webhook KIND=URL]...
                   [--rate-limit N] [--timeout SECS]

Options:
  --listen ADDR         Address and port to listen on [default: 127.0.0.1:8080].
                        Port 0 picks a free port; the start-up line shows the one chosen.
  --db PATH             SQLite database file, created with its parent directories if missing
                        [default: kefu.db].
  --database-url URL    PostgreSQL instead, as postgres://user:password@host:port/dbname
                        (also read from the DATABASE_URL environment variable). Use it when
                        several server instances share one database.
  --static DIR          Also serve the files in DIR for every other GET path (demo use only).
  --allow-origin ORIGIN A site allowed to call the API from the browser, like
                        https://shop.example (repeat for each). Without any, only pages served
                        by this server itself can call it.
  --webhook KIND=URL    Announce each new ticket; KIND is json, wecom, dingtalk, feishu or slack
                        (repeat for several). Deliveries are queued in the database and retried.
  --rate-limit N        Requests per minute per client address to the API [default: 60];
                        0 turns the limit off (for example behind a proxy that limits).
  --timeout SECS        Longest time one request may take [default: 10].
  -h, --help            Print this help and exit.

On start it prints one line, `kefu-server listening on http://ADDR (db: PATH, static: DIR)`,
and it stops gracefully on Ctrl-C or SIGTERM, finishing requests and webhook attempts in flight.
";

/// How the server is set up: where it listens, where it stores tickets, what it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The `HOST:PORT` to bind, such as `127.0.0.1:8080` or `[::1]:0`.
    pub listen: String,
    /// The SQLite file or PostgreSQL URL.
    pub database: Database,
    /// A directory whose files are served for GET paths outside the API, if any.
    pub static_dir: Option<PathBuf>,
    /// Origins allowed by CORS, such as `https://shop.example`.
    pub allow_origins: Vec<String>,
    /// Where new tickets are announced.
    pub webhooks: Vec<WebhookTarget>,
    /// The per-client limit, or `None` for no limit.
    pub rate_limit: Option<RateLimit>,
    /// The longest a request may take.
    pub timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.to_owned(),
            database: Database::Sqlite(PathBuf::from(DEFAULT_DB)),
            static_dir: None,
            allow_origins: Vec::new(),
            webhooks: Vec::new(),
            rate_limit: Some(RateLimit {
                per_minute: DEFAULT_RATE_LIMIT,
                burst: DEFAULT_RATE_LIMIT,
            }),
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
        }
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run the server with this configuration.
    Run(Config),
    /// Print [`USAGE`] and exit successfully.
    Help,
}

/// A command line that cannot be understood; the message says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgsError {
    /// A flag this program does not have.
    UnknownFlag(String),
    /// A bare word where a flag was expected.
    UnexpectedArgument(String),
    /// A flag given without the value it needs.
    MissingValue(&'static str),
    /// A flag given more than once, which is more likely a mistake than an override.
    Repeated(&'static str),
    /// A `--listen` value that is not `HOST:PORT`.
    InvalidListen(String),
    /// Both an SQLite file and a PostgreSQL URL.
    TwoDatabases,
    /// A `--database-url` that is not `postgres://…`.
    InvalidDatabaseUrl(String),
    /// An `--allow-origin` that is not `scheme://host[:port]`.
    InvalidOrigin(String),
    /// A bad `--webhook`.
    Webhook(WebhookError),
    /// A flag that takes a whole number got something else.
    InvalidNumber(&'static str, String),
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownFlag(flag) => write!(
                f,
                "unknown flag `{flag}`; the flags are --listen, --db, --database-url, --static, \
                 --allow-origin, --webhook, --rate-limit, --timeout and --help"
            ),
            Self::UnexpectedArgument(arg) => write!(
                f,
                "unexpected argument `{arg}`; every value must follow its flag, as in `--db {arg}`"
            ),
            Self::MissingValue(flag) => write!(f, "`{flag}` needs a value after it"),
            Self::Repeated(flag) => write!(f, "`{flag}` was given more than once; give it once"),
            Self::InvalidListen(value) => write!(
                f,
                "`--listen {value}` is not HOST:PORT; use something like 127.0.0.1:8080 \
                 (port 0 picks a free port)"
            ),
            Self::TwoDatabases => write!(
                f,
                "both an SQLite file (--db) and a PostgreSQL URL (--database-url or \
                 DATABASE_URL) were given; pick one (unset DATABASE_URL to use --db)"
            ),
            Self::InvalidDatabaseUrl(_) => write!(
                f,
                "the database URL must start with postgres:// or postgresql://, like \
                 postgres://kefu:secret@127.0.0.1:5432/kefu; for SQLite use --db PATH"
            ),
            Self::InvalidOrigin(origin) => write!(
                f,
                "`--allow-origin {origin}` is not an origin; write scheme and host only, like \
                 https://shop.example or http://localhost:3000 (no path, no trailing slash)"
            ),
            Self::Webhook(err) => err.fmt(f),
            Self::InvalidNumber(flag, value) => {
                write!(f, "`{flag}` takes a whole number, not `{value}`")
            }
        }
    }
}

impl std::error::Error for ArgsError {}

impl Config {
    /// Parses the arguments after the program name, with no `DATABASE_URL` in the environment.
    pub fn from_args<I>(args: I) -> Result<Command, ArgsError>
    where
        I: IntoIterator<Item = String>,
    {
        Self::from_args_and_env(args, None)
    }

    /// Parses the arguments after the program name; `database_url` is the `DATABASE_URL`
    /// environment variable, if set.
    ///
    /// Flags take their value either as the next argument (`--db kefu.db`) or after `=`
    /// (`--db=kefu.db`). `--help` anywhere wins, so a user who asks for help always gets it.
    pub fn from_args_and_env<I>(args: I, database_url: Option<String>) -> Result<Command, ArgsError>
    where
        I: IntoIterator<Item = String>,
    {
        let args: Vec<String> = args.into_iter().collect();
        if args.iter().any(|arg| arg == "--help" || arg == "-h") {
            return Ok(Command::Help);
        }

        let mut listen = None;
        let mut db = None;
        let mut url = None;
        let mut static_dir = None;
        let mut rate_limit = None;
        let mut timeout = None;
        let mut origins = Vec::new();
        let mut webhooks = Vec::new();
        let mut iter = args.into_iter();
        while let Some(arg) = iter.next() {
            if !arg.starts_with('-') {
                return Err(ArgsError::UnexpectedArgument(arg));
            }
            let (flag, inline_value) = match arg.split_once('=') {
                Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
                None => (arg, None),
            };
            let name: &'static str = match flag.as_str() {
                "--listen" => "--listen",
                "--db" => "--db",
                "--database-url" => "--database-url",
                "--static" => "--static",
                "--allow-origin" => "--allow-origin",
                "--webhook" => "--webhook",
                "--rate-limit" => "--rate-limit",
                "--timeout" => "--timeout",
                _ => return Err(ArgsError::UnknownFlag(flag)),
            };
            let value = match inline_value {
                Some(value) => value,
                // A following flag is not a value: `--db --static x` most likely lost a path.
                None => iter
                    .next()
                    .filter(|value| !value.starts_with("--"))
                    .ok_or(ArgsError::MissingValue(name))?,
            };
            if value.is_empty() {
                return Err(ArgsError::MissingValue(name));
            }
            let slot = match name {
                "--allow-origin" => {
                    origins.push(parse_origin(&value)?);
                    continue;
                }
                "--webhook" => {
                    webhooks.push(value.parse().map_err(ArgsError::Webhook)?);
                    continue;
                }
                "--listen" => &mut listen,
                "--db" => &mut db,
                "--database-url" => &mut url,
                "--static" => &mut static_dir,
                "--rate-limit" => &mut rate_limit,
                _ => &mut timeout,
            };
            if slot.is_some() {
                return Err(ArgsError::Repeated(name));
            }
            *slot = Some(value);
        }

        let listen = listen.unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        if !is_host_port(&listen) {
            return Err(ArgsError::InvalidListen(listen));
        }
        let url = url.or(database_url.filter(|value| !value.is_empty()));
        let database = match (db, url) {
            (Some(_), Some(_)) => return Err(ArgsError::TwoDatabases),
            (Some(path), None) => Database::Sqlite(PathBuf::from(path)),
            (None, Some(url)) => match Database::parse(&url) {
                Database::Postgres(url) => Database::Postgres(url),
                Database::Sqlite(_) => return Err(ArgsError::InvalidDatabaseUrl(url)),
            },
            (None, None) => Database::Sqlite(PathBuf::from(DEFAULT_DB)),
        };
        let number = |flag: &'static str, value: Option<String>, default: u64| match value {
            None => Ok(default),
            Some(value) => value
                .parse::<u64>()
                .map_err(|_| ArgsError::InvalidNumber(flag, value)),
        };
        let per_minute = number("--rate-limit", rate_limit, u64::from(DEFAULT_RATE_LIMIT))?;
        let per_minute = u32::try_from(per_minute).unwrap_or(u32::MAX);
        let timeout_secs = number("--timeout", timeout, DEFAULT_TIMEOUT_SECS)?;
        if timeout_secs == 0 {
            return Err(ArgsError::InvalidNumber("--timeout", "0".into()));
        }
        Ok(Command::Run(Config {
            listen,
            database,
            static_dir: static_dir.map(PathBuf::from),
            allow_origins: origins,
            webhooks,
            rate_limit: (per_minute > 0).then_some(RateLimit {
                per_minute,
                burst: per_minute,
            }),
            timeout: Duration::from_secs(timeout_secs),
        }))
    }
}

/// Checks that `value` is a bare origin as browsers send it in `Origin`: `scheme://host[:port]`.
fn parse_origin(value: &str) -> Result<String, ArgsError> {
    let invalid = || ArgsError::InvalidOrigin(value.to_owned());
    let (scheme, host) = value.split_once("://").ok_or_else(invalid)?;
    if !matches!(scheme, "http" | "https")
        || host.is_empty()
        || host.contains(['/', '?', '#', ' ', '@'])
    {
        return Err(invalid());
    }
    Ok(value.to_owned())
}

/// Whether `value` is `HOST:PORT` with a non-empty host and a port number, which catches the
/// common mistake of passing a bare port before the bind fails with a vaguer message.
fn is_host_port(value: &str) -> bool {
    value
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn parse(args: &[&str]) -> Result<Command, ArgsError> {
        Config::from_args(args.iter().map(|arg| (*arg).to_owned()))
    }

    #[test]
    fn defaults() {
        assert_eq!(parse(&[]), Ok(Command::Run(Config::default())));
    }

    #[test]
    fn all_flags_both_spellings() {
        let expected = Command::Run(Config {
            listen: "127.0.0.1:0".into(),
            database: Database::Sqlite("data/t.db".into()),
            static_dir: Some("dist".into()),
            ..Config::default()
        });
        assert_eq!(
            parse(&[
                "--listen",
                "127.0.0.1:0",
                "--db",
                "data/t.db",
                "--static",
                "dist"
            ]),
            Ok(expected.clone())
        );
        assert_eq!(
            parse(&["--static=dist", "--listen=127.0.0.1:0", "--db=data/t.db"]),
            Ok(expected)
        );
    }

    #[test]
    fn help_wins() {
        assert_eq!(parse(&["--help"]), Ok(Command::Help));
        assert_eq!(parse(&["--bogus", "-h"]), Ok(Command::Help));
    }

    #[test]
    fn errors_are_specific() {
        assert_eq!(
            parse(&["--port", "80"]),
            Err(ArgsError::UnknownFlag("--port".into()))
        );
        assert_eq!(
            parse(&["kefu.db"]),
            Err(ArgsError::UnexpectedArgument("kefu.db".into()))
        );
        assert_eq!(parse(&["--db"]), Err(ArgsError::MissingValue("--db")));
        assert_eq!(
            parse(&["--db", "--static", "x"]),
            Err(ArgsError::MissingValue("--db"))
        );
        assert_eq!(parse(&["--db="]), Err(ArgsError::MissingValue("--db")));
        assert_eq!(
            parse(&["--db", "a", "--db", "b"]),
            Err(ArgsError::Repeated("--db"))
        );
        assert_eq!(
            parse(&["--listen", "8080"]),
            Err(ArgsError::InvalidListen("8080".into()))
        );
        assert_eq!(
            parse(&["--listen", "localhost:http"]),
            Err(ArgsError::InvalidListen("localhost:http".into()))
        );
    }

    #[test]
    fn listen_accepts_names_and_ipv6() {
        for listen in ["localhost:8080", "[::1]:0", "0.0.0.0:80"] {
            assert!(parse(&["--listen", listen]).is_ok(), "{listen}");
        }
    }

    #[test]
    fn database_from_flag_or_environment() {
        let url = "postgres://kefu:secret@127.0.0.1:5432/kefu";
        let run = |args: &[&str], env: Option<&str>| {
            Config::from_args_and_env(args.iter().map(|a| (*a).to_owned()), env.map(Into::into))
        };
        let database = |command: Command| match command {
            Command::Run(config) => config.database,
            Command::Help => unreachable!(),
        };
        assert_eq!(
            database(run(&[], Some(url)).unwrap()),
            Database::Postgres(url.into())
        );
        assert_eq!(
            database(run(&["--database-url", url], None).unwrap()),
            Database::Postgres(url.into())
        );
        assert_eq!(
            run(&["--db", "x.db"], Some(url)),
            Err(ArgsError::TwoDatabases)
        );
        assert_eq!(
            run(&["--database-url", "mysql://x"], None),
            Err(ArgsError::InvalidDatabaseUrl("mysql://x".into()))
        );
        assert_eq!(
            Database::Postgres(url.into()).to_string(),
            "postgres://kefu:***@127.0.0.1:5432/kefu"
        );
    }

    #[test]
    fn hardening_flags() {
        let Ok(Command::Run(config)) = parse(&[
            "--allow-origin",
            "https://shop.example",
            "--allow-origin=http://localhost:3000",
            "--webhook",
            "slack=https://hooks.example/T1",
            "--webhook=json=http://127.0.0.1:9/x",
            "--rate-limit",
            "5",
            "--timeout=3",
        ]) else {
            panic!("did not parse");
        };
        assert_eq!(
            config.allow_origins,
            ["https://shop.example", "http://localhost:3000"]
        );
        assert_eq!(config.webhooks.len(), 2);
        assert_eq!(config.rate_limit.map(|r| r.per_minute), Some(5));
        assert_eq!(config.timeout, Duration::from_secs(3));
        let Ok(Command::Run(off)) = parse(&["--rate-limit", "0"]) else {
            panic!("did not parse");
        };
        assert_eq!(off.rate_limit, None);
        for origin in [
            "https://shop.example/",
            "shop.example",
            "ftp://x",
            "https://a/b",
        ] {
            assert_eq!(
                parse(&["--allow-origin", origin]),
                Err(ArgsError::InvalidOrigin(origin.into()))
            );
        }
        assert_eq!(
            parse(&["--timeout", "soon"]),
            Err(ArgsError::InvalidNumber("--timeout", "soon".into()))
        );
        assert!(matches!(
            parse(&["--webhook", "teams=https://x.example/"]),
            Err(ArgsError::Webhook(_))
        ));
    }

    #[test]
    fn unknown_flag_message_lists_the_real_ones() {
        let message = ArgsError::UnknownFlag("--port".into()).to_string();
        assert!(message.contains("--port") && message.contains("--listen"));
    }
}

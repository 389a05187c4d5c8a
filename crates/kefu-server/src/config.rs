//! Command-line parsing for `kefu-server`, written by hand because three flags do not justify an
//! argument-parsing dependency.

use std::fmt;
use std::path::PathBuf;

/// The address the server listens on when `--listen` is not given.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The database file used when `--db` is not given.
pub const DEFAULT_DB: &str = "kefu.db";

/// The text printed by `kefu-server --help`.
pub const USAGE: &str = "\
kefu-server: Kefu's escalation endpoint (tickets from the widget), with an optional static server for demos.

Usage: kefu-server [--listen ADDR] [--db PATH] [--static DIR]

Options:
  --listen ADDR  Address and port to listen on [default: 127.0.0.1:8080].
                 Port 0 picks a free port; the start-up line shows the one chosen.
  --db PATH      SQLite database file, created with its parent directories if missing
                 [default: kefu.db].
  --static DIR   Also serve the files in DIR for every other GET path (demo use only).
  -h, --help     Print this help and exit.

On start it prints one line, `kefu-server listening on http://ADDR (db: PATH, static: DIR)`,
and it stops gracefully on Ctrl-C or SIGTERM.
";

/// How the server is set up: where it listens, where it stores tickets, what it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The `HOST:PORT` to bind, such as `127.0.0.1:8080` or `[::1]:0`.
    pub listen: String,
    /// The SQLite database file.
    pub db: PathBuf,
    /// A directory whose files are served for GET paths outside the API, if any.
    pub static_dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.to_owned(),
            db: PathBuf::from(DEFAULT_DB),
            static_dir: None,
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
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownFlag(flag) => write!(
                f,
                "unknown flag `{flag}`; the flags are --listen, --db, --static and --help"
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
        }
    }
}

impl std::error::Error for ArgsError {}

impl Config {
    /// Parses the arguments after the program name.
    ///
    /// Flags take their value either as the next argument (`--db kefu.db`) or after `=`
    /// (`--db=kefu.db`). `--help` anywhere wins, so a user who asks for help always gets it.
    pub fn from_args<I>(args: I) -> Result<Command, ArgsError>
    where
        I: IntoIterator<Item = String>,
    {
        let args: Vec<String> = args.into_iter().collect();
        if args.iter().any(|arg| arg == "--help" || arg == "-h") {
            return Ok(Command::Help);
        }

        let mut listen = None;
        let mut db = None;
        let mut static_dir = None;
        let mut iter = args.into_iter();
        while let Some(arg) = iter.next() {
            if !arg.starts_with('-') {
                return Err(ArgsError::UnexpectedArgument(arg));
            }
            let (flag, inline_value) = match arg.split_once('=') {
                Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
                None => (arg, None),
            };
            let (name, slot): (&'static str, &mut Option<String>) = match flag.as_str() {
                "--listen" => ("--listen", &mut listen),
                "--db" => ("--db", &mut db),
                "--static" => ("--static", &mut static_dir),
                _ => return Err(ArgsError::UnknownFlag(flag)),
            };
            if slot.is_some() {
                return Err(ArgsError::Repeated(name));
            }
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
            *slot = Some(value);
        }

        let listen = listen.unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        if !is_host_port(&listen) {
            return Err(ArgsError::InvalidListen(listen));
        }
        Ok(Command::Run(Config {
            listen,
            db: db.map_or_else(|| PathBuf::from(DEFAULT_DB), PathBuf::from),
            static_dir: static_dir.map(PathBuf::from),
        }))
    }
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
            db: "data/t.db".into(),
            static_dir: Some("dist".into()),
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
    fn unknown_flag_message_lists_the_real_ones() {
        let message = ArgsError::UnknownFlag("--port".into()).to_string();
        assert!(message.contains("--port") && message.contains("--listen"));
    }
}

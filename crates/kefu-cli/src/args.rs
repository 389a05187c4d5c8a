//! Command-line parsing, by hand: three subcommands do not justify a parser dependency.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

/// Printed for `--help` and after every usage error.
pub const USAGE: &str = "\
kefu — tools for the Kefu (客服) help widget

Usage:
  kefu kb check [KB_DIR]
      Check a knowledge base and print every problem (default KB_DIR: kb).
  kefu kb build [KB_DIR] [-o BUNDLE] [--stats]
      Compile a knowledge base into the bundle the widget loads (default BUNDLE: dist/kb.bin).
      Nothing is written when the knowledge base has errors. --stats adds the bundle's size by
      section (raw and gzip), the postings split by term kind.
  kefu kb synonyms [KB_DIR] [--learned]
      List the KB's synonyms: the editors' groups from kb.toml and the pairs learned from FAQ
      similar questions (only those with --learned). Veto a learned pair in kb.toml with
      learned_synonyms_veto = [[\"word\", \"other\"]].
  kefu kb serve [KB_DIR] [--listen ADDRESS:PORT] [--dist DIR]
      Live preview: serve the widget from DIR (default: dist) with the KB's bundle, rebuild on
      every save and reload the open page, or show the errors in it (default: 127.0.0.1:8081).
  kefu kb search BUNDLE [QUERY] [--locale L] [--limit N] [--json]
      Search a bundle as the widget would (default: the bundle's default locale, 10 hits).
      Without QUERY, read one query per line from standard input and write one JSON line each.
  kefu tickets list [--since DATE] [--until DATE] [--limit N] [--format table|json|csv] [DB]
  kefu tickets show REFERENCE [--format table|json] [DB]
  kefu tickets export --format csv|json [--since DATE] [--until DATE] [DB]
      Read the tickets kefu-server stored (list: newest first, 50 by default).
  kefu report [--since DATE] [--until DATE] [--limit N] [--format table|json] [--html FILE] [DB]
      Top searches, zero-result queries (similar ones grouped), least helpful answers, flow
      endings and deflections; `--html FILE` also writes a self-contained page with charts.
      DATE is 2025-01-31 (the whole day) or 2025-01-31T09:30:00Z; both ends are inclusive.
      DB is `--db PATH` (SQLite, default kefu.db) or `--database-url postgres://…`
      (default: the DATABASE_URL environment variable when set).
  kefu --help
  kefu --version

Exit status: 0 on success, 1 when the knowledge base has errors or a command fails, 2 on a
usage error. Put `--` before a QUERY that starts with `-`.";

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Version,
    Check {
        kb_dir: PathBuf,
    },
    Build {
        kb_dir: PathBuf,
        output: PathBuf,
        /// Print the bundle's size by section (`--stats`).
        stats: bool,
    },
    Search(SearchArgs),
    /// `kefu tickets …` and `kefu report`.
    Data(crate::tickets::DataArgs),
    Synonyms {
        kb_dir: PathBuf,
        learned_only: bool,
    },
    Serve(ServeArgs),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServeArgs {
    pub kb_dir: PathBuf,
    /// `ADDRESS:PORT`; port 0 picks a free one (the URL is printed).
    pub listen: String,
    /// Where the built widget is (`cargo xtask dist` writes `dist/`).
    pub dist: PathBuf,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchArgs {
    pub bundle: PathBuf,
    /// `None` reads queries from standard input.
    pub query: Option<String>,
    pub locale: Option<String>,
    pub limit: usize,
    pub json: bool,
}

/// A command line that cannot be run; printed with [`USAGE`], exit status 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn usage_error(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

const DEFAULT_KB_DIR: &str = "kb";
const DEFAULT_BUNDLE: &str = "dist/kb.bin";
const DEFAULT_LIMIT: usize = 10;
const DEFAULT_LISTEN: &str = "127.0.0.1:8081";
const DEFAULT_DIST: &str = "dist";

/// Parses the arguments after the program name.
pub fn parse(args: Vec<OsString>) -> Result<Command, UsageError> {
    let args = args
        .into_iter()
        .map(|arg| {
            arg.into_string()
                .map_err(|arg| usage_error(format!("argument {arg:?} is not valid UTF-8")))
        })
        .collect::<Result<Vec<String>, UsageError>>()?;
    let mut args = args.into_iter();
    match args.next().as_deref() {
        None => Err(usage_error("no command given")),
        Some("-h" | "--help" | "help") => Ok(Command::Help),
        Some("-V" | "--version") => Ok(Command::Version),
        Some("kb") => match args.next().as_deref() {
            None => Err(usage_error(
                "`kefu kb` needs a subcommand: check, build, search, synonyms or serve",
            )),
            Some("-h" | "--help" | "help") => Ok(Command::Help),
            Some(subcommand @ ("check" | "build" | "search" | "synonyms" | "serve")) => {
                parse_kb(subcommand, args.collect())
            }
            Some(other) => Err(usage_error(format!(
                "unknown subcommand `kefu kb {other}`; the subcommands are check, build, search, synonyms and serve"
            ))),
        },
        Some(word @ ("tickets" | "report")) => {
            Ok(crate::tickets::parse(word == "report", args.collect())?
                .map_or(Command::Help, Command::Data))
        }
        Some(flag) if flag.starts_with('-') => Err(usage_error(format!("unknown option `{flag}`"))),
        Some(other) => Err(usage_error(format!(
            "unknown command `{other}`; try `kefu kb check`"
        ))),
    }
}

/// Options and positional arguments of one `kefu kb …` subcommand.
#[derive(Default)]
struct Parsed {
    positionals: Vec<String>,
    output: Option<String>,
    locale: Option<String>,
    limit: Option<String>,
    listen: Option<String>,
    dist: Option<String>,
    json: bool,
    learned: bool,
    stats: bool,
    help: bool,
}

fn parse_kb(subcommand: &str, args: Vec<String>) -> Result<Command, UsageError> {
    let mut parsed = Parsed::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--" {
            parsed.positionals.extend(args.by_ref());
            break;
        }
        if !arg.starts_with('-') || arg == "-" {
            parsed.positionals.push(arg);
            continue;
        }
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline_value
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| usage_error(format!("`{name}` needs a value")))
        };
        match (subcommand, flag.as_str()) {
            (_, "-h" | "--help") => parsed.help = true,
            ("build", "-o" | "--output") => parsed.output = Some(value(&flag)?),
            ("search", "--locale") => parsed.locale = Some(value(&flag)?),
            ("search", "--limit") => parsed.limit = Some(value(&flag)?),
            ("search", "--json") if inline_value.is_none() => parsed.json = true,
            ("synonyms", "--learned") if inline_value.is_none() => parsed.learned = true,
            ("build", "--stats") if inline_value.is_none() => parsed.stats = true,
            ("serve", "--listen") => parsed.listen = Some(value(&flag)?),
            ("serve", "--dist") => parsed.dist = Some(value(&flag)?),
            _ => {
                return Err(usage_error(format!(
                    "unknown option `{flag}` for `kefu kb {subcommand}`"
                )));
            }
        }
    }
    if parsed.help {
        return Ok(Command::Help);
    }
    let mut positionals = parsed.positionals.into_iter();
    let command = match subcommand {
        "check" => Command::Check {
            kb_dir: positionals
                .next()
                .unwrap_or_else(|| DEFAULT_KB_DIR.to_owned())
                .into(),
        },
        "build" => Command::Build {
            kb_dir: positionals
                .next()
                .unwrap_or_else(|| DEFAULT_KB_DIR.to_owned())
                .into(),
            output: parsed
                .output
                .unwrap_or_else(|| DEFAULT_BUNDLE.to_owned())
                .into(),
            stats: parsed.stats,
        },
        "synonyms" => Command::Synonyms {
            kb_dir: positionals
                .next()
                .unwrap_or_else(|| DEFAULT_KB_DIR.to_owned())
                .into(),
            learned_only: parsed.learned,
        },
        "serve" => Command::Serve(ServeArgs {
            kb_dir: positionals
                .next()
                .unwrap_or_else(|| DEFAULT_KB_DIR.to_owned())
                .into(),
            listen: parsed.listen.unwrap_or_else(|| DEFAULT_LISTEN.to_owned()),
            dist: parsed
                .dist
                .unwrap_or_else(|| DEFAULT_DIST.to_owned())
                .into(),
        }),
        _ => {
            let bundle = positionals.next().ok_or_else(|| {
                usage_error("`kefu kb search` needs the BUNDLE to search, e.g. dist/kb.bin")
            })?;
            let limit = match parsed.limit {
                None => DEFAULT_LIMIT,
                Some(limit) => limit.parse().map_err(|_| {
                    usage_error(format!("`--limit` takes a whole number, not `{limit}`"))
                })?,
            };
            Command::Search(SearchArgs {
                bundle: bundle.into(),
                query: positionals.next(),
                locale: parsed.locale,
                limit,
                json: parsed.json,
            })
        }
    };
    if let Some(extra) = positionals.next() {
        let hint = if subcommand == "search" {
            " (quote a query that has spaces)"
        } else {
            ""
        };
        return Err(usage_error(format!(
            "unexpected argument `{extra}` for `kefu kb {subcommand}`{hint}"
        )));
    }
    Ok(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(OsString::from).collect()).map_err(|error| error.0)
    }

    #[test]
    fn defaults() {
        assert_eq!(
            parse_str(&["kb", "check"]),
            Ok(Command::Check {
                kb_dir: "kb".into()
            })
        );
        assert_eq!(
            parse_str(&["kb", "build"]),
            Ok(Command::Build {
                kb_dir: "kb".into(),
                output: "dist/kb.bin".into(),
                stats: false
            })
        );
        assert_eq!(
            parse_str(&["kb", "search", "b.bin"]),
            Ok(Command::Search(SearchArgs {
                bundle: "b.bin".into(),
                query: None,
                locale: None,
                limit: 10,
                json: false
            }))
        );
    }

    #[test]
    fn synonyms_lists_learned_pairs_on_request() {
        assert_eq!(
            parse_str(&["kb", "synonyms", "--learned", "my-kb"]),
            Ok(Command::Synonyms {
                kb_dir: "my-kb".into(),
                learned_only: true
            })
        );
        assert_eq!(
            parse_str(&["kb", "synonyms"]),
            Ok(Command::Synonyms {
                kb_dir: "kb".into(),
                learned_only: false
            })
        );
        assert!(parse_str(&["kb", "search", "b.bin", "--learned"]).is_err());
    }

    #[test]
    fn options_anywhere_and_with_equals() {
        assert_eq!(
            parse_str(&["kb", "build", "-o", "out/x.bin", "my-kb", "--stats"]),
            Ok(Command::Build {
                kb_dir: "my-kb".into(),
                output: "out/x.bin".into(),
                stats: true
            })
        );
        assert_eq!(
            parse_str(&[
                "kb",
                "search",
                "--limit=3",
                "b.bin",
                "退款",
                "--locale",
                "en",
                "--json"
            ]),
            Ok(Command::Search(SearchArgs {
                bundle: "b.bin".into(),
                query: Some("退款".into()),
                locale: Some("en".into()),
                limit: 3,
                json: true
            }))
        );
        assert_eq!(
            parse_str(&["kb", "search", "b.bin", "--", "-minus"]).map(|c| match c {
                Command::Search(args) => args.query,
                _ => None,
            }),
            Ok(Some("-minus".into()))
        );
    }

    #[test]
    fn help_and_version() {
        for args in [
            &["--help"][..],
            &["-h"],
            &["help"],
            &["kb", "--help"],
            &["kb", "build", "--help"],
        ] {
            assert_eq!(parse_str(args), Ok(Command::Help), "{args:?}");
        }
        assert_eq!(parse_str(&["--version"]), Ok(Command::Version));
    }

    #[test]
    fn usage_errors() {
        let cases: [(&[&str], &str); 9] = [
            (&[], "no command given"),
            (&["serve"], "unknown command `serve`; try `kefu kb check`"),
            (&["--verbose"], "unknown option `--verbose`"),
            (
                &["kb"],
                "`kefu kb` needs a subcommand: check, build, search, synonyms or serve",
            ),
            (
                &["kb", "lint"],
                "unknown subcommand `kefu kb lint`; the subcommands are check, build, search, synonyms and serve",
            ),
            (
                &["kb", "check", "--json"],
                "unknown option `--json` for `kefu kb check`",
            ),
            (&["kb", "build", "-o"], "`-o` needs a value"),
            (
                &["kb", "search", "b", "--limit", "ten"],
                "`--limit` takes a whole number, not `ten`",
            ),
            (
                &["kb", "search", "b", "q", "extra"],
                "unexpected argument `extra` for `kefu kb search` (quote a query that has spaces)",
            ),
        ];
        for (args, expected) in cases {
            assert_eq!(parse_str(args), Err(expected.to_owned()), "{args:?}");
        }
        assert_eq!(
            parse_str(&["kb", "search"]),
            Err("`kefu kb search` needs the BUNDLE to search, e.g. dist/kb.bin".into())
        );
    }
}

//! The escalation server under load: tickets per second and p50 / p99 latency with `wrk` on
//! loopback against SQLite and PostgreSQL, and a crash test that `kill -9`s the server in the
//! middle of a load and checks that every ticket answered `201` was stored.
//!
//! `cargo xtask bench server` runs only this and replaces its own section of BENCHMARKS.md;
//! the full `cargo xtask bench` appends the same section to its results.

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::util::{cargo, probe, run, step};

/// The section's first and last lines, so a server-only run can replace just this part.
const START: &str = "<!-- server bench: start -->";
const END: &str = "<!-- server bench: end -->";

/// wrk's settings for the throughput runs: two threads (the machine's cores are shared with the
/// server), 16 connections, ten seconds.
const THREADS: &str = "2";
const CONNECTIONS: &str = "16";
const LOAD_SECONDS: u64 = 10;
/// The crash test's load runs this long; the server is killed `KILL_AFTER` into it.
const CRASH_LOAD_SECONDS: u64 = 6;
const KILL_AFTER: Duration = Duration::from_secs(2);

/// Posts a ticket with a fresh idempotency key on every request.
const LUA: &str = r#"
local threads_made = 0
function setup(thread)
  thread:set("thread_id", threads_made)
  threads_made = threads_made + 1
end
function init(args)
  counter = 0
  run_id = tostring(os.time()) .. "-" .. tostring(math.random(1, 1000000000))
  if args[1] then
    acked = io.open(args[1] .. "/acked-" .. thread_id .. ".txt", "a")
  end
end
function request()
  counter = counter + 1
  local body = string.format(
    '{"idempotency_key":"bench-%s-%d-%d","message":"Load test ticket %d","locale":"en"}',
    run_id, thread_id, counter, counter)
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end
"#;

/// Added to [`LUA`] for the crash test: writes the reference of every `201` to
/// `<dir>/acked-<thread>.txt` (the directory is the script's argument), flushed at once so a
/// reference the client saw is on disk whatever happens next. Kept out of the throughput runs,
/// because wrk parses every response only when a script asks for them.
const LUA_RECORD: &str = r#"
function response(status, headers, body)
  if acked and status == 201 then
    local reference = body:match('"reference":"(KF%-%w+)"')
    if reference then
      acked:write(reference, "\n")
      acked:flush()
    end
  end
end
"#;

struct Load {
    backend: &'static str,
    tickets_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    requests: u64,
    non_2xx: u64,
    errors: u64,
}

struct Crash {
    backend: &'static str,
    acknowledged: usize,
    stored_of_acknowledged: usize,
    stored_total: usize,
    accepted_after_restart: bool,
}

/// `cargo xtask bench server`: measures and rewrites this section of BENCHMARKS.md.
pub fn bench_alone() -> Result<()> {
    let section = measure_and_render()?;
    print!("{section}");
    super::replace_marked_section(START, END, &section)
}

/// Builds the release server and CLI, measures both backends and returns the Markdown section.
pub fn measure_and_render() -> Result<String> {
    let started = Instant::now();
    let wrk = wrk()?;
    step("server bench: building kefu-server and kefu (release)");
    run(cargo().args([
        "build",
        "--release",
        "--quiet",
        "--package",
        "kefu-server",
        "--package",
        "kefu-cli",
    ]))?;
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let release = target_dir.join("release");
    let server = std::fs::canonicalize(release.join("kefu-server"))?;
    let cli = std::fs::canonicalize(release.join("kefu"))?;
    let work = std::env::current_dir()?.join(target_dir.join("bench/server"));
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    let script = work.join("post-ticket.lua");
    std::fs::write(&script, LUA)?;
    let recording = work.join("post-ticket-recording.lua");
    std::fs::write(&recording, format!("{LUA}{LUA_RECORD}"))?;

    let sqlite = |name: &str| vec!["--db".to_owned(), work.join(name).display().to_string()];
    let mut loads = Vec::new();
    let mut crashes = Vec::new();

    step("server bench: SQLite under load");
    loads.push(load(&wrk, &server, &script, "SQLite", &sqlite("load.db"))?);
    step("server bench: SQLite crash test (kill -9 mid-load)");
    crashes.push(crash(
        &wrk,
        &server,
        &cli,
        &recording,
        &work.join("crash-sqlite"),
        "SQLite",
        &sqlite("crash.db"),
    )?);

    let cluster = crate::pg::Cluster::start(true)?;
    let pg = |db: &str| -> Result<Vec<String>> {
        let admin = cluster.url.clone();
        run(Command::new("psql")
            .args([admin.as_str(), "-q", "-c", &format!("CREATE DATABASE {db}")])
            .stdout(Stdio::null()))?;
        let (server, _) = admin
            .rsplit_once('/')
            .context("cluster URL without a database")?;
        Ok(vec!["--database-url".to_owned(), format!("{server}/{db}")])
    };
    step("server bench: PostgreSQL under load");
    loads.push(load(
        &wrk,
        &server,
        &script,
        "PostgreSQL",
        &pg("kefu_load")?,
    )?);
    step("server bench: PostgreSQL crash test (kill -9 mid-load)");
    crashes.push(crash(
        &wrk,
        &server,
        &cli,
        &recording,
        &work.join("crash-pg"),
        "PostgreSQL",
        &pg("kefu_crash")?,
    )?);
    drop(cluster);

    let lost: usize = crashes
        .iter()
        .map(|c| c.acknowledged - c.stored_of_acknowledged)
        .sum();
    let section = render(&loads, &crashes, started.elapsed());
    if lost > 0 {
        print!("{section}");
        bail!("{lost} acknowledged tickets were not stored after kill -9: durability is broken");
    }
    Ok(section)
}

fn wrk() -> Result<PathBuf> {
    let find = || probe(Command::new("sh").args(["-c", "command -v wrk"]));
    if find().is_none() {
        crate::setup::Apt::default().install(&["wrk"])?;
    }
    find()
        .map(|path| PathBuf::from(path.trim()))
        .context("wrk is missing after installing Debian's wrk package")
}

/// A kefu-server process and the address it printed.
struct Server {
    child: Child,
    addr: String,
}

fn start_server(server: &Path, db_args: &[String]) -> Result<Server> {
    let mut child = Command::new(server)
        .args(["--listen", "127.0.0.1:0", "--rate-limit", "0"])
        .args(db_args)
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting kefu-server")?;
    let stdout = child.stdout.take().context("kefu-server stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .with_context(|| format!("kefu-server did not print its address: {line:?}"))?
        .to_owned();
    Ok(Server { child, addr })
}

fn stop_server(mut server: Server) -> Result<()> {
    run(Command::new("kill").args(["-TERM", &server.child.id().to_string()]))?;
    server.child.wait()?;
    Ok(())
}

fn wrk_command(wrk: &Path, script: &Path, seconds: u64, addr: &str) -> Command {
    let mut command = Command::new(wrk);
    command
        .args([
            "-t",
            THREADS,
            "-c",
            CONNECTIONS,
            "-d",
            &format!("{seconds}s"),
        ])
        .args(["--latency", "--timeout", "5s", "-s"])
        .arg(script)
        .arg(format!("http://{addr}/api/v1/tickets"));
    command
}

fn load(
    wrk: &Path,
    server: &Path,
    script: &Path,
    backend: &'static str,
    db_args: &[String],
) -> Result<Load> {
    let running = start_server(server, db_args)?;
    let output = wrk_command(wrk, script, LOAD_SECONDS, &running.addr).output()?;
    stop_server(running)?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "wrk failed: {text}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_wrk(backend, &text)
}

fn parse_wrk(backend: &'static str, text: &str) -> Result<Load> {
    let after = |label: &str| -> Option<&str> {
        text.lines()
            .find_map(|line| line.trim().strip_prefix(label).map(str::trim))
    };
    let percentile = |label: &str| -> Result<f64> {
        let value =
            after(label).with_context(|| format!("wrk printed no {label} line:\n{text}"))?;
        duration_ms(value).with_context(|| format!("unreadable wrk latency `{value}`"))
    };
    let requests = text
        .lines()
        .find_map(|line| line.trim().split_once(" requests in "))
        .and_then(|(n, _)| n.trim().parse().ok())
        .with_context(|| format!("wrk printed no request count:\n{text}"))?;
    let errors = after("Socket errors:").map_or(0, |rest| {
        rest.split(',')
            .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
            .sum()
    });
    Ok(Load {
        backend,
        tickets_per_second: after("Requests/sec:")
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("wrk printed no Requests/sec:\n{text}"))?,
        p50_ms: percentile("50%")?,
        p99_ms: percentile("99%")?,
        requests,
        non_2xx: after("Non-2xx or 3xx responses:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        errors,
    })
}

/// wrk's `1.23ms`, `456.00us`, `1.02s` in milliseconds.
fn duration_ms(value: &str) -> Option<f64> {
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    match unit {
        "us" => Some(number / 1000.0),
        "ms" => Some(number),
        "s" => Some(number * 1000.0),
        "m" => Some(number * 60_000.0),
        _ => None,
    }
}

fn crash(
    wrk: &Path,
    server: &Path,
    cli: &Path,
    script: &Path,
    dir: &Path,
    backend: &'static str,
    db_args: &[String],
) -> Result<Crash> {
    std::fs::create_dir_all(dir)?;
    let mut running = start_server(server, db_args)?;
    let mut load = wrk_command(wrk, script, CRASH_LOAD_SECONDS, &running.addr)
        .arg("--")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting wrk")?;
    std::thread::sleep(KILL_AFTER);
    run(Command::new("kill").args(["-KILL", &running.child.id().to_string()]))?;
    running.child.wait()?;
    load.wait()?;

    let mut acknowledged = BTreeSet::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "txt") {
            acknowledged.extend(std::fs::read_to_string(&path)?.lines().map(str::to_owned));
        }
    }
    if acknowledged.is_empty() {
        bail!("no ticket was acknowledged before the kill; the crash test measured nothing");
    }

    // The restart proves the database recovers by itself; the new ticket, that it takes writes.
    let restarted = start_server(server, db_args)?;
    let accepted_after_restart = post_status(&restarted.addr)? == "201";
    stop_server(restarted)?;

    let export = Command::new(cli)
        .args(["tickets", "export", "--format", "json"])
        .args(db_args)
        .env_remove("DATABASE_URL")
        .output()
        .context("running kefu tickets export")?;
    if !export.status.success() {
        bail!(
            "kefu tickets export failed: {}",
            String::from_utf8_lossy(&export.stderr)
        );
    }
    let stored: Value = serde_json::from_slice(&export.stdout)?;
    let stored: BTreeSet<String> = stored
        .as_array()
        .context("export is not a JSON list")?
        .iter()
        .filter_map(|ticket| ticket["reference"].as_str().map(str::to_owned))
        .collect();
    Ok(Crash {
        backend,
        stored_of_acknowledged: acknowledged.intersection(&stored).count(),
        acknowledged: acknowledged.len(),
        stored_total: stored.len(),
        accepted_after_restart,
    })
}

/// Posts one ticket with a plain HTTP/1.1 request and returns the status code.
fn post_status(addr: &str) -> Result<String> {
    use std::io::{Read as _, Write as _};
    let body = r#"{"idempotency_key":"after-crash-1","message":"still here?"}"#;
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "POST /api/v1/tickets HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned())
}

fn render(loads: &[Load], crashes: &[Crash], elapsed: Duration) -> String {
    let mut out = format!(
        "{START}\n## Escalation server\n\n\
         `cargo xtask bench server` ({:.0} s): the release `kefu-server` on loopback, `wrk -t{THREADS} \
         -c{CONNECTIONS} -d{LOAD_SECONDS}s` posting tickets with a fresh idempotency key each \
         (`target/bench/server/post-ticket.lua`), rate limit off. Every ticket is committed before \
         its `201` (SQLite: WAL with `synchronous=FULL`; PostgreSQL: a throwaway local server with \
         fsync on). wrk and the server share the machine's cores.\n\n\
         | backend | tickets/s | p50 ms | p99 ms | requests | non-2xx | socket errors |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        elapsed.as_secs_f64()
    );
    for load in loads {
        out.push_str(&format!(
            "| {} | {:.0} | {:.2} | {:.2} | {} | {} | {} |\n",
            load.backend,
            load.tickets_per_second,
            load.p50_ms,
            load.p99_ms,
            load.requests,
            load.non_2xx,
            load.errors
        ));
    }
    out.push_str(&format!(
        "\n**Crash test**: the same load for {CRASH_LOAD_SECONDS} s, the server killed with \
         `kill -9` after {} s, restarted on the same database, then `kefu tickets export`. \
         *Acknowledged* counts the references wrk received with a `201`; every one must be stored \
         (stored ⊇ acknowledged). A few more may be stored than acknowledged: tickets committed \
         whose `201` was lost with the process.\n\n\
         | backend | acknowledged (201) | of those stored | stored in total, with the one posted after the restart | accepts tickets after restart |\n\
         | --- | ---: | ---: | ---: | --- |\n",
        KILL_AFTER.as_secs()
    ));
    for crash in crashes {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            crash.backend,
            crash.acknowledged,
            crash.stored_of_acknowledged,
            crash.stored_total,
            if crash.accepted_after_restart {
                "yes"
            } else {
                "no"
            }
        ));
    }
    out.push_str(&format!("{END}\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_output() {
        let text = "Running 10s test @ http://127.0.0.1:1/api/v1/tickets
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.10ms    1.20ms  30.00ms   90.00%
  Latency Distribution
     50%    2.95ms
     75%    3.50ms
     90%    4.10ms
     99%  812.00us
  51234 requests in 10.00s, 9.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   5123.40
Transfer/sec:      0.90MB
";
        let load = parse_wrk("SQLite", text).unwrap_or_else(|err| panic!("{err:#}"));
        assert_eq!(load.requests, 51234);
        assert!((load.tickets_per_second - 5123.4).abs() < 1e-9);
        assert!((load.p50_ms - 2.95).abs() < 1e-9);
        assert!((load.p99_ms - 0.812).abs() < 1e-9);
        assert_eq!((load.non_2xx, load.errors), (4, 3));
        assert_eq!(duration_ms("1.5s"), Some(1500.0));
    }
}

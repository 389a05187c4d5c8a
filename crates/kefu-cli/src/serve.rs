//! `kefu kb serve`: a live preview for editors — rebuild on save, reload the open page.
//!
//! A small HTTP/1.1 server on std's `TcpListener`, a thread per connection: the preview has one
//! or two visitors, and the CLI stays free of an async runtime. A watcher thread scans the KB's
//! files every [`POLL`] (size and modification time; no platform file-event crate to fail on
//! network drives or in containers) and rebuilds when anything changed. Open pages listen on
//! `/events` (Server-Sent Events) and reload on `reload`, or show the diagnostics on `kb-error`
//! as text in an overlay: a broken save is visible where the editor is looking.
//!
//! Routes: `/` the preview page; `/kb.bin` the last good bundle; `/kb-assets/<name>` its images;
//! `/events` the event stream; `/status` the last build's diagnostics as plain text; anything
//! else is a file of `--dist` (the widget: `kefu.js` and the hashed files it loads).

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, SystemTime};

use anyhow::Context;

use crate::args::ServeArgs;

/// How often the watcher looks at the KB's files; a save shows up within this plus a build.
const POLL: Duration = Duration::from_millis(200);

/// How long an idle event stream waits before a keep-alive comment, which also notices pages
/// that were closed.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The last build, shared by the watcher and every connection.
#[derive(Default)]
struct Build {
    /// Bumped on every build that changed something; pages reload when it moves.
    generation: u64,
    /// The last bundle that built without errors (kept while the KB is broken, so the widget
    /// still works and the overlay explains why the change is not there yet).
    bundle: Vec<u8>,
    assets: BTreeMap<String, Vec<u8>>,
    /// The diagnostics of the last build, one per line as `kefu kb check` prints them.
    report: String,
    has_errors: bool,
}

struct Shared {
    build: Mutex<Build>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Build> {
        // A panicking connection thread must not take the preview down with it.
        self.build.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs until killed: prints the URL, then serves and watches.
pub fn serve(args: &ServeArgs) -> anyhow::Result<std::process::ExitCode> {
    let listener = TcpListener::bind(&args.listen)
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let shared = Arc::new(Shared {
        build: Mutex::new(Build::default()),
        changed: Condvar::new(),
    });
    let mut snapshot = scan(&args.kb_dir);
    rebuild(&args.kb_dir, &shared);
    print_status(&shared);
    // The URL on a line of its own, flushed: scripts and tests wait for it (port 0 picks a port).
    println!(
        "serving a live preview of {} at http://{address}/",
        args.kb_dir.display()
    );
    io::stdout().flush()?;

    let watcher_shared = Arc::clone(&shared);
    let kb_dir = args.kb_dir.clone();
    thread::spawn(move || {
        loop {
            thread::sleep(POLL);
            let now = scan(&kb_dir);
            if now != snapshot {
                snapshot = now;
                rebuild(&kb_dir, &watcher_shared);
                print_status(&watcher_shared);
            }
        }
    });

    let dist = args.dist.clone();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let shared = Arc::clone(&shared);
        let dist = dist.clone();
        thread::spawn(move || {
            // A visitor closing the tab mid-response is not an error worth reporting.
            let _ = handle(stream, &shared, &dist, address);
        });
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// Size and modification time of every file under the KB, by path: any save changes one.
fn scan(kb_dir: &Path) -> BTreeMap<PathBuf, (u64, Option<SystemTime>)> {
    let mut files = BTreeMap::new();
    let mut pending = vec![(kb_dir.to_path_buf(), 0)];
    while let Some((dir, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(metadata) = entry.metadata() else {
                continue;
            };
            if metadata.is_dir() && depth < 16 {
                pending.push((entry.path(), depth + 1));
            } else if metadata.is_file() {
                files.insert(entry.path(), (metadata.len(), metadata.modified().ok()));
            }
        }
    }
    files
}

/// Compiles the KB and publishes the result: a new bundle when it has no errors, the
/// diagnostics either way.
fn rebuild(kb_dir: &Path, shared: &Shared) {
    let compiled = kefu_kb::compile(kb_dir);
    let report: String = compiled
        .diagnostics
        .iter()
        .map(|diagnostic| format!("{diagnostic}\n"))
        .collect();
    let has_errors = compiled.has_errors();
    let mut build = shared.lock();
    if !has_errors {
        build.bundle = kefu_core::bundle::encode(&compiled.documents, &compiled.meta);
        build.assets = compiled
            .assets
            .into_iter()
            .map(|asset| (asset.name, asset.bytes))
            .collect();
    }
    build.report = report;
    build.has_errors = has_errors;
    build.generation += 1;
    drop(build);
    shared.changed.notify_all();
}

fn print_status(shared: &Shared) {
    let build = shared.lock();
    let colour = crate::terminal::colour_stderr();
    let mut stderr = io::stderr().lock();
    // The report is already plain text; colour only the verdict line.
    let _ = write!(stderr, "{}", build.report);
    let verdict = if build.has_errors {
        "build failed: the preview keeps the last good bundle and shows the errors"
    } else {
        "built: open pages reload"
    };
    let _ = if colour {
        writeln!(stderr, "\x1b[1m[kefu] {verdict}\x1b[0m")
    } else {
        writeln!(stderr, "[kefu] {verdict}")
    };
}

/// One request: parse the request line, skip the headers, answer.
fn handle(stream: TcpStream, shared: &Shared, dist: &Path, address: SocketAddr) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or_default();
    let path = target.split(['?', '#']).next().unwrap_or_default();
    let mut stream = stream;
    if method != "GET" && method != "HEAD" {
        return respond(&mut stream, 405, "text/plain", b"only GET\n");
    }
    match path {
        "/" | "/index.html" => {
            let page = preview_page(dist, address);
            respond(
                &mut stream,
                200,
                "text/html; charset=utf-8",
                page.as_bytes(),
            )
        }
        "/kb.bin" => {
            let bundle = shared.lock().bundle.clone();
            respond(&mut stream, 200, "application/octet-stream", &bundle)
        }
        "/status" => {
            let report = shared.lock().report.clone();
            respond(
                &mut stream,
                200,
                "text/plain; charset=utf-8",
                report.as_bytes(),
            )
        }
        "/events" => events(stream, shared),
        _ => {
            if let Some(name) = path.strip_prefix("/kb-assets/") {
                let asset = shared.lock().assets.get(name).cloned();
                return match asset {
                    Some(bytes) => respond(&mut stream, 200, content_type(name), &bytes),
                    None => respond(&mut stream, 404, "text/plain", b"no such image\n"),
                };
            }
            match dist_file(dist, path) {
                Some(file) => match std::fs::read(&file) {
                    Ok(bytes) => respond(&mut stream, 200, content_type(path), &bytes),
                    Err(_) => respond(&mut stream, 404, "text/plain", b"not found\n"),
                },
                None => respond(&mut stream, 404, "text/plain", b"not found\n"),
            }
        }
    }
}

/// The file of `dist/` a URL path names, refusing `..` and anything else that would leave it.
fn dist_file(dist: &Path, path: &str) -> Option<PathBuf> {
    let relative = Path::new(path.trim_start_matches('/'));
    if relative
        .components()
        .any(|component| !matches!(component, Component::Normal(_)))
    {
        return None;
    }
    let file = dist.join(relative);
    file.is_file().then_some(file)
}

fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit('.').next().unwrap_or_default();
    match extension {
        "js" => "text/javascript",
        "wasm" => "application/wasm",
        "css" => "text/css",
        "html" => "text/html; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    }
}

fn respond(stream: &mut TcpStream, status: u16, content_type: &str, body: &[u8]) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    // `no-store`: the preview must never show a cached bundle after a rebuild.
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    stream.flush()
}

/// The event stream: the current state at once, then one event per build, until the page goes.
fn events(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: close\r\n\r\nretry: 500\n\n",
    )?;
    let mut build = shared.lock();
    let mut seen = build.generation;
    // A page that connects while the KB is broken shows the overlay straight away.
    if build.has_errors {
        let event = error_event(&build.report);
        drop(build);
        stream.write_all(event.as_bytes())?;
        stream.flush()?;
        build = shared.lock();
    }
    loop {
        let (guard, timeout) = shared
            .changed
            .wait_timeout_while(build, KEEP_ALIVE, |build| build.generation == seen)
            .unwrap_or_else(PoisonError::into_inner);
        build = guard;
        let event = if timeout.timed_out() {
            ": keep-alive\n\n".to_owned()
        } else {
            seen = build.generation;
            if build.has_errors {
                error_event(&build.report)
            } else {
                format!("event: reload\ndata: {seen}\n\n")
            }
        };
        drop(build);
        stream.write_all(event.as_bytes())?;
        stream.flush()?;
        build = shared.lock();
    }
}

/// `event: kb-error` with the report, one `data:` line per line (SSE joins them with `\n`).
fn error_event(report: &str) -> String {
    let mut event = String::from("event: kb-error\n");
    for line in report.lines() {
        event.push_str("data: ");
        event.push_str(line);
        event.push('\n');
    }
    event.push('\n');
    event
}

/// The preview page: the widget from `dist/` pointed at the live bundle, and the script that
/// reloads the page or shows the errors. The errors go in with `textContent`, never as markup.
fn preview_page(dist: &Path, address: SocketAddr) -> String {
    let widget = if dist.join("kefu.js").is_file() {
        r#"<script src="/kefu.js" data-kb="/kb.bin" async></script>"#.to_owned()
    } else {
        format!(
            "<p>No widget found in <code>{}</code>: run <code>cargo xtask dist</code> (or pass <code>--dist DIR</code>) to preview articles in it. This page still reloads and shows build errors.</p>",
            escape_html(&dist.display().to_string())
        )
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kefu KB preview</title>
<link rel="icon" href="data:,">
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; margin: 2rem; color: #1f2329; }}
#kefu-preview-errors {{ position: fixed; inset: 0 0 auto 0; max-height: 60vh; overflow: auto; margin: 0;
  padding: 1rem 1.5rem; background: #fff1f0; color: #a8071a; border-bottom: 3px solid #cf1322;
  font: 14px/1.5 ui-monospace, monospace; white-space: pre-wrap; z-index: 2147483647; }}
#kefu-preview-errors[hidden] {{ display: none; }}
</style>
</head>
<body>
<h1>Kefu knowledge-base preview</h1>
<p>Served by <code>kefu kb serve</code> at {address}. Save a file in the KB: this page reloads with the new bundle, or shows the errors.</p>
{widget}
<pre id="kefu-preview-errors" role="alert" hidden></pre>
<script>
(function () {{
  var box = document.getElementById("kefu-preview-errors");
  var source = new EventSource("/events");
  source.addEventListener("reload", function () {{ location.reload(); }});
  source.addEventListener("kb-error", function (event) {{
    box.textContent = "The knowledge base has errors; the preview shows the last good build.\n\n" + event.data;
    box.hidden = false;
  }});
}})();
</script>
</body>
</html>
"#
    )
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_events_put_each_line_in_data() {
        assert_eq!(
            error_event("a.md:1:1: error: x\n  hint: y\n"),
            "event: kb-error\ndata: a.md:1:1: error: x\ndata:   hint: y\n\n"
        );
    }

    #[test]
    fn dist_paths_stay_inside() {
        let temp = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        std::fs::write(temp.path().join("kefu.js"), "x").unwrap_or_else(|error| panic!("{error}"));
        assert!(dist_file(temp.path(), "/kefu.js").is_some());
        assert!(dist_file(temp.path(), "/../etc/passwd").is_none());
        assert!(dist_file(temp.path(), "/missing.js").is_none());
    }
}

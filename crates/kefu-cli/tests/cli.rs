//! Runs the built `kefu` binary on the real demo KB and on broken ones, as a user or a script would.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn real_kb() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kb")
}

fn kefu(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kefu"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Builds the real KB into `dir/kb.bin` and returns the bundle's path.
fn build_real_kb(dir: &Path) -> PathBuf {
    let bundle = dir.join("kb.bin");
    let output = kefu(
        dir,
        &["kb", "build", real_kb().to_str().unwrap(), "-o", "kb.bin"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    bundle
}

fn search_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all_args = vec!["kb", "search", "kb.bin", "--json"];
    all_args.extend(args);
    let output = kefu(dir, &all_args);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap()
}

#[test]
fn build_is_reproducible_and_summarised() {
    let temp = tempfile::tempdir().unwrap();
    let output = kefu(
        temp.path(),
        &[
            "kb",
            "build",
            real_kb().to_str().unwrap(),
            "-o",
            "out/nested/kb.bin",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stderr(&output), "", "the demo KB has no warnings");
    let summary = stdout(&output);
    let first = std::fs::read(temp.path().join("out/nested/kb.bin")).unwrap();
    assert!(
        summary.starts_with(&format!(
            "wrote out/nested/kb.bin: 126 articles, 45 FAQ entries, 18 flows, {} bytes (",
            first.len()
        )),
        "{summary}"
    );
    assert!(
        summary.contains("  en       42 articles, 15 FAQ entries, 6 flows\n"),
        "{summary}"
    );
    assert!(
        summary.contains("  zh-CN    42 articles, 15 FAQ entries, 6 flows (default)\n"),
        "{summary}"
    );
    assert!(
        summary.contains("  zh-TW    42 articles, 15 FAQ entries, 6 flows\n"),
        "{summary}"
    );
    assert!(
        summary.contains(" gzipped)\n") && summary.contains("\n3 locales, "),
        "{summary}"
    );
    assert!(summary.ends_with("0 warnings\n"), "{summary}");

    let output = kefu(
        temp.path(),
        &[
            "kb",
            "build",
            real_kb().to_str().unwrap(),
            "-o",
            "out/nested/kb.bin",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let second = std::fs::read(temp.path().join("out/nested/kb.bin")).unwrap();
    assert!(
        first == second,
        "a second build of the same KB gives the same bytes"
    );
    let mut leftovers: Vec<_> = std::fs::read_dir(temp.path().join("out/nested"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    leftovers.sort();
    assert_eq!(
        leftovers,
        ["kb-assets", "kb.bin"],
        "the bundle and its images, and no temporary files"
    );
}

#[test]
fn build_defaults_to_dist_kb_bin() {
    let temp = tempfile::tempdir().unwrap();
    let output = kefu(temp.path(), &["kb", "build", real_kb().to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(temp.path().join("dist/kb.bin").is_file());
}

#[test]
fn check_real_kb() {
    let output = kefu(&real_kb().join(".."), &["kb", "check"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "126 articles, 45 FAQ entries, 18 flows in 3 locales: 0 errors, 0 warnings\n"
    );
}

#[test]
fn search_table_and_json() {
    let temp = tempfile::tempdir().unwrap();
    build_real_kb(temp.path());

    let output = kefu(temp.path(), &["kb", "search", "kb.bin", "运费"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("rank  kind     locale/id"), "{table}");
    assert!(
        lines[1].starts_with("   1  article  zh-CN/shipping-costs "),
        "{table}"
    );

    let result = search_json(temp.path(), &["运费", "--locale", "zh-CN"]);
    assert_eq!(result["query"], "运费");
    assert_eq!(result["hits"][0]["id"], "shipping-costs");
    assert_eq!(result["hits"][0]["locale"], "zh-CN");
    assert_eq!(result["hits"][0]["kind"], "article");
    assert!(result["hits"][0]["score"].as_f64().unwrap() > 0.0);

    let result = search_json(temp.path(), &["refund", "--locale", "en", "--limit", "3"]);
    assert_eq!(result["hits"][0]["id"], "refunds");
    assert_eq!(result["hits"][0]["locale"], "en");
    assert_eq!(result["hits"][0]["title"], "When will I get my refund?");
    assert_eq!(result["hits"].as_array().unwrap().len(), 3);

    let output = kefu(temp.path(), &["kb", "search", "kb.bin", "zzzzqqq"]);
    assert!(output.status.success());
    assert_eq!(stdout(&output), "no results for \"zzzzqqq\"\n");
}

#[test]
fn search_batch_from_stdin() {
    let temp = tempfile::tempdir().unwrap();
    build_real_kb(temp.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_kefu"))
        .current_dir(temp.path())
        .args(["kb", "search", "kb.bin", "--locale", "en"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let queries = [
        "refund",
        "",
        "快递 \"quoted\"",
        "track my package\r",
        "\u{0}<script>",
    ];
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(queries.join("\n").as_bytes()).unwrap();
    stdin.write_all(b"\n\xff\xfe\n").unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(
        lines.len(),
        queries.len() + 1,
        "one JSON line per query line"
    );
    assert_eq!(lines[0]["query"], "refund");
    assert_eq!(lines[0]["hits"][0]["id"], "refunds");
    assert_eq!(lines[1]["hits"].as_array().unwrap().len(), 0);
    assert_eq!(lines[2]["query"], "快递 \"quoted\"");
    assert_eq!(
        lines[3]["query"], "track my package",
        "CR LF line ends are stripped"
    );
    assert_eq!(lines[3]["hits"][0]["id"], "track-package");
    assert_eq!(
        lines[5]["query"], "\u{fffd}\u{fffd}",
        "bytes that are not UTF-8 are replaced, not fatal"
    );
    for line in &lines {
        for hit in line["hits"].as_array().unwrap() {
            assert!(
                hit["id"].is_string() && hit["title"].is_string() && hit["score"].is_number(),
                "{hit}"
            );
        }
    }
}

#[test]
fn broken_kb_fails_and_keeps_the_old_bundle() {
    let temp = tempfile::tempdir().unwrap();
    let kb_dir = temp.path().join("kb");
    std::fs::create_dir_all(kb_dir.join("en")).unwrap();
    std::fs::write(
        kb_dir.join("kb.toml"),
        "default_locale = \"en\"\nlocales = [\"en\"]\n",
    )
    .unwrap();
    std::fs::write(
        kb_dir.join("en/a.md"),
        "---\ntitle: A\n---\nText.\n\n![Our logo](logo.png)\n",
    )
    .unwrap();
    std::fs::write(
        kb_dir.join("en/b.md"),
        "---\ntitle: B\n---\n[x](article:aa)\n",
    )
    .unwrap();
    std::fs::create_dir(temp.path().join("dist")).unwrap();
    std::fs::write(temp.path().join("dist/kb.bin"), "previous bundle").unwrap();

    let output = kefu(temp.path(), &["kb", "build"]);
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    assert!(
        errors.contains(
            "kb/en/a.md:6:1: error: image `logo.png` does not exist (looked for kb/en/logo.png)\n"
        ),
        "{errors}"
    );
    assert!(
        errors.contains(
            "kb/en/b.md:4:5: error: link to a missing article `aa`\n  hint: did you mean 'a'?\n"
        ),
        "{errors}"
    );
    assert!(
        errors.ends_with("error: 2 errors in kb; dist/kb.bin was not written\n"),
        "{errors}"
    );
    assert_eq!(stdout(&output), "");
    assert_eq!(
        std::fs::read_to_string(temp.path().join("dist/kb.bin")).unwrap(),
        "previous bundle"
    );
    assert_eq!(
        std::fs::read_dir(temp.path().join("dist")).unwrap().count(),
        1
    );

    let output = kefu(temp.path(), &["kb", "check", "kb"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "2 articles in 1 locale: 2 errors, 0 warnings\n"
    );
    assert_eq!(stderr(&output).matches(": error: ").count(), 2);
}

#[test]
fn missing_kb_dir() {
    let temp = tempfile::tempdir().unwrap();
    let output = kefu(temp.path(), &["kb", "check", "nowhere"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output)
            .starts_with("nowhere:1:1: error: the knowledge-base directory does not exist"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn unreadable_bundles_are_clear_errors() {
    let temp = tempfile::tempdir().unwrap();
    std::fs::write(
        temp.path().join("page.html"),
        "<!doctype html><html><body>Not found</body></html>",
    )
    .unwrap();
    let output = kefu(temp.path(), &["kb", "search", "page.html", "refund"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output)
            .starts_with("error: page.html: this is not a Kefu bundle (wrong magic bytes)"),
        "{}",
        stderr(&output)
    );

    let output = kefu(temp.path(), &["kb", "search", "missing.bin", "refund"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with("error: cannot read bundle missing.bin: "),
        "{}",
        stderr(&output)
    );
}

#[test]
fn help_version_and_usage_errors() {
    let temp = tempfile::tempdir().unwrap();
    let output = kefu(temp.path(), &["--help"]);
    assert!(output.status.success());
    assert!(
        stdout(&output).contains("kefu kb search BUNDLE [QUERY] [--locale L] [--limit N] [--json]")
    );

    let output = kefu(temp.path(), &["--version"]);
    assert_eq!(
        stdout(&output),
        format!("kefu {}\n", env!("CARGO_PKG_VERSION"))
    );

    for args in [
        &["frobnicate"][..],
        &["kb", "build", "--json"],
        &["kb", "search"],
        &["--nope"],
        &[],
    ] {
        let output = kefu(temp.path(), args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let errors = stderr(&output);
        assert!(
            errors.starts_with("error: ") && errors.contains("Usage:"),
            "{args:?}: {errors}"
        );
    }
}

/// Fills a fresh database with real tickets and events through the server's own store.
fn seed(database: &kefu_server::Database) {
    use kefu_protocol::{Event, Reason, TicketRequest, VoteTarget};
    kefu_server::store::block_on(async {
        let store = kefu_server::Store::open(database).await.unwrap();
        for (key, message, contact, subject) in [
            (
                "cli-key-1",
                "我的发票在哪里？\n订单 123",
                Some("li@example.com"),
                None,
            ),
            (
                "cli-key-2",
                "=HYPERLINK(\"http://evil.example\")",
                None,
                None,
            ),
            (
                "cli-key-3",
                "Refund, please \u{1b}[31mnow",
                Some("+86 138 0013 8000"),
                Some("Refund not received"),
            ),
        ] {
            let request = TicketRequest {
                idempotency_key: key.into(),
                message: message.into(),
                contact: contact.map(Into::into),
                category: Some("billing".into()),
                subject: subject.map(Into::into),
                ..TicketRequest::default()
            };
            store.insert_ticket(&request, &[], 0).await.unwrap();
        }
        let search = |query: &str, hits: u32| Event::Search {
            query: query.into(),
            locale: "zh-CN".into(),
            hits,
        };
        store
            .insert_events(vec![
                search("退款", 3),
                search("退款", 3),
                search("发票抬头", 0),
                Event::Helpful {
                    target: VoteTarget::Article,
                    id: "refund-time".into(),
                    locale: "zh-CN".into(),
                    helpful: false,
                    reason: Some(Reason::OutOfDate),
                    comment: None,
                },
            ])
            .await
            .unwrap();
    })
    .unwrap();
}

/// A new database on the test PostgreSQL server (`cargo xtask test` sets the variable).
fn fresh_pg_url() -> Option<String> {
    let url = std::env::var("KEFU_TEST_DATABASE_URL").ok()?;
    let name = format!(
        "kefu_cli_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    kefu_server::store::block_on(async {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
    })
    .unwrap();
    let (server, _) = url.rsplit_once('/').unwrap();
    Some(format!("{server}/{name}"))
}

fn check_tickets_and_report(dir: &Path, db: &[&str]) {
    let with = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(db);
        let output = kefu(dir, &all);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        stdout(&output)
    };

    let table = with(&["tickets", "list"]);
    assert_eq!(table.lines().count(), 4, "{table}");
    assert!(table.contains("我的发票在哪里？ 订单 123"), "{table}");
    assert!(
        table.contains("Refund not received"),
        "a subject stands for its message in the list: {table}"
    );
    assert!(
        !table.contains('\u{1b}'),
        "escape sequences are neutralised"
    );

    let json: serde_json::Value = serde_json::from_str(&with(&[
        "tickets", "list", "--format", "json", "--limit", "2",
    ]))
    .unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);

    let csv = with(&["tickets", "export", "--format", "csv"]);
    let mut lines = csv.split("\r\n");
    assert_eq!(
        lines.next().unwrap(),
        "reference,created_at,name,contact,category,locale,page_url,subject,message,context"
    );
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\""),
        "{csv}"
    );
    assert!(csv.contains("'+86 138 0013 8000"), "{csv}");
    assert!(csv.contains("\"我的发票在哪里？\n订单 123\""), "{csv}");

    let exported: serde_json::Value =
        serde_json::from_str(&with(&["tickets", "export", "--format", "json"])).unwrap();
    let reference = exported[0]["reference"].as_str().unwrap().to_owned();
    let shown = with(&["tickets", "show", &reference]);
    assert!(shown.starts_with(&reference), "{shown}");
    let shown: serde_json::Value =
        serde_json::from_str(&with(&["tickets", "show", &reference, "--format", "json"])).unwrap();
    assert_eq!(shown["reference"], reference.as_str());
    assert_eq!(shown["webhooks"], serde_json::json!([]));

    let future = with(&["tickets", "list", "--since", "2999-01-01"]);
    assert_eq!(future.trim(), "no tickets");

    let report = with(&["report", "--since", "2000-01-01", "--until", "2999-12-31"]);
    assert!(
        report.contains("3 searches, 1 with no result; 3 tickets"),
        "{report}"
    );
    let top = report.split("Top searches\n").nth(1).unwrap();
    assert!(top.trim_start().starts_with("2  zh-CN    退款"), "{report}");
    assert!(report.contains("refund-time  (out-of-date ×1)"), "{report}");
    let report: serde_json::Value =
        serde_json::from_str(&with(&["report", "--format", "json"])).unwrap();
    assert_eq!(report["zero_result_queries"][0]["key"], "发票抬头");
    assert_eq!(report["least_helpful"][0]["not_helpful"], 1);

    let missing = kefu(dir, &[&["tickets", "show", "KF-ZZZZZZ"][..], db].concat());
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("no ticket KF-ZZZZZZ"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn tickets_and_report_on_sqlite() {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("kefu.db");
    seed(&kefu_server::Database::Sqlite(path.clone()));
    check_tickets_and_report(temp.path(), &["--db", path.to_str().unwrap()]);

    let none = kefu(temp.path(), &["tickets", "list", "--db", "nope.db"]);
    assert_eq!(none.status.code(), Some(1));
    assert!(
        stderr(&none).contains("no ticket database at nope.db"),
        "{}",
        stderr(&none)
    );
    assert!(
        !temp.path().join("nope.db").exists(),
        "no empty database is created"
    );
}

#[test]
fn tickets_and_report_on_postgres() {
    let Some(url) = fresh_pg_url() else {
        // Written to the real stderr so the test harness does not hide the skip.
        let _ = writeln!(
            std::io::stderr(),
            "skipped: PostgreSQL CLI test (KEFU_TEST_DATABASE_URL is not set; `cargo xtask test` sets it)"
        );
        return;
    };
    seed(&kefu_server::Database::Postgres(url.clone()));
    let temp = tempfile::tempdir().unwrap();
    check_tickets_and_report(temp.path(), &["--database-url", &url]);
}

// The editors' workflow: rich articles with images, reproducible builds and the live preview.

fn rich_kb() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../kefu-kb/tests/fixtures/rich")
}

/// Copies a directory tree, for tests that edit a KB.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `dir`, by path relative to it, with its bytes.
fn tree_bytes(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    files
}

#[test]
fn rich_kb_builds_reproducibly_with_its_images() {
    let temp = tempfile::tempdir().unwrap();
    let kb_dir = temp.path().join("kb");
    copy_tree(&rich_kb(), &kb_dir);
    let build = |out: &str| {
        let output = kefu(
            temp.path(),
            &["kb", "build", "kb", "-o", &format!("{out}/kb.bin")],
        );
        assert!(output.status.success(), "{}", stderr(&output));
        // Off a terminal: no colour codes, no progress bar.
        assert!(!stderr(&output).contains('\x1b'));
        (stdout(&output), tree_bytes(&temp.path().join(out)))
    };
    let (summary, first) = build("one");
    assert!(
        summary.contains("2 locales, 0 synonym groups, 1 image ("),
        "{summary}"
    );
    let names: Vec<String> = first.keys().map(|p| p.display().to_string()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(names[0], "kb-assets/".to_owned() + &names[0][10..]);
    assert!(
        names[0].ends_with(".svg") && names[1] == "kb.bin",
        "{names:?}"
    );

    // Touch every source (new mtimes, same contents) and build again, elsewhere and in place.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    for path in tree_bytes(&kb_dir).keys() {
        let file = std::fs::File::options()
            .append(true)
            .open(kb_dir.join(path))
            .unwrap();
        file.set_modified(later).unwrap();
    }
    let (_, second) = build("two");
    assert!(
        first == second,
        "an unchanged KB gives byte-identical output"
    );
    let (_, again) = build("one");
    assert!(first == again, "rebuilding in place changes nothing");

    // A changed picture gets a new name; the old one stays while zh-CN still shows it...
    let old_name = first.keys().next().unwrap().clone();
    for locale in ["en", "zh-CN"] {
        let svg = kb_dir.join(locale).join("images/refund-button.svg");
        let text = std::fs::read_to_string(&svg).unwrap();
        std::fs::write(&svg, text.replace("#1677ff", "#0958d9")).unwrap();
        let (summary, changed) = build("one");
        if locale == "en" {
            assert!(summary.contains("2 images ("), "{summary}");
            assert_eq!(changed.len(), 3, "{:?}", changed.keys());
            assert!(changed.contains_key(&old_name));
        } else {
            // ...and is removed once no article does.
            assert!(summary.contains("1 image ("), "{summary}");
            assert_eq!(changed.len(), 2, "{:?}", changed.keys());
            assert!(!changed.contains_key(&old_name));
        }
    }
}

/// A `kefu kb serve` child process, killed when the test ends however it ends.
struct Server {
    child: std::process::Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(kb_dir: &Path, dist: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kefu"))
        .args(["kb", "serve"])
        .arg(kb_dir)
        .args(["--listen", "127.0.0.1:0", "--dist"])
        .arg(dist)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let address = line
        .trim()
        .rsplit("http://")
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    assert!(line.starts_with("serving a live preview of "), "{line}");
    Server { child, address }
}

/// A plain HTTP/1.1 GET over a fresh socket: status line and body.
fn http_get(address: &str, path: &str) -> (String, Vec<u8>) {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\n\r\n").unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(response[..split].to_vec()).unwrap();
    (head, response[split + 4..].to_vec())
}

/// Reads the event stream until an event named `name` arrives, returning its data lines.
fn next_event(reader: &mut impl std::io::BufRead, name: &str) -> String {
    let mut current = String::new();
    let mut data = String::new();
    loop {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "the stream ended");
        let line = line.trim_end_matches('\n');
        if line.is_empty() {
            if current == name {
                return data;
            }
            current.clear();
            data.clear();
        } else if let Some(event) = line.strip_prefix("event: ") {
            current = event.to_owned();
        } else if let Some(value) = line.strip_prefix("data: ") {
            data.push_str(value);
            data.push('\n');
        }
    }
}

#[test]
fn serve_reloads_on_save_and_shows_errors() {
    let temp = tempfile::tempdir().unwrap();
    let kb_dir = temp.path().join("kb");
    copy_tree(&rich_kb(), &kb_dir);
    let dist = temp.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    std::fs::write(dist.join("kefu.js"), "/* the widget */").unwrap();
    let server = start_server(&kb_dir, &dist);

    let (head, page) = http_get(&server.address, "/");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains(r#"<script src="/kefu.js" data-kb="/kb.bin" async>"#));
    assert!(page.contains("new EventSource(\"/events\")"));
    assert_eq!(http_get(&server.address, "/kefu.js").1, b"/* the widget */");
    assert!(
        http_get(&server.address, "/../Cargo.toml")
            .0
            .starts_with("HTTP/1.1 404")
    );
    let (_, first_bundle) = http_get(&server.address, "/kb.bin");
    let index = kefu_core::Index::from_bytes(first_bundle.clone()).unwrap();
    let doc = index.find("refunds", "en").unwrap();
    let kefu_core::Block::Image { src, .. } = &index.document(doc).unwrap().body[1] else {
        panic!("the refunds article shows the button image second");
    };
    let (head, svg) = http_get(&server.address, &format!("/{src}"));
    assert!(head.contains("Content-Type: image/svg+xml"), "{head}");
    assert!(svg.starts_with(b"<svg"));

    let events = std::net::TcpStream::connect(&server.address).unwrap();
    events
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let mut writer = events.try_clone().unwrap();
    write!(writer, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut reader = std::io::BufReader::new(events);
    let mut line = String::new();
    std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
    assert_eq!(line, "HTTP/1.1 200 OK\r\n");
    // Wait for the end of the headers and the `retry:` preamble: the stream is live.
    loop {
        line.clear();
        std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
        if line.starts_with("retry:") {
            break;
        }
    }

    // A save: the page is told to reload within a second, and the bundle has the change.
    let article = kb_dir.join("en/shipping.md");
    let text = std::fs::read_to_string(&article).unwrap();
    let saved = std::time::Instant::now();
    std::fs::write(&article, text.replace("48 hours", "24 hours")).unwrap();
    next_event(&mut reader, "reload");
    let elapsed = saved.elapsed();
    eprintln!("reload event {elapsed:?} after the save");
    assert!(elapsed < std::time::Duration::from_secs(1), "{elapsed:?}");
    let (_, second_bundle) = http_get(&server.address, "/kb.bin");
    assert_ne!(first_bundle, second_bundle);
    let index = kefu_core::Index::from_bytes(second_bundle.clone()).unwrap();
    let doc = index.find("shipping", "en").unwrap();
    assert!(
        index
            .document(doc)
            .unwrap()
            .body_text()
            .contains("24 hours")
    );

    // A broken save: the error goes to the page, the last good bundle stays.
    std::fs::write(
        &article,
        text.replace("[refunds](article:refunds)", "[refunds](article:refund)"),
    )
    .unwrap();
    let error = next_event(&mut reader, "kb-error");
    assert!(
        error.contains("shipping.md:5:") && error.contains("link to a missing article `refund`"),
        "{error}"
    );
    assert!(error.contains("did you mean 'refunds'?"), "{error}");
    let (_, status) = http_get(&server.address, "/status");
    assert!(
        String::from_utf8(status)
            .unwrap()
            .contains("missing article `refund`")
    );
    assert_eq!(http_get(&server.address, "/kb.bin").1, second_bundle);

    // Fixed again: reload.
    std::fs::write(&article, &text).unwrap();
    next_event(&mut reader, "reload");
    assert_eq!(http_get(&server.address, "/status").1, b"");
}

/// Events for the editors' report: paraphrased zero-result questions in simplified and
/// traditional Chinese and in English, low-click searches, a hostile query, votes, flow endings
/// and a deflection.
fn seed_gap_report(database: &kefu_server::Database) {
    use kefu_protocol::{Event, FlowOutcome, Reason, VoteTarget};
    let search = |query: &str, locale: &str, hits: u32| Event::Search {
        query: query.into(),
        locale: locale.into(),
        hits,
    };
    let miss = |query: &str| Event::SearchMiss {
        query: query.into(),
        locale: "en".into(),
    };
    let ended = |outcome: FlowOutcome, last_node: &str| Event::FlowOutcome {
        flow_id: "refund-status".into(),
        outcome,
        last_node: last_node.into(),
    };
    let events = vec![
        search("退款多久到账", "zh-CN", 0),
        search("退款多久到账", "zh-CN", 0),
        search("退款什么时候到账", "zh-CN", 0),
        search("退款几天到", "zh-CN", 0),
        search("退款多久到帳", "zh-TW", 0),
        search("how long does a refund take", "en", 0),
        search("when will my refunds arrive", "en", 0),
        search("<script>alert(1)</script>", "en", 0),
        search("发票", "zh-CN", 4),
        miss("change shipping address"),
        miss("shipping address"),
        miss("gift card"),
        Event::Helpful {
            target: VoteTarget::Article,
            id: "refund-time".into(),
            locale: "zh-CN".into(),
            helpful: false,
            reason: Some(Reason::OutOfDate),
            comment: Some("<img src=x onerror=alert(2)> 还是没到账".into()),
        },
        ended(FlowOutcome::Solved, "done"),
        ended(FlowOutcome::Abandoned, "ask-order-number"),
        ended(FlowOutcome::Abandoned, "ask-order-number"),
        ended(FlowOutcome::Escalated, "bank-delay"),
        Event::Deflection {
            article_id: "invoice-title".into(),
            locale: "zh-CN".into(),
        },
    ];
    kefu_server::store::block_on(async {
        let store = kefu_server::Store::open(database).await.unwrap();
        store.insert_events(events).await.unwrap();
    })
    .unwrap();
}

#[test]
fn gap_report_on_sqlite() {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("kefu.db");
    seed_gap_report(&kefu_server::Database::Sqlite(path.clone()));
    check_gap_report(temp.path(), &["--db", path.to_str().unwrap()]);
}

#[test]
fn gap_report_on_postgres() {
    let Some(url) = fresh_pg_url() else {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: PostgreSQL gap report test (KEFU_TEST_DATABASE_URL is not set)"
        );
        return;
    };
    seed_gap_report(&kefu_server::Database::Postgres(url.clone()));
    let temp = tempfile::tempdir().unwrap();
    check_gap_report(temp.path(), &["--database-url", &url]);
}

/// The groups in the table and JSON, and the HTML page, of the events [`seed_gap_report`] stores.
fn check_gap_report(dir: &Path, db: &[&str]) {
    let output = kefu(dir, &[&["report", "--html", "out.html"][..], db].concat());
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(
        stderr(&output).contains("wrote the HTML report to out.html"),
        "{}",
        stderr(&output)
    );
    let groups = table
        .split("Questions the KB cannot answer")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap();
    let lines: Vec<&str> = groups.lines().skip(1).collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(
        lines[0].starts_with("       5  退款多久到账  (4 phrasings: \"退款多久到账\" ×2,"),
        "{table}"
    );
    assert!(
        lines[1].starts_with("       2  how long does a refund take  (2 phrasings"),
        "{table}"
    );
    assert!(lines[2].contains("<script>alert(1)</script>"), "{table}");
    assert!(
        table.contains("abandoned at ask-order-number ×2"),
        "{table}"
    );

    let json: serde_json::Value = serde_json::from_str(&stdout(&kefu(
        dir,
        &[&["report", "--format", "json"][..], db].concat(),
    )))
    .unwrap();
    let zero = &json["zero_result_groups"];
    assert_eq!(zero[0]["label"], "退款多久到账");
    assert_eq!(zero[0]["total"], 5);
    let phrasings: Vec<&str> = zero[0]["phrasings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["query"].as_str().unwrap())
        .collect();
    assert_eq!(
        phrasings,
        [
            "退款多久到账",
            "退款什么时候到账",
            "退款几天到",
            "退款多久到帳"
        ]
    );
    assert_eq!(json["missed_groups"][0]["label"], "change shipping address");
    assert_eq!(json["missed_groups"][0]["total"], 2);
    assert_eq!(json["missed_groups"][1]["label"], "gift card");
    assert_eq!(
        json["flows"][0]["stops"][0],
        serde_json::json!({ "outcome": "abandoned", "node": "ask-order-number", "count": 2 })
    );

    let html = std::fs::read_to_string(dir.join("out.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("PingFang SC"), "a CJK-capable font stack");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.to_lowercase().contains("<script"), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "self-contained"
    );
    // The to-write list comes first, before every other section.
    let position = |needle: &str| {
        html.find(needle)
            .unwrap_or_else(|| panic!("{needle}\n{html}"))
    };
    let headings = [
        "<h2>What to write next: questions the KB cannot answer</h2>",
        "<h2>Searches whose results did not help</h2>",
        "<h2>Top searches</h2>",
        "<h2>Least helpful answers</h2>",
        "<h2>Flows by outcome</h2>",
        "<h2>Deflections",
    ];
    let positions: Vec<usize> = headings.iter().map(|h| position(h)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert!(
        html.contains("<title>退款多久到账: 5 searches</title>"),
        "{html}"
    );
    assert!(html.contains("<q>退款多久到帳</q>"), "{html}");
    assert!(
        html.contains("abandoned at <code>ask-order-number</code> ×2"),
        "{html}"
    );
    assert!(html.contains("out-of-date ×1"), "{html}");
    assert!(
        html.contains("<q>&lt;img src=x onerror=alert(2)&gt; 还是没到账</q>"),
        "{html}"
    );
    assert!(!html.contains("<img"), "{html}");
    assert_eq!(
        json["least_helpful"][0]["comments"][0],
        "<img src=x onerror=alert(2)> 还是没到账"
    );
    assert!(html.contains("<b>9</b>searches"), "{html}");
    assert_eq!(html.matches("<svg").count(), 6, "one chart per section");
    assert_eq!(
        html.matches("<table>").count(),
        6,
        "a table beside every chart"
    );
}

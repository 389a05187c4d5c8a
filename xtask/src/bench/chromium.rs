//! The browser half of `cargo xtask bench`: Kefu's wasm and the peers on one page in headless
//! Chromium, timed per query as `../shared/bench/README.md` prescribes.
//!
//! The widget is built exactly as `cargo xtask dist` builds it (release, `wasm-opt -Oz`), so the
//! numbers are those of the file a site ships. A static site under `target/bench/site` holds the
//! bench page (`xtask/bench/browser.html`, `browser.mjs` and the `configurations.mjs` it shares
//! with the Node run), the wasm and its glue, the peers' browser ES modules, every set and its
//! bundle; `kefu-server --static` serves it on a loopback port, and `xtask/bench/chromium.mjs`
//! drives Debian's Chromium through playwright-core, one page per set.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::{BrowserRun, DataSet, Latency, Opening, PEERS_DIR, Quality, Report, run_timed};
use crate::dist::{DIST, build_server, dist};
use crate::scale::ScaleReport;
use crate::setup::Tools;
use crate::util::step;

/// The bench page and the modules it loads, copied from `xtask/bench` into the site.
const PAGE_FILES: [&str; 3] = ["browser.html", "browser.mjs", "configurations.mjs"];
/// The peers' browser ES modules (the files Node imports too) and their names in the site's
/// `peers/` folder, which browser.html's import map points at.
const PEER_MODULES: [(&str, &str); 2] = [
    ("minisearch/dist/es/index.js", "minisearch.js"),
    (
        "flexsearch/dist/flexsearch.bundle.module.min.mjs",
        "flexsearch.bundle.module.min.mjs",
    ),
];

/// The name the scale KB goes by in the site (`sets/scale-10k.kb.bin`, `.queries.json`) and on
/// chromium.mjs's command line, where `scale-10k:*` asks for Kefu alone, each query in its own
/// locale.
const SCALE_SET: &str = "scale-10k";

/// The browser the latency columns come from.
pub(super) struct Browser {
    /// Chromium's version, as playwright-core reports it.
    pub(super) version: String,
    /// Whether every bench page was cross-origin isolated, which gives `performance.now()` a
    /// resolution of 5 µs rather than 100 µs.
    pub(super) cross_origin_isolated: bool,
}

/// Builds the widget for the browser, runs every set in headless Chromium and fills in the
/// `browser` field of every row of `reports`, and Kefu's latency on the scale KB. Fails when an
/// engine of a report has no result.
pub(super) fn measure(
    tools: &Tools,
    sets: &[DataSet],
    work_dir: &Path,
    reports: &mut [Report],
    scale: &mut ScaleReport,
) -> Result<Browser> {
    dist(tools)?;
    let server_binary = build_server()?;
    let site = work_dir.join("site");
    assemble_site(&site, sets, work_dir)?;
    add_scale_set(&site, scale)?;
    let server = Server::start(&server_binary, &site, &work_dir.join("kefu-server.db"))?;

    step("Kefu's wasm, MiniSearch and FlexSearch on one page in headless Chromium");
    let mut command = Command::new("node");
    command
        .arg(Path::new(PEERS_DIR).join("chromium.mjs"))
        .arg(&server.url)
        .args(
            sets.iter()
                .map(|set| format!("{}:{}", set.spec.name, set.spec.locale))
                .chain(std::iter::once(format!("{SCALE_SET}:*"))),
        )
        .env("KEFU_CHROMIUM", &tools.chromium);
    let (stdout, _) = run_timed(&mut command, None)?;
    drop(server);

    let mut browser = Browser {
        version: String::new(),
        cross_origin_isolated: true,
    };
    for line in stdout.lines().filter(|line| !line.trim().is_empty()) {
        let result: Value = serde_json::from_str(line).with_context(|| {
            format!(
                "chromium.mjs printed a line that is not JSON: {}",
                abbreviate(line)
            )
        })?;
        let set_name = result["set"]
            .as_str()
            .with_context(|| format!("chromium.mjs result without a set: {}", abbreviate(line)))?;
        if set_name == SCALE_SET {
            let number = |field: &str| {
                result["rows"][0][field].as_f64().with_context(|| {
                    format!("chromium.mjs's {SCALE_SET} result has no number `{field}`")
                })
            };
            scale.chromium_ms = Some((number("p50_ms")?, number("p95_ms")?));
            scale.chromium_open_ms = Some((number("load_ms")?, number("first_query_ms")?));
            continue;
        }
        let report = reports
            .iter_mut()
            .find(|report| report.set_name == set_name)
            .with_context(|| format!("chromium.mjs answered for an unknown set {set_name:?}"))?;
        let set = sets
            .iter()
            .find(|set| set.spec.name == set_name)
            .with_context(|| format!("chromium.mjs answered for an unknown set {set_name:?}"))?;
        browser.version = result["chromium"].as_str().unwrap_or("unknown").to_owned();
        browser.cross_origin_isolated &= result["crossOriginIsolated"].as_bool() == Some(true);
        let rows = result["rows"]
            .as_array()
            .with_context(|| format!("chromium.mjs result for {set_name} has no rows"))?;
        for row in rows {
            merge_row(report, set, row)?;
        }
    }
    let missing: Vec<String> = reports
        .iter()
        .flat_map(|report| {
            std::iter::once(&report.kefu)
                .chain(&report.peers)
                .filter(|row| row.browser.is_none())
                .map(|row| format!("{} {} ({})", report.set_name, row.engine, row.config))
        })
        .collect();
    if !missing.is_empty() {
        bail!(
            "headless Chromium gave no result for: {}",
            missing.join(", ")
        );
    }
    Ok(browser)
}

/// Scores one row of chromium.mjs's output and stores it in the report's row with the same key.
fn merge_row(report: &mut Report, set: &DataSet, row: &Value) -> Result<()> {
    let set_name = report.set_name;
    let key = row["key"]
        .as_str()
        .with_context(|| format!("a chromium.mjs row for {set_name} has no key"))?;
    let number = |field: &str| {
        row[field]
            .as_f64()
            .with_context(|| format!("chromium.mjs row {set_name} {key} has no number `{field}`"))
    };
    let latency = Latency {
        p50_ms: number("p50_ms")?,
        p95_ms: number("p95_ms")?,
    };
    let opening = Opening {
        load_ms: number("load_ms")?,
        first_query_ms: number("first_query_ms")?,
    };
    let ranked = row["ranked"]
        .as_array()
        .with_context(|| format!("chromium.mjs row {set_name} {key} has no `ranked` list"))?
        .iter()
        .map(|ids| {
            ids.as_array()
                .with_context(|| {
                    format!("chromium.mjs row {set_name} {key}: `ranked` holds a non-list")
                })?
                .iter()
                .map(|id| {
                    let id = id.as_str().with_context(|| {
                        format!("chromium.mjs row {set_name} {key}: an id is not a string")
                    })?;
                    if key != "kefu" {
                        return Ok(id.to_owned());
                    }
                    // Kefu answers with KB ids (slugs); score them as the set's ids.
                    report.kefu_ids.get(id).cloned().with_context(|| {
                        format!("Kefu's wasm returned {id:?}, which is no article of {set_name}")
                    })
                })
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<Vec<_>>>()?;
    if ranked.len() != set.queries.len() {
        bail!(
            "in Chromium, {key} answered {} of the {} queries of {set_name}",
            ranked.len(),
            set.queries.len()
        );
    }
    let quality = Quality::measure(set.queries.iter().map(|query| query.gold.as_str()), &ranked);
    let target = if key == "kefu" {
        &mut report.kefu
    } else {
        report
            .peers
            .iter_mut()
            .find(|peer| peer.key == key)
            .with_context(|| {
                format!("chromium.mjs ran {key} on {set_name}, which the Node run did not")
            })?
    };
    target.browser = Some(BrowserRun {
        latency,
        opening,
        quality,
    });
    Ok(())
}

/// Lays out the static site the bench page is served from (see the module documentation).
fn assemble_site(site: &Path, sets: &[DataSet], work_dir: &Path) -> Result<()> {
    if site.exists() {
        std::fs::remove_dir_all(site).with_context(|| format!("clearing {}", site.display()))?;
    }
    for dir in ["kefu", "peers", "sets"] {
        std::fs::create_dir_all(site.join(dir))?;
    }
    let copy = |from: &Path, to: PathBuf| {
        std::fs::copy(from, &to)
            .with_context(|| format!("copying {} to {}", from.display(), to.display()))
            .map(drop)
    };
    for file in PAGE_FILES {
        copy(&Path::new(PEERS_DIR).join(file), site.join(file))?;
    }
    let modules = Path::new(PEERS_DIR).join("node_modules");
    for (source, name) in PEER_MODULES {
        copy(&modules.join(source), site.join("peers").join(name))?;
    }
    let glue = dist_file("js")?;
    let wasm = dist_file("wasm")?;
    for name in [&glue, &wasm] {
        copy(&Path::new(DIST).join(name), site.join("kefu").join(name))?;
    }
    let manifest = serde_json::json!({
        "glue": format!("kefu/{glue}"),
        "wasm": format!("kefu/{wasm}"),
    });
    std::fs::write(site.join("bench.json"), manifest.to_string())?;
    for set in sets {
        let name = set.spec.name;
        copy(&set.path, site.join("sets").join(format!("{name}.json")))?;
        copy(
            &work_dir.join(name).join("kb.bin"),
            site.join("sets").join(format!("{name}.kb.bin")),
        )?;
    }
    Ok(())
}

/// Adds the scale KB to the site: its bundle, and its queries as `[{"q", "locale"}]`.
fn add_scale_set(site: &Path, scale: &ScaleReport) -> Result<()> {
    let bundle = site.join("sets").join(format!("{SCALE_SET}.kb.bin"));
    std::fs::copy(&scale.bundle, &bundle)
        .with_context(|| format!("copying {} to {}", scale.bundle.display(), bundle.display()))?;
    let queries: Vec<Value> = scale
        .queries
        .iter()
        .map(|(locale, q)| serde_json::json!({ "q": q, "locale": locale }))
        .collect();
    std::fs::write(
        site.join("sets").join(format!("{SCALE_SET}.queries.json")),
        Value::Array(queries).to_string(),
    )?;
    Ok(())
}

/// The one `kefu-<hash>.<ext>` in dist/: the wasm-bindgen glue (`js`) or the wasm. `kefu.js`, the
/// loader, has no hash and is not it.
fn dist_file(ext: &str) -> Result<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(DIST).with_context(|| format!("listing {DIST}/"))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with("kefu-") && name.ends_with(&format!(".{ext}")) {
            names.push(name);
        }
    }
    match names.as_slice() {
        [name] => Ok(name.clone()),
        [] => bail!("{DIST}/ has no kefu-<hash>.{ext} after `cargo xtask dist`"),
        _ => bail!(
            "{DIST}/ has several kefu-<hash>.{ext} files ({}); is another build writing to it?",
            names.join(", ")
        ),
    }
}

/// `kefu-server --static SITE` on a free loopback port, stopped when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
}

impl Server {
    pub(crate) fn start(binary: &Path, site: &Path, db: &Path) -> Result<Server> {
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .arg("--static")
            .arg(site)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("could not start {}", binary.display()))?;
        let stdout = child.stdout.take();
        // From here on the server is stopped on every path out, errors included.
        let mut server = Server {
            child,
            url: String::new(),
        };
        let mut lines =
            BufReader::new(stdout.context("kefu-server's stdout was not captured")?).lines();
        // It prints `kefu-server listening on http://ADDR (db: PATH, static: DIR)` once ready.
        let first = lines.next().transpose()?.unwrap_or_default();
        server.url = match first.split_once("listening on ") {
            Some((_, rest)) => {
                let url = rest.split_whitespace().next().unwrap_or_default();
                format!("{}/", url.trim_end_matches('/'))
            }
            None => bail!("kefu-server did not say where it listens; it printed {first:?}"),
        };
        // Anything it prints later is read and dropped, so a full pipe can never block it.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A static server holds nothing worth a graceful stop; the database is under target/.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The start of a long line, for error messages: result lines carry every ranked id.
fn abbreviate(line: &str) -> String {
    let mut short: String = line.chars().take(200).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

//! `cargo xtask test`: everything CI checks, in the order that fails fastest.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::dist::{assemble_site, build_server, dist};
use crate::setup::Tools;
use crate::util::{cargo, run, step};

/// Crates the engine must never depend on, directly or not: it runs natively and in the widget
/// alike, and knows nothing of the browser or async I/O.
const ENGINE_FORBIDDEN: &[&str] = &[
    "web-sys",
    "js-sys",
    "wasm-bindgen",
    "gloo-net",
    "leptos",
    "tokio",
];

pub fn test(tools: &Tools) -> Result<()> {
    step("cargo fmt --check");
    run(cargo().args(["fmt", "--all", "--check"]))?;
    step("cargo clippy -D warnings");
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--quiet",
        "--",
        "-D",
        "warnings",
    ]))?;
    step("engine boundary: kefu-core depends on nothing browser- or async-specific");
    engine_boundary()?;
    step("native tests");
    // The server's and CLI's PostgreSQL tests need a real server: a throwaway one, stopped
    // (by Drop) as soon as the native tests are done, pass or fail.
    let postgres = match tools.postgres {
        Some(_) => match crate::pg::Cluster::start(false) {
            Ok(cluster) => Some(cluster),
            Err(err) => {
                eprintln!("warning: PostgreSQL did not start ({err:#}); its tests will be skipped");
                None
            }
        },
        None => None,
    };
    let mut native = cargo();
    native.args(["test", "--workspace", "--quiet"]);
    if let Some(cluster) = &postgres {
        native.env("KEFU_TEST_DATABASE_URL", &cluster.url);
    }
    run(&mut native)?;
    drop(postgres);
    dist(tools)?;
    end_to_end(tools, &[])?;
    step("all checks passed");
    Ok(())
}

/// The wasm build and the browser tests alone, optionally only the files whose names contain one
/// of `filters`: the quick loop while working on the widget.
pub fn browser_only(tools: &Tools, filters: &[String]) -> Result<()> {
    dist(tools)?;
    end_to_end(tools, filters)
}

fn engine_boundary() -> Result<()> {
    let output = cargo()
        .args([
            "tree",
            "--package",
            "kefu-core",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .output()
        .context("running cargo tree")?;
    if !output.status.success() {
        bail!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let tree = String::from_utf8_lossy(&output.stdout);
    let offenders: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| ENGINE_FORBIDDEN.contains(name))
        .collect();
    if !offenders.is_empty() {
        bail!(
            "kefu-core must not depend on {} (ARCHITECTURE.md, \"Boundary\"): move that code to the widget or the server",
            offenders.join(", ")
        );
    }
    Ok(())
}

/// Serves the built widget with the real server and drives it in headless Chromium.
fn end_to_end(tools: &Tools, filters: &[String]) -> Result<()> {
    let server = build_server()?;
    let site = Path::new("target/e2e-site");
    assemble_site(site, Some(Path::new("tests/e2e/pages")))?;
    let mut tests: Vec<_> = std::fs::read_dir("tests/e2e")?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.to_string_lossy().ends_with(".test.mjs"))
        .filter(|path| {
            let name = path.to_string_lossy();
            filters.is_empty() || filters.iter().any(|filter| name.contains(filter.as_str()))
        })
        .collect();
    tests.sort();
    if tests.is_empty() {
        bail!("no end-to-end tests found in tests/e2e/*.test.mjs");
    }
    step("end-to-end tests in headless Chromium");
    run(Command::new("node")
        .arg("--test")
        .arg("--test-concurrency=1")
        .args(&tests)
        .env("KEFU_SERVER", server)
        .env("KEFU_SITE", std::fs::canonicalize(site)?)
        .env("KEFU_CHROMIUM", &tools.chromium))
}

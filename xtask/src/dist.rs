//! `cargo xtask dist` and `cargo xtask demo`: build the KB bundle and the widget into `dist/`, and
//! serve the demo shop with them.
//!
//! `dist/` holds what a site owner uploads: `kefu.js` (the one file a page includes, under a
//! stable name) and the files it loads, whose names carry a content hash so they can be cached
//! forever: `kefu-<hash>.js` (wasm-bindgen's glue), `kefu-<hash>.wasm`, `kefu-<hash>.css` and
//! `kb-<hash>.bin` (the bundle), and `kb-assets/<hash>.<ext>`, the articles' images, whose URLs
//! in the bundle are relative to the bundle's own. `kefu.js` is `src/kefu.js` with those names
//! filled in.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::setup::{Tools, WasmRoute};
use crate::util::{cargo, gzip_len, run, step};

pub const DIST: &str = "dist";
const WORK: &str = "target/kefu-dist";

pub fn dist(tools: &Tools) -> Result<()> {
    std::fs::create_dir_all(WORK)?;
    step("building the KB bundle from kb/");
    let bundle = Path::new(WORK).join("kb.bin");
    run(cargo()
        .args([
            "run",
            "--quiet",
            "--package",
            "kefu-cli",
            "--",
            "kb",
            "build",
            "kb",
            "-o",
        ])
        .arg(&bundle))?;

    let wasm = build_wasm(tools)?;

    step("generating the JavaScript bindings (wasm-bindgen)");
    let bindgen_dir = Path::new(WORK).join("bindgen");
    let _ = std::fs::remove_dir_all(&bindgen_dir);
    run(Command::new(&tools.wasm_bindgen)
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--out-name",
            "kefu",
            "--out-dir",
        ])
        .arg(&bindgen_dir)
        .arg(&wasm))?;

    step("optimising the wasm for size (wasm-opt -Oz)");
    let optimised = Path::new(WORK).join("kefu.opt.wasm");
    run(Command::new(&tools.wasm_opt)
        .arg(bindgen_dir.join("kefu_bg.wasm"))
        .args(["-Oz", "--strip-debug", "--strip-producers"])
        // Features rustc's wasm32 target emits; binaryen must be told it may keep them.
        .args([
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-reference-types",
            "--enable-mutable-globals",
            "--enable-multivalue",
        ])
        .arg("-o")
        .arg(&optimised))?;

    step("writing dist/");
    let dist = Path::new(DIST);
    if dist.exists() {
        std::fs::remove_dir_all(dist).context("clearing dist/")?;
    }
    std::fs::create_dir_all(dist)?;
    let wasm_name = hashed_copy(&optimised, "kefu", "wasm")?;
    let glue_name = hashed_copy(&bindgen_dir.join("kefu.js"), "kefu", "js")?;
    let css_name = hashed_copy(Path::new("style/kefu.css"), "kefu", "css")?;
    let kb_name = hashed_copy(&bundle, "kb", "bin")?;
    let loader = std::fs::read_to_string("src/kefu.js").context("reading src/kefu.js")?;
    let version = env!("CARGO_PKG_VERSION");
    let loader = fill(
        &loader,
        &[
            ("__KEFU_GLUE__", &glue_name),
            ("__KEFU_WASM__", &wasm_name),
            ("__KEFU_CSS__", &css_name),
            ("__KEFU_KB__", &kb_name),
            ("__KEFU_VERSION__", version),
        ],
    )?;
    std::fs::write(dist.join("kefu.js"), loader)?;

    let mut files: Vec<PathBuf> = ["kefu.js", &glue_name, &wasm_name, &css_name, &kb_name]
        .iter()
        .map(|name| dist.join(name))
        .collect();
    files.extend(copy_kb_assets(&Path::new(WORK).join("kb-assets"), dist)?);
    print_sizes(&files)
}

/// Compiles the widget crate to wasm32 by whichever route setup found.
fn build_wasm(tools: &Tools) -> Result<PathBuf> {
    let target = "wasm32-unknown-unknown";
    let mut command = match tools.wasm_route {
        WasmRoute::Rustup => {
            step("compiling the widget to wasm32 (rustup target)");
            let mut command = cargo();
            command.env("CARGO_TARGET_DIR", "target/wasm");
            command.args(["build", "--release", "--target", target]);
            command
        }
        WasmRoute::Debian => {
            step("compiling the widget to wasm32 (Debian rustc-web, -Zbuild-std)");
            let mut command = Command::new("/usr/bin/cargo");
            // Debian's cargo and rustc must not meet rustup's: give them their own PATH order,
            // compiler and target directory, and drop what the outer cargo set for xtask.
            for var in [
                "RUSTUP_TOOLCHAIN",
                "RUSTC",
                "RUSTDOC",
                "RUSTC_WRAPPER",
                "CARGO",
                "RUSTFLAGS",
            ] {
                command.env_remove(var);
            }
            let path = std::env::var("PATH").unwrap_or_default();
            command
                .env("PATH", format!("/usr/bin:{path}"))
                .env("RUSTC", "/usr/bin/rustc")
                .env("RUSTDOC", "/usr/bin/rustdoc")
                .env("RUSTC_BOOTSTRAP", "1")
                .env("CARGO_TARGET_DIR", "target/wasm-debian")
                .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", "wasm-ld-19")
                .args([
                    "build",
                    "--release",
                    "--target",
                    target,
                    "-Zbuild-std=std,panic_abort",
                ]);
            command
        }
    };
    command.args(["--package", "kefu", "--lib"]);
    run(&mut command)?;
    let dir = if tools.wasm_route == WasmRoute::Rustup {
        "target/wasm"
    } else {
        "target/wasm-debian"
    };
    let wasm = Path::new(dir).join(target).join("release/kefu.wasm");
    if !wasm.exists() {
        bail!("the wasm build finished but {} is missing", wasm.display());
    }
    Ok(wasm)
}

/// Copies `source` into dist/ as `<stem>-<hash>.<ext>` and returns the new name.
fn hashed_copy(source: &Path, stem: &str, ext: &str) -> Result<String> {
    let bytes = std::fs::read(source).with_context(|| format!("reading {}", source.display()))?;
    let digest = Sha256::digest(&bytes);
    let hash: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    let name = format!("{stem}-{hash}.{ext}");
    std::fs::write(Path::new(DIST).join(&name), bytes)?;
    Ok(name)
}

/// Copies the images `kefu kb build` wrote beside the bundle into `dist/kb-assets/`, returning
/// the copies. Their names already carry a content hash.
fn copy_kb_assets(built: &Path, dist: &Path) -> Result<Vec<PathBuf>> {
    if !built.is_dir() {
        return Ok(Vec::new());
    }
    let target = dist.join("kb-assets");
    std::fs::create_dir_all(&target)?;
    let mut names: Vec<_> = std::fs::read_dir(built)?
        .map(|entry| entry.map(|entry| entry.file_name()))
        .collect::<std::io::Result<_>>()?;
    names.sort();
    let mut copies = Vec::new();
    for name in names {
        let copy = target.join(&name);
        std::fs::copy(built.join(&name), &copy)
            .with_context(|| format!("copying {}", built.join(&name).display()))?;
        copies.push(copy);
    }
    Ok(copies)
}

/// Copies a directory tree (dist/ holds `kb-assets/`).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Replaces each placeholder, failing if one is missing so a renamed placeholder cannot ship.
fn fill(template: &str, pairs: &[(&str, &str)]) -> Result<String> {
    let mut out = template.to_owned();
    for (placeholder, value) in pairs {
        if !out.contains(placeholder) {
            bail!("src/kefu.js no longer contains the placeholder {placeholder}");
        }
        out = out.replace(placeholder, value);
    }
    Ok(out)
}

fn print_sizes(files: &[PathBuf]) -> Result<()> {
    println!("{:<28} {:>10} {:>10}", "file", "bytes", "gzip -9");
    let (mut total_raw, mut total_gzip) = (0, 0);
    for file in files {
        let bytes = std::fs::read(file)?;
        let gzip = gzip_len(&bytes)?;
        total_raw += bytes.len();
        total_gzip += gzip;
        let name = file
            .strip_prefix(DIST)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!("{name:<28} {:>10} {:>10}", bytes.len(), gzip);
    }
    println!("{:<28} {:>10} {:>10}", "total", total_raw, total_gzip);
    Ok(())
}

/// Lays out a static site: the demo shop page at `/`, its stylesheet, `dist/` under `/kefu/`, and
/// (for tests) extra pages under `/test/`.
pub fn assemble_site(site: &Path, test_pages: Option<&Path>) -> Result<()> {
    if site.exists() {
        std::fs::remove_dir_all(site)?;
    }
    std::fs::create_dir_all(site.join("style"))?;
    std::fs::create_dir_all(site.join("kefu"))?;
    std::fs::copy("index.html", site.join("index.html"))?;
    std::fs::copy("favicon.svg", site.join("favicon.svg"))?;
    std::fs::copy("style/shop.css", site.join("style/shop.css"))?;
    copy_tree(Path::new(DIST), &site.join("kefu"))?;
    if let Some(pages) = test_pages {
        std::fs::create_dir_all(site.join("test"))?;
        for entry in std::fs::read_dir(pages)? {
            let entry = entry?;
            std::fs::copy(entry.path(), site.join("test").join(entry.file_name()))?;
        }
    }
    Ok(())
}

/// Builds the escalation server and returns the path of its binary.
pub fn build_server() -> Result<PathBuf> {
    step("building the escalation server");
    run(cargo().args([
        "build",
        "--quiet",
        "--package",
        "kefu-server",
        "--bin",
        "kefu-server",
    ]))?;
    // Where cargo put it: CARGO_TARGET_DIR when set (each engineer's own), else `target`.
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let binary = target_dir.join("debug/kefu-server");
    std::fs::canonicalize(&binary)
        .with_context(|| format!("{} missing after the build", binary.display()))
}

pub fn demo(tools: &Tools, args: &[String]) -> Result<()> {
    let listen = match args {
        [] => "127.0.0.1:8080".to_owned(),
        [flag, address] if flag == "--listen" => address.clone(),
        _ => bail!("usage: cargo xtask demo [--listen ADDRESS:PORT]"),
    };
    dist(tools)?;
    let server = build_server()?;
    let site = Path::new("target/demo-site");
    assemble_site(site, None)?;
    std::fs::create_dir_all("target/demo")?;
    step(&format!(
        "serving the demo shop at http://{listen} (Ctrl-C to stop)"
    ));
    run(Command::new(server)
        .args([
            "--listen",
            &listen,
            "--db",
            "target/demo/kefu.db",
            "--static",
        ])
        .arg(site))
}

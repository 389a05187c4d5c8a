//! `cargo xtask setup`: finds what the machine has and installs only what it lacks.
//!
//! Order of preference for the wasm toolchain: the rustup `wasm32-unknown-unknown` target (added
//! with rustup when it can be), else Debian's `rustc-web` packages, which carry the standard
//! library sources so `-Zbuild-std` can compile std for wasm32 (see DEVELOPERS.md in the brief and
//! README's "Building"). Everything else comes from the package registries: wasm-bindgen-cli from
//! crates.io at exactly the version in Cargo.lock, binaryen's wasm-opt and playwright-core from
//! npm (tests/package-lock.json), Chromium from Debian. Nothing downloads a prebuilt toolchain or
//! browser from anywhere else.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::util::{cargo, probe, run, step};

/// How the widget is compiled to wasm32 on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WasmRoute {
    /// rustup's `wasm32-unknown-unknown` target with the host toolchain.
    Rustup,
    /// Debian's rustc-web in /usr/bin with `-Zbuild-std` and `wasm-ld-19`.
    Debian,
}

/// The tools found or installed, with their paths.
#[derive(Debug)]
pub struct Tools {
    pub wasm_route: WasmRoute,
    pub wasm_bindgen: PathBuf,
    pub wasm_opt: PathBuf,
    pub chromium: PathBuf,
    /// PostgreSQL's program directory, for the server's PostgreSQL tests; `None` when it could
    /// not be installed (those tests then say they were skipped).
    pub postgres: Option<PathBuf>,
}

const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_STD_SOURCES: &str = "/usr/lib/rustlib/src/rust/library";
const DEBIAN_LINKER: &str = "wasm-ld-19";
const DEBIAN_WASM_PACKAGES: &[&str] = &["rustc-web", "cargo-web", "rust-web-src", "lld-19"];
const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";

/// Detects every tool and installs the missing ones. Quiet when all is there.
pub fn setup() -> Result<Tools> {
    let started = Instant::now();
    let mut apt = Apt::default();
    let wasm_route = wasm_route(&mut apt)?;
    let chromium = chromium(&mut apt)?;
    let wasm_bindgen = wasm_bindgen()?;
    let wasm_opt = node_tools()?;
    let postgres = postgres(&mut apt);
    unicode_data(&mut apt);
    if apt.updated || started.elapsed() > Duration::from_secs(5) {
        step(&format!(
            "setup done in {:.1}s",
            started.elapsed().as_secs_f32()
        ));
    }
    Ok(Tools {
        wasm_route,
        wasm_bindgen,
        wasm_opt,
        chromium,
        postgres,
    })
}

impl Tools {
    /// Says what setup found, for `cargo xtask setup` run on its own.
    pub fn report(&self) {
        let route = match self.wasm_route {
            WasmRoute::Rustup => "rustup's wasm32-unknown-unknown target".to_owned(),
            WasmRoute::Debian => format!(
                "Debian rustc-web ({DEBIAN_RUSTC}) with -Zbuild-std, linked by {DEBIAN_LINKER}"
            ),
        };
        let version = |path: &Path, arg: &str| {
            probe(Command::new(path).arg(arg))
                .and_then(|out| out.lines().next().map(str::trim).map(str::to_owned))
                .unwrap_or_else(|| "version unknown".to_owned())
        };
        println!("wasm toolchain: {route}");
        println!(
            "wasm-bindgen:   {} ({})",
            self.wasm_bindgen.display(),
            version(&self.wasm_bindgen, "--version")
        );
        println!(
            "wasm-opt:       {} ({})",
            self.wasm_opt.display(),
            version(&self.wasm_opt, "--version")
        );
        println!(
            "chromium:       {} ({})",
            self.chromium.display(),
            version(&self.chromium, "--version")
        );
        println!("playwright-core: tests/node_modules/playwright-core");
        match &self.postgres {
            Some(bin) => println!("postgresql:     {}", bin.display()),
            None => println!("postgresql:     not available (PostgreSQL tests will be skipped)"),
        }
    }
}

/// Installs Debian packages, running `apt-get update` once per xtask run before the first install.
#[derive(Default)]
pub struct Apt {
    updated: bool,
}

impl Apt {
    pub fn install(&mut self, packages: &[&str]) -> Result<()> {
        let root = probe(Command::new("id").arg("-u")).is_some_and(|uid| uid.trim() == "0");
        let sudo = |program: &str| {
            if root {
                Command::new(program)
            } else {
                let mut command = Command::new("sudo");
                command.arg(program);
                command
            }
        };
        if !self.updated {
            step("apt-get update");
            run(sudo("apt-get").args(["update", "-qq"]))?;
            self.updated = true;
        }
        step(&format!(
            "installing {} from Debian's packages",
            packages.join(" ")
        ));
        run(sudo("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"))
    }
}

/// Finds PostgreSQL or installs Debian's `postgresql` package. A failure is a warning, not an
/// error: only the PostgreSQL half of the server tests needs it, and they skip visibly without it.
fn postgres(apt: &mut Apt) -> Option<PathBuf> {
    if let Some(bin) = crate::pg::bin_dir() {
        return Some(bin);
    }
    if let Err(err) = apt.install(&["postgresql"]) {
        eprintln!("warning: could not install PostgreSQL ({err:#}); its tests will be skipped");
    }
    crate::pg::bin_dir()
}

fn rustup_has_wasm_target() -> bool {
    probe(Command::new("rustup").args(["target", "list", "--installed"])).is_some_and(|targets| {
        targets
            .lines()
            .any(|t| t.trim() == "wasm32-unknown-unknown")
    })
}

fn debian_route_ready() -> bool {
    Path::new(DEBIAN_RUSTC).exists()
        && Path::new(DEBIAN_STD_SOURCES).exists()
        && probe(Command::new(DEBIAN_LINKER).arg("--version")).is_some()
}

fn wasm_route(apt: &mut Apt) -> Result<WasmRoute> {
    if std::env::var_os("KEFU_WASM_ROUTE").is_some_and(|route| route == "debian") {
        if !debian_route_ready() {
            apt.install(DEBIAN_WASM_PACKAGES)?;
        }
        return Ok(WasmRoute::Debian);
    }
    if rustup_has_wasm_target() {
        return Ok(WasmRoute::Rustup);
    }
    if debian_route_ready() {
        return Ok(WasmRoute::Debian);
    }
    // rustup can only add the target where its distribution server is reachable; on machines
    // that reach just the package registries it fails, so give it a short time and move on.
    if probe(Command::new("rustup").arg("--version")).is_some() {
        step("adding the wasm32-unknown-unknown target with rustup");
        let added = Command::new("timeout")
            .args(["60", "rustup", "target", "add", "wasm32-unknown-unknown"])
            .status()
            .is_ok_and(|status| status.success());
        if added && rustup_has_wasm_target() {
            return Ok(WasmRoute::Rustup);
        }
        step("rustup could not add the target; using Debian's rustc-web with -Zbuild-std instead");
    }
    apt.install(DEBIAN_WASM_PACKAGES)?;
    if !debian_route_ready() {
        bail!(
            "no wasm32 toolchain: neither `rustup target add wasm32-unknown-unknown` nor Debian's {} worked",
            DEBIAN_WASM_PACKAGES.join(" ")
        );
    }
    Ok(WasmRoute::Debian)
}

/// Unicode's Unihan files, which the tests that keep the Chinese character tables true to their
/// source read (kefu-core `hant_table`, kefu-kb `hans_table`); without them those tests skip. Not
/// fatal: nothing else needs them.
fn unicode_data(apt: &mut Apt) {
    if !Path::new("/usr/share/unicode/Unihan_Variants.txt.bz2").exists()
        && let Err(error) = apt.install(&["unicode-data"])
    {
        eprintln!(
            "unicode-data could not be installed ({error:#}): the Unihan table tests will skip"
        );
    }
}

fn chromium(apt: &mut Apt) -> Result<PathBuf> {
    let path = std::env::var_os("KEFU_CHROMIUM")
        .map_or_else(|| PathBuf::from(DEFAULT_CHROMIUM), PathBuf::from);
    if !path.exists() {
        apt.install(&["chromium"])?;
    }
    if !path.exists() {
        bail!(
            "Chromium is not at {} after installing Debian's chromium package",
            path.display()
        );
    }
    Ok(path)
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match the library exactly.
pub fn locked_wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string("Cargo.lock").context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\""
            && let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
        {
            return Ok(version.trim_matches('"').to_owned());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen package; is the widget's dependency on it gone?")
}

fn wasm_bindgen() -> Result<PathBuf> {
    let version = locked_wasm_bindgen_version()?;
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .context("neither CARGO_HOME nor HOME is set")?;
    let path = cargo_home.join("bin").join("wasm-bindgen");
    let installed = probe(Command::new(&path).arg("--version"));
    if installed
        .as_deref()
        .is_some_and(|v| v.split_whitespace().nth(1) == Some(version.as_str()))
    {
        return Ok(path);
    }
    step(&format!(
        "installing wasm-bindgen-cli {version} from crates.io (about two minutes)"
    ));
    // Not --locked: one of the CLI's locked dependencies is no longer on the registry.
    run(cargo().args([
        "install",
        "wasm-bindgen-cli",
        "--force",
        "--version",
        &version,
    ]))?;
    Ok(path)
}

/// Installs tests/package.json's node tools (binaryen's wasm-opt, playwright-core) if missing.
fn node_tools() -> Result<PathBuf> {
    let wasm_opt = Path::new("tests/node_modules/.bin/wasm-opt");
    let playwright = Path::new("tests/node_modules/playwright-core/package.json");
    let lock = Path::new("tests/package-lock.json");
    let marker = Path::new("tests/node_modules/.package-lock.json");
    // npm rewrites node_modules/.package-lock.json on every install; older than the lock file
    // means package-lock.json changed since.
    let stale = || -> Option<bool> {
        Some(
            std::fs::metadata(lock).ok()?.modified().ok()?
                > std::fs::metadata(marker).ok()?.modified().ok()?,
        )
    };
    if !wasm_opt.exists() || !playwright.exists() || stale().unwrap_or(true) {
        if probe(Command::new("npm").arg("--version")).is_none() {
            bail!("npm is missing: install Node.js and npm (Debian: apt-get install nodejs npm)");
        }
        step("installing binaryen (wasm-opt) and playwright-core from npm");
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--prefix", "tests"]))?;
    }
    std::fs::canonicalize(wasm_opt).context("wasm-opt missing after npm ci")
}

//! `cargo xtask`: Kefu's build driver. Everything a developer or CI does is a subcommand here.

mod bench;
mod dist;
mod pg;
mod scale;
mod screenshots;
mod setup;
mod test;
mod util;

use anyhow::{Result, bail};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  setup   detect and install what the build needs (wasm toolchain, wasm-bindgen, wasm-opt,
          Chromium, playwright-core); quick and silent when everything is there
  dist    build the KB bundle and the widget into dist/ and print the size of each file
  demo    build everything and serve the demo shop at http://127.0.0.1:8080
  test    everything CI checks: fmt, clippy, native tests, the wasm build, browser tests
  e2e     only the wasm build and the browser tests; `e2e embed` runs tests/e2e/embed.test.mjs
  screenshots  retake README's pictures of the widget into docs/ (headless Chromium)
  bench   Kefu's search vs MiniSearch and FlexSearch on ../shared/bench, the embed (loader size,
          click to focus) and the escalation server under load (SQLite and PostgreSQL, plus a
          kill -9 crash test); writes BENCHMARKS.md
  bench embed | bench server | bench scale   only that part (scale: the generated 10,000-article
          KB, build time and search latency natively and in Chromium)
  bench scale --native   the scale KB without Chromium; leaves BENCHMARKS.md alone and the KB,
          bundle and queries in target/bench/scale-10k/ for profiling
";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = util::workspace_root()?;
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("setup") => setup::setup().map(|tools| tools.report()),
        Some("dist") => dist::dist(&setup::setup()?),
        Some("demo") => dist::demo(&setup::setup()?, &args[1..]),
        Some("test") => test::test(&setup::setup()?),
        Some("e2e") => test::browser_only(&setup::setup()?, &args[1..]),
        Some("bench") => bench::bench(&args[1..]),
        Some("screenshots") => screenshots::screenshots(&setup::setup()?),
        Some("-h" | "--help" | "help") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command '{other}'\n\n{USAGE}"),
    }
}

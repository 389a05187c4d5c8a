//! `cargo xtask screenshots`: the pictures in README.md, taken from the real widget.
//!
//! Builds `dist/`, serves the demo shop with the real server, and has `docs/screenshots.mjs`
//! drive headless Chromium through the views README shows (light, dark, phone, a guided flow),
//! writing PNGs into `docs/`. Rerun it when the widget's look changes.

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use crate::bench::Server;
use crate::dist::{assemble_site, build_server, dist};
use crate::setup::Tools;
use crate::util::{run, step};

pub fn screenshots(tools: &Tools) -> Result<()> {
    dist(tools)?;
    let server_binary = build_server()?;
    let site = Path::new("target/screenshots-site");
    assemble_site(site, None)?;
    std::fs::create_dir_all("target/screenshots")?;
    let server = Server::start(
        &server_binary,
        site,
        Path::new("target/screenshots/kefu.db"),
    )?;
    step("taking screenshots in headless Chromium");
    run(Command::new("node")
        .arg("docs/screenshots.mjs")
        .arg(server.url.trim_end_matches('/'))
        .env("KEFU_CHROMIUM", &tools.chromium))
}

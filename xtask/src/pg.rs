//! A throwaway PostgreSQL server on a free loopback port, for the server's tests and benchmark:
//! Debian's `postgresql` package, `initdb` into a fresh directory, trust authentication on
//! 127.0.0.1 only, stopped and deleted when the [`Cluster`] is dropped.
//!
//! `initdb` refuses to run as root, and CI runs as root, so as root every PostgreSQL program
//! runs as the `postgres` user the package creates (`runuser -u postgres`), in a directory that
//! user owns.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::util::{probe, run, step};

/// Where Debian installs each major version's programs: `/usr/lib/postgresql/<major>/bin`.
const DEBIAN_PG_ROOT: &str = "/usr/lib/postgresql";

/// The newest installed PostgreSQL's program directory, if any.
pub fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(DEBIAN_PG_ROOT)
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let major = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    probe(Command::new("id").arg("-u")).is_some_and(|uid| uid.trim() == "0")
}

/// A PostgreSQL program, run as `postgres` when we are root.
fn pg_command(bin: &Path, program: &str) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command
            .args(["-u", "postgres", "--"])
            .arg(bin.join(program));
        command
    } else {
        Command::new(bin.join(program))
    }
}

/// A running throwaway server.
#[derive(Debug)]
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub url: String,
}

impl Cluster {
    /// Creates and starts a cluster under `/tmp`. `durable` keeps PostgreSQL's fsync on (for the
    /// benchmark's crash test); tests turn it off because they never pull the plug.
    pub fn start(durable: bool) -> Result<Self> {
        let bin = bin_dir().context(
            "PostgreSQL is not installed (Debian: apt-get install postgresql; \
             `cargo xtask setup` does it)",
        )?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .context("finding a free loopback port")?
            .port();
        let dir = std::env::temp_dir().join(format!("kefu-pg-{}-{port}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        if is_root() {
            run(Command::new("chown").args(["postgres:postgres"]).arg(&dir))?;
        }
        let cluster = Self {
            bin,
            dir,
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        };
        step(&format!(
            "starting a throwaway PostgreSQL on 127.0.0.1:{port} ({})",
            cluster.dir.display()
        ));
        let data = cluster.dir.join("data");
        run(pg_command(&cluster.bin, "initdb")
            .arg("-D")
            .arg(&data)
            .args([
                "--auth=trust",
                "--username=postgres",
                "--no-sync",
                "-E",
                "UTF8",
            ])
            .stdout(std::process::Stdio::null()))?;
        let fsync = if durable { "on" } else { "off" };
        // -k: the Unix socket goes into our directory, not /run/postgresql, which may not exist.
        let options = format!(
            "-p {port} -h 127.0.0.1 -k {} -c fsync={fsync} -c max_connections=200",
            cluster.dir.display()
        );
        run(pg_command(&cluster.bin, "pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(cluster.dir.join("server.log"))
            .args(["-o", &options, "-w", "start"])
            .stdout(std::process::Stdio::null()))?;
        Ok(cluster)
    }

    fn stop(&self) -> Result<()> {
        let status = pg_command(&self.bin, "pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(std::process::Stdio::null())
            .status()?;
        if !status.success() {
            bail!("pg_ctl stop failed ({status})");
        }
        std::fs::remove_dir_all(&self.dir)?;
        Ok(())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Err(err) = self.stop() {
            eprintln!(
                "warning: could not stop the throwaway PostgreSQL in {}: {err:#}",
                self.dir.display()
            );
        }
    }
}

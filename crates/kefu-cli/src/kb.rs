//! `kefu kb check | build | search`: the knowledge-base commands.
//!
//! `serve` lives in its own module.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use kefu_core::{DocKind, Document, Index, SearchOptions};
use kefu_kb::{Asset, Compiled};
use serde::Serialize;

use crate::args::SearchArgs;
use crate::terminal::{self, Progress};

/// `kefu kb check`: every diagnostic, then a one-line summary; exit 1 on errors.
pub fn check(kb_dir: &Path) -> anyhow::Result<ExitCode> {
    let compiled = kefu_kb::compile(kb_dir);
    print_diagnostics(&compiled)?;
    let n_locales = documents_per_locale(&compiled).len();
    let mut stdout = io::stdout().lock();
    writeln!(
        stdout,
        "{} in {}: {}, {}",
        describe(compiled.documents.iter()),
        plural(n_locales, "locale"),
        plural(compiled.error_count(), "error"),
        plural(compiled.warning_count(), "warning"),
    )?;
    Ok(if compiled.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `kefu kb build`: compile, then write the bundle atomically. On errors, exit 1 and leave any
/// existing bundle untouched, so a broken edit never replaces a working bundle.
pub fn build(kb_dir: &Path, output: &Path, stats: bool) -> anyhow::Result<ExitCode> {
    let mut progress = Progress::new();
    let compiled = kefu_kb::compile_with_progress(kb_dir, &mut |done, total| {
        progress.update(done, total);
    });
    print_diagnostics(&compiled)?;
    if compiled.has_errors() {
        eprintln!(
            "error: {} in {}; {} was not written",
            plural(compiled.error_count(), "error"),
            kb_dir.display(),
            output.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    let bytes = kefu_core::bundle::encode(&compiled.documents, &compiled.meta);
    // Gzip at the best level (a second on a 10,000-article KB) needs a core while writing and
    // syncing the file mostly waits for the disk (tens of milliseconds here, more on a slow
    // disk), so both happen at once.
    let (gzipped, written) = std::thread::scope(|scope| {
        let gzipped = scope.spawn(|| gzip_len(&bytes));
        let written = write_bundle(&compiled, output, &bytes);
        let gzipped = gzipped
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (gzipped, written)
    });
    written?;
    let gzipped = gzipped?;

    let mut stdout = io::stdout().lock();
    writeln!(
        stdout,
        "wrote {}: {}, {} bytes ({} gzipped)",
        output.display(),
        describe(compiled.documents.iter()),
        bytes.len(),
        gzipped,
    )?;
    for (locale, description) in documents_per_locale(&compiled) {
        let default = if locale == compiled.meta.default_locale {
            " (default)"
        } else {
            ""
        };
        writeln!(stdout, "  {locale:<8} {description}{default}")?;
    }
    let n_images = compiled.assets.len();
    let image_bytes: usize = compiled.assets.iter().map(|asset| asset.bytes.len()).sum();
    let images = if n_images == 0 {
        String::new()
    } else {
        format!(
            ", {} ({image_bytes} bytes) in {}",
            plural(n_images, "image"),
            assets_dir(output).display()
        )
    };
    writeln!(
        stdout,
        "{}, {}{images}",
        plural(compiled.locales.len(), "locale"),
        plural(compiled.meta.synonyms.len(), "synonym group"),
    )?;
    let n_learned = compiled.meta.learned_synonyms.len();
    if n_learned > 0 {
        writeln!(
            stdout,
            "  {} learned from FAQ similar questions (list: kefu kb synonyms --learned {})",
            plural(n_learned, "synonym pair"),
            kb_dir.display()
        )?;
    }
    writeln!(stdout, "{}", plural(compiled.warning_count(), "warning"))?;
    if stats {
        print_stats(&mut stdout, &bytes)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `kefu kb build --stats`: each section's bytes raw and gzipped on its own (so the parts do
/// not add up to the whole: gzip finds repetitions across sections too).
fn print_stats(out: &mut impl Write, bytes: &[u8]) -> anyhow::Result<()> {
    let parts = kefu_core::bundle::breakdown(bytes)?;
    writeln!(out, "size by section (gzip of each part alone):")?;
    writeln!(
        out,
        "  {:<22} {:>10} {:>10} {:>8}",
        "part", "bytes", "gzip", "terms"
    )?;
    for part in parts {
        let terms = if part.n_terms > 0 {
            part.n_terms.to_string()
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {:<22} {:>10} {:>10} {:>8}",
            part.name,
            part.bytes.len(),
            gzip_len(&part.bytes)?,
            terms
        )?;
    }
    writeln!(
        out,
        "  {:<22} {:>10} {:>10}",
        "whole bundle",
        bytes.len(),
        gzip_len(bytes)?
    )?;
    Ok(())
}

/// `kefu kb synonyms`: the editors' synonym groups, then the learned pairs with how many FAQ
/// entries support each, one a line, so an editor can copy a bad pair into
/// `learned_synonyms_veto`.
pub fn synonyms(kb_dir: &Path, learned_only: bool) -> anyhow::Result<ExitCode> {
    let compiled = kefu_kb::compile(kb_dir);
    print_diagnostics(&compiled)?;
    if compiled.has_errors() {
        eprintln!(
            "error: {} in {}; fix them to see its synonyms",
            plural(compiled.error_count(), "error"),
            kb_dir.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    let mut stdout = io::stdout().lock();
    if !learned_only {
        writeln!(
            stdout,
            "{} from kb.toml:",
            plural(compiled.meta.synonyms.len(), "editor synonym group")
        )?;
        for group in &compiled.meta.synonyms {
            writeln!(stdout, "  {}", group.join(" = "))?;
        }
    }
    writeln!(
        stdout,
        "{} learned from FAQ similar questions (entries that swap them; veto in kb.toml: learned_synonyms_veto = [[\"a\", \"b\"]]):",
        plural(compiled.meta.learned_synonyms.len(), "synonym pair")
    )?;
    for pair in &compiled.meta.learned_synonyms {
        writeln!(
            stdout,
            "  {} ~ {}  ({})",
            pair.words[0], pair.words[1], pair.support
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `kefu kb search`: one query from the command line, or one per line of standard input.
pub fn search(args: &SearchArgs) -> anyhow::Result<ExitCode> {
    let bytes = fs::read(&args.bundle)
        .with_context(|| format!("cannot read bundle {}", args.bundle.display()))?;
    let index =
        Index::from_bytes(bytes).map_err(|error| anyhow!("{}: {error}", args.bundle.display()))?;
    let options = SearchOptions {
        locale: args.locale.clone(),
        limit: args.limit,
    };
    let mut stdout = io::stdout().lock();

    let Some(query) = &args.query else {
        // Batch mode: one JSON line per input line, flushed at once so a program can hold a
        // conversation with `kefu kb search` through a pipe. Bytes that are not UTF-8 are
        // replaced rather than fatal: search never fails on user input.
        let mut stdin = io::stdin().lock();
        let mut line = Vec::new();
        while stdin
            .read_until(b'\n', &mut line)
            .context("cannot read queries from standard input")?
            > 0
        {
            let text = String::from_utf8_lossy(&line);
            let query = text.trim_end_matches(['\n', '\r']);
            let result = search_result(&index, query, &options);
            serde_json::to_writer(&mut stdout, &result)?;
            writeln!(stdout)?;
            stdout.flush()?;
            line.clear();
        }
        return Ok(ExitCode::SUCCESS);
    };

    let result = search_result(&index, query, &options);
    if args.json {
        serde_json::to_writer(&mut stdout, &result)?;
        writeln!(stdout)?;
        return Ok(ExitCode::SUCCESS);
    }
    if result.hits.is_empty() {
        writeln!(stdout, "no results for {query:?}")?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<[String; 5]> = result
        .hits
        .iter()
        .enumerate()
        .map(|(rank, hit)| {
            [
                (rank + 1).to_string(),
                hit.kind.to_owned(),
                format!("{}/{}", hit.locale, hit.id),
                hit.title.to_owned(),
                format!("{:.2}", hit.score),
            ]
        })
        .collect();
    let header = ["rank", "kind", "locale/id", "title", "score"].map(str::to_owned);
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(display_width(cell));
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (column, (cell, width)) in row.iter().zip(widths).enumerate() {
            let padding = " ".repeat(width - display_width(cell));
            // Numbers are right-aligned so their digits line up.
            match column {
                0 | 4 => line.push_str(&format!("{padding}{cell}")),
                _ => line.push_str(&format!("{cell}{padding}")),
            }
            line.push_str("  ");
        }
        writeln!(stdout, "{}", line.trim_end())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One query's results as `kefu kb search` prints them in JSON.
#[derive(Serialize)]
struct SearchResult<'a> {
    query: &'a str,
    hits: Vec<JsonHit<'a>>,
}

#[derive(Serialize)]
struct JsonHit<'a> {
    id: &'a str,
    kind: &'static str,
    locale: &'a str,
    title: &'a str,
    /// Rounded to two decimals: more digits are noise to a reader and churn in saved outputs.
    score: f64,
}

fn search_result<'a>(
    index: &'a Index,
    query: &'a str,
    options: &SearchOptions,
) -> SearchResult<'a> {
    let hits = index
        .rank(query, options)
        .into_iter()
        .map(|hit| {
            let entry = index.entry(hit.doc);
            JsonHit {
                id: &entry.id,
                kind: entry.kind.as_str(),
                locale: &entry.locale,
                title: &entry.title,
                score: (f64::from(hit.score) * 100.0).round() / 100.0,
            }
        })
        .collect();
    SearchResult { query, hits }
}

fn print_diagnostics(compiled: &Compiled) -> io::Result<()> {
    let colour = terminal::colour_stderr();
    let mut stderr = io::stderr().lock();
    for diagnostic in &compiled.diagnostics {
        writeln!(stderr, "{}", terminal::render(diagnostic, colour))?;
    }
    Ok(())
}

/// Writes `bytes`, the bundle of an error-free `compiled`, to `output` and its images to
/// `kb-assets/` beside it. The same KB always gives the same bytes: documents are sorted, assets
/// are named by content and written in name order.
fn write_bundle(compiled: &Compiled, output: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    // Images first: a reader that sees the new bundle finds every picture it names.
    write_assets(&assets_dir(output), &compiled.assets)?;
    write_atomically(output, bytes)
}

/// `kb-assets/` beside the bundle: image URLs in the bundle are relative to the bundle's own.
fn assets_dir(output: &Path) -> std::path::PathBuf {
    output
        .parent()
        .unwrap_or(Path::new(""))
        .join(kefu_kb::ASSETS_DIR)
}

/// Writes each asset not already there, and removes the pictures of earlier builds that no
/// article shows any more, so `kb-assets/` holds exactly what the bundle names. Only files named
/// like assets (`<16 hex digits>.<ext>`) are ever removed.
fn write_assets(dir: &Path, assets: &[Asset]) -> anyhow::Result<()> {
    if assets.is_empty() && !dir.exists() {
        return Ok(());
    }
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for asset in assets {
        let path = dir.join(&asset.name);
        // Named by content: a file of that name already holds these bytes unless tampered with.
        if fs::read(&path).is_ok_and(|existing| existing == asset.bytes) {
            continue;
        }
        write_atomically(&path, &asset.bytes)?;
    }
    let keep: std::collections::BTreeSet<&str> =
        assets.iter().map(|asset| asset.name.as_str()).collect();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let looks_like_asset = name.split_once('.').is_some_and(|(hash, _)| {
            hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if looks_like_asset && !keep.contains(name.as_str()) {
            fs::remove_file(entry.path())
                .with_context(|| format!("cannot remove {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Bytes of `bytes` gzipped at the best level, as a web server would send them.
fn gzip_len(bytes: &[u8]) -> io::Result<usize> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}

/// Documents per locale, each described by kind ("12 articles, 6 FAQ entries").
fn documents_per_locale(compiled: &Compiled) -> BTreeMap<&str, String> {
    let mut by_locale: BTreeMap<&str, Vec<&Document>> = BTreeMap::new();
    for doc in &compiled.documents {
        by_locale.entry(doc.locale.as_str()).or_default().push(doc);
    }
    by_locale
        .into_iter()
        .map(|(locale, docs)| (locale, describe(docs.into_iter())))
        .collect()
}

/// "24 articles, 12 FAQ entries": the count of each kind present, articles first.
fn describe<'a>(docs: impl Iterator<Item = &'a Document>) -> String {
    let mut counts: BTreeMap<DocKind, usize> = BTreeMap::new();
    for doc in docs {
        *counts.entry(doc.kind).or_default() += 1;
    }
    if counts.is_empty() {
        return "0 documents".to_owned();
    }
    counts
        .into_iter()
        .map(|(kind, count)| match kind {
            DocKind::Article => plural(count, "article"),
            DocKind::Faq => plural(count, "FAQ entry").replace("entrys", "entries"),
            DocKind::Flow => plural(count, "flow"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`, so a reader (a
/// dev server, a deploy script) never sees half a bundle and a failed write leaves the old one.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let file_name = path
        .file_name()
        .ok_or_else(|| anyhow!("{} is not a file name", path.display()))?;
    let parent = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent)
        .with_context(|| format!("cannot create directory {}", parent.display()))?;
    let temp = parent.join(format!(
        ".{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let written = fs::File::create(&temp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| fs::rename(&temp, path));
    if written.is_err() {
        // Best effort: the error that matters is the write's, reported below.
        let _ = fs::remove_file(&temp);
    }
    written.with_context(|| format!("cannot write {}", path.display()))
}

/// Columns a terminal gives `text`: two for East Asian wide characters, one for the rest, so
/// tables of Chinese titles line up.
fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| {
            let wide = matches!(c as u32,
                0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
                | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
                | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
            if wide { 2 } else { 1 }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("运费？"), 6);
    }

    #[test]
    fn plurals() {
        assert_eq!(plural(1, "error"), "1 error");
        assert_eq!(plural(0, "error"), "0 errors");
    }
}

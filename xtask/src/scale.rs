//! The scale part of `cargo xtask bench`: a generated 10,000-article knowledge base, to measure
//! how long `kefu kb build` takes and how large the bundle gets at that size.
//!
//! The articles are made of sentences from the demo KB (`kb/`), picked by a fixed pseudo-random
//! sequence, so the vocabulary is a real help centre's and every run builds the same KB. Half are
//! simplified Chinese, half English; each has a title, three similar questions, a heading, a
//! numbered list and about a dozen sentences (roughly the length of a real article).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Articles in the generated KB.
pub const ARTICLES: usize = 10_000;
const TIMED_BUILDS: usize = 3;

/// What the scale run measured.
#[derive(Debug)]
pub struct ScaleReport {
    pub articles: usize,
    pub build_median: Duration,
    pub bundle_bytes: u64,
    pub bundle_gz_bytes: u64,
    /// Mean time per query of `kefu kb search` over similar questions of generated articles,
    /// process start included: a native figure, not the browser's.
    pub native_mean_ms: f64,
    pub n_queries: usize,
    /// The queries, as (locale, text): a similar question of one article in 20, half zh-CN, half en.
    pub queries: Vec<(String, String)>,
    /// The bundle `kefu kb build` wrote.
    pub bundle: PathBuf,
    /// Per-query p50 and p95 in ms of the release wasm in headless Chromium, when measured
    /// (`cargo xtask bench` fills it in).
    pub chromium_ms: Option<(f64, f64)>,
    /// Opening the bundle in headless Chromium: ms to an engine that answers, and its first
    /// query (medians of 5).
    pub chromium_open_ms: Option<(f64, f64)>,
}

/// A small deterministic generator (SplitMix64): the same KB on every run and machine.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, items: &'a [String]) -> &'a str {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// The sentences of the demo KB's article bodies in `locale`, front matter and Markdown marks
/// stripped.
fn sentences(locale: &str) -> Result<Vec<String>> {
    let dir = Path::new("kb").join(locale);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)?;
        let body = text.splitn(3, "---").nth(2).unwrap_or_default();
        for line in body.lines() {
            let line = line
                .trim_start_matches(['#', '-', '*', ' '])
                .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
            let cleaned: String = line
                .chars()
                .filter(|c| !matches!(c, '*' | '[' | ']' | '`'))
                .collect();
            let cleaned = match cleaned.find("](article:") {
                Some(at) => cleaned[..at].to_owned(),
                None => cleaned,
            };
            for sentence in cleaned.split_inclusive(['。', '！', '？', '.', '!', '?']) {
                let sentence = sentence.trim();
                if sentence.chars().count() >= 6 && !sentence.contains('(') {
                    out.push(sentence.to_owned());
                }
            }
        }
    }
    if out.is_empty() {
        bail!("no sentences found in {}", dir.display());
    }
    Ok(out)
}

fn title_of(sentence: &str, locale: &str, number: usize) -> String {
    let limit = if locale == "en" { 60 } else { 24 };
    let short: String = sentence.chars().take(limit).collect();
    format!(
        "{} {number}",
        short.trim_end_matches(['。', '.', '，', ',', ' '])
    )
}

/// Writes the generated KB under `kb_dir`, returning (locale, query) pairs for latency runs.
fn generate(kb_dir: &Path) -> Result<Vec<(String, String)>> {
    if kb_dir.exists() {
        std::fs::remove_dir_all(kb_dir)?;
    }
    let locales = ["zh-CN", "en"];
    let pools: Vec<Vec<String>> = locales
        .iter()
        .map(|l| sentences(l))
        .collect::<Result<_>>()?;
    std::fs::create_dir_all(kb_dir)?;
    std::fs::write(
        kb_dir.join("kb.toml"),
        "default_locale = \"zh-CN\"\nlocales = [\"zh-CN\", \"en\"]\n",
    )?;
    for locale in locales {
        std::fs::create_dir_all(kb_dir.join(locale))?;
    }
    let mut sequence = Sequence(0x4B45_4655);
    let mut queries = Vec::new();
    for number in 0..ARTICLES {
        let locale_idx = number % 2;
        let (locale, pool) = (locales[locale_idx], &pools[locale_idx]);
        let title = title_of(sequence.pick(pool), locale, number);
        let similar: Vec<String> = (0..3).map(|_| sequence.pick(pool).to_owned()).collect();
        let mut text = format!("---\ntitle: {title}\ncategory: general\nsimilar:\n");
        for question in &similar {
            text.push_str(&format!("  - {question}\n"));
        }
        text.push_str("---\n");
        for _ in 0..4 {
            text.push_str(sequence.pick(pool));
        }
        text.push_str("\n\n## ");
        text.push_str(&title_of(sequence.pick(pool), locale, number));
        text.push_str("\n\n");
        for step in 1..=4 {
            text.push_str(&format!("{step}. {}\n", sequence.pick(pool)));
        }
        text.push('\n');
        for _ in 0..4 {
            text.push_str(sequence.pick(pool));
        }
        text.push('\n');
        std::fs::write(
            kb_dir.join(locale).join(format!("gen-{number:05}.md")),
            text,
        )?;
        // One article in 20, alternating between the locales (articles alternate too, so every
        // 20th alone would be zh-CN only).
        if number % 20 == (number / 20) % 2 {
            queries.push((locale.to_owned(), similar[0].clone()));
        }
    }
    Ok(queries)
}

/// Generates the KB, builds it [`TIMED_BUILDS`] times with the release `kefu`, and measures.
pub fn measure(kefu: &Path, work_dir: &Path) -> Result<ScaleReport> {
    let kb_dir = work_dir.join("kb");
    let queries = generate(&kb_dir)?;
    let bundle = work_dir.join("kb.bin");
    let mut times = Vec::with_capacity(TIMED_BUILDS);
    for _ in 0..TIMED_BUILDS {
        let started = Instant::now();
        let output = Command::new(kefu)
            .args(["kb", "build"])
            .arg(&kb_dir)
            .arg("-o")
            .arg(&bundle)
            .output()?;
        times.push(started.elapsed());
        if !output.status.success() {
            bail!(
                "kefu kb build failed on the generated KB:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    times.sort();
    let bytes = std::fs::read(&bundle)?;
    // Kept for profiling: every query in its locale, in the Chromium bench's order
    // (`profile_ranking` in kefu-core's tests).
    let tsv: String = queries
        .iter()
        .map(|(locale, query)| format!("{locale}\t{query}\n"))
        .collect();
    let tsv_file = work_dir.join("queries.tsv");
    std::fs::write(&tsv_file, tsv).with_context(|| format!("writing {}", tsv_file.display()))?;
    let mut search_time = Duration::ZERO;
    for locale in ["zh-CN", "en"] {
        let input: String = queries
            .iter()
            .filter(|(l, _)| l == locale)
            .map(|(_, q)| format!("{q}\n"))
            .collect();
        let started = Instant::now();
        let mut child = Command::new(kefu)
            .args(["kb", "search"])
            .arg(&bundle)
            .args(["--locale", locale, "--limit", "10"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            std::io::Write::write_all(&mut stdin, input.as_bytes())?;
        }
        if !child.wait()?.success() {
            bail!("kefu kb search failed on the generated KB");
        }
        search_time += started.elapsed();
    }
    Ok(ScaleReport {
        articles: ARTICLES,
        build_median: times[TIMED_BUILDS / 2],
        bundle_bytes: bytes.len() as u64,
        bundle_gz_bytes: crate::util::gzip_len(&bytes)?,
        native_mean_ms: search_time.as_secs_f64() * 1000.0 / queries.len().max(1) as f64,
        n_queries: queries.len(),
        queries,
        bundle,
        chromium_ms: None,
        chromium_open_ms: None,
    })
}

/// The markers around the scale section of BENCHMARKS.md, so `cargo xtask bench scale` can
/// rewrite it alone.
pub const START: &str = "<!-- scale bench: start -->";
pub const END: &str = "<!-- scale bench: end -->";

/// The scale section of BENCHMARKS.md, between [`START`] and [`END`].
pub fn render(report: &ScaleReport) -> String {
    let build_s = report.build_median.as_secs_f64();
    // A table cell: the figure to `decimals` places, or a dash when it was not measured.
    let cell = |value: Option<f64>, decimals: usize| {
        value.map_or_else(|| "–".to_owned(), |value| format!("{value:.decimals$}"))
    };
    format!(
        "\n{START}\n## Scale: a generated {articles}-article KB\n\n\
         Articles made of the demo KB's sentences (half zh-CN, half en; `xtask/src/scale.rs`).\n\n\
         | articles | `kefu kb build`, median of {runs} | target | bundle raw KiB | bundle gz KiB | native search mean ms ({n} queries, process start included) | Chromium p50 ms | Chromium p95 ms | target p95 | Chromium load ms | Chromium first query ms |\n\
         |---:|---:|---|---:|---:|---:|---:|---:|---|---:|---:|\n\
         | {articles} | {build_s:.2} s | < 3 s: {met} | {raw:.1} | {gz:.1} | {mean:.3} | {p50} | {p95} | < 1 ms: {p95_met} | {load} | {first} |\n\n\
         Chromium: the release wasm's `Engine.search_ids(q, locale, 10)` on the bench page, each \
         query in its article's locale, after 20 untimed warm-up queries. Load: `new Engine(bytes)` \
         from the bundle as fetched to an engine that answers, and that engine's first query \
         (medians of 5).\n{END}\n",
        articles = report.articles,
        runs = TIMED_BUILDS,
        n = report.n_queries,
        met = if build_s < 3.0 { "met" } else { "not met" },
        raw = report.bundle_bytes as f64 / 1024.0,
        gz = report.bundle_gz_bytes as f64 / 1024.0,
        mean = report.native_mean_ms,
        p50 = cell(report.chromium_ms.map(|(p50, _)| p50), 3),
        p95 = cell(report.chromium_ms.map(|(_, p95)| p95), 3),
        load = cell(report.chromium_open_ms.map(|(load, _)| load), 1),
        first = cell(report.chromium_open_ms.map(|(_, first)| first), 3),
        p95_met = match report.chromium_ms {
            Some((_, p95)) if p95 < 1.0 => "met",
            Some(_) => "not met",
            None => "not measured",
        },
    )
}

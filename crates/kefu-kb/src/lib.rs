//! Kefu's knowledge-base compiler: reads a KB directory and produces kefu-core documents, or every
//! problem in it at once, each with the `file:line:col` an editor can jump to.
//!
//! A KB looks like this:
//!
//! ```text
//! kb/
//!   kb.toml              default_locale = "zh-CN"
//!                        locales = ["zh-CN", "en"]
//!   zh-CN/refunds.md     front matter between `---` lines, then Markdown
//!   en/refunds.md        the same article in English: same id (the file stem), another locale
//!   zh-CN/faq.faq.jsonl  FAQ entries, in the locale of their directory
//!   zh-CN/login-help.flow.toml  a guided troubleshooting flow (see the `flow` module)
//!   en/faq.faq.csv       the same entries in English: same ids, another locale
//!   imported.faq.csv     FAQ entries at the root: each names its locale, or gets the default
//!   imports/zendesk/export.faq.jsonl  FAQ entries in another directory: as at the root
//! ```
//!
//! # FAQ tables
//!
//! Site owners moving from another helpdesk bring their FAQ as a table, anywhere under the KB
//! directory. Each entry becomes one [`kefu_core::Document`] of kind [`DocKind::Faq`]: the
//! question is its title, the answer its body, and it shares the id namespace of its locale with
//! the articles (a duplicate id is an error, and `article:<id>` links may point to it).
//!
//! | field      | required | meaning                                                            |
//! |------------|----------|--------------------------------------------------------------------|
//! | `id`       | yes      | the same rule as article ids: `[a-z0-9][a-z0-9-]*`                 |
//! | `question` | yes      | the title; not empty                                               |
//! | `answer`   | yes      | Markdown, converted with exactly the rules of article bodies       |
//! | `similar`  | no       | other ways customers ask the question                              |
//! | `category` | no       | defaults to `general`                                              |
//! | `locale`   | no       | defaults to the locale directory the file is in, else the default  |
//!
//! Inside `kb/<locale>/`, at any depth, the directory decides the locale, as it does for articles:
//! an entry naming another one is an error. Elsewhere (at the root, or in a directory that is not
//! a locale, such as `kb/imports/`) an entry's `locale` must be one of `kb.toml`'s, and defaults
//! to `default_locale`. Only FAQ tables may live outside the locale directories: an article or
//! flow there is an error, and so is a directory at the root that is not a locale and either
//! holds no FAQ table, is named almost like a locale (`EN`, `zh-cn`), or is named like a language
//! tag (`fr`, `ja-JP`, `pt_BR`, `zh-Hant`, `yue`): its tables were surely meant for that locale,
//! and read outside it they would be served in the default one. Any two letters count as a
//! language, three only for a few codes (`yue`, `nan`, `hak`…), so `old/` or `faq/` are read.
//!
//! **`*.faq.jsonl`**: one JSON object a line, with exactly the keys above (an unknown key is an
//! error, with "did you mean" for near misses); `similar` is a list of strings; blank lines are
//! skipped.
//!
//! ```text
//! {"id": "cash-on-delivery", "question": "支持货到付款吗？", "similar": ["能不能到付"], "answer": "不支持。"}
//! ```
//!
//! **`*.faq.csv`**: RFC 4180 CSV, UTF-8 with or without a byte-order mark, LF or CRLF line ends.
//! The first line names the columns, in any order (`id`, `question` and `answer` required; any
//! other name is an error); `similar` holds the questions separated by `|`. Quote a field with
//! `"` to put commas, line breaks or doubled quotes (`""`) in it; records spanning several lines
//! still report their problems at the right line.
//!
//! ```text
//! id,question,similar,answer,category
//! cash-on-delivery,Do you accept cash on delivery?,can I pay on delivery|COD,"No, every order is paid online.",payment
//! ```
//!
//! Problems inside an answer point into the file: exactly for CSV answers and for JSON strings
//! without escapes, at the start of the string for JSON strings with escapes (`\n`).
//!
//! Compiling never stops at the first problem (as rust-analyzer's parser never fails): every file
//! is read, every problem becomes a [`Diagnostic`], and the caller decides what to do with the
//! documents when [`Compiled::has_errors`] says they are incomplete.
//!
//! ```no_run
//! let compiled = kefu_kb::compile(std::path::Path::new("kb"));
//! for diagnostic in &compiled.diagnostics {
//!     eprintln!("{diagnostic}");
//! }
//! if !compiled.has_errors() {
//!     let bundle = kefu_core::bundle::encode(&compiled.documents, &compiled.meta);
//!     # let _ = bundle;
//! }
//! ```
//!
//! **Boundary:** this crate is native only: it reads the filesystem so the engine does not have to.

mod assets;
mod config;
mod csv;
mod diagnostic;
mod faq;
mod flow;
mod front_matter;
mod hans;
mod html;
pub mod learn;
mod markdown;
mod script;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kefu_core::{BundleMeta, DocKind, Document};

pub use crate::assets::{ASSETS_DIR, Asset};
pub use crate::config::CONFIG_FILE;
pub use crate::diagnostic::{Diagnostic, Severity};
use crate::diagnostic::{LineIndex, Problem, closest, to_u32};
use crate::markdown::ArticleLinkRef;

/// Directories nested deeper than this under a directory at the KB root (a locale's or another)
/// are reported rather than followed, which also ends a walk caught in a symlink loop.
const MAX_DEPTH: usize = 16;

/// Everything [`compile`] found.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The articles, FAQ entries and flows, sorted by (locale, id). Incomplete when
    /// [`Compiled::has_errors`].
    pub documents: Vec<Document>,
    pub meta: BundleMeta,
    /// The locales configured in `kb.toml`, in its order (empty when it could not be read).
    pub locales: Vec<String>,
    /// Every problem, sorted by file, line and column.
    pub diagnostics: Vec<Diagnostic>,
    /// The images the articles show, sorted by name and each once, to write to
    /// `kb-assets/<name>` beside the bundle (see [`ASSETS_DIR`]).
    pub assets: Vec<Asset>,
}

impl Compiled {
    /// Whether any diagnostic is an error, so the documents must not be shipped.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Number of error diagnostics.
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    /// Number of warning diagnostics.
    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - self.error_count()
    }
}

/// Compiles the KB in `kb_dir`. Never fails and never panics: problems, including unreadable
/// files, are diagnostics. Diagnostic paths are `kb_dir` joined with the file's path inside it.
pub fn compile(kb_dir: &Path) -> Compiled {
    compile_with_progress(kb_dir, &mut |_, _| {})
}

/// [`compile`], calling `progress(files_read, n_files)` after each source file, so a command
/// line can draw a progress bar on a large KB.
pub fn compile_with_progress(kb_dir: &Path, progress: &mut dyn FnMut(usize, usize)) -> Compiled {
    let mut compiler = Compiler {
        kb_dir,
        progress,
        diagnostics: Vec::new(),
        image_budget_kb: assets::DEFAULT_BUDGET_KB,
        images: BTreeMap::new(),
    };
    let compiled = compiler.run();
    let mut diagnostics = compiler.diagnostics;
    // Stable, so problems at one position keep the order they were found in.
    diagnostics.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
    // Keyed by name, so two copies of one picture under different paths ship once, and the
    // order never depends on the file system.
    let assets: BTreeMap<String, Asset> = compiler
        .images
        .into_values()
        .flatten()
        .map(|checked| (checked.asset.name.clone(), checked.asset))
        .collect();
    Compiled {
        diagnostics,
        assets: assets.into_values().collect(),
        ..compiled
    }
}

/// An article file read and parsed before anything is reported about it: the part of reading an
/// article that needs nothing from the compiler, so it runs on several threads
/// ([`prepare_articles`]) while reporting stays in file order ([`Compiler::read_article`]).
enum PreparedArticle {
    Unreadable(std::io::Error),
    NotUtf8(Vec<u8>),
    Parsed {
        /// The file's text, BOM included: offsets stay offsets into the file.
        text: String,
        /// Boxed: the front matter is large next to the other variants.
        parsed: Box<front_matter::Parsed>,
        /// The Markdown body, when the front matter says where it starts.
        converted: Option<markdown::Converted>,
    },
}

/// Reads and parses one article file.
fn prepare_article(path: &Path) -> PreparedArticle {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => return PreparedArticle::Unreadable(error),
    };
    match String::from_utf8(bytes) {
        Ok(text) => {
            let parsed = front_matter::parse(&text);
            let converted = parsed
                .body_start
                .map(|body_start| markdown::convert(&text, body_start));
            PreparedArticle::Parsed {
                text,
                parsed: Box::new(parsed),
                converted,
            }
        }
        Err(error) => PreparedArticle::NotUtf8(error.into_bytes()),
    }
}

/// [`prepare_article`] for each of `paths`, in the same order, on one thread per core: reading
/// and parsing 10,000 articles took a fifth of their build on one. The files are dealt out in
/// turn (thread `t` takes every `t`-th file) so each thread gets its share of every locale's
/// directory, and the results are put back in path order.
fn prepare_articles(paths: &[&Path]) -> Vec<PreparedArticle> {
    // Below this many files a thread costs more than it saves.
    const MIN_FILES_PER_THREAD: usize = 64;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(paths.len() / MIN_FILES_PER_THREAD)
        .clamp(1, 8);
    if threads == 1 {
        return paths.iter().map(|path| prepare_article(path)).collect();
    }
    let mut dealt: Vec<std::vec::IntoIter<PreparedArticle>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|thread| {
                scope.spawn(move || {
                    paths
                        .iter()
                        .skip(thread)
                        .step_by(threads)
                        .map(|path| prepare_article(path))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                    .into_iter()
            })
            .collect()
    });
    let mut in_order = Vec::with_capacity(paths.len());
    for (index, path) in paths.iter().enumerate() {
        let next = dealt
            .get_mut(index % threads)
            .and_then(|articles| articles.next());
        match next {
            Some(article) => in_order.push(article),
            // Each thread took exactly the files dealt to it, so this is not reached.
            None => in_order.push(prepare_article(path)),
        }
    }
    in_order
}

struct Compiler<'a> {
    kb_dir: &'a Path,
    progress: &'a mut dyn FnMut(usize, usize),
    diagnostics: Vec<Diagnostic>,
    /// `image_budget_kb` from kb.toml.
    image_budget_kb: u32,
    /// Every image file read so far, by path, so a picture shown by many articles is read, checked
    /// and reported once. `None` when it was unusable (already reported).
    images: BTreeMap<PathBuf, Option<assets::Checked>>,
}

/// What a source file holds, decided by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SourceKind {
    /// `*.md`: one article.
    Article,
    /// `*.faq.jsonl` or `*.faq.csv`: any number of FAQ entries.
    Faq(faq::Format),
    /// `*.flow.toml`: one guided flow.
    Flow,
}

impl SourceKind {
    fn of(path: &Path) -> Option<SourceKind> {
        if is_markdown(path) {
            Some(SourceKind::Article)
        } else if is_flow(path) {
            Some(SourceKind::Flow)
        } else {
            faq::Format::of(path).map(SourceKind::Faq)
        }
    }
}

/// A source file to read, with the locale directory it is in (`None` for FAQ tables outside the
/// locale directories, whose entries name their locale or get the default one).
struct SourceFile {
    path: PathBuf,
    kind: SourceKind,
    dir_locale: Option<String>,
}

/// One document's worth of source after reading its file: an article file, or one entry of an
/// FAQ table. The KB-wide checks (duplicate ids, links) work on these, so both kinds obey them
/// alike.
struct Unit {
    path: PathBuf,
    kind: DocKind,
    locale: String,
    /// `None` when the id is missing or invalid (already reported).
    id: Option<String>,
    /// Where the id was written: the `id:` line, the start of an article file for a file stem,
    /// or the id's value in an FAQ entry.
    id_at: (u32, u32),
    /// `None` when the source could not be read far enough to make a document.
    document: Option<Document>,
    article_links: Vec<ArticleLinkRef>,
}

impl Unit {
    /// Where the unit is, for naming it in another unit's diagnostic: an article by its file, an
    /// FAQ entry by its file and line.
    fn location(&self) -> String {
        match self.kind {
            DocKind::Faq => format!("{}:{}", self.path.display(), self.id_at.0),
            _ => self.path.display().to_string(),
        }
    }
}

impl Compiler<'_> {
    /// Warns, once per file or FAQ entry, when text in a traditional-Chinese locale holds
    /// simplified-only characters (see `script`), naming each with its traditional form;
    /// `place` turns the first one's byte offset in `text` into a line and column.
    fn check_script(
        &mut self,
        path: &Path,
        locale: &str,
        text: &str,
        place: &dyn Fn(usize) -> (u32, u32),
    ) {
        if !script::is_traditional(locale) {
            return;
        }
        let Some((first, found)) = script::simplified_in(text) else {
            return;
        };
        let (line, col) = place(first);
        let simplified: Vec<String> = found.iter().map(|(c, _)| c.to_string()).collect();
        let traditional: Vec<String> = found
            .iter()
            .map(|(_, forms)| {
                forms
                    .iter()
                    .map(char::to_string)
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .collect();
        self.report(
            path,
            Problem::warning(
                line,
                col,
                format!(
                    "simplified Chinese characters in {locale} text: {}",
                    simplified.join(" ")
                ),
            )
            .with_hint(format!(
                "write them as {}: customers reading {locale} expect traditional characters (search finds the text either way)",
                traditional.join(" ")
            )),
        );
    }

    fn report(&mut self, file: &Path, problem: Problem) {
        self.diagnostics.push(problem.in_file(file));
    }

    fn run(&mut self) -> Compiled {
        let config_path = self.kb_dir.join(config::CONFIG_FILE);
        let mut compiled = Compiled {
            documents: Vec::new(),
            meta: BundleMeta::new(""),
            locales: Vec::new(),
            diagnostics: Vec::new(),
            assets: Vec::new(),
        };
        if !self.kb_dir.is_dir() {
            let kb_dir = self.kb_dir.to_path_buf();
            self.report(
                &kb_dir,
                Problem::error(1, 1, "the knowledge-base directory does not exist")
                    .with_hint("pass the directory that holds kb.toml, e.g. `kefu kb check kb`"),
            );
            return compiled;
        }
        let (config, config_text) = self.read_config(&config_path);
        if let Some(config) = &config {
            compiled.meta = BundleMeta::new(&config.default_locale);
            compiled.meta.synonyms = config.synonyms.clone();
            compiled.locales = config.locales.clone();
            self.image_budget_kb = config.image_budget_kb.unwrap_or(assets::DEFAULT_BUDGET_KB);
        }

        let mut files = self.find_sources(config.as_ref(), &config_path, &config_text);
        // Articles first, then flows, then FAQ tables (the sort is stable, so each group stays
        // sorted by path): when an FAQ entry takes an article's id, the imported entry is the one
        // reported, not the article.
        files.sort_by_key(|file| match file.kind {
            SourceKind::Article => 0,
            SourceKind::Flow => 1,
            SourceKind::Faq(_) => 2,
        });
        let mut units: Vec<Unit> = Vec::new();
        let n_files = files.len();
        let article_paths: Vec<&Path> = files
            .iter()
            .filter(|file| file.kind == SourceKind::Article && file.dir_locale.is_some())
            .map(|file| file.path.as_path())
            .collect();
        let mut prepared = prepare_articles(&article_paths).into_iter();
        for (file_idx, file) in files.into_iter().enumerate() {
            (self.progress)(file_idx, n_files);
            match (file.kind, file.dir_locale) {
                (SourceKind::Article, Some(locale)) => {
                    // Prepared in this same order; the fallback only guards against a mismatch.
                    let article = prepared
                        .next()
                        .unwrap_or_else(|| prepare_article(&file.path));
                    units.push(self.read_article(file.path, locale, article));
                }
                (SourceKind::Flow, Some(locale)) => {
                    units.push(self.read_flow(file.path, locale));
                }
                // Articles and flows outside the locale directories are reported when found and
                // never read.
                (SourceKind::Article | SourceKind::Flow, None) => {}
                (SourceKind::Faq(format), dir_locale) => units.extend(self.read_faq(
                    &file.path,
                    format,
                    dir_locale.as_deref(),
                    config.as_ref(),
                )),
            }
        }
        (self.progress)(n_files, n_files);
        self.check_duplicates(&units);
        self.check_links(&units, &compiled.meta.default_locale);
        self.check_flow_locales(&units, &compiled.locales);

        let mut seen = BTreeSet::new();
        compiled.documents = units
            .into_iter()
            .filter_map(|unit| unit.document)
            .filter(|doc| seen.insert((doc.locale.clone(), doc.id.clone())))
            .collect();
        compiled
            .documents
            .sort_by(|a, b| (&a.locale, &a.id).cmp(&(&b.locale, &b.id)));
        let veto = config
            .as_ref()
            .map_or(&[][..], |config| &config.learned_synonyms_veto[..]);
        compiled.meta.learned_synonyms = learn::learn_synonyms(&compiled.documents, veto);
        compiled
    }

    /// Reads `kb.toml`, returning the settings (`None`, with the problem reported, when it is
    /// missing or invalid) and its text.
    fn read_config(&mut self, config_path: &Path) -> (Option<config::Config>, String) {
        let bytes = match std::fs::read(config_path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                self.report(
                    config_path,
                    Problem::error(
                        1,
                        1,
                        "kb.toml is missing: every knowledge base needs one at its root",
                    )
                    .with_hint(format!(
                        "create {} containing:\n    {}",
                        config_path.display(),
                        config::EXAMPLE.replace('\n', "\n    ")
                    )),
                );
                return (None, String::new());
            }
            Err(error) => {
                self.report(
                    config_path,
                    Problem::error(1, 1, format!("cannot read kb.toml: {error}")),
                );
                return (None, String::new());
            }
        };
        let Some(text) = self.decode(config_path, &bytes) else {
            return (None, String::new());
        };
        let (config, problems) = config::parse(&text);
        for problem in problems {
            self.report(config_path, problem);
        }
        (config, text)
    }

    /// Decodes `bytes` as UTF-8, reporting the first bad byte's position otherwise.
    fn decode(&mut self, path: &Path, bytes: &[u8]) -> Option<String> {
        match std::str::from_utf8(bytes) {
            // The BOM is kept: front matter strips it, and offsets stay offsets into the file.
            Ok(text) => Some(text.to_owned()),
            Err(error) => {
                let valid = bytes.get(..error.valid_up_to()).unwrap_or_default();
                let line_start = valid
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |newline| newline + 1);
                let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
                let col = String::from_utf8_lossy(&valid[line_start..])
                    .chars()
                    .count()
                    + 1;
                let bad_byte = bytes.get(error.valid_up_to()).copied().unwrap_or_default();
                self.report(
                    path,
                    Problem::error(
                        to_u32(line),
                        to_u32(col),
                        format!("the file is not valid UTF-8 (byte 0x{bad_byte:02X} on line {line})"),
                    )
                    .with_hint("save the file as UTF-8; files saved as GBK or GB18030 by older editors are a common cause"),
                );
                None
            }
        }
    }

    /// Lists the source files, sorted, with their locale: articles, flows and FAQ tables in locale
    /// directories, and FAQ tables anywhere else. Reports articles and flows outside any locale,
    /// and directories at the root that are not configured locales and hold no FAQ table or are
    /// named like a locale (see [`Compiler::find_tables_outside_locales`]).
    fn find_sources(
        &mut self,
        config: Option<&config::Config>,
        config_path: &Path,
        config_text: &str,
    ) -> Vec<SourceFile> {
        let kb_dir = self.kb_dir.to_path_buf();
        let mut sources = Vec::new();
        let mut found_locales = BTreeSet::new();
        for (path, is_dir) in self.read_dir_sorted(&kb_dir) {
            let name = file_name(&path);
            if !is_dir {
                match SourceKind::of(&path) {
                    Some(kind @ SourceKind::Faq(_)) => sources.push(SourceFile {
                        path,
                        kind,
                        dir_locale: None,
                    }),
                    Some(kind) => self.report_outside_locale(&path, kind, config),
                    None => self.check_misnamed_table(&path),
                }
                continue;
            }
            match config {
                // Without a usable kb.toml, each directory is taken for a locale, so the articles
                // are still checked and every problem is still reported in one run.
                None => {}
                Some(config) if config.locales.contains(&name) => {}
                Some(config) => {
                    self.find_tables_outside_locales(&path, &name, config, &mut sources);
                    continue;
                }
            }
            found_locales.insert(name.clone());
            let mut files = Vec::new();
            self.walk(&path, 0, &mut files);
            sources.extend(files.into_iter().map(|(path, kind)| SourceFile {
                path,
                kind,
                dir_locale: Some(name.clone()),
            }));
        }
        if let Some(config) = config {
            for locale in config
                .locales
                .iter()
                .filter(|locale| !found_locales.contains(*locale))
            {
                let (line, col) = config::locate_key(config_text, "locales");
                self.report(
                    config_path,
                    Problem::warning(
                        line,
                        col,
                        format!("locale `{locale}` has no directory, so it has no articles"),
                    )
                    .with_hint(format!(
                        "create {} and put its articles there",
                        kb_dir.join(locale).display()
                    )),
                );
            }
        }
        sources
    }

    /// Finds the FAQ tables under `dir`, a directory at the KB root that is not one of `config`'s
    /// locales (`name`), e.g. `kb/imports/` holding a help desk's export. Their entries name their
    /// locale or get the default one, as at the root. Articles and flows in it are reported: only
    /// a locale directory gives them a locale.
    ///
    /// Such a directory with no FAQ table under it is reported as a whole, as it was before FAQ
    /// tables could live outside locales, and nothing else in it is: it is most likely a misspelt
    /// or unconfigured locale, and one error for the directory says so better than one for each
    /// article in it (or a warning for each `.csv` file in a stray copy of some other project).
    /// So is one named almost like a locale (`zh-cn`, `EN`) or like a language tag that is not
    /// one (`fr`, `ja-JP`, see [`locale_like_tag`]), tables or not: its tables were surely meant
    /// for that locale, and reading them would serve them to the default one's customers.
    fn find_tables_outside_locales(
        &mut self,
        dir: &Path,
        name: &str,
        config: &config::Config,
        sources: &mut Vec<SourceFile>,
    ) {
        let near_miss = near_locale(name, &config.locales);
        let tag = locale_like_tag(name);
        // A name meant for a locale is reported without looking inside: what is there is for a
        // locale that does not exist yet, not for the default one.
        if near_miss.is_none() && tag.is_none() {
            let n_diagnostics = self.diagnostics.len();
            let mut files = Vec::new();
            self.walk(dir, 0, &mut files);
            if files
                .iter()
                .any(|(_, kind)| matches!(kind, SourceKind::Faq(_)))
            {
                for (path, kind) in files {
                    match kind {
                        SourceKind::Faq(_) => sources.push(SourceFile {
                            path,
                            kind,
                            dir_locale: None,
                        }),
                        SourceKind::Article | SourceKind::Flow => {
                            self.report_outside_locale(&path, kind, Some(config));
                        }
                    }
                }
                return;
            }
            self.diagnostics.truncate(n_diagnostics);
        }
        let hint = match (near_miss, tag) {
            (None, Some(tag)) => locale_like_hint(name, &tag, config),
            _ => locale_hint(
                name,
                &config.locales,
                "move the directory out of the KB: outside the locale directories only FAQ tables (`*.faq.jsonl`, `*.faq.csv`) are read",
            ),
        };
        let problem = Problem::error(
            1,
            1,
            format!("directory `{name}` is not a locale of this knowledge base"),
        )
        .with_hint(hint);
        self.report(dir, problem);
    }

    /// Reports an article or flow file found outside the locale directories, where nothing says
    /// which locale it is in, suggesting the default locale's directory.
    fn report_outside_locale(
        &mut self,
        path: &Path,
        kind: SourceKind,
        config: Option<&config::Config>,
    ) {
        let what = if kind == SourceKind::Flow {
            "flow"
        } else {
            "article"
        };
        let locale = config.map_or("en", |config| config.default_locale.as_str());
        let example = self.kb_dir.join(locale).join(file_name(path));
        self.report(
            path,
            Problem::error(1, 1, format!("this {what} is not in a locale directory")).with_hint(
                format!(
                    "move it into the directory of its locale, e.g. {}",
                    example.display()
                ),
            ),
        );
    }

    /// The non-hidden entries of `dir`, sorted by name so output does not depend on the
    /// filesystem's order, each with whether it is a directory (following symlinks).
    fn read_dir_sorted(&mut self, dir: &Path) -> Vec<(PathBuf, bool)> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) => {
                self.report(
                    dir,
                    Problem::error(1, 1, format!("cannot read directory: {error}")),
                );
                return Vec::new();
            }
        };
        let mut out: Vec<(PathBuf, bool)> = entries
            .filter_map(Result::ok)
            .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
            .map(|entry| {
                let path = entry.path();
                let is_dir = std::fs::metadata(&path).is_ok_and(|metadata| metadata.is_dir());
                (path, is_dir)
            })
            .collect();
        out.sort();
        out
    }

    fn walk(&mut self, dir: &Path, depth: usize, out: &mut Vec<(PathBuf, SourceKind)>) {
        if depth > MAX_DEPTH {
            self.report(
                dir,
                Problem::error(
                    1,
                    1,
                    format!("directories are nested more than {MAX_DEPTH} deep here"),
                )
                .with_hint("check for a symbolic link that points back up the tree"),
            );
            return;
        }
        for (path, is_dir) in self.read_dir_sorted(dir) {
            if is_dir {
                self.walk(&path, depth + 1, out);
            } else if let Some(kind) = SourceKind::of(&path) {
                out.push((path, kind));
            } else {
                self.check_misnamed_table(&path);
            }
        }
    }

    /// Warns about a `.csv` or `.jsonl` file that is not named as an FAQ table, because it is
    /// most likely one whose entries the author expects to see.
    fn check_misnamed_table(&mut self, path: &Path) {
        let Some(extension) = path.extension().and_then(|extension| extension.to_str()) else {
            return;
        };
        if extension != "csv" && extension != "jsonl" {
            return;
        }
        let stem = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.report(
            path,
            Problem::warning(
                1,
                1,
                format!("this file is ignored: FAQ tables are named `*.faq.{extension}`"),
            )
            .with_hint(format!(
                "to import its entries, rename it to `{stem}.faq.{extension}`"
            )),
        );
    }

    fn read_article(&mut self, path: PathBuf, locale: String, prepared: PreparedArticle) -> Unit {
        let stem = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut article = Unit {
            kind: DocKind::Article,
            id: is_slug(&stem).then(|| stem.clone()),
            id_at: (1, 1),
            path,
            locale,
            document: None,
            article_links: Vec::new(),
        };
        let path = article.path.clone();
        let (text, parsed, converted) = match prepared {
            PreparedArticle::Unreadable(error) => {
                self.report(
                    &path,
                    Problem::error(1, 1, format!("cannot read the file: {error}")),
                );
                return article;
            }
            PreparedArticle::NotUtf8(bytes) => {
                // Not UTF-8, so `decode` reports where and returns nothing.
                let _ = self.decode(&path, &bytes);
                return article;
            }
            PreparedArticle::Parsed {
                text,
                parsed,
                converted,
            } => (text, *parsed, converted),
        };
        for problem in parsed.problems {
            self.report(&path, problem);
        }
        let fm = parsed.front_matter;

        match &fm.id {
            Some(id) if is_slug(&id.value) => {
                article.id = Some(id.value.clone());
                article.id_at = (id.line, id.col);
            }
            Some(id) => {
                article.id = None;
                self.report(
                    &path,
                    bad_id(&id.value, id.line, id.col, "change `id:` to", "article id"),
                );
            }
            None if article.id.is_none() => self.report(
                &path,
                bad_id(&stem, 1, 1, "rename the file to", "article id"),
            ),
            None => {}
        }
        if let Some(written) = &fm.locale
            && written.value != article.locale
        {
            let dir = self.kb_dir.join(&article.locale);
            self.report(
                &path,
                Problem::error(
                    written.line,
                    written.col,
                    format!("`locale: {}` does not match the directory the file is in ({})", written.value, dir.display()),
                )
                .with_hint(format!(
                    "the directory decides the locale: remove the `locale:` line, or move the file to {}",
                    self.kb_dir.join(&written.value).display()
                )),
            );
        }

        self.check_script(&path, &article.locale, &text, &|offset| {
            LineIndex::new(&text).line_col(offset)
        });
        let (Some(body_start), Some(mut converted)) = (parsed.body_start, converted) else {
            return article;
        };
        self.resolve_images(&path, &converted.images, &mut converted.blocks);
        if converted.blocks.is_empty() && converted.problems.is_empty() {
            let (line, col) = LineIndex::new(&text).line_col(body_start);
            self.report(
                &path,
                Problem::warning(line, col, "the article has no text after its front matter")
                    .with_hint(format!(
                        "customers in {} will find the title and nothing else",
                        article.locale
                    )),
            );
        }
        for problem in converted.problems {
            self.report(&path, problem);
        }
        article.article_links = converted.article_links;
        if let Some(id) = &article.id {
            article.document = Some(Document {
                id: id.clone(),
                kind: DocKind::Article,
                locale: article.locale.clone(),
                title: fm.title,
                category: fm.category,
                tags: fm.tags,
                similar: fm.similar,
                body: converted.blocks,
                pages: fm.pages,
                flow: None,
            });
        }
        article
    }

    /// Finds, checks and names the images of one article, and writes their URLs and sizes into
    /// its [`kefu_core::Block::Image`]s (which hold the path as written until now).
    fn resolve_images(
        &mut self,
        markdown_file: &Path,
        images: &[markdown::ImageRef],
        blocks: &mut [kefu_core::Block],
    ) {
        let mut resolved: BTreeMap<String, (String, u32, u32)> = BTreeMap::new();
        for image in images {
            let path = match assets::locate(
                self.kb_dir,
                markdown_file,
                &image.src,
                (image.line, image.col),
            ) {
                Ok(path) => path,
                Err(problem) => {
                    self.report(markdown_file, problem);
                    continue;
                }
            };
            if !self.images.contains_key(&path) {
                let checked = self.check_image(&path);
                self.images.insert(path.clone(), checked);
            }
            if let Some(Some(checked)) = self.images.get(&path) {
                resolved.insert(
                    image.src.clone(),
                    (
                        format!("{}/{}", assets::ASSETS_DIR, checked.asset.name),
                        checked.width,
                        checked.height,
                    ),
                );
            }
        }
        fill_images(blocks, &resolved);
    }

    /// Reads and checks one image file, reporting its problems against the file itself.
    fn check_image(&mut self, path: &Path) -> Option<assets::Checked> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                self.report(
                    path,
                    Problem::error(1, 1, format!("cannot read the image: {error}")),
                );
                return None;
            }
        };
        let n_bytes = bytes.len();
        match assets::check(path, bytes) {
            Ok(checked) => {
                let budget = u64::from(self.image_budget_kb) * 1024;
                if n_bytes as u64 > budget {
                    self.report(
                        path,
                        Problem::warning(
                            1,
                            1,
                            format!(
                                "this image is {} KB, over the budget of {} KB",
                                n_bytes.div_ceil(1024),
                                self.image_budget_kb
                            ),
                        )
                        .with_hint("customers on phones download it on mobile data: shrink it (e.g. a smaller PNG, a JPEG or WebP at quality 80), or raise image_budget_kb in kb.toml"),
                    );
                }
                Some(checked)
            }
            Err(problems) => {
                for problem in problems {
                    self.report(path, problem);
                }
                None
            }
        }
    }

    /// Reads one flow file (`<id>.flow.toml`) into a unit: its id is the file name without
    /// `.flow.toml`, as an article's is the name without `.md`.
    fn read_flow(&mut self, path: PathBuf, locale: String) -> Unit {
        let stem = file_name(&path)
            .strip_suffix(".flow.toml")
            .unwrap_or_default()
            .to_owned();
        let mut unit = Unit {
            kind: DocKind::Flow,
            id: is_slug(&stem).then(|| stem.clone()),
            id_at: (1, 1),
            path,
            locale,
            document: None,
            article_links: Vec::new(),
        };
        let path = unit.path.clone();
        if unit.id.is_none() {
            let problem = bad_id(&stem, 1, 1, "rename the file to", "flow id");
            let problem = match suggest_slug(&stem) {
                slug if !slug.is_empty() => {
                    problem.with_hint(format!("rename the file to `{slug}.flow.toml`"))
                }
                _ => problem,
            };
            self.report(&path, problem);
        }
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) => {
                self.report(
                    &path,
                    Problem::error(1, 1, format!("cannot read the file: {error}")),
                );
                return unit;
            }
        };
        let Some(text) = self.decode(&path, &bytes) else {
            return unit;
        };
        // A byte-order mark is not TOML; editors on Windows add one.
        let toml_text = text
            .strip_prefix('\u{feff}')
            .map_or(text.clone(), |rest| format!(" {rest}"));
        let parsed = flow::parse(&toml_text, &stem);
        for problem in parsed.problems {
            self.report(&path, problem);
        }
        let locale = unit.locale.clone();
        self.check_script(&path, &locale, &text, &|offset| {
            LineIndex::new(&text).line_col(offset)
        });
        if let Some((written, line, col)) = &parsed.locale
            && *written != unit.locale
        {
            self.report(
                &path,
                Problem::error(
                    *line,
                    *col,
                    format!(
                        "`locale = \"{written}\"` does not match the directory the file is in ({})",
                        self.kb_dir.join(&unit.locale).display()
                    ),
                )
                .with_hint(format!(
                    "the directory decides the locale: remove the `locale` line, or move the file to {}",
                    self.kb_dir.join(written).display()
                )),
            );
            return unit;
        }
        unit.article_links = parsed.article_links;
        if let (Some(id), Some(flow)) = (&unit.id, parsed.flow) {
            unit.document = Some(Document {
                id: id.clone(),
                kind: DocKind::Flow,
                locale: unit.locale.clone(),
                title: parsed.title,
                category: if parsed.category.is_empty() {
                    front_matter::DEFAULT_CATEGORY.to_owned()
                } else {
                    parsed.category
                },
                tags: parsed.keywords,
                similar: parsed.similar,
                body: Vec::new(),
                pages: parsed.pages,
                flow: Some(flow),
            });
        }
        unit
    }

    /// A flow present in some locales of `kb.toml` and not in others: a warning, since customers
    /// in those locales get the default locale's flow, or none.
    fn check_flow_locales(&mut self, units: &[Unit], locales: &[String]) {
        let flows = units
            .iter()
            .filter(|unit| unit.kind == DocKind::Flow)
            .filter_map(|unit| Some((unit.id.as_deref()?, unit.locale.as_str())));
        let mut reports = Vec::new();
        for (id, present, missing) in flow::missing_locales(flows, locales) {
            let Some(first) = units.iter().find(|unit| {
                unit.kind == DocKind::Flow
                    && unit.id.as_deref() == Some(id)
                    && present.first() == Some(&unit.locale.as_str())
            }) else {
                continue;
            };
            let files: Vec<String> = missing
                .iter()
                .map(|locale| {
                    self.kb_dir
                        .join(locale)
                        .join(format!("{id}.flow.toml"))
                        .display()
                        .to_string()
                })
                .collect();
            let problem = Problem::warning(
                1,
                1,
                format!(
                    "flow `{id}` has no {} version (it exists in {})",
                    missing.join(", "),
                    present.join(", ")
                ),
            )
            .with_hint(format!("translate it as {}", files.join(" and ")));
            reports.push((first.path.clone(), problem));
        }
        for (path, problem) in reports {
            self.report(&path, problem);
        }
    }

    /// Reads one FAQ table into a unit per entry. `dir_locale` is the locale directory the file
    /// is in, `None` outside the locale directories.
    fn read_faq(
        &mut self,
        path: &Path,
        format: faq::Format,
        dir_locale: Option<&str>,
        config: Option<&config::Config>,
    ) -> Vec<Unit> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                self.report(
                    path,
                    Problem::error(1, 1, format!("cannot read the file: {error}")),
                );
                return Vec::new();
            }
        };
        let Some(text) = self.decode(path, &bytes) else {
            return Vec::new();
        };
        let parsed = faq::parse(format, &text);
        for problem in parsed.problems {
            self.report(path, problem);
        }
        parsed
            .entries
            .into_iter()
            .map(|entry| self.faq_unit(path, entry, dir_locale, config))
            .collect()
    }

    /// Turns one FAQ entry into a unit: decides its locale and converts its answer with the same
    /// Markdown rules as articles.
    fn faq_unit(
        &mut self,
        path: &Path,
        entry: faq::Entry,
        dir_locale: Option<&str>,
        config: Option<&config::Config>,
    ) -> Unit {
        let (locale, locale_is_valid) = self.faq_locale(path, &entry, dir_locale, config);
        let texts: Vec<&str> = entry
            .question
            .iter()
            .map(|question| question.as_str())
            .chain(entry.similar.iter().map(String::as_str))
            .chain(entry.answer.iter().map(|answer| answer.text.as_str()))
            .collect();
        let entry_line = entry.line;
        self.check_script(path, &locale, &texts.join("\n"), &|_| (entry_line, 1));
        let converted = entry.answer.as_ref().map(|answer| {
            markdown::convert_answer(&answer.text, &|line, col| answer.place(line, col))
        });
        let (body, article_links) = match converted {
            Some(converted) => {
                for problem in converted.problems {
                    self.report(path, problem);
                }
                (Some(converted.blocks), converted.article_links)
            }
            None => (None, Vec::new()),
        };
        let id_at = entry
            .id
            .as_ref()
            .map_or((entry.line, 1), |id| (id.line, id.col));
        let id = entry.id.map(|id| id.value);
        let document = match (&id, entry.question, body) {
            (Some(id), Some(question), Some(body)) if locale_is_valid => Some(Document {
                id: id.clone(),
                kind: DocKind::Faq,
                locale: locale.clone(),
                title: question,
                category: entry.category,
                tags: Vec::new(),
                similar: entry.similar,
                body,
                pages: Vec::new(),
                flow: None,
            }),
            _ => None,
        };
        Unit {
            path: path.to_path_buf(),
            kind: DocKind::Faq,
            locale,
            id,
            id_at,
            document,
            article_links,
        }
    }

    /// The locale of an FAQ entry: the one it names, else its file's locale directory, else the
    /// KB's default; and whether that is valid (a problem was reported when not). Inside a locale
    /// directory the directory decides, as it does for articles, so an entry naming another
    /// locale there is a mistake rather than an override.
    fn faq_locale(
        &mut self,
        path: &Path,
        entry: &faq::Entry,
        dir_locale: Option<&str>,
        config: Option<&config::Config>,
    ) -> (String, bool) {
        match (&entry.locale, dir_locale) {
            (Some(written), Some(dir)) if written.value != dir => {
                self.report(
                    path,
                    Problem::error(
                        written.line,
                        written.col,
                        format!(
                            "locale `{}` does not match the directory the file is in ({})",
                            written.value,
                            self.kb_dir.join(dir).display()
                        ),
                    )
                    .with_hint(format!(
                        "the directory decides the locale: remove the locale from this entry, or move the entry to an FAQ file at the KB root ({}), where each entry names its own",
                        self.kb_dir.display()
                    )),
                );
                (dir.to_owned(), false)
            }
            (_, Some(dir)) => (dir.to_owned(), true),
            (Some(written), None) => match config {
                Some(config) if !config.locales.contains(&written.value) => {
                    self.report(
                        path,
                        Problem::error(
                            written.line,
                            written.col,
                            format!(
                                "unknown locale `{}`: it is not a locale of this knowledge base",
                                written.value
                            ),
                        )
                        .with_hint(locale_hint(
                            &written.value,
                            &config.locales,
                            "change the entry's locale",
                        )),
                    );
                    (written.value.clone(), false)
                }
                _ => (written.value.clone(), true),
            },
            (None, None) => match config {
                Some(config) => (config.default_locale.clone(), true),
                // Without kb.toml (already reported) there is no default locale to give it.
                None => (String::new(), false),
            },
        }
    }

    /// Two documents with the same id in one locale, whether articles or FAQ entries: the second
    /// is reported, naming the first.
    fn check_duplicates(&mut self, units: &[Unit]) {
        let mut first_seen: BTreeMap<(&str, &str), &Unit> = BTreeMap::new();
        for unit in units {
            let Some(id) = &unit.id else { continue };
            match first_seen.get(&(unit.locale.as_str(), id.as_str())) {
                Some(first) => {
                    let (line, col) = unit.id_at;
                    let (what, hint) = match unit.kind {
                        DocKind::Faq => (
                            "FAQ id",
                            "ids must be unique within a locale, across articles and FAQ entries: change this entry's id",
                        ),
                        DocKind::Flow => (
                            "flow id",
                            "ids must be unique within a locale, across articles, flows and FAQ entries: rename the flow file",
                        ),
                        _ => (
                            "article id",
                            "ids must be unique within a locale: rename one of the files, or change its `id:`",
                        ),
                    };
                    let problem = Problem::error(
                        line,
                        col,
                        format!(
                            "duplicate {what} `{id}` in locale {}: also {}",
                            unit.locale,
                            first.location()
                        ),
                    )
                    .with_hint(hint);
                    self.report(&unit.path, problem);
                }
                None => {
                    first_seen.insert((unit.locale.as_str(), id.as_str()), unit);
                }
            }
        }
    }

    /// Every `article:` link must name a document of the KB (an article or an FAQ entry) in some
    /// locale. A link that only works in another locale than the reader's and the default one
    /// gets a warning, because the widget falls back to the default locale only.
    fn check_links(&mut self, units: &[Unit], default_locale: &str) {
        let all_ids: BTreeSet<&str> = units.iter().filter_map(|unit| unit.id.as_deref()).collect();
        let by_locale: BTreeSet<(&str, &str)> = units
            .iter()
            .filter_map(|unit| Some((unit.locale.as_str(), unit.id.as_deref()?)))
            .collect();
        let article_ids: BTreeSet<&str> = units
            .iter()
            .filter(|unit| unit.kind == DocKind::Article)
            .filter_map(|unit| unit.id.as_deref())
            .collect();
        for unit in units {
            for link in &unit.article_links {
                if !all_ids.contains(link.id.as_str()) {
                    let max_distance = (link.id.chars().count() / 3).max(2);
                    let problem = Problem::error(
                        link.line,
                        link.col,
                        format!("link to a missing article `{}`", link.id),
                    );
                    // A typo is the likelier mistake; an id cut short (`returns` for
                    // `returns-and-exchanges`) the next likeliest.
                    let suggestion = closest(&link.id, all_ids.iter().copied(), max_distance)
                        .or_else(|| {
                            all_ids
                                .iter()
                                .copied()
                                .find(|id| id.starts_with(link.id.as_str()))
                        });
                    let problem = match suggestion {
                        Some(suggestion) => {
                            problem.with_hint(format!("did you mean '{suggestion}'?"))
                        }
                        None => problem.with_hint(
                            "article ids are file names without `.md`, e.g. article:refunds",
                        ),
                    };
                    self.report(&unit.path, problem);
                } else if !by_locale.contains(&(unit.locale.as_str(), link.id.as_str()))
                    && !by_locale.contains(&(default_locale, link.id.as_str()))
                {
                    let hint = if article_ids.contains(link.id.as_str()) {
                        format!(
                            "add {}",
                            self.kb_dir
                                .join(&unit.locale)
                                .join(format!("{}.md", link.id))
                                .display()
                        )
                    } else {
                        format!(
                            "add an FAQ entry with id `{}` in locale {}",
                            link.id, unit.locale
                        )
                    };
                    let problem = Problem::warning(
                        link.line,
                        link.col,
                        format!(
                            "`{}` has no {} or {default_locale} version, so this link leads nowhere",
                            link.id, unit.locale
                        ),
                    )
                    .with_hint(hint);
                    self.report(&unit.path, problem);
                }
            }
        }
    }
}

/// Gives each image block the URL and size its written path resolved to.
fn fill_images(blocks: &mut [kefu_core::Block], resolved: &BTreeMap<String, (String, u32, u32)>) {
    use kefu_core::Block;
    for block in blocks {
        match block {
            Block::Image {
                src, width, height, ..
            } => {
                if let Some((url, w, h)) = resolved.get(src.as_str()) {
                    *src = url.clone();
                    *width = *w;
                    *height = *h;
                }
            }
            Block::List { items, .. } => {
                for item in items {
                    fill_images(item, resolved);
                }
            }
            Block::Quote(inner) | Block::Callout { blocks: inner, .. } => {
                fill_images(inner, resolved);
            }
            Block::Heading { .. } | Block::Paragraph(_) | Block::Code(_) | Block::Table { .. } => {}
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn is_flow(path: &Path) -> bool {
    file_name(path).ends_with(".flow.toml")
}

fn is_markdown(path: &Path) -> bool {
    path.extension().is_some_and(|extension| extension == "md")
}

/// Whether `id` is a valid article id: `[a-z0-9][a-z0-9-]*`. Ids appear in URLs and links, so
/// they are kept to characters that need no escaping anywhere.
fn is_slug(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The nearest valid id to `text`: lowercase, with runs of other characters turned into `-`.
fn suggest_slug(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// The problem for an invalid id, `what` being `article id` or `FAQ id`, with a hint built from
/// `fix` ("rename the file to", "change `id:` to") and the nearest valid id.
fn bad_id(id: &str, line: u32, col: u32, fix: &str, what: &str) -> Problem {
    let problem = Problem::error(
        line,
        col,
        format!("`{id}` is not a valid {what}: use lowercase ASCII letters, digits and `-`"),
    );
    match suggest_slug(id) {
        slug if slug.is_empty() => problem.with_hint(format!(
            "{fix} a short English name such as `refund-policy`"
        )),
        slug if fix.starts_with("rename") => problem.with_hint(format!(
            "{fix} `{slug}.md`, or set `id: {slug}` in its front matter"
        )),
        slug => problem.with_hint(format!("{fix} `{slug}`")),
    }
}

/// The configured locale `name` is most likely a misspelling of: one edit away at most, case
/// aside (`zh-cn` and `zh-cm` both mean `zh-CN`).
fn near_locale<'l>(name: &str, locales: &'l [String]) -> Option<&'l str> {
    let lowercase: Vec<String> = locales
        .iter()
        .map(|locale| locale.to_ascii_lowercase())
        .collect();
    let found = closest(
        &name.to_ascii_lowercase(),
        lowercase.iter().map(String::as_str),
        1,
    )?;
    let place = lowercase.iter().position(|locale| locale == found)?;
    locales.get(place).map(String::as_str)
}

/// Three-letter ISO 639-3 codes taken for languages in directory names (see [`locale_like_tag`]):
/// languages Kefu's sites plausibly write that have no two-letter code. Cantonese (Hong Kong),
/// Taiwanese Hokkien and Hakka (Taiwan), Mandarin and Wu (sometimes tagged apart from `zh`), and
/// Filipino (CLDR's `fil`). Keep it short: each entry is a folder name editors cannot use for
/// anything else.
const THREE_LETTER_LANGUAGES: [&str; 6] = ["cmn", "fil", "hak", "nan", "wuu", "yue"];

/// The BCP 47 tag `name` spells, in its usual case with `-` between subtags (`pt_BR` gives
/// `pt-BR`, `ZH-HANT-hk` gives `zh-Hant-HK`), if `name` looks like one: a language subtag, then
/// optionally a four-letter script, then optionally a two-letter or three-digit region, separated
/// by `-` or `_`, in any case.
///
/// The language subtag is where ordinary folder names collide with tags, so the rule is lopsided
/// on purpose. Any two letters count (`fr`, `ja`; every ISO 639-1 code is two letters): a few
/// folder names that are not languages (`qa`, `ui`) are caught too, and each costs the editor one
/// rename that the error's hint asks for, while missing a real one serves its FAQ entries to the
/// default locale's customers without a word. Three letters count only from
/// [`THREE_LETTER_LANGUAGES`]: most three-letter folder names are English words or abbreviations
/// (`old`, `new`, `tmp`, `doc`, `src`, `faq`, `img`), and three-letter codes for languages that
/// also have a two-letter one (`eng`, `fra`) are rare in locale tags, so `old-ui` or `faq-help`
/// is not taken for a language either.
fn locale_like_tag(name: &str) -> Option<String> {
    let is_letters = |part: &str, len: usize| {
        part.len() == len && part.bytes().all(|byte| byte.is_ascii_alphabetic())
    };
    let mut parts = name.split(['-', '_']);
    let language = parts.next()?.to_ascii_lowercase();
    if !is_letters(&language, 2) && !THREE_LETTER_LANGUAGES.contains(&language.as_str()) {
        return None;
    }
    let mut tag = language;
    let mut part = parts.next();
    if let Some(script) = part.filter(|part| is_letters(part, 4)) {
        tag.push('-');
        tag.push_str(&script[..1].to_ascii_uppercase());
        tag.push_str(&script[1..].to_ascii_lowercase());
        part = parts.next();
    }
    if let Some(region) = part {
        let is_digits = region.len() == 3 && region.bytes().all(|byte| byte.is_ascii_digit());
        if !is_letters(region, 2) && !is_digits {
            return None;
        }
        tag.push('-');
        tag.push_str(&region.to_ascii_uppercase());
    }
    parts.next().is_none().then_some(tag)
}

/// The hint for a root directory `name` that looks like the language tag `tag` but is not one of
/// `config`'s locales: either it is a locale, to be added to kb.toml (under a name kb.toml
/// accepts), or it is not and needs a name that does not look like one.
fn locale_like_hint(name: &str, tag: &str, config: &config::Config) -> String {
    let configured = config.locales.join(", ");
    let rename = if tag == name {
        String::new()
    } else {
        format!(" and rename the directory to `{tag}`")
    };
    format!(
        "`{name}` looks like a language tag: if it is a locale, add `{tag}` to `locales` in kb.toml (now: {configured}){rename}; if it is not, rename the directory so it does not look like one: outside the locale directories only FAQ tables are read, and entries without a `locale` get the default, {}",
        config.default_locale
    )
}

/// A hint for `name`, which is not one of `locales`: the locale it most likely means, or how to
/// make it one, ending with `otherwise` (what else the author can do).
fn locale_hint(name: &str, locales: &[String], otherwise: &str) -> String {
    let configured = locales.join(", ");
    match near_locale(name, locales) {
        Some(locale) => {
            format!("did you mean `{locale}`? The locales in kb.toml are: {configured}")
        }
        None => format!(
            "the locales in kb.toml are: {configured}; add `{name}` to `locales` there, or {otherwise}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Article files built from front-matter and Markdown fragments, so random cases reach deep
    /// into both parsers instead of failing at the first line.
    fn article_text() -> impl Strategy<Value = String> {
        let fragment = prop_oneof![
            Just("---\n".to_owned()),
            Just("title: T\n".to_owned()),
            Just("tags:\n  - a\n".to_owned()),
            Just("similar: [x, 'y']\n".to_owned()),
            Just("\n".to_owned()),
            Just("## h\n".to_owned()),
            Just("- item\n  - nested\n".to_owned()),
            Just("1. one\n".to_owned()),
            Just("> quote\n".to_owned()),
            Just("```\ncode\n```\n".to_owned()),
            Just("[a](article:x) [b](https://e.com) [c](javascript:x) ![i](p.png)\n".to_owned()),
            Just("<b>x</b> <script>\n".to_owned()),
            Just("| a |\n|---|\n".to_owned()),
            Just("**退款**\n原路退回*。*\n".to_owned()),
            "\\PC{0,12}\n?",
        ];
        prop::collection::vec(fragment, 0..16).prop_map(|fragments| fragments.concat())
    }

    proptest! {
        /// Untrusted text never panics either parser, and every problem points inside the file.
        #[test]
        fn parsers_never_panic_and_point_inside_the_file(text in article_text()) {
            let n_lines = to_u32(text.lines().count() + 1);
            let parsed = front_matter::parse(&text);
            let mut problems = parsed.problems;
            if let Some(body_start) = parsed.body_start {
                let converted = markdown::convert(&text, body_start);
                problems.extend(converted.problems);
                for link in converted.article_links {
                    prop_assert!(link.line >= 1 && link.line <= n_lines);
                }
            }
            for problem in problems {
                prop_assert!(problem.line >= 1 && problem.line <= n_lines, "{problem:?} in {text:?}");
                prop_assert!(problem.col >= 1);
            }
        }
    }

    #[test]
    fn slugs() {
        assert!(is_slug("refunds"));
        assert!(is_slug("2fa-setup"));
        assert!(!is_slug("Refunds"));
        assert!(!is_slug("-refunds"));
        assert!(!is_slug("退款"));
        assert!(!is_slug(""));
        assert_eq!(suggest_slug("Refund Policy (2024)"), "refund-policy-2024");
        assert_eq!(suggest_slug("退款"), "");
        assert_eq!(suggest_slug("how_to__pay"), "how-to-pay");
    }

    #[test]
    fn locale_like_names() {
        let cases = [
            ("fr", Some("fr")),
            ("FR", Some("fr")),
            ("ja-JP", Some("ja-JP")),
            ("pt_BR", Some("pt-BR")),
            ("zh-Hant", Some("zh-Hant")),
            ("ZH_HANT_hk", Some("zh-Hant-HK")),
            ("es-419", Some("es-419")),
            ("yue", Some("yue")),
            ("yue-Hant-HK", Some("yue-Hant-HK")),
            // Any two letters, languages or not: the hint asks for a rename.
            ("qa", Some("qa")),
            // Three letters only from the list, with subtags or without.
            ("old", None),
            ("faq", None),
            ("img", None),
            ("eng", None),
            ("old-ui", None),
            ("faq-help", None),
            // Subtags of the wrong shape or order, or too many.
            ("fr-", None),
            ("fr-FRA", None),
            ("fr-2024", None),
            ("zh-HK-Hant", None),
            ("zh-Hant-HK-x", None),
            ("imports", None),
            ("zendesk-export", None),
            ("legacy", None),
            ("", None),
            ("中文", None),
        ];
        for (name, expected) in cases {
            assert_eq!(locale_like_tag(name).as_deref(), expected, "{name}");
        }
    }
}

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
//! ```
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

mod config;
mod diagnostic;
mod front_matter;
mod markdown;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kefu_core::{BundleMeta, DocKind, Document};

pub use crate::config::CONFIG_FILE;
pub use crate::diagnostic::{Diagnostic, Severity};
use crate::diagnostic::{LineIndex, Problem, closest, to_u32};
use crate::markdown::ArticleLinkRef;

/// Directories nested deeper than this under a locale are reported rather than followed, which
/// also ends a walk caught in a symlink loop.
const MAX_DEPTH: usize = 16;

/// Everything [`compile`] found.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The articles, sorted by (locale, id). Incomplete when [`Compiled::has_errors`].
    pub documents: Vec<Document>,
    pub meta: BundleMeta,
    /// The locales configured in `kb.toml`, in its order (empty when it could not be read).
    pub locales: Vec<String>,
    /// Every problem, sorted by file, line and column.
    pub diagnostics: Vec<Diagnostic>,
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
    let mut compiler = Compiler {
        kb_dir,
        diagnostics: Vec::new(),
    };
    let compiled = compiler.run();
    let mut diagnostics = compiler.diagnostics;
    // Stable, so problems at one position keep the order they were found in.
    diagnostics.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
    Compiled {
        diagnostics,
        ..compiled
    }
}

struct Compiler<'a> {
    kb_dir: &'a Path,
    diagnostics: Vec<Diagnostic>,
}

/// One article file after reading it on its own.
struct Article {
    path: PathBuf,
    locale: String,
    /// `None` when the id is invalid (already reported).
    id: Option<String>,
    /// Where the id was written: the `id:` line, or the start of the file for a file stem.
    id_at: (u32, u32),
    /// `None` when the file could not be parsed far enough to make a document.
    document: Option<Document>,
    article_links: Vec<ArticleLinkRef>,
}

impl Compiler<'_> {
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
            compiled.locales = config.locales.clone();
        }

        let files = self.find_articles(config.as_ref(), &config_path, &config_text);
        let articles: Vec<Article> = files
            .into_iter()
            .map(|(path, locale)| self.read_article(path, locale))
            .collect();
        self.check_duplicates(&articles);
        self.check_links(&articles, &compiled.meta.default_locale);

        let mut seen = BTreeSet::new();
        compiled.documents = articles
            .into_iter()
            .filter_map(|article| article.document)
            .filter(|doc| seen.insert((doc.locale.clone(), doc.id.clone())))
            .collect();
        compiled
            .documents
            .sort_by(|a, b| (&a.locale, &a.id).cmp(&(&b.locale, &b.id)));
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

    /// Lists the article files, sorted, with their locale. Reports directories at the root that
    /// are not configured locales and Markdown files outside any locale.
    fn find_articles(
        &mut self,
        config: Option<&config::Config>,
        config_path: &Path,
        config_text: &str,
    ) -> Vec<(PathBuf, String)> {
        let kb_dir = self.kb_dir.to_path_buf();
        let mut articles = Vec::new();
        let mut found_locales = BTreeSet::new();
        for (path, is_dir) in self.read_dir_sorted(&kb_dir) {
            let name = file_name(&path);
            if !is_dir {
                if is_markdown(&path) {
                    let locale = config.map_or("en", |config| config.default_locale.as_str());
                    let example = kb_dir.join(locale).join(&name);
                    self.report(
                        &path,
                        Problem::error(1, 1, "this article is not in a locale directory")
                            .with_hint(format!(
                                "move it into the directory of its locale, e.g. {}",
                                example.display()
                            )),
                    );
                }
                continue;
            }
            match config {
                // Without a usable kb.toml, each directory is taken for a locale, so the articles
                // are still checked and every problem is still reported in one run.
                None => {}
                Some(config) if config.locales.contains(&name) => {}
                Some(config) => {
                    let mut problem = Problem::error(
                        1,
                        1,
                        format!("directory `{name}` is not a locale of this knowledge base"),
                    );
                    let case_insensitive = config
                        .locales
                        .iter()
                        .find(|locale| locale.eq_ignore_ascii_case(&name));
                    let suggestion = case_insensitive
                        .map(String::as_str)
                        .or_else(|| closest(&name, config.locales.iter().map(String::as_str), 1));
                    let configured = config.locales.join(", ");
                    problem = problem.with_hint(match suggestion {
                        Some(locale) => format!("did you mean `{locale}`? The locales in kb.toml are: {configured}"),
                        None => format!("the locales in kb.toml are: {configured}; add `{name}` to `locales` there, or move the directory out of the KB"),
                    });
                    self.report(&path, problem);
                    continue;
                }
            }
            found_locales.insert(name.clone());
            let mut files = Vec::new();
            self.walk(&path, 0, &mut files);
            articles.extend(files.into_iter().map(|file| (file, name.clone())));
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
        articles
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

    fn walk(&mut self, dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
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
            } else if is_markdown(&path) {
                out.push(path);
            }
        }
    }

    fn read_article(&mut self, path: PathBuf, locale: String) -> Article {
        let stem = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut article = Article {
            id: is_slug(&stem).then(|| stem.clone()),
            id_at: (1, 1),
            path,
            locale,
            document: None,
            article_links: Vec::new(),
        };
        let path = article.path.clone();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) => {
                self.report(
                    &path,
                    Problem::error(1, 1, format!("cannot read the file: {error}")),
                );
                return article;
            }
        };
        let Some(text) = self.decode(&path, &bytes) else {
            return article;
        };
        let parsed = front_matter::parse(&text);
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
                self.report(&path, bad_id(&id.value, id.line, id.col, "change `id:` to"));
            }
            None if article.id.is_none() => {
                self.report(&path, bad_id(&stem, 1, 1, "rename the file to"))
            }
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

        let Some(body_start) = parsed.body_start else {
            return article;
        };
        let converted = markdown::convert(&text, body_start);
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
            });
        }
        article
    }

    /// Two articles with the same id in one locale: the second is reported, naming the first.
    fn check_duplicates(&mut self, articles: &[Article]) {
        let mut first_seen: BTreeMap<(&str, &str), &Path> = BTreeMap::new();
        for article in articles {
            let Some(id) = &article.id else { continue };
            match first_seen.get(&(article.locale.as_str(), id.as_str())) {
                Some(first) => {
                    let (line, col) = article.id_at;
                    let problem = Problem::error(
                        line,
                        col,
                        format!("duplicate article id `{id}` in locale {}: also {}", article.locale, first.display()),
                    )
                    .with_hint("ids must be unique within a locale: rename one of the files, or change its `id:`");
                    self.report(&article.path, problem);
                }
                None => {
                    first_seen.insert((article.locale.as_str(), id.as_str()), &article.path);
                }
            }
        }
    }

    /// Every `article:` link must name an article of the KB in some locale. A link that only
    /// works in another locale than the reader's and the default one gets a warning, because the
    /// widget falls back to the default locale only.
    fn check_links(&mut self, articles: &[Article], default_locale: &str) {
        let all_ids: BTreeSet<&str> = articles
            .iter()
            .filter_map(|article| article.id.as_deref())
            .collect();
        let by_locale: BTreeSet<(&str, &str)> = articles
            .iter()
            .filter_map(|article| Some((article.locale.as_str(), article.id.as_deref()?)))
            .collect();
        for article in articles {
            for link in &article.article_links {
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
                    self.report(&article.path, problem);
                } else if !by_locale.contains(&(article.locale.as_str(), link.id.as_str()))
                    && !by_locale.contains(&(default_locale, link.id.as_str()))
                {
                    let problem = Problem::warning(
                        link.line,
                        link.col,
                        format!("`{}` has no {} or {default_locale} version, so this link leads nowhere", link.id, article.locale),
                    )
                    .with_hint(format!("add {}", self.kb_dir.join(&article.locale).join(format!("{}.md", link.id)).display()));
                    self.report(&article.path, problem);
                }
            }
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
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

fn bad_id(id: &str, line: u32, col: u32, fix: &str) -> Problem {
    let problem = Problem::error(
        line,
        col,
        format!("`{id}` is not a valid article id: use lowercase ASCII letters, digits and `-`"),
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
}

//! The knowledge-base model: what an article, FAQ entry or flow looks like once compiled.
//!
//! Article bodies are a small block tree, never HTML: the KB compiler turns Markdown into
//! [`Block`]s at build time and the widget renders them as DOM nodes with text content, so text
//! from a source file can never become markup on a customer's screen.

use serde::{Deserialize, Serialize};

/// What a searchable document is; results show it so customers know what they will get.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DocKind {
    /// A help-centre article written in Markdown.
    Article,
    /// A question/answer pair imported from an FAQ table.
    Faq,
    /// A guided troubleshooting flow.
    Flow,
}

impl DocKind {
    /// The lowercase name used in JSON output and the CLI: `article`, `faq` or `flow`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Article => "article",
            DocKind::Faq => "faq",
            DocKind::Flow => "flow",
        }
    }
}

/// One compiled document, as the KB compiler produces it and the bundle stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Stable identifier shared by the translations of one article (the file stem, e.g. `refunds`).
    pub id: String,
    pub kind: DocKind,
    /// BCP 47 tag such as `zh-CN`, `zh-TW` or `en`.
    pub locale: String,
    pub title: String,
    pub category: String,
    pub tags: Vec<String>,
    /// "Similar questions" (相似问法): how customers phrase the problem this document answers.
    pub similar: Vec<String>,
    pub body: Vec<Block>,
    /// URL path patterns of the host pages this document helps on (`/checkout*`), for
    /// [`crate::Index::for_page`]. Checked with [`check_page_pattern`] at build time.
    pub pages: Vec<String>,
    /// The steps of a guided flow, for documents of kind [`DocKind::Flow`]; `None` otherwise.
    pub flow: Option<crate::flow::Flow>,
}

/// A block of an article body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Block {
    /// A section heading; level 2 to 4 (level 1 is the article title).
    Heading {
        level: u8,
        text: Vec<Inline>,
    },
    Paragraph(Vec<Inline>),
    /// A numbered (`ordered`) or bulleted list; each item is a sequence of blocks.
    List {
        ordered: bool,
        items: Vec<Vec<Block>>,
    },
    Quote(Vec<Block>),
    Code(String),
    /// A table: a header row and body rows of cells, each cell inline text. `align` has one entry
    /// per column. New variants go at the end: postcard numbers variants in declaration order.
    Table {
        head: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
        align: Vec<Align>,
    },
    /// A highlighted aside (`> [!TIP]` in Markdown), shown with a localized label.
    Callout {
        kind: CalloutKind,
        blocks: Vec<Block>,
    },
    /// An image shipped beside the bundle. `src` is relative to the bundle's URL
    /// (`kb-assets/<hash>.svg`); `alt` is never empty (the compiler requires it); `width` and
    /// `height` are the intrinsic size in CSS pixels, so the page does not shift while it loads.
    Image {
        src: String,
        alt: String,
        width: u32,
        height: u32,
    },
}

/// How a table column is aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Align {
    None,
    Left,
    Center,
    Right,
}

/// What a callout is for; it decides the label and the colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CalloutKind {
    Tip,
    Note,
    Warning,
    Important,
}

/// Inline text inside a block.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Inline {
    Text(String),
    Strong(Vec<Inline>),
    Emphasis(Vec<Inline>),
    Code(String),
    /// A link to another document of the KB (`[text](article:refunds)` in Markdown).
    ArticleLink {
        text: Vec<Inline>,
        id: String,
    },
    /// A link to an http(s) or mailto URL; the compiler rejects every other scheme.
    Link {
        text: Vec<Inline>,
        url: String,
    },
    LineBreak,
}

/// What every search needs to know about a document without decoding its body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocEntry {
    pub id: String,
    pub kind: DocKind,
    pub locale: String,
    pub title: String,
    pub category: String,
}

impl Document {
    /// The body as plain text, one block a line: what the index and snippets see.
    pub fn body_text(&self) -> String {
        let mut out = String::new();
        for block in &self.body {
            block_text(block, &mut out);
        }
        // A flow's questions, answers and fixes are what a customer describing the problem says.
        if let Some(flow) = &self.flow {
            flow.searchable_text(&mut out);
        }
        out
    }

    /// The entry kept for this document in the bundle's directory.
    pub fn entry(&self) -> DocEntry {
        DocEntry {
            id: self.id.clone(),
            kind: self.kind,
            locale: self.locale.clone(),
            title: self.title.clone(),
            category: self.category.clone(),
        }
    }
}

/// Appends the text of `blocks` to `out`, one block a line, dropping formatting.
pub fn blocks_text(blocks: &[Block], out: &mut String) {
    for block in blocks {
        block_text(block, out);
    }
}

fn block_text(block: &Block, out: &mut String) {
    match block {
        Block::Heading { text, .. } | Block::Paragraph(text) => {
            inlines_text(text, out);
            out.push('\n');
        }
        Block::List { items, .. } => {
            for item in items {
                for block in item {
                    block_text(block, out);
                }
            }
        }
        Block::Quote(blocks) => {
            for block in blocks {
                block_text(block, out);
            }
        }
        Block::Code(code) => {
            out.push_str(code);
            out.push('\n');
        }
        Block::Table { head, rows, .. } => {
            for row in std::iter::once(head).chain(rows) {
                for cell in row {
                    inlines_text(cell, out);
                    out.push(' ');
                }
                out.push('\n');
            }
        }
        Block::Callout { blocks, .. } => {
            for block in blocks {
                block_text(block, out);
            }
        }
        // The alt text describes the picture, so a customer searching for what it shows finds it.
        Block::Image { alt, .. } => {
            out.push_str(alt);
            out.push('\n');
        }
    }
}

/// Appends the text of `inlines` to `out`, dropping formatting.
pub fn inlines_text(inlines: &[Inline], out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text(text) | Inline::Code(text) => out.push_str(text),
            Inline::Strong(inner)
            | Inline::Emphasis(inner)
            | Inline::ArticleLink { text: inner, .. }
            | Inline::Link { text: inner, .. } => inlines_text(inner, out),
            Inline::LineBreak => out.push(' '),
        }
    }
}

/// Why a page pattern of `pages = [...]` cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PagePatternError {
    /// Patterns match URL paths, which start with `/`.
    NotAPath,
    /// A character a URL path never holds unescaped (space, `?`, `#`); `at` is its byte offset.
    BadChar { at: usize, found: char },
}

impl std::fmt::Display for PagePatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PagePatternError::NotAPath => write!(
                f,
                "a page pattern is a URL path starting with `/`, such as `/checkout*` (no scheme or host)"
            ),
            PagePatternError::BadChar { found, .. } => write!(
                f,
                "`{}` cannot appear in a page pattern: it matches the path only, without query string, fragment or spaces",
                found.escape_default()
            ),
        }
    }
}

/// Checks a page pattern: a URL path starting with `/` in which `*` stands for any run of
/// characters, `/` included (`/orders/*` matches `/orders/42/items`).
///
/// ```
/// use kefu_core::kb::{check_page_pattern, page_matches};
/// assert!(check_page_pattern("/checkout*").is_ok());
/// assert!(check_page_pattern("checkout").is_err());
/// assert!(page_matches("/orders/*", "/orders/42"));
/// assert!(!page_matches("/orders/*", "/orders"));
/// ```
pub fn check_page_pattern(pattern: &str) -> Result<(), PagePatternError> {
    if !pattern.starts_with('/') {
        return Err(PagePatternError::NotAPath);
    }
    match pattern
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#'))
    {
        Some((at, found)) => Err(PagePatternError::BadChar { at, found }),
        None => Ok(()),
    }
}

/// Whether the URL path `path` matches `pattern` (see [`check_page_pattern`]). A query string or
/// fragment on `path` is ignored; a trailing `/` counts (`/orders/` is not `/orders`).
pub fn page_matches(pattern: &str, path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    // Glob matching with backtracking to the last `*` only: linear in practice, never exponential.
    let (pattern, path) = (pattern.as_bytes(), path.as_bytes());
    let (mut p, mut s) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while s < path.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, s));
            p += 1;
        } else if p < pattern.len() && pattern[p] == path[s] {
            p += 1;
            s += 1;
        } else if let Some((star_p, star_s)) = star {
            p = star_p + 1;
            s = star_s + 1;
            star = Some((star_p, star_s + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

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

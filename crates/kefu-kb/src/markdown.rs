//! Article bodies and FAQ answers: Markdown in, kefu-core [`Block`]s out, never HTML.
//!
//! Both go through the same converter, so an answer imported from an FAQ table obeys exactly the
//! rules an article does. pulldown-cmark does the parsing; this module walks its events with a stack of open containers
//! and rejects everything the widget cannot render safely or at all: raw HTML (it must never
//! reach a customer's screen), links with schemes other than http(s) and mailto (`javascript:`),
//! and, for now, images and tables.

use std::ops::Range;

use kefu_core::{Block, Inline};
use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

use crate::diagnostic::{LineIndex, Problem};

/// The result of converting one article body or FAQ answer.
#[derive(Debug, Default)]
pub(crate) struct Converted {
    pub blocks: Vec<Block>,
    /// Every `article:` link, checked against the whole KB once all files are read.
    pub article_links: Vec<ArticleLinkRef>,
    pub problems: Vec<Problem>,
}

/// An `article:<id>` link and where its target is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ArticleLinkRef {
    pub id: String,
    pub line: u32,
    pub col: u32,
}

/// Converts the Markdown in `source[body_start..]`. Positions in problems are lines and columns of
/// the whole of `source`, so they count the front matter above the body.
pub(crate) fn convert(source: &str, body_start: usize) -> Converted {
    convert_with(source, body_start, Origin::Article)
}

/// Converts an FAQ answer taken out of a table. `place` maps a 1-based (line, column) inside
/// `answer` to the position in the table's file, which is why the table readers decide how exact
/// it can be (a JSON string with escapes cannot be mapped character by character).
pub(crate) fn convert_answer(answer: &str, place: &dyn Fn(u32, u32) -> (u32, u32)) -> Converted {
    convert_with(answer, 0, Origin::FaqAnswer(place))
}

/// Converts the text of a flow node (a step, a fix, an ending), with `place` as for FAQ answers.
pub(crate) fn convert_flow_text(text: &str, place: &dyn Fn(u32, u32) -> (u32, u32)) -> Converted {
    convert_with(text, 0, Origin::FlowText(place))
}

/// Where the Markdown comes from: it decides how messages name it and where positions point.
#[derive(Clone, Copy)]
enum Origin<'p> {
    /// An article body: positions are already positions in the file.
    Article,
    /// An FAQ answer: positions in the answer go through the function to the table's file.
    FaqAnswer(&'p dyn Fn(u32, u32) -> (u32, u32)),
    /// The text of a flow node: positions go through the function, as for FAQ answers.
    FlowText(&'p dyn Fn(u32, u32) -> (u32, u32)),
}

impl Origin<'_> {
    /// What the rules are about, in messages such as "HTML is not allowed in articles".
    fn noun(self) -> &'static str {
        match self {
            Origin::Article => "articles",
            Origin::FaqAnswer(_) => "FAQ answers",
            Origin::FlowText(_) => "flow texts",
        }
    }
}

fn convert_with(source: &str, body_start: usize, origin: Origin<'_>) -> Converted {
    let body = source.get(body_start..).unwrap_or_default();
    let mut converter = Converter {
        source,
        body_start,
        origin,
        line_index: LineIndex::new(source),
        stack: vec![Frame::Blocks {
            blocks: Vec::new(),
            loose: Vec::new(),
        }],
        out: Converted::default(),
        last_html_line: None,
    };
    // Tables are switched on only so they can be recognised and rejected; without the option a
    // table would silently become a paragraph full of pipes.
    let parser = Parser::new_ext(body, Options::ENABLE_TABLES).into_offset_iter();
    for (event, range) in parser {
        converter.event(event, range);
    }
    // A well-formed event stream closes every container, leaving only the root.
    if let Some(Frame::Blocks { mut blocks, loose }) = converter.stack.pop() {
        flush_loose(&mut blocks, loose);
        converter.out.blocks = blocks;
    }
    converter.out
}

/// What a link points to, decided when it opens.
enum Target {
    Article(String),
    Url(String),
    /// A rejected destination: the link's text is kept as plain text and an error was reported.
    Rejected,
}

/// Which inline container is open.
enum InlineKind {
    Paragraph,
    Heading(u8),
    Strong,
    Emphasis,
    Link(Target),
}

/// An open container.
enum Frame {
    /// The body, a list item or a quote. `loose` holds inline content outside a paragraph, as in
    /// the items of a tight list, until a block follows or the container closes.
    Blocks {
        blocks: Vec<Block>,
        loose: Vec<Inline>,
    },
    Quote {
        blocks: Vec<Block>,
        loose: Vec<Inline>,
    },
    List {
        ordered: bool,
        items: Vec<Vec<Block>>,
    },
    Inlines {
        kind: InlineKind,
        inlines: Vec<Inline>,
    },
    Code(String),
    /// A construct that was reported as an error: everything inside it is dropped. `depth`
    /// counts nested containers so the right end event closes it.
    Skip {
        depth: usize,
    },
}

struct Converter<'a> {
    source: &'a str,
    body_start: usize,
    origin: Origin<'a>,
    line_index: LineIndex<'a>,
    stack: Vec<Frame>,
    out: Converted,
    /// The line of the last HTML error, so `<b>bold</b>` is one error rather than two.
    last_html_line: Option<u32>,
}

/// Stands for a soft line break until the paragraph is complete and its neighbours are known.
/// pulldown-cmark never puts a newline inside the text of a paragraph, so it cannot clash.
const SOFT_BREAK: &str = "\n";

impl Converter<'_> {
    fn position(&self, body_offset: usize) -> (u32, u32) {
        let (line, col) = self.line_index.line_col(self.body_start + body_offset);
        match self.origin {
            Origin::Article => (line, col),
            Origin::FaqAnswer(place) | Origin::FlowText(place) => place(line, col),
        }
    }

    fn error(&mut self, body_offset: usize, message: impl Into<String>, hint: Option<String>) {
        let (line, col) = self.position(body_offset);
        let mut problem = Problem::error(line, col, message);
        problem.hint = hint;
        self.out.problems.push(problem);
    }

    fn warning(&mut self, body_offset: usize, message: impl Into<String>, hint: &str) {
        let (line, col) = self.position(body_offset);
        self.out
            .problems
            .push(Problem::warning(line, col, message).with_hint(hint));
    }

    fn event(&mut self, event: Event<'_>, range: Range<usize>) {
        if let Some(Frame::Skip { depth }) = self.stack.last_mut() {
            match event {
                Event::Start(_) => *depth += 1,
                Event::End(_) if *depth == 0 => {
                    self.stack.pop();
                }
                Event::End(_) => *depth -= 1,
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(tag) => self.start(tag, range),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => match self.stack.last_mut() {
                Some(Frame::Code(code)) => code.push_str(&text),
                _ => self.push_inline(Inline::Text(text.into_string())),
            },
            Event::Code(code) => self.push_inline(Inline::Code(code.into_string())),
            Event::SoftBreak => self.push_inline(Inline::Text(SOFT_BREAK.to_owned())),
            Event::HardBreak => self.push_inline(Inline::LineBreak),
            Event::Html(_) | Event::InlineHtml(_) => self.html(range.start),
            Event::Rule => self.warning(
                range.start,
                "a horizontal rule is dropped: the widget does not show them",
                "start a new section with a `## heading` instead",
            ),
            // The options that produce these events are off; report them in case that changes.
            Event::FootnoteReference(_)
            | Event::TaskListMarker(_)
            | Event::InlineMath(_)
            | Event::DisplayMath(_) => {
                let noun = self.origin.noun();
                self.error(
                    range.start,
                    format!("this Markdown extension is not supported in {noun}"),
                    None,
                );
            }
        }
    }

    fn html(&mut self, body_offset: usize) {
        let (line, _) = self.position(body_offset);
        if self.last_html_line == Some(line) {
            return;
        }
        self.last_html_line = Some(line);
        self.error(
            body_offset,
            format!(
                "HTML is not allowed in {} (line {line}); use Markdown",
                self.origin.noun()
            ),
            Some("write **bold**, *emphasis*, [links](https://…) and lists in Markdown; to show a literal `<`, write `\\<`".to_owned()),
        );
    }

    fn start(&mut self, tag: Tag<'_>, range: Range<usize>) {
        let frame = match tag {
            Tag::Paragraph => Frame::Inlines {
                kind: InlineKind::Paragraph,
                inlines: Vec::new(),
            },
            Tag::Heading { level, .. } => {
                let level = level as u8;
                if level == 1 {
                    let message = match self.origin {
                        Origin::Article => {
                            "a level-1 heading in the body: the title comes from front matter; use ##"
                        }
                        Origin::FaqAnswer(_) => {
                            "a level-1 heading in an answer: the title is the question; use ##"
                        }
                        Origin::FlowText(_) => {
                            "a level-1 heading in a flow text: the title is the flow's; use ##"
                        }
                    };
                    self.warning(
                        range.start,
                        message,
                        "section headings start at `##`; this one is shown as `##`",
                    );
                } else if level > 4 {
                    self.warning(
                        range.start,
                        format!("headings go down to level 4 (`####`), not {level}"),
                        "this one is shown as `####`",
                    );
                }
                Frame::Inlines {
                    kind: InlineKind::Heading(level.clamp(2, 4)),
                    inlines: Vec::new(),
                }
            }
            Tag::BlockQuote(_) => Frame::Quote {
                blocks: Vec::new(),
                loose: Vec::new(),
            },
            Tag::CodeBlock(_) => Frame::Code(String::new()),
            Tag::List(start) => Frame::List {
                ordered: start.is_some(),
                items: Vec::new(),
            },
            Tag::Item => Frame::Blocks {
                blocks: Vec::new(),
                loose: Vec::new(),
            },
            Tag::Emphasis => Frame::Inlines {
                kind: InlineKind::Emphasis,
                inlines: Vec::new(),
            },
            Tag::Strong => Frame::Inlines {
                kind: InlineKind::Strong,
                inlines: Vec::new(),
            },
            Tag::Link {
                link_type,
                dest_url,
                ..
            } => {
                let target = self.link_target(link_type, &dest_url, range);
                Frame::Inlines {
                    kind: InlineKind::Link(target),
                    inlines: Vec::new(),
                }
            }
            Tag::HtmlBlock => {
                self.html(range.start);
                Frame::Skip { depth: 0 }
            }
            Tag::Image { .. } => {
                let noun = self.origin.noun();
                self.error(
                    range.start,
                    format!("images are not supported in {noun} yet"),
                    Some(
                        "remove the image, or link to it with [description](https://…)".to_owned(),
                    ),
                );
                Frame::Skip { depth: 0 }
            }
            Tag::Table(_) => {
                let noun = self.origin.noun();
                self.error(
                    range.start,
                    format!("tables are not supported in {noun} yet"),
                    Some("write the rows as a list instead".to_owned()),
                );
                Frame::Skip { depth: 0 }
            }
            // The options that produce these are off; report them in case that changes.
            Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::TableHead
            | Tag::TableRow
            | Tag::TableCell
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::MetadataBlock(_) => {
                let noun = self.origin.noun();
                self.error(
                    range.start,
                    format!("this Markdown extension is not supported in {noun}"),
                    None,
                );
                Frame::Skip { depth: 0 }
            }
        };
        self.stack.push(frame);
    }

    /// Decides where a link goes, reporting destinations the widget must not follow. The error
    /// points at the destination itself when it is written inline, else at the link.
    fn link_target(&mut self, link_type: LinkType, dest_url: &str, range: Range<usize>) -> Target {
        let link_source = self
            .source
            .get(self.body_start + range.start..self.body_start + range.end)
            .unwrap_or_default();
        let dest_offset = link_source
            .find("](")
            .map(|open| open + 2)
            .map(|after| {
                after + link_source[after..].len()
                    - link_source[after..]
                        .trim_start_matches([' ', '\t', '\n', '<'])
                        .len()
            })
            .filter(|&at| link_source[at..].starts_with(dest_url))
            .unwrap_or(0);
        let at = range.start + dest_offset;
        if link_type == LinkType::Email {
            return Target::Url(format!("mailto:{dest_url}"));
        }
        if let Some(id) = dest_url.strip_prefix("article:") {
            if id.is_empty() {
                self.error(
                    at,
                    "`article:` needs an article id",
                    Some("write [text](article:refunds)".to_owned()),
                );
                return Target::Rejected;
            }
            let (line, col) = self.position(at);
            self.out.article_links.push(ArticleLinkRef {
                id: id.to_owned(),
                line,
                col,
            });
            return Target::Article(id.to_owned());
        }
        let lowercase = dest_url.to_ascii_lowercase();
        if ["http://", "https://", "mailto:"]
            .iter()
            .any(|scheme| lowercase.starts_with(scheme))
        {
            return Target::Url(dest_url.to_owned());
        }
        let shown: String = dest_url.chars().take(40).collect();
        let (message, hint) = if dest_url.is_empty() {
            (
                "this link has no destination".to_owned(),
                "write [text](https://…) or [text](article:<id>)".to_owned(),
            )
        } else if let Some((scheme, _)) = dest_url
            .split_once(':')
            .filter(|(scheme, _)| is_scheme(scheme))
        {
            (
                format!("links may only point to article:<id>, http(s) or mailto: URLs, not `{scheme}:`"),
                "link to another article with [text](article:<id>), or to a web page with [text](https://…)".to_owned(),
            )
        } else {
            let stem = dest_url.rsplit('/').next().unwrap_or_default();
            let hint = match stem.strip_suffix(".md") {
                Some(id) => format!("to link to another article write [text](article:{id})"),
                None => "relative links have no page to go to inside the widget; use [text](article:<id>) or a full https:// URL".to_owned(),
            };
            (format!("relative link `{shown}` is not allowed"), hint)
        };
        self.error(at, message, Some(hint));
        Target::Rejected
    }

    fn end(&mut self, _tag: TagEnd) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        match frame {
            Frame::Blocks { mut blocks, loose } => {
                flush_loose(&mut blocks, loose);
                if let Some(Frame::List { items, .. }) = self.stack.last_mut() {
                    items.push(blocks);
                }
            }
            Frame::Quote { mut blocks, loose } => {
                flush_loose(&mut blocks, loose);
                self.push_block(Block::Quote(blocks));
            }
            Frame::List { ordered, items } => self.push_block(Block::List { ordered, items }),
            Frame::Code(mut code) => {
                if code.ends_with('\n') {
                    code.pop();
                }
                self.push_block(Block::Code(code));
            }
            Frame::Inlines { kind, inlines } => {
                let inlines = finish_inlines(inlines);
                match kind {
                    InlineKind::Paragraph if inlines.is_empty() => {}
                    InlineKind::Paragraph => self.push_block(Block::Paragraph(inlines)),
                    InlineKind::Heading(level) => self.push_block(Block::Heading {
                        level,
                        text: inlines,
                    }),
                    InlineKind::Strong => self.push_inline(Inline::Strong(inlines)),
                    InlineKind::Emphasis => self.push_inline(Inline::Emphasis(inlines)),
                    InlineKind::Link(Target::Article(id)) => {
                        self.push_inline(Inline::ArticleLink { text: inlines, id })
                    }
                    InlineKind::Link(Target::Url(url)) => {
                        self.push_inline(Inline::Link { text: inlines, url })
                    }
                    InlineKind::Link(Target::Rejected) => {
                        for inline in inlines {
                            self.push_inline(inline);
                        }
                    }
                }
            }
            // Skip frames are closed in `event`; nothing reaches here.
            Frame::Skip { .. } => {}
        }
    }

    fn push_block(&mut self, block: Block) {
        // Blocks only ever close into block containers; anything else is dropped, not trusted.
        if let Some(Frame::Blocks { blocks, loose } | Frame::Quote { blocks, loose }) =
            self.stack.last_mut()
        {
            flush_loose(blocks, std::mem::take(loose));
            blocks.push(block);
        }
    }

    fn push_inline(&mut self, inline: Inline) {
        match self.stack.last_mut() {
            Some(Frame::Inlines { inlines, .. }) => inlines.push(inline),
            Some(Frame::Blocks { loose, .. } | Frame::Quote { loose, .. }) => loose.push(inline),
            _ => {}
        }
    }
}

/// Whether `text` is a URL scheme (`javascript`, `data`), as opposed to `a:b` in a relative path.
fn is_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Turns inline content that sat outside a paragraph into one, before the next block.
fn flush_loose(blocks: &mut Vec<Block>, loose: Vec<Inline>) {
    let inlines = finish_inlines(loose);
    if !inlines.is_empty() {
        blocks.push(Block::Paragraph(inlines));
    }
}

/// Resolves soft breaks and merges adjacent text, so equal Markdown gives equal blocks however
/// pulldown-cmark happened to split its text events.
fn finish_inlines(inlines: Vec<Inline>) -> Vec<Inline> {
    let mut merged: Vec<Inline> = Vec::with_capacity(inlines.len());
    for inline in inlines {
        match (merged.last_mut(), inline) {
            (Some(Inline::Text(previous)), Inline::Text(text)) => previous.push_str(&text),
            (_, inline) => merged.push(inline),
        }
    }
    for idx in 0..merged.len() {
        let Inline::Text(text) = &merged[idx] else {
            continue;
        };
        if !text.contains(SOFT_BREAK) {
            continue;
        }
        let before = idx
            .checked_sub(1)
            .and_then(|previous| last_char(&merged[previous]));
        let after = merged.get(idx + 1).and_then(first_char);
        let resolved = resolve_soft_breaks(text, before, after);
        merged[idx] = Inline::Text(resolved);
    }
    merged.retain(|inline| !matches!(inline, Inline::Text(text) if text.is_empty()));
    merged
}

/// Replaces each soft break in `text` by a space, or by nothing between two CJK characters:
/// Chinese puts no spaces between words, so a line wrapped in the source must not add one.
fn resolve_soft_breaks(text: &str, before: Option<char>, after: Option<char>) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (idx, &c) in chars.iter().enumerate() {
        if c != '\n' {
            out.push(c);
            continue;
        }
        let previous = idx
            .checked_sub(1)
            .map_or(before, |previous| chars.get(previous).copied());
        let next = chars.get(idx + 1).copied().or(after);
        if !(previous.is_some_and(is_cjk_like) && next.is_some_and(is_cjk_like)) {
            out.push(' ');
        }
    }
    out
}

/// CJK characters and CJK punctuation (`，` `。` `「`), which take no spaces around them.
fn is_cjk_like(c: char) -> bool {
    kefu_core::text::is_cjk(c) || matches!(c, '\u{3000}'..='\u{303F}' | '\u{FF00}'..='\u{FFEF}')
}

fn first_char(inline: &Inline) -> Option<char> {
    match inline {
        Inline::Text(text) | Inline::Code(text) => text.chars().next(),
        Inline::Strong(inner)
        | Inline::Emphasis(inner)
        | Inline::ArticleLink { text: inner, .. }
        | Inline::Link { text: inner, .. } => inner.first().and_then(first_char),
        Inline::LineBreak => None,
    }
}

fn last_char(inline: &Inline) -> Option<char> {
    match inline {
        Inline::Text(text) | Inline::Code(text) => text.chars().next_back(),
        Inline::Strong(inner)
        | Inline::Emphasis(inner)
        | Inline::ArticleLink { text: inner, .. }
        | Inline::Link { text: inner, .. } => inner.last().and_then(last_char),
        Inline::LineBreak => None,
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    /// Converts `body` as if it followed a two-line front matter, and renders blocks, links and
    /// problems so a snapshot shows all of it.
    fn check(body: &str, expected: Expect) {
        let source = format!("---\ntitle: T\n---\n{body}");
        let converted = convert(&source, "---\ntitle: T\n---\n".len());
        let mut out = String::new();
        for block in &converted.blocks {
            out.push_str(&format!("{block:?}\n"));
        }
        for link in &converted.article_links {
            out.push_str(&format!(
                "article link {} at {}:{}\n",
                link.id, link.line, link.col
            ));
        }
        for problem in &converted.problems {
            out.push_str(&format!("{problem}\n"));
        }
        expected.assert_eq(&out);
    }

    #[test]
    fn blocks() {
        check(
            "Intro **bold** and *em* and `code`.\n\n## Section\n\n1. first\n2. second\n   - nested\n\n> quoted\n> text\n\n```\nlet x = 1;\n```\n",
            expect![[r#"
                Paragraph([Text("Intro "), Strong([Text("bold")]), Text(" and "), Emphasis([Text("em")]), Text(" and "), Code("code"), Text(".")])
                Heading { level: 2, text: [Text("Section")] }
                List { ordered: true, items: [[Paragraph([Text("first")])], [Paragraph([Text("second")]), List { ordered: false, items: [[Paragraph([Text("nested")])]] }]] }
                Quote([Paragraph([Text("quoted text")])])
                Code("let x = 1;")
            "#]],
        );
    }

    #[test]
    fn loose_list_items_keep_their_paragraphs() {
        check(
            "- one\n\n  more\n- two\n",
            expect![[r#"
            List { ordered: false, items: [[Paragraph([Text("one")]), Paragraph([Text("more")])], [Paragraph([Text("two")])]] }
        "#]],
        );
    }

    #[test]
    fn soft_breaks() {
        check(
            "Refunds take\nthree days.\n\n退款会原路\n退回。\n\n用**支付宝**\n付款。\n\nPay with\n支付宝\n",
            expect![[r#"
            Paragraph([Text("Refunds take three days.")])
            Paragraph([Text("退款会原路退回。")])
            Paragraph([Text("用"), Strong([Text("支付宝")]), Text("付款。")])
            Paragraph([Text("Pay with 支付宝")])
        "#]],
        );
    }

    #[test]
    fn hard_break() {
        check(
            "line one  \nline two\\\nline three\n",
            expect![[r#"
            Paragraph([Text("line one"), LineBreak, Text("line two"), LineBreak, Text("line three")])
        "#]],
        );
    }

    #[test]
    fn links() {
        check(
            "See [refunds](article:refunds), [our site](https://example.com), <https://example.org>, <help@example.com> and [mail](MAILTO:a@b.c).\n",
            expect![[r#"
                Paragraph([Text("See "), ArticleLink { text: [Text("refunds")], id: "refunds" }, Text(", "), Link { text: [Text("our site")], url: "https://example.com" }, Text(", "), Link { text: [Text("https://example.org")], url: "https://example.org" }, Text(", "), Link { text: [Text("help@example.com")], url: "mailto:help@example.com" }, Text(" and "), Link { text: [Text("mail")], url: "MAILTO:a@b.c" }, Text(".")])
                article link refunds at 4:15
            "#]],
        );
    }

    #[test]
    fn rejected_links_point_at_the_destination() {
        check(
            "Click [here](javascript:alert(1)) or [there]( data:text/html,x ) or [file](../en/refunds.md) or [nothing]().\n",
            expect![[r#"
                Paragraph([Text("Click here or there or file or nothing.")])
                4:14: error: links may only point to article:<id>, http(s) or mailto: URLs, not `javascript:`
                  hint: link to another article with [text](article:<id>), or to a web page with [text](https://…)
                4:47: error: links may only point to article:<id>, http(s) or mailto: URLs, not `data:`
                  hint: link to another article with [text](article:<id>), or to a web page with [text](https://…)
                4:76: error: relative link `../en/refunds.md` is not allowed
                  hint: to link to another article write [text](article:refunds)
                4:107: error: this link has no destination
                  hint: write [text](https://…) or [text](article:<id>)
            "#]],
        );
    }

    #[test]
    fn html_is_rejected() {
        check(
            "Text <b>bold</b> here.\n\n<script>alert(1)</script>\n\n<div>\nblock\n</div>\n",
            expect![[r#"
                Paragraph([Text("Text bold here.")])
                4:6: error: HTML is not allowed in articles (line 4); use Markdown
                  hint: write **bold**, *emphasis*, [links](https://…) and lists in Markdown; to show a literal `<`, write `\<`
                6:1: error: HTML is not allowed in articles (line 6); use Markdown
                  hint: write **bold**, *emphasis*, [links](https://…) and lists in Markdown; to show a literal `<`, write `\<`
                8:1: error: HTML is not allowed in articles (line 8); use Markdown
                  hint: write **bold**, *emphasis*, [links](https://…) and lists in Markdown; to show a literal `<`, write `\<`
            "#]],
        );
    }

    #[test]
    fn images_tables_and_headings() {
        check(
            "# Title again\n\n![logo](https://example.com/a.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n##### Deep\n\n---\n",
            expect![[r#"
                Heading { level: 2, text: [Text("Title again")] }
                Heading { level: 4, text: [Text("Deep")] }
                4:1: warning: a level-1 heading in the body: the title comes from front matter; use ##
                  hint: section headings start at `##`; this one is shown as `##`
                6:1: error: images are not supported in articles yet
                  hint: remove the image, or link to it with [description](https://…)
                8:1: error: tables are not supported in articles yet
                  hint: write the rows as a list instead
                12:1: warning: headings go down to level 4 (`####`), not 5
                  hint: this one is shown as `####`
                14:1: warning: a horizontal rule is dropped: the widget does not show them
                  hint: start a new section with a `## heading` instead
            "#]],
        );
    }
}

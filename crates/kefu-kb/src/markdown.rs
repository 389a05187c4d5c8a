//! Article bodies and FAQ answers: Markdown in, kefu-core [`Block`]s out, never HTML.
//!
//! Both go through the same converter, so an answer imported from an FAQ table obeys exactly the
//! rules an article does. pulldown-cmark does the parsing; this module walks its events with a
//! stack of open containers and rejects everything the widget cannot render safely or at all:
//! links with schemes other than http(s) and mailto (`javascript:`), remote images, images
//! without alt text. Raw HTML is reduced to a safe allowlist (see the `html` module) with a
//! warning for whatever is dropped. Tables, callouts (`> [!TIP]`) and images become their own
//! blocks; image files are checked and sized later, by the `assets` module, once the file's
//! directory is known.

use std::ops::Range;

use kefu_core::kb::{Align, CalloutKind};
use kefu_core::{Block, Inline};
use pulldown_cmark::{Alignment, Event, LinkType, Options, Parser, Tag, TagEnd};

use crate::diagnostic::{LineIndex, Problem, closest};
use crate::html::{self, Allowed, Token};

/// The result of converting one article body or FAQ answer.
#[derive(Debug, Default)]
pub(crate) struct Converted {
    pub blocks: Vec<Block>,
    /// Every `article:` link, checked against the whole KB once all files are read.
    pub article_links: Vec<ArticleLinkRef>,
    /// Every image, in the order written; its [`Block::Image`] holds the path as written until
    /// the compiler resolves it.
    pub images: Vec<ImageRef>,
    pub problems: Vec<Problem>,
}

/// An image as written in Markdown (`![alt](images/a.png)`), and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ImageRef {
    pub src: String,
    pub line: u32,
    pub col: u32,
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
        raw_text_tag: None,
    };
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
    /// A table cell, closed into the open row.
    Cell,
    /// An image: the inlines are its alt text. `at` is the body offset of the `!`.
    Image {
        src: String,
        at: usize,
    },
    /// A block of raw HTML: whatever text survives the allowlist becomes a paragraph.
    HtmlBlock,
    /// An allowed HTML tag (`<kbd>`), open until its closing tag or the end of its container.
    Html {
        name: String,
        kind: Allowed,
    },
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
        /// Body offset of the `>`, where a bad callout marker is reported.
        at: usize,
    },
    Table {
        align: Vec<Align>,
        head: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
    },
    /// A table's header row (`head`) or a body row.
    Row {
        head: bool,
        cells: Vec<Vec<Inline>>,
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
    /// Inside `<script>…</script>` and the like: text is dropped until this closing tag.
    raw_text_tag: Option<String>,
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
            Event::Text(_) | Event::Code(_) if self.raw_text_tag.is_some() => {}
            Event::Text(text) => match self.stack.last_mut() {
                Some(Frame::Code(code)) => code.push_str(&text),
                _ => self.push_inline(Inline::Text(text.into_string())),
            },
            Event::Code(code) => self.push_inline(Inline::Code(code.into_string())),
            Event::SoftBreak => self.push_inline(Inline::Text(SOFT_BREAK.to_owned())),
            Event::HardBreak => self.push_inline(Inline::LineBreak),
            Event::Html(fragment) | Event::InlineHtml(fragment) => {
                self.html(&fragment, range.start);
            }
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

    /// Reduces a fragment of raw HTML to the allowlist: allowed tags open and close inline
    /// containers, other tags are dropped with a warning, text survives (outside `<script>`-like
    /// tags), comments vanish.
    fn html(&mut self, fragment: &str, body_offset: usize) {
        for token in html::tokenize(fragment) {
            match token {
                Token::Comment => {}
                Token::Text(_) if self.raw_text_tag.is_some() => {}
                Token::Text(text) => {
                    self.push_inline(Inline::Text(html::decode_entities(text)));
                }
                Token::Tag {
                    name,
                    closing: true,
                    ..
                } => {
                    if self.raw_text_tag.as_deref() == Some(name.as_str()) {
                        self.raw_text_tag = None;
                    } else if matches!(
                        self.stack.last(),
                        Some(Frame::Inlines { kind: InlineKind::Html { name: open, .. }, .. }) if *open == name
                    ) {
                        self.close_top_html();
                    }
                    // Any other closing tag closes something that was dropped: nothing to do.
                }
                Token::Tag { .. } if self.raw_text_tag.is_some() => {}
                Token::Tag {
                    name,
                    closing: false,
                    attrs,
                    at,
                } => self.html_open_tag(name, &attrs, body_offset + at),
            }
        }
    }

    fn html_open_tag(&mut self, name: String, attrs: &[String], at: usize) {
        let noun = self.origin.noun();
        match html::allowed(&name) {
            Some(kind) => {
                if !attrs.is_empty() {
                    self.warning(
                        at,
                        format!(
                            "the attributes of `<{name}>` are dropped ({}): {noun} keep no HTML attributes",
                            attrs.join(", ")
                        ),
                        "write the tag without attributes, or use Markdown",
                    );
                }
                if kind == Allowed::LineBreak {
                    self.push_inline(Inline::LineBreak);
                } else {
                    self.stack.push(Frame::Inlines {
                        kind: InlineKind::Html { name, kind },
                        inlines: Vec::new(),
                    });
                }
            }
            None => {
                let handlers: Vec<&str> = attrs
                    .iter()
                    .filter(|attr| attr.starts_with("on"))
                    .map(String::as_str)
                    .collect();
                let raw_text = html::RAW_TEXT.contains(&name.as_str());
                let kept = if raw_text {
                    "it and its content are dropped"
                } else {
                    "the tag is dropped, its text is kept"
                };
                let with_handlers = if handlers.is_empty() {
                    String::new()
                } else {
                    format!(" with event handler {}", handlers.join(", "))
                };
                self.warning(
                    at,
                    format!("HTML `<{name}>`{with_handlers} is not allowed in {noun}: {kept}"),
                    "only <b>, <strong>, <i>, <em>, <code>, <kbd> and <br> are kept; write the rest in Markdown",
                );
                if raw_text {
                    self.raw_text_tag = Some(name);
                }
            }
        }
    }

    /// Closes the allowed HTML tag open on top of the stack into the inline it stands for.
    fn close_top_html(&mut self) {
        if let Some(Frame::Inlines {
            kind: InlineKind::Html { kind, .. },
            inlines,
        }) = self.stack.pop()
        {
            let inlines = finish_inlines(inlines);
            let inline = match kind {
                Allowed::Strong => Inline::Strong(inlines),
                Allowed::Emphasis => Inline::Emphasis(inlines),
                Allowed::Code | Allowed::LineBreak => {
                    let mut text = String::new();
                    kefu_core::kb::inlines_text(&inlines, &mut text);
                    Inline::Code(text)
                }
            };
            self.push_inline(inline);
        }
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
                at: range.start,
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
            Tag::HtmlBlock => Frame::Inlines {
                kind: InlineKind::HtmlBlock,
                inlines: Vec::new(),
            },
            Tag::Image { dest_url, .. } => {
                if !matches!(self.origin, Origin::Article) {
                    let noun = self.origin.noun();
                    self.error(
                        range.start,
                        format!("images are not supported in {noun}"),
                        Some("put the picture in an article and link to it with [text](article:<id>)".to_owned()),
                    );
                    Frame::Skip { depth: 0 }
                } else {
                    Frame::Inlines {
                        kind: InlineKind::Image {
                            src: dest_url.into_string(),
                            at: range.start,
                        },
                        inlines: Vec::new(),
                    }
                }
            }
            Tag::Table(alignments) => Frame::Table {
                align: alignments
                    .iter()
                    .map(|alignment| match alignment {
                        Alignment::None => Align::None,
                        Alignment::Left => Align::Left,
                        Alignment::Center => Align::Center,
                        Alignment::Right => Align::Right,
                    })
                    .collect(),
                head: Vec::new(),
                rows: Vec::new(),
            },
            Tag::TableHead => Frame::Row {
                head: true,
                cells: Vec::new(),
            },
            Tag::TableRow => Frame::Row {
                head: false,
                cells: Vec::new(),
            },
            Tag::TableCell => Frame::Inlines {
                kind: InlineKind::Cell,
                inlines: Vec::new(),
            },
            // The options that produce these are off; report them in case that changes.
            Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
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
        // Allowed HTML tags left open close with their container, as browsers close them.
        while matches!(
            self.stack.last(),
            Some(Frame::Inlines {
                kind: InlineKind::Html { .. },
                ..
            })
        ) {
            self.close_top_html();
        }
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
            Frame::Quote {
                mut blocks,
                loose,
                at,
            } => {
                flush_loose(&mut blocks, loose);
                let block = match self.callout_kind(&mut blocks, at) {
                    Some(kind) => Block::Callout { kind, blocks },
                    None => Block::Quote(blocks),
                };
                self.push_block(block);
            }
            Frame::Table { align, head, rows } => {
                self.push_block(Block::Table { head, rows, align });
            }
            Frame::Row { head, cells } => {
                if let Some(Frame::Table {
                    head: table_head,
                    rows,
                    ..
                }) = self.stack.last_mut()
                {
                    if head {
                        *table_head = cells;
                    } else {
                        rows.push(cells);
                    }
                }
            }
            Frame::List { ordered, items } => self.push_block(Block::List { ordered, items }),
            Frame::Code(mut code) => {
                if code.ends_with('\n') {
                    code.pop();
                }
                self.push_block(Block::Code(code));
            }
            Frame::Inlines { kind, inlines } => {
                let mut inlines = finish_inlines(inlines);
                if matches!(
                    kind,
                    InlineKind::Paragraph | InlineKind::HtmlBlock | InlineKind::Cell
                ) {
                    // A `<script>` never closed stops at the end of its block, not of the file.
                    self.raw_text_tag = None;
                    trim_inlines(&mut inlines);
                }
                match kind {
                    InlineKind::Paragraph | InlineKind::HtmlBlock if inlines.is_empty() => {}
                    InlineKind::Paragraph | InlineKind::HtmlBlock => {
                        self.push_block(Block::Paragraph(inlines));
                    }
                    InlineKind::Cell => {
                        if let Some(Frame::Row { cells, .. }) = self.stack.last_mut() {
                            cells.push(inlines);
                        }
                    }
                    InlineKind::Image { src, at } => self.image(src, at, &inlines),
                    InlineKind::Html { .. } => {}
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

    /// Checks an image that just closed and puts its block where the image stood: between the
    /// paragraph text before and after it, since an image is a block of its own in the widget.
    fn image(&mut self, src: String, at: usize, alt: &[Inline]) {
        let mut alt_text = String::new();
        kefu_core::kb::inlines_text(alt, &mut alt_text);
        let alt_text = alt_text.trim().to_owned();
        let mut ok = true;
        if alt_text.is_empty() {
            self.error(
                at,
                "this image has no alt text: screen readers would announce only \"image\"",
                Some("describe what the picture shows, e.g. ![The refund button under My orders](images/refund.png)".to_owned()),
            );
            ok = false;
        }
        let lowercase = src.to_ascii_lowercase();
        if src.is_empty() {
            self.error(
                at,
                "this image has no file",
                Some(
                    "write ![description](images/picture.png), a path relative to this file"
                        .to_owned(),
                ),
            );
            ok = false;
        } else if let Some((scheme, _)) =
            src.split_once(':').filter(|(scheme, _)| is_scheme(scheme))
        {
            let hint = if lowercase.starts_with("http") {
                "download the picture into the KB (e.g. images/) and write its path relative to this file: remote images break offline, leak visitors to another server and are blocked by strict CSPs"
            } else {
                "write a path relative to this file, e.g. images/picture.png"
            };
            self.error(
                at,
                format!("images must be files in the knowledge base, not `{scheme}:` URLs"),
                Some(hint.to_owned()),
            );
            ok = false;
        } else if src.starts_with('/') {
            self.error(
                at,
                format!("image path `{src}` is absolute"),
                Some("write the path relative to this file, e.g. images/picture.png".to_owned()),
            );
            ok = false;
        }
        let placed_alone = matches!(
            self.stack.last(),
            Some(
                Frame::Blocks { .. }
                    | Frame::Quote { .. }
                    | Frame::Inlines {
                        kind: InlineKind::Paragraph,
                        ..
                    }
            )
        );
        if !placed_alone {
            self.error(
                at,
                "an image cannot be inside a heading, link, table cell or emphasis",
                Some("put the image on a line of its own".to_owned()),
            );
            ok = false;
        }
        if !ok {
            return;
        }
        let (line, col) = self.position(at);
        self.out.images.push(ImageRef {
            src: src.clone(),
            line,
            col,
        });
        let block = Block::Image {
            src,
            alt: alt_text,
            width: 0,
            height: 0,
        };
        // Split the paragraph around the image: the text before it is a paragraph of its own.
        if let Some(Frame::Inlines {
            kind: InlineKind::Paragraph,
            inlines,
        }) = self.stack.last_mut()
        {
            let before = finish_inlines(std::mem::take(inlines));
            let paragraph = self.stack.pop();
            let mut before = before;
            trim_inlines(&mut before);
            if !before.is_empty() {
                self.push_block(Block::Paragraph(before));
            }
            self.push_block(block);
            if let Some(paragraph) = paragraph {
                self.stack.push(paragraph);
            }
        } else {
            self.push_block(block);
        }
    }

    /// Recognises a callout marker (`[!TIP]`, `[!注意]`) at the start of a quote, removing it
    /// from `blocks`. An unknown marker is an error; a quote without one stays a quote.
    fn callout_kind(&mut self, blocks: &mut Vec<Block>, at: usize) -> Option<CalloutKind> {
        let Some(Block::Paragraph(first)) = blocks.first_mut() else {
            return None;
        };
        let Some(Inline::Text(text)) = first.first_mut() else {
            return None;
        };
        let marker = text.strip_prefix("[!")?;
        let close = marker.find(']')?;
        let name = marker[..close].trim().to_owned();
        let rest = marker[close + 1..].trim_start().to_owned();
        let Some(kind) = callout_kind(&name) else {
            let upper = name.to_uppercase();
            // Edit distance means little between two-character Chinese words, so only Latin
            // names get a "did you mean"; a prefix (`WARN`) counts as a near miss too.
            let suggestion = CALLOUT_NAMES
                .iter()
                .map(|(known, _)| *known)
                .find(|known| !upper.is_empty() && upper.is_ascii() && known.starts_with(&upper))
                .or_else(|| {
                    upper
                        .is_ascii()
                        .then(|| closest(&upper, CALLOUT_NAMES.iter().map(|(known, _)| *known), 2))
                        .flatten()
                });
            let hint = match suggestion {
                Some(suggestion) => format!("did you mean `[!{suggestion}]`?"),
                None => "write one of [!TIP], [!NOTE], [!WARNING], [!IMPORTANT] (or 提示, 注意, 警告, 重要)".to_owned(),
            };
            self.error(at, format!("`[!{name}]` is not a callout kind"), Some(hint));
            return None;
        };
        *text = rest;
        if text.is_empty() {
            first.remove(0);
            if matches!(first.first(), Some(Inline::LineBreak)) {
                first.remove(0);
            }
        }
        if first.is_empty() {
            blocks.remove(0);
        }
        Some(kind)
    }

    fn push_block(&mut self, block: Block) {
        // Blocks only ever close into block containers; anything else is dropped, not trusted.
        if let Some(Frame::Blocks { blocks, loose } | Frame::Quote { blocks, loose, .. }) =
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

/// Callout markers and their kinds: GitHub's names (`CAUTION` is shown as a warning) and the
/// Chinese words editors write, simplified and traditional.
const CALLOUT_NAMES: &[(&str, CalloutKind)] = &[
    ("TIP", CalloutKind::Tip),
    ("NOTE", CalloutKind::Note),
    ("WARNING", CalloutKind::Warning),
    ("CAUTION", CalloutKind::Warning),
    ("IMPORTANT", CalloutKind::Important),
    ("提示", CalloutKind::Tip),
    ("注意", CalloutKind::Note),
    ("说明", CalloutKind::Note),
    ("說明", CalloutKind::Note),
    ("警告", CalloutKind::Warning),
    ("重要", CalloutKind::Important),
];

fn callout_kind(name: &str) -> Option<CalloutKind> {
    let upper = name.to_uppercase();
    CALLOUT_NAMES
        .iter()
        .find(|(known, _)| *known == upper)
        .map(|&(_, kind)| kind)
}

/// Removes whitespace at both ends of a paragraph's text, left by HTML blocks and split images.
fn trim_inlines(inlines: &mut Vec<Inline>) {
    if let Some(Inline::Text(text)) = inlines.first_mut() {
        *text = text.trim_start().to_owned();
    }
    if let Some(Inline::Text(text)) = inlines.last_mut() {
        *text = text.trim_end().to_owned();
    }
    while matches!(inlines.last(), Some(Inline::LineBreak)) {
        inlines.pop();
    }
    inlines.retain(|inline| !matches!(inline, Inline::Text(text) if text.is_empty()));
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
    use proptest::prelude::*;

    use super::*;

    /// Markdown mixing text with hostile and allowed HTML. The hostile words appear only inside
    /// tags, so any of them in the output means markup got through.
    fn hostile_markdown() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "<script>alert(1)</script>",
            "<script>",
            "</script>",
            "<img src=x onerror=alert(1)>",
            "<a href='javascript:alert(1)'>",
            "</a>",
            "<iframe src=\"https://evil.example\">",
            "</iframe>",
            "<div onclick=alert(1)>",
            "</div>",
            "<style>p{color:red}</style>",
            "<svg onload=alert(1)>",
            "<b>",
            "</b>",
            "<kbd>",
            "</kbd>",
            "<br>",
            "<!-- alert(1) -->",
            "text ",
            "退款",
            "**",
            "\n",
            "\n\n",
            "> ",
            "- ",
            "| a | b |\n|---|---|\n",
        ]);
        prop::collection::vec(pieces, 0..24).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        /// Whatever HTML an editor pastes, the blocks hold no tag, handler or script.
        #[test]
        fn no_markup_survives(body in hostile_markdown()) {
            let converted = convert(&body, 0);
            let shown = format!("{:?}", converted.blocks).to_lowercase();
            for trace in ["<", "alert", "javascript", "onerror", "onclick", "onload", "evil", "color:red"] {
                prop_assert!(!shown.contains(trace), "`{trace}` survived {body:?}: {shown}");
            }
        }
    }

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
    fn html_is_reduced_to_the_allowlist() {
        check(
            "Text <b>bold</b> here.\n\n<script>alert(1)</script>\n\n<div>\nblock\n</div>\n",
            expect![[r#"
                Paragraph([Text("Text "), Strong([Text("bold")]), Text(" here.")])
                Paragraph([Text("block")])
                6:1: warning: HTML `<script>` is not allowed in articles: it and its content are dropped
                  hint: only <b>, <strong>, <i>, <em>, <code>, <kbd> and <br> are kept; write the rest in Markdown
                8:1: warning: HTML `<div>` is not allowed in articles: the tag is dropped, its text is kept
                  hint: only <b>, <strong>, <i>, <em>, <code>, <kbd> and <br> are kept; write the rest in Markdown
            "#]],
        );
    }

    #[test]
    fn images_tables_and_headings() {
        check(
            "# Title again\n\n![logo](https://example.com/a.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n##### Deep\n\n---\n",
            expect![[r#"
                Heading { level: 2, text: [Text("Title again")] }
                Table { head: [[Text("a")], [Text("b")]], rows: [[[Text("1")], [Text("2")]]], align: [None, None] }
                Heading { level: 4, text: [Text("Deep")] }
                4:1: warning: a level-1 heading in the body: the title comes from front matter; use ##
                  hint: section headings start at `##`; this one is shown as `##`
                6:1: error: images must be files in the knowledge base, not `https:` URLs
                  hint: download the picture into the KB (e.g. images/) and write its path relative to this file: remote images break offline, leak visitors to another server and are blocked by strict CSPs
                12:1: warning: headings go down to level 4 (`####`), not 5
                  hint: this one is shown as `####`
                14:1: warning: a horizontal rule is dropped: the widget does not show them
                  hint: start a new section with a `## heading` instead
            "#]],
        );
    }

    #[test]
    fn hostile_html_leaves_no_trace() {
        check(
            "Hi <script>alert(1)</script> there <img src=x onerror=alert(1)> and <a href=\"javascript:alert(2)\">click</a>.\n\n<iframe src=\"https://evil.example\">inside</iframe>\n\nPress <kbd>Ctrl</kbd>+<kbd>C</kbd>, <b onclick=\"x()\">bold</b>,<br>next &amp; <!-- note --> <em>em\n",
            expect![[r#"
                Paragraph([Text("Hi  there  and click.")])
                Paragraph([Text("Press "), Code("Ctrl"), Text("+"), Code("C"), Text(", "), Strong([Text("bold")]), Text(","), LineBreak, Text("next &  "), Emphasis([Text("em")])])
                4:4: warning: HTML `<script>` is not allowed in articles: it and its content are dropped
                  hint: only <b>, <strong>, <i>, <em>, <code>, <kbd> and <br> are kept; write the rest in Markdown
                4:36: warning: HTML `<img>` with event handler onerror is not allowed in articles: the tag is dropped, its text is kept
                  hint: only <b>, <strong>, <i>, <em>, <code>, <kbd> and <br> are kept; write the rest in Markdown
                4:69: warning: HTML `<a>` is not allowed in articles: the tag is dropped, its text is kept
                  hint: only <b>, <strong>, <i>, <em>, <code>, <kbd> and <br> are kept; write the rest in Markdown
                6:1: warning: HTML `<iframe>` is not allowed in articles: it and its content are dropped
                  hint: only <b>, <strong>, <i>, <em>, <code>, <kbd> and <br> are kept; write the rest in Markdown
                8:37: warning: the attributes of `<b>` are dropped (onclick): articles keep no HTML attributes
                  hint: write the tag without attributes, or use Markdown
            "#]],
        );
    }

    #[test]
    fn callouts() {
        check(
            "> [!TIP]\n> Refunds are faster with Alipay.\n\n> [!注意] 退款需要三天。\n\n> [!warning]\n>\n> Two\n>\n> paragraphs\n\n> [!TIPP]\n> misspelt\n\n> plain quote\n",
            expect![[r#"
                Callout { kind: Tip, blocks: [Paragraph([Text("Refunds are faster with Alipay.")])] }
                Callout { kind: Note, blocks: [Paragraph([Text("退款需要三天。")])] }
                Callout { kind: Warning, blocks: [Paragraph([Text("Two")]), Paragraph([Text("paragraphs")])] }
                Quote([Paragraph([Text("[!TIPP] misspelt")])])
                Quote([Paragraph([Text("plain quote")])])
                15:1: error: `[!TIPP]` is not a callout kind
                  hint: did you mean `[!TIP]`?
            "#]],
        );
    }

    #[test]
    fn tables() {
        check(
            "| Method | Days |\n|:---|---:|\n| **Alipay** | 1 |\n| 银行卡 | 3-5 |\n",
            expect![[r#"
                Table { head: [[Text("Method")], [Text("Days")]], rows: [[[Strong([Text("Alipay")])], [Text("1")]], [[Text("银行卡")], [Text("3-5")]]], align: [Left, Right] }
            "#]],
        );
    }

    #[test]
    fn images() {
        check(
            "Before ![The refund button](images/refund.png) after.\n\n![](images/no-alt.png)\n\n![logo](/abs.png)\n\n[![in a link](images/a.png)](https://example.com)\n\n![x](data:image/png;base64,AAAA)\n",
            expect![[r#"
                Paragraph([Text("Before")])
                Image { src: "images/refund.png", alt: "The refund button", width: 0, height: 0 }
                Paragraph([Text("after.")])
                Paragraph([Link { text: [], url: "https://example.com" }])
                6:1: error: this image has no alt text: screen readers would announce only "image"
                  hint: describe what the picture shows, e.g. ![The refund button under My orders](images/refund.png)
                8:1: error: image path `/abs.png` is absolute
                  hint: write the path relative to this file, e.g. images/picture.png
                10:2: error: an image cannot be inside a heading, link, table cell or emphasis
                  hint: put the image on a line of its own
                12:1: error: images must be files in the knowledge base, not `data:` URLs
                  hint: write a path relative to this file, e.g. images/picture.png
            "#]],
        );
    }
}

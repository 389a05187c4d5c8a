//! Flow files (`kb/<locale>/<id>.flow.toml`): reading one guided troubleshooting flow, checking
//! its graph, and compiling it into a [`kefu_core::flow::Flow`].
//!
//! The format is TOML, which editors can write with Chinese text in it and which keeps exact
//! positions (`toml`'s spanned tables), so every problem points at `file:line:col`:
//!
//! ```toml
//! title = "无法登录"
//! keywords = ["登录", "密码", "验证码"]
//! start = "start"
//!
//! [node.start]
//! type = "question"
//! prompt = "登录时遇到了什么情况？"
//! [[node.start.answer]]
//! label = "忘记密码"
//! next = "reset"
//!
//! [node.reset]
//! type = "solution"
//! text = "在登录页点击「忘记密码」……"
//! unsolved = "human"
//!
//! [node.human]
//! type = "escalate"
//! ```
//!
//! Every problem in the file is reported, not just the first; a flow with an error is left out
//! of the bundle. README.md ("Guided flows") is the editors' reference.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::Range;

use kefu_core::flow::{Answer, Flow, Image, Node, NodeKind, Pattern};
use kefu_core::kb::{Block, check_page_pattern};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{LineIndex, Problem, Severity, closest, to_u32};
use crate::markdown::{self, ArticleLinkRef};

/// The keys of a flow file's top level.
const TOP_KEYS: [&str; 9] = [
    "title", "keywords", "similar", "category", "order", "pages", "locale", "start", "node",
];

/// The node types, as written in `type = "…"`.
const NODE_TYPES: [&str; 7] = [
    "question", "collect", "step", "solution", "article", "escalate", "end",
];

/// Fewest and most answers of a question: one answer is not a choice, and more than six are
/// hard to take in on a phone screen.
const ANSWERS: Range<usize> = 2..7;

/// What a flow file holds, once read.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub title: String,
    pub keywords: Vec<String>,
    pub similar: Vec<String>,
    /// Empty when the file names none (the compiler fills in the default).
    pub category: String,
    pub pages: Vec<String>,
    /// A `locale = …` that must match the directory, with its position.
    pub locale: Option<(String, u32, u32)>,
    /// `None` when the file has any error: a broken flow never ships.
    pub flow: Option<Flow>,
    /// `article = "…"` of article nodes and `article:` links in texts, checked KB-wide.
    pub article_links: Vec<ArticleLinkRef>,
    pub problems: Vec<Problem>,
}

/// A reference to a node by id, with where it was written.
#[derive(Clone, Debug)]
struct NodeRef {
    id: String,
    at: usize,
}

#[derive(Debug)]
enum RawKind {
    Question {
        prompt: String,
        answers: Vec<(String, Option<String>, Option<NodeRef>)>,
    },
    Collect {
        prompt: String,
        name: String,
        pattern: Option<Pattern>,
        pattern_hint: Option<String>,
        next: Option<NodeRef>,
    },
    Step {
        text: Vec<Block>,
        image: Option<Image>,
        next: Option<NodeRef>,
    },
    Solution {
        text: Vec<Block>,
        image: Option<Image>,
        unsolved: Option<NodeRef>,
    },
    Article {
        article: String,
        next: Option<NodeRef>,
    },
    Escalate {
        text: Vec<Block>,
    },
    End {
        text: Vec<Block>,
    },
    /// A node whose type is missing or unknown (reported): kept so references to it resolve
    /// and do not cause problems of their own.
    Invalid,
}

impl RawKind {
    fn refs(&self) -> Vec<&NodeRef> {
        match self {
            RawKind::Question { answers, .. } => answers
                .iter()
                .filter_map(|(_, _, next)| next.as_ref())
                .collect(),
            RawKind::Collect { next, .. }
            | RawKind::Step { next, .. }
            | RawKind::Article { next, .. }
            | RawKind::Solution { unsolved: next, .. } => next.iter().collect(),
            RawKind::Escalate { .. } | RawKind::End { .. } | RawKind::Invalid => Vec::new(),
        }
    }

    /// Whether the flow may finish at this node: a fix (if it works), an escalation, an end.
    fn may_finish(&self) -> bool {
        matches!(
            self,
            RawKind::Solution { .. }
                | RawKind::Escalate { .. }
                | RawKind::End { .. }
                | RawKind::Invalid
        )
    }
}

#[derive(Debug)]
struct RawNode {
    id: String,
    /// Where the node's id is written (`[node.<id>]`).
    at: usize,
    kind: RawKind,
}

struct Reader<'t> {
    text: &'t str,
    lines: LineIndex<'t>,
    problems: Vec<Problem>,
    article_links: Vec<ArticleLinkRef>,
    /// Line numbers of `[node.<id>]` headers reported as duplicates: the parser's complaints
    /// about each key inside such a table repeat the same mistake and are dropped.
    duplicate_headers: Vec<u32>,
}

type Entry<'a, 't> = (
    &'a Spanned<std::borrow::Cow<'t, str>>,
    &'a Spanned<DeValue<'t>>,
);

/// Reads and checks a flow file. `flow_id` is the file stem.
pub(crate) fn parse(text: &str, flow_id: &str) -> Parsed {
    let mut reader = Reader {
        text,
        lines: LineIndex::new(text),
        problems: Vec::new(),
        article_links: Vec::new(),
        duplicate_headers: Vec::new(),
    };
    let mut parsed = Parsed::default();
    let (root, errors) = DeTable::parse_recoverable(text);
    for error in errors {
        reader.toml_error(&error);
    }
    let root = root.into_inner();
    reader.check_keys(&root, &TOP_KEYS, "top-level key", None);

    parsed.title = reader
        .string(&root, "title", true, 0)
        .map(|(title, _)| title)
        .unwrap_or_default();
    parsed.keywords = reader.strings(&root, "keywords");
    parsed.similar = reader.strings(&root, "similar");
    parsed.category = reader
        .string(&root, "category", false, 0)
        .map(|(category, _)| category)
        .unwrap_or_default();
    parsed.locale = reader
        .string(&root, "locale", false, 0)
        .map(|(locale, at)| {
            let (line, col) = reader.lines.line_col(at);
            (locale, line, col)
        });
    let order = reader.integer(&root, "order");
    parsed.pages = reader.pages(&root);
    if parsed.keywords.is_empty() && find(&root, "keywords").is_none() {
        reader.problems.push(
            Problem::warning(1, 1, "the flow has no `keywords`")
                .with_hint("add the words customers use for this problem, e.g. `keywords = [\"登录\", \"密码\"]`: they help search find the flow"),
        );
    }
    let start = reader.string(&root, "start", true, 0);
    let nodes = reader.nodes(&root);

    let errors_before_graph = reader
        .problems
        .iter()
        .any(|p| p.severity == Severity::Error);
    let flow = reader.graph(flow_id, order, start, nodes);
    parsed.flow = flow.filter(|_| !errors_before_graph);
    parsed.article_links = reader.article_links;
    parsed.problems = reader.problems;
    if parsed
        .problems
        .iter()
        .any(|p| p.severity == Severity::Error)
    {
        parsed.flow = None;
    }
    parsed
}

fn find<'a, 't>(table: &'a DeTable<'t>, key: &str) -> Option<Entry<'a, 't>> {
    table
        .iter()
        .find(|(name, _)| name.get_ref().as_ref() == key)
}

fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "text",
        DeValue::Integer(_) => "a number",
        DeValue::Float(_) => "a decimal number",
        DeValue::Boolean(_) => "true/false",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

impl Reader<'_> {
    fn error(&mut self, at: usize, message: impl Into<String>, hint: Option<String>) {
        let (line, col) = self.lines.line_col(at);
        let problem = Problem::error(line, col, message);
        self.problems.push(match hint {
            Some(hint) => problem.with_hint(hint),
            None => problem,
        });
    }

    fn warning(&mut self, at: usize, message: impl Into<String>, hint: impl Into<String>) {
        let (line, col) = self.lines.line_col(at);
        self.problems
            .push(Problem::warning(line, col, message).with_hint(hint));
    }

    /// A TOML syntax error, with a hint for the mistakes editors make most.
    fn toml_error(&mut self, error: &toml::de::Error) {
        let at = error.span().map_or(0, |span| span.start);
        let message = error.message().trim().to_owned();
        if message.contains("duplicate key") && self.in_duplicate_table(at) {
            return;
        }
        let hint = if message.contains("duplicate key") {
            let line_text = self.text[at.min(self.text.len())..]
                .lines()
                .next()
                .unwrap_or_default();
            let key = self
                .text
                .get(error.span().unwrap_or(0..0))
                .unwrap_or_default();
            if self.text[..at.min(self.text.len())]
                .rsplit('\n')
                .next()
                .is_some_and(|before| before.trim_start().starts_with("[node."))
            {
                self.duplicate_headers.push(self.lines.line_col(at).0);
                self.error(
                    at,
                    format!("duplicate node id `{key}`: another `[node.{key}]` is above"),
                    Some("node ids must be unique within a flow: rename one of the two nodes (and the `next`s that mean it)".to_owned()),
                );
                return;
            }
            Some(format!(
                "each key may appear once in a table; remove or rename one (`{}`)",
                line_text.trim()
            ))
        } else if message.contains("string") || message.contains("invalid") {
            Some("text values need quotes: `title = \"无法登录\"`; use `\"\"\"` … `\"\"\"` for text over several lines".to_owned())
        } else {
            None
        };
        self.error(at, format!("this is not valid TOML: {message}"), hint);
    }

    /// Whether byte `at` lies in a table whose header was reported as a duplicate node.
    fn in_duplicate_table(&self, at: usize) -> bool {
        let header = self.text[..at.min(self.text.len())]
            .lines()
            .enumerate()
            .filter(|(_, line)| line.trim_start().starts_with('['))
            .last()
            .map(|(number, _)| to_u32(number + 1));
        header.is_some_and(|line| self.duplicate_headers.contains(&line))
    }

    /// Reports keys of `table` not in `known`, with "did you mean".
    fn check_keys(&mut self, table: &DeTable<'_>, known: &[&str], what: &str, node: Option<&str>) {
        for (key, _) in table.iter() {
            let name = key.get_ref().as_ref();
            if known.contains(&name) {
                continue;
            }
            let hint = match closest(name, known.iter().copied(), 2) {
                Some(suggestion) => format!("did you mean `{suggestion}`?"),
                None => format!("the keys are: {}", known.join(", ")),
            };
            let message = match node {
                Some(node) => format!("unknown {what} `{name}` in node `{node}`"),
                None => format!("unknown {what} `{name}`"),
            };
            self.error(key.span().start, message, Some(hint));
        }
    }

    /// The text of `key` with the offset of its value; reports a missing required key at
    /// `missing_at` and a value of the wrong type or an empty one where it is.
    fn string(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        required: bool,
        missing_at: usize,
    ) -> Option<(String, usize)> {
        match find(table, key) {
            None => {
                if required {
                    self.error(
                        missing_at,
                        format!("`{key}` is missing"),
                        Some(format!("add `{key} = \"…\"`")),
                    );
                }
                None
            }
            Some((_, value)) => match value.get_ref() {
                DeValue::String(text) if text.trim().is_empty() => {
                    self.error(value.span().start, format!("`{key}` is empty"), None);
                    None
                }
                DeValue::String(text) => Some((text.trim().to_owned(), value.span().start)),
                other => {
                    self.error(
                        value.span().start,
                        format!("`{key}` must be text in quotes, not {}", type_name(other)),
                        Some(format!("write `{key} = \"…\"`")),
                    );
                    None
                }
            },
        }
    }

    /// A list of texts (`keywords`, `similar`); empty items are reported and dropped.
    fn strings(&mut self, table: &DeTable<'_>, key: &str) -> Vec<String> {
        self.string_items(table, key)
            .into_iter()
            .map(|(text, _)| text)
            .collect()
    }

    fn string_items(&mut self, table: &DeTable<'_>, key: &str) -> Vec<(String, usize)> {
        let Some((_, value)) = find(table, key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.error(
                value.span().start,
                format!("`{key}` must be a list, not {}", type_name(value.get_ref())),
                Some(format!("write `{key} = [\"first\", \"second\"]`")),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(text) if !text.trim().is_empty() => {
                    out.push((text.trim().to_owned(), item.span().start));
                }
                DeValue::String(_) => {
                    self.error(item.span().start, format!("empty item in `{key}`"), None)
                }
                other => self.error(
                    item.span().start,
                    format!(
                        "the items of `{key}` must be text in quotes, not {}",
                        type_name(other)
                    ),
                    None,
                ),
            }
        }
        out
    }

    fn integer(&mut self, table: &DeTable<'_>, key: &str) -> Option<i32> {
        let (_, value) = find(table, key)?;
        let parsed = match value.get_ref() {
            DeValue::Integer(integer) => {
                i64::from_str_radix(integer.as_str(), integer.radix()).ok()
            }
            _ => None,
        };
        match parsed.and_then(|number| i32::try_from(number).ok()) {
            Some(number) => Some(number),
            None => {
                self.error(
                    value.span().start,
                    format!("`{key}` must be a whole number such as `1`"),
                    Some(
                        "lower numbers come first in the common-problems list; leave it out to sort by title"
                            .to_owned(),
                    ),
                );
                None
            }
        }
    }

    /// `pages = ["/checkout*"]`, each pattern checked.
    fn pages(&mut self, table: &DeTable<'_>) -> Vec<String> {
        let mut out = Vec::new();
        for (pattern, at) in self.string_items(table, "pages") {
            match check_page_pattern(&pattern) {
                Ok(()) => out.push(pattern),
                Err(error) => self.error(
                    self.string_content_start(at),
                    format!("`{pattern}` is not a page pattern: {error}"),
                    Some("write the URL path of the page, with `*` for any run of characters: `/checkout*`, `/orders/*`".to_owned()),
                ),
            }
        }
        out
    }

    /// The `[node.<id>]` tables, in file order.
    fn nodes(&mut self, root: &DeTable<'_>) -> Vec<RawNode> {
        let Some((key, value)) = find(root, "node") else {
            self.error(
                0,
                "the flow has no nodes",
                Some("add the first one: `[node.start]` with `type = \"question\"`; see README.md, \"Guided flows\"".to_owned()),
            );
            return Vec::new();
        };
        let DeValue::Table(tables) = value.get_ref() else {
            self.error(
                key.span().start,
                "`node` must hold tables, one per node: `[node.start]`",
                None,
            );
            return Vec::new();
        };
        let mut entries: Vec<Entry<'_, '_>> = tables.iter().collect();
        entries.sort_by_key(|(key, _)| key.span().start);
        let mut nodes = Vec::new();
        for (key, value) in entries {
            let id = key.get_ref().as_ref().to_owned();
            let at = key.span().start;
            if id.trim().is_empty() || id.chars().count() > 64 || id.chars().any(char::is_control) {
                self.error(
                    at,
                    format!("`{id}` is not a usable node id"),
                    Some(
                        "use a short name of letters, digits and `-`, e.g. `[node.reset-password]`"
                            .to_owned(),
                    ),
                );
                continue;
            }
            let DeValue::Table(table) = value.get_ref() else {
                self.error(
                    at,
                    format!(
                        "node `{id}` must be a table, not {}",
                        type_name(value.get_ref())
                    ),
                    Some(format!(
                        "write it as `[node.{id}]` followed by its keys on their own lines"
                    )),
                );
                continue;
            };
            if let Some(kind) = self.node(&id, at, table) {
                nodes.push(RawNode { id, at, kind });
            }
        }
        nodes
    }

    fn node(&mut self, id: &str, at: usize, table: &DeTable<'_>) -> Option<RawKind> {
        let Some((node_type, type_at)) = self.string(table, "type", true, at) else {
            return Some(RawKind::Invalid);
        };
        let keys: &[&str] = match node_type.as_str() {
            "question" => &["type", "prompt", "answer"],
            "collect" => &["type", "prompt", "name", "pattern", "pattern_hint", "next"],
            "step" => &["type", "text", "image", "image_alt", "next"],
            "solution" => &["type", "text", "image", "image_alt", "unsolved"],
            "article" => &["type", "article", "next"],
            "escalate" | "end" => &["type", "text"],
            other => {
                let hint = match closest(other, NODE_TYPES, 3) {
                    Some(suggestion) => format!("did you mean `{suggestion}`?"),
                    None => format!("the types are: {}", NODE_TYPES.join(", ")),
                };
                self.error(type_at, format!("unknown node type `{other}`"), Some(hint));
                return Some(RawKind::Invalid);
            }
        };
        self.check_keys(table, keys, "key", Some(id));
        let kind = match node_type.as_str() {
            "question" => RawKind::Question {
                prompt: self
                    .string(table, "prompt", true, at)
                    .map(|p| p.0)
                    .unwrap_or_default(),
                answers: self.answers(id, at, table),
            },
            "collect" => {
                let prompt = self
                    .string(table, "prompt", true, at)
                    .map(|p| p.0)
                    .unwrap_or_default();
                let name = match self.string(table, "name", true, at) {
                    Some((name, name_at)) if !is_value_name(&name) => {
                        self.error(
                            name_at,
                            format!("`{name}` is not a usable value name"),
                            Some("the name is the field the value is filed under in the feedback form: use lowercase ASCII letters, digits and `_`, e.g. `order_number`".to_owned()),
                        );
                        name
                    }
                    Some((name, _)) => name,
                    None => String::new(),
                };
                let pattern = match self.string(table, "pattern", false, at) {
                    Some((source, pattern_at)) => match Pattern::parse(&source) {
                        Ok(pattern) => Some(pattern),
                        Err(error) => {
                            let offset = self.string_content_start(pattern_at) + error.at();
                            self.error(
                                offset,
                                format!("the pattern `{source}` cannot be used: {error}"),
                                Some("patterns use `#` for a digit, `@` for a letter, `?` for any character, `*` for anything, `{n}` or `{m,n}` to repeat, `|` for or; see README.md".to_owned()),
                            );
                            None
                        }
                    },
                    None => None,
                };
                let pattern_hint = self.string(table, "pattern_hint", false, at).map(|h| h.0);
                if pattern.is_some() && pattern_hint.is_none() {
                    self.warning(
                        at,
                        format!("collect node `{id}` has a `pattern` but no `pattern_hint`"),
                        "add `pattern_hint = \"…\"` saying what a valid value looks like; customers otherwise see a generic message",
                    );
                }
                RawKind::Collect {
                    prompt,
                    name,
                    pattern,
                    pattern_hint,
                    next: self.next(table, "next", id, at, "collect"),
                }
            }
            "step" => RawKind::Step {
                text: self.text_blocks(table, true, at),
                image: self.image(table, id),
                next: self.next(table, "next", id, at, "step"),
            },
            "solution" => {
                let text = self.text_blocks(table, true, at);
                let image = self.image(table, id);
                let unsolved = self.reference(table, "unsolved");
                if unsolved.is_none() && find(table, "unsolved").is_none() {
                    self.error(
                        at,
                        format!("solution `{id}` has no path for \"no\": every fix is followed by \"Did this solve it?\""),
                        Some("add `unsolved = \"<node>\"` naming the next fix to try, or an `escalate` node".to_owned()),
                    );
                }
                RawKind::Solution {
                    text,
                    image,
                    unsolved,
                }
            }
            "article" => {
                let article = match self.string(table, "article", true, at) {
                    Some((article, article_at)) => {
                        let (line, col) =
                            self.lines.line_col(self.string_content_start(article_at));
                        self.article_links.push(ArticleLinkRef {
                            id: article.clone(),
                            line,
                            col,
                        });
                        article
                    }
                    None => String::new(),
                };
                RawKind::Article {
                    article,
                    next: self.next(table, "next", id, at, "article"),
                }
            }
            "escalate" => RawKind::Escalate {
                text: self.text_blocks(table, false, at),
            },
            _ => RawKind::End {
                text: self.text_blocks(table, false, at),
            },
        };
        Some(kind)
    }

    /// The answers of a question: `[[node.<id>.answer]]` tables with `label`, `next`, `note`.
    fn answers(
        &mut self,
        id: &str,
        at: usize,
        table: &DeTable<'_>,
    ) -> Vec<(String, Option<String>, Option<NodeRef>)> {
        let Some((key, value)) = find(table, "answer") else {
            self.error(
                at,
                format!("question `{id}` has no answers"),
                Some(format!(
                    "add {} to {} answers, each as `[[node.{id}.answer]]` with `label` and `next`",
                    ANSWERS.start,
                    ANSWERS.end - 1
                )),
            );
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.error(
                key.span().start,
                "`answer` must be a list of tables",
                Some(format!("write each answer as `[[node.{id}.answer]]` followed by `label = \"…\"` and `next = \"…\"`")),
            );
            return Vec::new();
        };
        if !ANSWERS.contains(&items.len()) {
            self.error(
                at,
                format!(
                    "question `{id}` has {} answer{}; a question needs {} to {}",
                    items.len(),
                    if items.len() == 1 { "" } else { "s" },
                    ANSWERS.start,
                    ANSWERS.end - 1
                ),
                Some(if items.len() < ANSWERS.start {
                    "with one way to go, use a `step` instead of a question".to_owned()
                } else {
                    "split the question in two, or group similar answers".to_owned()
                }),
            );
        }
        let mut answers = Vec::new();
        let mut labels: BTreeMap<String, usize> = BTreeMap::new();
        for item in items.iter() {
            let DeValue::Table(answer) = item.get_ref() else {
                self.error(
                    item.span().start,
                    "each answer must be a table with `label` and `next`",
                    None,
                );
                continue;
            };
            let answer_at = item.span().start;
            self.check_keys(answer, &["label", "next", "note"], "answer key", Some(id));
            let label = self.string(answer, "label", true, answer_at);
            if let Some((label, label_at)) = &label {
                if let Some(first) = labels.get(label) {
                    let (first_line, _) = self.lines.line_col(*first);
                    self.error(
                        *label_at,
                        format!("question `{id}` has the answer \"{label}\" twice (also on line {first_line})"),
                        Some("customers cannot tell the two apart: reword one, or merge them".to_owned()),
                    );
                } else {
                    labels.insert(label.clone(), *label_at);
                }
            }
            let note = self.string(answer, "note", false, answer_at).map(|n| n.0);
            let next = self.next(answer, "next", id, answer_at, "answer");
            answers.push((label.map(|l| l.0).unwrap_or_default(), note, next));
        }
        answers
    }

    /// A reference to another node (`next`, `unsolved`), reporting its absence as a node with no
    /// way out.
    fn next(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        id: &str,
        at: usize,
        what: &str,
    ) -> Option<NodeRef> {
        if find(table, key).is_none() {
            self.error(
                at,
                format!("{what} in node `{id}` has no way out: `{key}` is missing"),
                Some(format!(
                    "add `{key} = \"<node>\"` naming the node that comes after it"
                )),
            );
            return None;
        }
        self.reference(table, key)
    }

    fn reference(&mut self, table: &DeTable<'_>, key: &str) -> Option<NodeRef> {
        find(table, key)?;
        self.string(table, key, false, 0)
            .map(|(id, at)| NodeRef { id, at })
    }

    /// `text = "…"` as Markdown blocks, its problems pointing into the file.
    fn text_blocks(&mut self, table: &DeTable<'_>, required: bool, at: usize) -> Vec<Block> {
        let Some((_, value)) = find(table, "text") else {
            if required {
                self.error(at, "`text` is missing", Some("add `text = \"\"\"` … `\"\"\"` with what the customer should do (Markdown)".to_owned()));
            }
            return Vec::new();
        };
        let DeValue::String(text) = value.get_ref() else {
            self.error(
                value.span().start,
                format!(
                    "`text` must be text in quotes, not {}",
                    type_name(value.get_ref())
                ),
                None,
            );
            return Vec::new();
        };
        let span = value.span();
        let raw = self.text.get(span.clone()).unwrap_or_default();
        let content_start = self.string_content_start(span.start);
        // Positions inside the text map exactly when the source holds the text verbatim (no
        // escapes); otherwise they point at the start of the string, as FAQ answers in JSON do.
        let verbatim = raw.contains(text.as_ref());
        let text_owned = text.to_string();
        let lines = &self.lines;
        let place = |line: u32, col: u32| -> (u32, u32) {
            if !verbatim {
                return lines.line_col(content_start);
            }
            let line_offset: usize = text_owned
                .split_inclusive('\n')
                .take(line.saturating_sub(1) as usize)
                .map(str::len)
                .sum();
            let col_offset: usize = text_owned[line_offset.min(text_owned.len())..]
                .chars()
                .take(col.saturating_sub(1) as usize)
                .map(char::len_utf8)
                .sum();
            lines.line_col(content_start + line_offset + col_offset)
        };
        let converted = markdown::convert_flow_text(&text_owned, &place);
        self.problems.extend(converted.problems);
        self.article_links.extend(converted.article_links);
        converted.blocks
    }

    /// `image` and `image_alt` of a step or fix.
    fn image(&mut self, table: &DeTable<'_>, id: &str) -> Option<Image> {
        let (src, src_at) = self.string(table, "image", false, 0)?;
        if !(src.starts_with("https://") || src.starts_with('/'))
            || src.contains(char::is_whitespace)
        {
            self.error(
                self.string_content_start(src_at),
                format!("`{src}` is not an image address the widget can show"),
                Some("use an https:// URL or a path on your site starting with `/`, e.g. `/help/img/reset.png`".to_owned()),
            );
        }
        let alt = match self.string(table, "image_alt", false, 0) {
            Some((alt, _)) => alt,
            None => {
                self.warning(
                    src_at,
                    format!("the image of node `{id}` has no `image_alt`"),
                    "add `image_alt = \"…\"` describing what it shows, for customers using a screen reader",
                );
                String::new()
            }
        };
        Some(Image { src, alt })
    }

    /// The offset of a string's first character, past its opening quotes (and the newline that
    /// TOML drops after `"""`).
    fn string_content_start(&self, at: usize) -> usize {
        let rest = self.text.get(at..).unwrap_or_default();
        for delimiter in ["\"\"\"", "'''"] {
            if let Some(after) = rest.strip_prefix(delimiter) {
                let newline = if after.starts_with("\r\n") {
                    2
                } else {
                    usize::from(after.starts_with('\n'))
                };
                return at + 3 + newline;
            }
        }
        if rest.starts_with(['"', '\'']) {
            at + 1
        } else {
            at
        }
    }

    /// Resolves references and checks the graph: dangling references, unreachable nodes and
    /// loops with no way out. Returns the compiled flow (meaningful only without errors).
    fn graph(
        &mut self,
        flow_id: &str,
        order: Option<i32>,
        start: Option<(String, usize)>,
        nodes: Vec<RawNode>,
    ) -> Option<Flow> {
        let index: BTreeMap<String, u32> = nodes
            .iter()
            .enumerate()
            .map(|(number, node)| (node.id.clone(), to_u32(number)))
            .collect();
        let ids: Vec<String> = nodes.iter().map(|node| node.id.clone()).collect();
        let mut dangling = Vec::new();
        let mut check = |reference: &NodeRef, what: &str| -> Option<u32> {
            let found = index.get(reference.id.as_str()).copied();
            if found.is_none() {
                dangling.push((reference.clone(), what.to_owned()));
            }
            found
        };
        let start_index = start.as_ref().and_then(|(id, at)| {
            check(
                &NodeRef {
                    id: id.clone(),
                    at: *at,
                },
                "`start`",
            )
        });
        let mut edges: Vec<Vec<u32>> = Vec::new();
        for node in &nodes {
            edges.push(
                node.kind
                    .refs()
                    .into_iter()
                    .filter_map(|reference| check(reference, &format!("node `{}`", node.id)))
                    .collect(),
            );
        }
        let any_dangling = !dangling.is_empty();
        for (reference, what) in dangling {
            let hint = match closest(&reference.id, ids.iter().map(String::as_str), 3) {
                Some(suggestion) => format!("did you mean `{suggestion}`?"),
                None if ids.is_empty() => "add the node as `[node.<id>]`".to_owned(),
                None => format!("the nodes are: {}", ids.join(", ")),
            };
            self.error(
                self.string_content_start(reference.at),
                format!(
                    "{what} leads to `{}`, which is not a node of this flow",
                    reference.id
                ),
                Some(hint),
            );
        }
        let start_index = start_index?;
        // With a reference broken or a node's type wrong, nodes they meant to lead to look
        // unreachable: fix those first.
        if any_dangling
            || nodes
                .iter()
                .any(|node| matches!(node.kind, RawKind::Invalid))
        {
            return None;
        }

        // Unreachable: not visited by a walk from `start`.
        let mut reached = vec![false; nodes.len()];
        let mut queue = VecDeque::from([start_index as usize]);
        reached[start_index as usize] = true;
        while let Some(at) = queue.pop_front() {
            for &next in &edges[at] {
                if !std::mem::replace(&mut reached[next as usize], true) {
                    queue.push_back(next as usize);
                }
            }
        }
        for (node, _) in nodes.iter().zip(&reached).filter(|(_, reached)| !**reached) {
            self.error(
                node.at,
                format!("node `{}` cannot be reached from `start`", node.id),
                Some("point an answer, `next` or `unsolved` at it, or delete it".to_owned()),
            );
        }

        // Loops with no way out: reachable nodes from which no fix, escalation or end can be
        // reached, though every reference resolved (a missing one is already reported).
        // A node with a missing or dangling reference counts as finishing: its problem is already
        // reported, and the nodes leading to it are not in a loop.
        let complete = |number: usize| {
            nodes[number].kind.refs().len() == edges[number].len() && !edges[number].is_empty()
        };
        let mut can_finish: Vec<bool> = (0..nodes.len())
            .map(|number| nodes[number].kind.may_finish() || !complete(number))
            .collect();
        loop {
            let mut changed = false;
            for number in 0..nodes.len() {
                if !can_finish[number]
                    && edges[number].iter().any(|&next| can_finish[next as usize])
                {
                    can_finish[number] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let stuck: Vec<usize> = (0..nodes.len())
            .filter(|&number| reached[number] && !can_finish[number])
            .collect();
        if let Some(&first) = stuck.first() {
            let names: Vec<String> = stuck
                .iter()
                .map(|&number| format!("`{}`", nodes[number].id))
                .collect();
            self.error(
                nodes[first].at,
                format!(
                    "these nodes go round in a loop with no way out: {}",
                    names.join(", ")
                ),
                Some("a customer caught here never reaches a fix, an escalation or an end: point one answer or `next` of the loop at a `solution`, `escalate` or `end` node".to_owned()),
            );
        }

        let compiled: Vec<Node> = nodes
            .into_iter()
            .map(|node| {
                let resolve = |reference: &Option<NodeRef>| {
                    reference
                        .as_ref()
                        .and_then(|reference| index.get(reference.id.as_str()).copied())
                        .unwrap_or(0)
                };
                let kind = match node.kind {
                    RawKind::Question { prompt, answers } => NodeKind::Question {
                        prompt,
                        answers: answers
                            .into_iter()
                            .map(|(label, note, next)| Answer {
                                label,
                                note,
                                next: resolve(&next),
                            })
                            .collect(),
                    },
                    RawKind::Collect {
                        prompt,
                        name,
                        pattern,
                        pattern_hint,
                        next,
                    } => NodeKind::Collect {
                        prompt,
                        name,
                        pattern,
                        pattern_hint,
                        next: resolve(&next),
                    },
                    RawKind::Step { text, image, next } => NodeKind::Step {
                        text,
                        image,
                        next: resolve(&next),
                    },
                    RawKind::Solution {
                        text,
                        image,
                        unsolved,
                    } => NodeKind::Solution {
                        text,
                        image,
                        unsolved: resolve(&unsolved),
                    },
                    RawKind::Article { article, next } => NodeKind::Article {
                        article,
                        next: resolve(&next),
                    },
                    RawKind::Escalate { text } => NodeKind::Escalate { text },
                    RawKind::End { text } => NodeKind::End { text },
                    // Never shipped: an invalid node is an error, and erroneous flows are dropped.
                    RawKind::Invalid => NodeKind::End { text: Vec::new() },
                };
                Node { id: node.id, kind }
            })
            .collect();
        Some(Flow {
            id: flow_id.to_owned(),
            start: start_index,
            order,
            nodes: compiled,
        })
    }
}

/// Whether `name` suits a collected value's name: `[a-z][a-z0-9_]*`.
fn is_value_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The ids of flows in each locale, for the missing-translation warning.
pub(crate) fn missing_locales<'a>(
    flows: impl Iterator<Item = (&'a str, &'a str)>,
    locales: &'a [String],
) -> Vec<(&'a str, Vec<&'a str>, Vec<&'a str>)> {
    let mut by_id: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (id, locale) in flows {
        by_id.entry(id).or_default().insert(locale);
    }
    by_id
        .into_iter()
        .filter_map(|(id, present)| {
            let missing: Vec<&str> = locales
                .iter()
                .map(String::as_str)
                .filter(|locale| !present.contains(locale))
                .collect();
            (!missing.is_empty()).then(|| (id, present.into_iter().collect(), missing))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    /// Renders the problems of a flow file, one per line, and whether a flow came out.
    fn check(text: &str, expected: Expect) {
        let parsed = parse(text, "test");
        let mut out: Vec<String> = parsed.problems.iter().map(ToString::to_string).collect();
        out.push(format!("compiled: {}", parsed.flow.is_some()));
        expected.assert_eq(&out.join("\n"));
    }

    const VALID: &str = r#"title = "无法登录"
keywords = ["登录", "密码"]
start = "start"
order = 2
pages = ["/login*"]

[node.start]
type = "question"
prompt = "登录时遇到了什么情况？"
[[node.start.answer]]
label = "忘记密码"
next = "reset"
[[node.start.answer]]
label = "收不到验证码"
note = "先核对手机号"
next = "phone"

[node.reset]
type = "solution"
text = """
在登录页点击**忘记密码**。
"""
unsolved = "phone"

[node.phone]
type = "collect"
prompt = "注册用的手机号？"
name = "phone"
pattern = "1##########"
pattern_hint = "11 位手机号"
next = "read"

[node.read]
type = "article"
article = "cannot-log-in"
next = "human"

[node.human]
type = "escalate"
text = "我们会联系你。"
"#;

    #[test]
    fn a_valid_flow_compiles() {
        let parsed = parse(VALID, "log-in");
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let Some(flow) = parsed.flow else {
            panic!("the valid flow did not compile")
        };
        let ids: Vec<&str> = flow.nodes.iter().map(|node| node.id.as_str()).collect();
        assert_eq!(
            ids,
            ["start", "reset", "phone", "read", "human"],
            "file order"
        );
        assert_eq!(flow.start, 0);
        assert_eq!(flow.order, Some(2));
        assert_eq!(parsed.pages, ["/login*"]);
        assert_eq!(parsed.keywords, ["登录", "密码"]);
        assert_eq!(parsed.article_links[0].id, "cannot-log-in");
        assert_eq!(
            (parsed.article_links[0].line, parsed.article_links[0].col),
            (35, 12)
        );
        expect![[r#"
            Question { prompt: "登录时遇到了什么情况？", answers: [Answer { label: "忘记密码", note: None, next: 1 }, Answer { label: "收不到验证码", note: Some("先核对手机号"), next: 2 }] }
            Solution { text: [Paragraph([Text("在登录页点击"), Strong([Text("忘记密码")]), Text("。")])], image: None, unsolved: 2 }"#]]
        .assert_eq(
            &flow.nodes[..2]
                .iter()
                .map(|node| format!("{:?}", node.kind))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }

    #[test]
    fn dangling_references_name_the_closest_node() {
        check(
            &VALID
                .replace("next = \"read\"", "next = \"raed\"")
                .replace("start = \"start\"", "start = \"begin\""),
            expect![[r#"
                3:10: error: `start` leads to `begin`, which is not a node of this flow
                  hint: the nodes are: start, reset, phone, read, human
                31:9: error: node `phone` leads to `raed`, which is not a node of this flow
                  hint: did you mean `read`?
                compiled: false"#]],
        );
    }

    #[test]
    fn duplicate_node_ids() {
        check(
            &format!("{VALID}\n[node.reset]\ntype = \"end\"\n"),
            expect![[r#"
                42:7: error: duplicate node id `reset`: another `[node.reset]` is above
                  hint: node ids must be unique within a flow: rename one of the two nodes (and the `next`s that mean it)
                compiled: false"#]],
        );
    }

    #[test]
    fn unreachable_nodes() {
        check(
            &format!("{VALID}\n[node.orphan]\ntype = \"end\"\n"),
            expect![[r#"
                42:7: error: node `orphan` cannot be reached from `start`
                  hint: point an answer, `next` or `unsolved` at it, or delete it
                compiled: false"#]],
        );
    }

    #[test]
    fn nodes_with_no_way_out() {
        check(
            &VALID.replace("next = \"human\"\n", ""),
            expect![[r#"
                33:7: error: article in node `read` has no way out: `next` is missing
                  hint: add `next = "<node>"` naming the node that comes after it
                37:7: error: node `human` cannot be reached from `start`
                  hint: point an answer, `next` or `unsolved` at it, or delete it
                compiled: false"#]],
        );
    }

    #[test]
    fn loops_with_no_exit() {
        check(
            &VALID.replace("next = \"human\"", "next = \"phone\""),
            expect![[r#"
                38:7: error: node `human` cannot be reached from `start`
                  hint: point an answer, `next` or `unsolved` at it, or delete it
                25:7: error: these nodes go round in a loop with no way out: `phone`, `read`
                  hint: a customer caught here never reaches a fix, an escalation or an end: point one answer or `next` of the loop at a `solution`, `escalate` or `end` node
                compiled: false"#]],
        );
    }

    #[test]
    fn a_solution_needs_a_path_for_no() {
        check(
            &VALID.replace("unsolved = \"phone\"\n", ""),
            expect![[r#"
                18:7: error: solution `reset` has no path for "no": every fix is followed by "Did this solve it?"
                  hint: add `unsolved = "<node>"` naming the next fix to try, or an `escalate` node
                compiled: false"#]],
        );
    }

    #[test]
    fn node_types_keys_and_answers_are_checked() {
        check(
            r#"title = "t"
keywords = ["k"]
start = "a"
titel = "x"

[node.a]
type = "questoin"

[node.b]
type = "question"
prompt = "?"
[[node.b.answer]]
label = "only"
next = "c"

[node.c]
type = "step"
txt = "do it"
next = "b"
"#,
            expect![[r#"
                4:1: error: unknown top-level key `titel`
                  hint: did you mean `title`?
                7:8: error: unknown node type `questoin`
                  hint: did you mean `question`?
                9:7: error: question `b` has 1 answer; a question needs 2 to 6
                  hint: with one way to go, use a `step` instead of a question
                18:1: error: unknown key `txt` in node `c`
                  hint: did you mean `text`?
                16:7: error: `text` is missing
                  hint: add `text = """` … `"""` with what the customer should do (Markdown)
                compiled: false"#]],
        );
    }

    #[test]
    fn bad_patterns_images_and_pages_point_at_the_mistake() {
        check(
            &VALID
                .replace("1##########", "1#{10")
                .replace("pages = [\"/login*\"]", "pages = [\"login\"]")
                .replace(
                    "type = \"solution\"",
                    "type = \"solution\"\nimage = \"http://x/a.png\"",
                ),
            expect![[r#"
                5:11: error: `login` is not a page pattern: a page pattern is a URL path starting with `/`, such as `/checkout*` (no scheme or host)
                  hint: write the URL path of the page, with `*` for any run of characters: `/checkout*`, `/orders/*`
                20:10: error: `http://x/a.png` is not an image address the widget can show
                  hint: use an https:// URL or a path on your site starting with `/`, e.g. `/help/img/reset.png`
                20:9: warning: the image of node `reset` has no `image_alt`
                  hint: add `image_alt = "…"` describing what it shows, for customers using a screen reader
                30:14: error: the pattern `1#{10` cannot be used: `{` opens a repeat count that is never closed; write `#{11}` or `#{6,20}`, or `\{` for a plain brace
                  hint: patterns use `#` for a digit, `@` for a letter, `?` for any character, `*` for anything, `{n}` or `{m,n}` to repeat, `|` for or; see README.md
                compiled: false"#]],
        );
    }

    #[test]
    fn syntax_errors_are_reported_with_their_position() {
        check(
            "title = 无法登录\nstart = \"a\"\n",
            expect![[r#"
                1:9: error: this is not valid TOML: string values must be quoted, expected literal string
                  hint: text values need quotes: `title = "无法登录"`; use `"""` … `"""` for text over several lines
                1:1: warning: the flow has no `keywords`
                  hint: add the words customers use for this problem, e.g. `keywords = ["登录", "密码"]`: they help search find the flow
                1:1: error: the flow has no nodes
                  hint: add the first one: `[node.start]` with `type = "question"`; see README.md, "Guided flows"
                2:10: error: `start` leads to `a`, which is not a node of this flow
                  hint: add the node as `[node.<id>]`
                compiled: false"#]],
        );
    }

    /// Flow files built from fragments of real ones, so random cases reach the graph checks
    /// instead of failing at the first line.
    fn flow_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let fragment = prop_oneof![
            Just("title = \"t\"\n".to_owned()),
            Just("start = \"a\"\n".to_owned()),
            Just("keywords = [\"k\", 1]\n".to_owned()),
            Just("pages = [\"/x*\", \"y\"]\n".to_owned()),
            Just("order = 99999999999\n".to_owned()),
            Just("[node.a]\ntype = \"question\"\nprompt = \"?\"\n".to_owned()),
            Just("[[node.a.answer]]\nlabel = \"x\"\nnext = \"b\"\n".to_owned()),
            Just("[node.b]\ntype = \"solution\"\ntext = \"\"\"\n**fix** [l](article:z)\n\"\"\"\nunsolved = \"a\"\n".to_owned()),
            Just("[node.c]\ntype = \"collect\"\nprompt = \"p\"\nname = \"v\"\npattern = \"#{2,\"\nnext = \"d\"\n".to_owned()),
            Just("[node.d]\ntype = \"escalate\"\n".to_owned()),
            Just("[node.e]\ntype = \"step\"\ntext = \"<b>x</b>\"\nimage = \"x\"\nnext = \"e\"\n".to_owned()),
            Just("[node.a]\n".to_owned()),
            Just("type = \"end\"\n".to_owned()),
            "\\PC{0,10}\n?",
        ];
        proptest::collection::vec(fragment, 0..14).prop_map(|fragments| fragments.concat())
    }

    proptest::proptest! {
        /// Any text never panics the flow reader, every problem points inside the file, and a
        /// flow comes out only when there is no error.
        #[test]
        fn flow_files_never_panic_and_point_inside_the_file(text in flow_text()) {
            let parsed = parse(&text, "t");
            let n_lines = to_u32(text.lines().count() + 1);
            for problem in &parsed.problems {
                proptest::prop_assert!(problem.line >= 1 && problem.line <= n_lines, "{problem:?} in {text:?}");
                proptest::prop_assert!(problem.col >= 1);
            }
            let has_errors = parsed.problems.iter().any(|p| p.severity == Severity::Error);
            proptest::prop_assert!(!(has_errors && parsed.flow.is_some()));
            if let Some(flow) = parsed.flow {
                // A compiled flow's references are all in range.
                for node in &flow.nodes {
                    for next in kefu_core::flow::successors(&node.kind) {
                        proptest::prop_assert!((next as usize) < flow.nodes.len());
                    }
                }
            }
        }
    }

    #[test]
    fn flows_missing_in_a_locale() {
        let locales = vec!["zh-CN".to_owned(), "en".to_owned()];
        let flows = [("a", "zh-CN"), ("a", "en"), ("b", "zh-CN")];
        assert_eq!(
            missing_locales(flows.into_iter(), &locales),
            vec![("b", vec!["zh-CN"], vec!["en"])]
        );
    }
}

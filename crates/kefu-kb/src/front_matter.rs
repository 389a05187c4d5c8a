//! Front matter: the `---` block of `key: value` lines at the top of every article.
//!
//! This is a deliberately small subset of YAML, parsed by hand so every mistake gets a precise
//! line and column and a message an editor can act on (a YAML library would accept `title: no`
//! as a boolean, or report errors in its own terms):
//!
//! ```text
//! ---
//! title: When will I get my refund?     # plain text to the end of the line
//! category: "payment"                   # matching quotes are stripped
//! tags: [refunds, refund time]          # an inline list…
//! similar:                              # …or one `- item` per line
//!   - when do I get my money back
//! pages: [/refunds*, /orders/*]          # host pages the article helps on (`*`: anything)
//! ---
//! ```
//!
//! Blank lines and lines starting with `#` are skipped. A `#` after a value is part of the value,
//! because titles may contain one.

use crate::diagnostic::{Problem, closest, to_u32};

/// The category of an article whose front matter names none.
pub const DEFAULT_CATEGORY: &str = "general";

/// Every key an article may set. `similar_questions` is an alias of `similar`.
const KNOWN_KEYS: [&str; 8] = [
    "title",
    "category",
    "tags",
    "similar",
    "similar_questions",
    "id",
    "locale",
    "pages",
];

/// What an article's front matter says, with defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(crate) struct FrontMatter {
    /// Empty only when the front matter has an error about it.
    pub title: String,
    pub category: String,
    pub tags: Vec<String>,
    pub similar: Vec<String>,
    /// An `id:` overriding the file stem, with where it was written.
    pub id: Option<Located>,
    /// A `locale:` that must match the article's directory, with where it was written.
    pub locale: Option<Located>,
    /// URL path patterns of the host pages the article helps on (`/checkout*`), checked.
    pub pages: Vec<String>,
}

/// A value with the position of its first character.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Located {
    pub value: String,
    pub line: u32,
    pub col: u32,
}

/// The result of reading an article's front matter.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub front_matter: FrontMatter,
    /// Byte offset where the Markdown body starts; `None` when the front matter is not delimited,
    /// so where the body starts is anyone's guess and it is not parsed.
    pub body_start: Option<usize>,
    pub problems: Vec<Problem>,
}

/// One line of the file: its 1-based number, its text without the line ending, and the byte
/// offset just past its line ending.
struct Line<'a> {
    number: u32,
    text: &'a str,
    end: usize,
}

fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    let mut start = 0;
    let mut number = 0;
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        let rest = &text[start..];
        let len = rest.find('\n').map_or(rest.len(), |newline| newline + 1);
        let raw = &rest[..len];
        start += len;
        number += 1;
        let text = raw.strip_suffix('\n').unwrap_or(raw);
        let text = text.strip_suffix('\r').unwrap_or(text);
        Some(Line {
            number,
            text,
            end: start,
        })
    })
}

fn is_delimiter(line: &str) -> bool {
    line.trim_end() == "---"
}

/// How an article file should start; shown when it does not.
const EXAMPLE: &str = "start the file with front matter, e.g.\n    ---\n    title: How do I get a refund?\n    category: payment\n    ---";

/// Reads the front matter at the start of `text` (a whole article file).
pub(crate) fn parse(text: &str) -> Parsed {
    let mut parsed = Parsed {
        front_matter: FrontMatter::default(),
        body_start: None,
        problems: Vec::new(),
    };
    // Editors on Windows like to start UTF-8 files with a byte-order mark; it is not content.
    let text_without_bom = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom_len = text.len() - text_without_bom.len();
    let mut all_lines = lines(text_without_bom);

    if !all_lines
        .next()
        .is_some_and(|first| is_delimiter(first.text))
    {
        parsed.problems.push(
            Problem::error(
                1,
                1,
                "the file must start with front matter: a line `---` is missing on line 1",
            )
            .with_hint(EXAMPLE),
        );
        return parsed;
    }
    let body_lines: Vec<Line<'_>> = all_lines.collect();
    let Some(closing_idx) = body_lines.iter().position(|line| is_delimiter(line.text)) else {
        // Point where the closing line most likely belongs: before the first line that cannot be
        // front matter, which is where the article text starts.
        let expected = body_lines
            .iter()
            .find(|line| !looks_like_front_matter(line.text));
        let problem = match expected {
            Some(line) => Problem::error(
                line.number,
                1,
                "the front matter opened on line 1 is not closed: a line `---` is missing before this line",
            )
            .with_hint("add a line `---` between the last front-matter key and the article text"),
            None => {
                let last_line = body_lines.last().map_or(1, |line| line.number);
                Problem::error(
                    last_line,
                    1,
                    "the front matter opened on line 1 is not closed: the file ends without a line `---`",
                )
                .with_hint("add a line `---` after the last front-matter key, then the article text")
            }
        };
        parsed.problems.push(problem);
        return parsed;
    };
    parsed.body_start = Some(bom_len + body_lines[closing_idx].end);
    let mut reader = Reader::default();
    for line in &body_lines[..closing_idx] {
        reader.line(line, &mut parsed.problems);
    }
    reader.finish(&mut parsed.problems);
    parsed.front_matter = reader.front_matter;
    if parsed.front_matter.category.is_empty() {
        parsed.front_matter.category = DEFAULT_CATEGORY.to_owned();
    }
    if !reader.seen.iter().any(|(key, _)| key == "title") {
        parsed.problems.push(
            Problem::error(1, 1, "the front matter has no `title`").with_hint(
                "add a line such as `title: How do I get a refund?` between the `---` lines",
            ),
        );
    }
    parsed
}

/// Whether a line could belong to front matter; used only to guess where an unclosed block ends.
fn looks_like_front_matter(line: &str) -> bool {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("- ") || trimmed == "-"
    {
        return true;
    }
    line.split_once(':').is_some_and(|(key, _)| is_key(key))
}

fn is_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Whether a key holds a list rather than one line of text.
fn is_list_key(key: &str) -> bool {
    matches!(key, "tags" | "similar" | "pages")
}

/// Strips one pair of matching single or double quotes around a value.
fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2
            && let Some(inner) = value
                .strip_prefix(quote)
                .and_then(|rest| rest.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

/// 1-based character column of byte `offset` in `line`.
fn col_of(line: &str, offset: usize) -> u32 {
    to_u32(
        line.get(..offset)
            .map_or(0, |prefix| prefix.chars().count())
            + 1,
    )
}

/// The state of reading front-matter lines one by one.
#[derive(Default)]
struct Reader {
    front_matter: FrontMatter,
    /// Canonical keys already set, with the line that set them.
    seen: Vec<(String, u32)>,
    /// The key of the last `key:` line with no value, which list items belong to.
    open_key: Option<(String, u32)>,
    /// Whether the open key received items.
    open_key_items: usize,
}

impl Reader {
    fn line(&mut self, line: &Line<'_>, problems: &mut Vec<Problem>) {
        let trimmed = line.text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return;
        }
        let indent = line.text.len() - line.text.trim_start().len();
        if let Some(item) = trimmed
            .strip_prefix('-')
            .filter(|rest| rest.is_empty() || rest.starts_with(' '))
        {
            let item_offset = line.text.len()
                - line
                    .text
                    .trim_start_matches(|c: char| c == '-' || c.is_whitespace())
                    .len();
            self.item(
                line,
                unquote(item.trim()),
                col_of(line.text, item_offset),
                problems,
            );
            return;
        }
        self.finish(problems);
        if indent > 0 {
            problems.push(
                Problem::error(line.number, col_of(line.text, indent), "unexpected indentation in front matter")
                    .with_hint("only list items (`  - item`) are indented; keys start at the beginning of the line"),
            );
            return;
        }
        let Some((raw_key, raw_value)) = line.text.split_once(':') else {
            let mut problem =
                Problem::error(line.number, 1, "expected `key: value` in front matter");
            if line.text.contains('：') {
                problem = problem
                    .with_hint("use an ASCII colon `:` after the key, not a full-width `：`");
            } else {
                problem = problem.with_hint("front matter lines are `key: value`, `key:` followed by `  - item` lines, or `# comments`");
            }
            problems.push(problem);
            return;
        };
        let key = raw_key.trim_end();
        if !is_key(key) {
            problems.push(Problem::error(
                line.number,
                1,
                format!("`{key}` is not a valid front-matter key"),
            ));
            return;
        }
        if !KNOWN_KEYS.contains(&key) {
            let mut problem =
                Problem::error(line.number, 1, format!("unknown front-matter key `{key}`"));
            problem = match closest(key, KNOWN_KEYS, 2) {
                Some(suggestion) => problem.with_hint(format!("did you mean `{suggestion}`?")),
                None => problem.with_hint(format!("the keys are: {}", KNOWN_KEYS.join(", "))),
            };
            problems.push(problem);
            return;
        }
        let canonical = if key == "similar_questions" {
            "similar"
        } else {
            key
        };
        if let Some((_, first_line)) = self.seen.iter().find(|(seen, _)| seen == canonical) {
            let also = if canonical == key {
                String::new()
            } else {
                format!(" (as `{canonical}`)")
            };
            problems.push(
                Problem::error(
                    line.number,
                    1,
                    format!("`{key}`{also} is already set on line {first_line}"),
                )
                .with_hint("each key may appear once; merge the two"),
            );
            return;
        }
        self.seen.push((canonical.to_owned(), line.number));

        let value_offset = raw_key.len() + 1 + (raw_value.len() - raw_value.trim_start().len());
        let value_col = col_of(line.text, value_offset);
        let value = raw_value.trim();
        if value.is_empty() {
            self.open_key = Some((canonical.to_owned(), line.number));
            self.open_key_items = 0;
        } else if let Some(inline) = value.strip_prefix('[') {
            let Some(inline) = inline.strip_suffix(']') else {
                problems.push(
                    Problem::error(
                        line.number,
                        value_col,
                        format!("the list of `{key}` is missing its closing `]`"),
                    )
                    .with_hint(format!("write `{key}: [first, second]`")),
                );
                return;
            };
            if !is_list_key(canonical) {
                problems.push(scalar_given_list(key, line.number, value_col));
                return;
            }
            let items = inline
                .split(',')
                .map(|item| unquote(item.trim()))
                .filter(|item| !item.is_empty());
            for item in items {
                self.push_item(canonical, item, line.number, value_col, problems);
            }
        } else if is_list_key(canonical) {
            problems.push(
                Problem::error(line.number, value_col, format!("`{key}` is a list")).with_hint(
                    format!(
                        "write `{key}: [{value}]`, or `{key}:` followed by one `  - item` line each"
                    ),
                ),
            );
        } else {
            self.set_scalar(canonical, unquote(value), line.number, value_col, problems);
        }
    }

    fn item(&mut self, line: &Line<'_>, item: &str, col: u32, problems: &mut Vec<Problem>) {
        let Some((key, _)) = self.open_key.clone() else {
            problems.push(
                Problem::error(
                    line.number,
                    col,
                    "a list item must follow a line `key:` with no value",
                )
                .with_hint("write the key on its own line first, e.g. `tags:`"),
            );
            return;
        };
        self.open_key_items += 1;
        if !is_list_key(&key) {
            if self.open_key_items == 1 {
                problems.push(scalar_given_list(&key, line.number, col));
            }
            return;
        }
        if item.is_empty() {
            problems.push(Problem::error(
                line.number,
                col,
                format!("empty item in `{key}`"),
            ));
            return;
        }
        self.push_item(&key, item, line.number, col, problems);
    }

    /// Closes a `key:` line whose list has ended: a scalar key left empty is an error.
    fn finish(&mut self, problems: &mut Vec<Problem>) {
        if let Some((key, line)) = self.open_key.take()
            && !is_list_key(&key)
            && self.open_key_items == 0
        {
            self.set_scalar(&key, "", line, to_u32(key.chars().count() + 2), problems);
        }
    }

    /// Adds an item to the list `key`; a page pattern is checked first, at `line:col`.
    fn push_item(
        &mut self,
        key: &str,
        item: &str,
        line: u32,
        col: u32,
        problems: &mut Vec<Problem>,
    ) {
        let list = match key {
            "tags" => &mut self.front_matter.tags,
            "pages" => {
                if let Err(error) = kefu_core::kb::check_page_pattern(item) {
                    problems.push(
                        Problem::error(line, col, format!("`{item}` is not a page pattern: {error}"))
                            .with_hint("write the URL path of the page, with `*` for any run of characters: `/checkout*`, `/orders/*`"),
                    );
                    return;
                }
                &mut self.front_matter.pages
            }
            _ => &mut self.front_matter.similar,
        };
        list.push(item.to_owned());
    }

    fn set_scalar(
        &mut self,
        key: &str,
        value: &str,
        line: u32,
        col: u32,
        problems: &mut Vec<Problem>,
    ) {
        if value.is_empty() {
            let mut problem = Problem::error(line, col, format!("`{key}` is empty"));
            if key == "category" {
                problem = problem.with_hint(format!(
                    "remove the line to use the default category `{DEFAULT_CATEGORY}`"
                ));
            }
            problems.push(problem);
            return;
        }
        let located = Some(Located {
            value: value.to_owned(),
            line,
            col,
        });
        match key {
            "title" => self.front_matter.title = value.to_owned(),
            "category" => self.front_matter.category = value.to_owned(),
            "id" => self.front_matter.id = located,
            _ => self.front_matter.locale = located,
        }
    }
}

fn scalar_given_list(key: &str, line: u32, col: u32) -> Problem {
    Problem::error(
        line,
        col,
        format!("`{key}` takes one line of text, not a list"),
    )
    .with_hint(format!("write `{key}: …` on one line"))
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    /// Renders what the parser made of `text`: the fields, where the body starts, the problems.
    fn check(text: &str, expected: Expect) {
        let parsed = parse(text);
        let fm = &parsed.front_matter;
        let mut out = format!("title: {:?}\ncategory: {:?}\n", fm.title, fm.category);
        if !fm.tags.is_empty() || !fm.similar.is_empty() {
            out.push_str(&format!("tags: {:?}\nsimilar: {:?}\n", fm.tags, fm.similar));
        }
        for (name, located) in [("id", &fm.id), ("locale", &fm.locale)] {
            if let Some(located) = located {
                out.push_str(&format!(
                    "{name}: {:?} at {}:{}\n",
                    located.value, located.line, located.col
                ));
            }
        }
        if !fm.pages.is_empty() {
            out.push_str(&format!("pages: {:?}\n", fm.pages));
        }
        let body = parsed.body_start.map(|start| &text[start..]);
        out.push_str(&format!("body: {body:?}\n"));
        for problem in &parsed.problems {
            out.push_str(&format!("{problem}\n"));
        }
        expected.assert_eq(&out);
    }

    #[test]
    fn page_patterns_are_checked_where_written() {
        check(
            "---\ntitle: Pay\npages: [/checkout*, checkout]\npages2: x\n---\n",
            expect![[r#"
                title: "Pay"
                category: "general"
                pages: ["/checkout*"]
                body: Some("")
                3:8: error: `checkout` is not a page pattern: a page pattern is a URL path starting with `/`, such as `/checkout*` (no scheme or host)
                  hint: write the URL path of the page, with `*` for any run of characters: `/checkout*`, `/orders/*`
                4:1: error: unknown front-matter key `pages2`
                  hint: did you mean `pages`?
            "#]],
        );
        check(
            "---\ntitle: Pay\npages:\n  - /orders/*\n  - /a b\n---\n",
            expect![[r#"
                title: "Pay"
                category: "general"
                pages: ["/orders/*"]
                body: Some("")
                5:5: error: `/a b` is not a page pattern: ` ` cannot appear in a page pattern: it matches the path only, without query string, fragment or spaces
                  hint: write the URL path of the page, with `*` for any run of characters: `/checkout*`, `/orders/*`
            "#]],
        );
    }

    #[test]
    fn every_key() {
        check(
            "---\n# a comment\ntitle:  When will I get my refund?  \ncategory: \"payment\"\n\ntags: [refunds, 'refund time', ]\nsimilar_questions:\n  - money back\n  -   \"where is: my refund\"\nid: refunds\nlocale: en\n---\nBody text.\n",
            expect![[r#"
                title: "When will I get my refund?"
                category: "payment"
                tags: ["refunds", "refund time"]
                similar: ["money back", "where is: my refund"]
                id: "refunds" at 10:5
                locale: "en" at 11:9
                body: Some("Body text.\n")
            "#]],
        );
    }

    #[test]
    fn defaults_crlf_and_bom() {
        check(
            "\u{feff}---\r\ntitle: 退款多久到账？\r\ntags:\r\n---\r\n正文\r\n",
            expect![[r#"
            title: "退款多久到账？"
            category: "general"
            body: Some("正文\r\n")
        "#]],
        );
    }

    #[test]
    fn item_at_column_zero_and_empty_body() {
        check(
            "---\ntitle: T\nsimilar:\n- one\n- two\n---",
            expect![[r#"
            title: "T"
            category: "general"
            tags: []
            similar: ["one", "two"]
            body: Some("")
        "#]],
        );
    }

    #[test]
    fn missing_opening() {
        check(
            "title: T\n---\nBody\n",
            expect![[r#"
            title: ""
            category: ""
            body: None
            1:1: error: the file must start with front matter: a line `---` is missing on line 1
              hint: start the file with front matter, e.g.
                ---
                title: How do I get a refund?
                category: payment
                ---
        "#]],
        );
    }

    #[test]
    fn unclosed_before_body() {
        check(
            "---\ntitle: T\ntags:\n  - a\n\nRefunds take three days.\n",
            expect![[r#"
            title: ""
            category: ""
            body: None
            6:1: error: the front matter opened on line 1 is not closed: a line `---` is missing before this line
              hint: add a line `---` between the last front-matter key and the article text
        "#]],
        );
    }

    #[test]
    fn unclosed_at_end_of_file() {
        check(
            "---\ntitle: T\n",
            expect![[r#"
            title: ""
            category: ""
            body: None
            2:1: error: the front matter opened on line 1 is not closed: the file ends without a line `---`
              hint: add a line `---` after the last front-matter key, then the article text
        "#]],
        );
    }

    #[test]
    fn missing_and_empty_title() {
        check(
            "---\ncategory: payment\n---\n",
            expect![[r#"
            title: ""
            category: "payment"
            body: Some("")
            1:1: error: the front matter has no `title`
              hint: add a line such as `title: How do I get a refund?` between the `---` lines
        "#]],
        );
        check(
            "---\ntitle:\ncategory:   \n---\n",
            expect![[r#"
            title: ""
            category: "general"
            body: Some("")
            2:7: error: `title` is empty
            3:10: error: `category` is empty
              hint: remove the line to use the default category `general`
        "#]],
        );
    }

    #[test]
    fn unknown_and_duplicate_keys() {
        check(
            "---\ntitle: T\ncatgory: x\ncolour: red\ntitle: again\nsimilar: [a]\nsimilar_questions: [b]\n---\n",
            expect![[r#"
                title: "T"
                category: "general"
                tags: []
                similar: ["a"]
                body: Some("")
                3:1: error: unknown front-matter key `catgory`
                  hint: did you mean `category`?
                4:1: error: unknown front-matter key `colour`
                  hint: the keys are: title, category, tags, similar, similar_questions, id, locale, pages
                5:1: error: `title` is already set on line 2
                  hint: each key may appear once; merge the two
                7:1: error: `similar_questions` (as `similar`) is already set on line 6
                  hint: each key may appear once; merge the two
            "#]],
        );
    }

    #[test]
    fn shape_errors() {
        check(
            "---\ntitle：退款\ntitle: [a, b]\ntags: refunds, returns\nsimilar: [a, b\n  - stray\n  id: x\ncategory:\n  - a\n  - b\nlocale:\n---\n",
            expect![[r#"
                title: ""
                category: "general"
                body: Some("")
                2:1: error: expected `key: value` in front matter
                  hint: use an ASCII colon `:` after the key, not a full-width `：`
                3:8: error: `title` takes one line of text, not a list
                  hint: write `title: …` on one line
                4:7: error: `tags` is a list
                  hint: write `tags: [refunds, returns]`, or `tags:` followed by one `  - item` line each
                5:10: error: the list of `similar` is missing its closing `]`
                  hint: write `similar: [first, second]`
                6:5: error: a list item must follow a line `key:` with no value
                  hint: write the key on its own line first, e.g. `tags:`
                7:3: error: unexpected indentation in front matter
                  hint: only list items (`  - item`) are indented; keys start at the beginning of the line
                9:5: error: `category` takes one line of text, not a list
                  hint: write `category: …` on one line
                11:8: error: `locale` is empty
            "#]],
        );
    }
}

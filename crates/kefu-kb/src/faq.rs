//! FAQ tables: question/answer pairs exported from another helpdesk, as JSON Lines
//! (`*.faq.jsonl`) or CSV (`*.faq.csv`).
//!
//! This module reads the text of one file into entries that know where each value is written,
//! and reports what is wrong inside that file. What needs the whole KB (the locale an entry
//! belongs to, converting answers, duplicate ids, links) is left to the compiler, which treats
//! every entry the way it treats an article file.

use std::fmt;
use std::path::Path;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::csv;
use crate::diagnostic::{Problem, closest, to_u32};
use crate::front_matter::{DEFAULT_CATEGORY, Located};

/// Every key of a JSON entry and column of a CSV header, in the order the documentation lists
/// them.
pub(crate) const FIELDS: [&str; 6] = ["id", "question", "similar", "answer", "category", "locale"];

/// The fields an entry cannot do without.
const REQUIRED: [&str; 3] = ["id", "question", "answer"];

/// Names other helpdesks use for Kefu's fields, so an export's keys get a useful suggestion even
/// when they are not near misses.
const SYNONYMS: [(&str, &str); 10] = [
    ("title", "question"),
    ("q", "question"),
    ("a", "answer"),
    ("content", "answer"),
    ("body", "answer"),
    ("text", "answer"),
    ("similar_questions", "similar"),
    ("aliases", "similar"),
    ("lang", "locale"),
    ("language", "locale"),
];

/// The separator of similar questions inside one CSV field.
const SIMILAR_SEPARATOR: char = '|';

/// How an FAQ file is written, decided by the end of its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// `*.faq.jsonl`: one JSON object a line.
    Jsonl,
    /// `*.faq.csv`: a header line naming the columns, then one record per entry.
    Csv,
}

impl Format {
    /// The format of the file at `path`, or `None` when it is not an FAQ table.
    pub fn of(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?;
        if name.ends_with(".faq.jsonl") {
            Some(Format::Jsonl)
        } else if name.ends_with(".faq.csv") {
            Some(Format::Csv)
        } else {
            None
        }
    }
}

/// One question/answer pair, with what was wrong already reported. A field is `None` when it
/// is missing or invalid, so the entry can still take part in the KB-wide checks (a valid id is
/// still a link target and still collides with duplicates) without becoming a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The line the record starts on.
    pub line: u32,
    pub id: Option<Located>,
    pub question: Option<String>,
    pub similar: Vec<String>,
    pub answer: Option<Answer>,
    pub category: String,
    /// The locale the entry names, if any; the compiler checks it against the KB's locales.
    pub locale: Option<Located>,
}

/// The Markdown of an answer and where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Answer {
    pub text: String,
    /// Where the answer's first character is (or, when `exact` is false, its JSON string).
    line: u32,
    col: u32,
    /// Whether the text is exactly what the file holds from `line:col` on, so positions inside it
    /// can be mapped character by character. A JSON string with escapes is not: `\n` is two
    /// characters in the file and one in the text.
    exact: bool,
}

impl Answer {
    /// Maps a 1-based (line, column) inside the answer to the file. Exact for CSV answers (a
    /// doubled `""` earlier on the same line shifts the column by one) and for JSON strings
    /// without escapes; other JSON answers map every position to the start of the string.
    pub fn place(&self, answer_line: u32, answer_col: u32) -> (u32, u32) {
        if !self.exact {
            (self.line, self.col)
        } else if answer_line <= 1 {
            (
                self.line,
                self.col.saturating_add(answer_col.saturating_sub(1)),
            )
        } else {
            (self.line.saturating_add(answer_line - 1), answer_col)
        }
    }
}

/// Everything read from one FAQ file.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub entries: Vec<Entry>,
    pub problems: Vec<Problem>,
}

/// Reads one FAQ file. Never fails and never panics: every problem is returned, with every entry
/// that could be read.
pub(crate) fn parse(format: Format, text: &str) -> Parsed {
    let mut parsed = match format {
        Format::Jsonl => parse_jsonl(text),
        Format::Csv => parse_csv(text),
    };
    if parsed.entries.is_empty() && parsed.problems.is_empty() {
        let hint = match format {
            Format::Jsonl => {
                "add one JSON object a line: {\"id\": \"…\", \"question\": \"…\", \"answer\": \"…\"}"
            }
            Format::Csv => {
                "start with the header line `id,question,similar,answer,category,locale`, then one line per entry"
            }
        };
        parsed
            .problems
            .push(Problem::warning(1, 1, "this FAQ file has no entries").with_hint(hint));
    }
    parsed
}

/// An entry's fields as written, before the checks every format shares.
struct Raw {
    line: u32,
    id: Option<Located>,
    question: Option<Located>,
    similar: Vec<String>,
    answer: Option<(Answer, u32, u32)>,
    category: Option<Located>,
    locale: Option<Located>,
}

impl Raw {
    fn new(line: u32) -> Raw {
        Raw {
            line,
            id: None,
            question: None,
            similar: Vec::new(),
            answer: None,
            category: None,
            locale: None,
        }
    }

    /// Sets a single-line text field by name.
    fn set(&mut self, key: &str, value: Located) {
        match key {
            "id" => self.id = Some(value),
            "question" => self.question = Some(value),
            "category" => self.category = Some(value),
            "locale" => self.locale = Some(value),
            _ => {}
        }
    }

    /// The checks shared by both formats: a valid id, a question and an answer that say
    /// something. Values are trimmed; an empty optional value counts as absent.
    fn finish(self, problems: &mut Vec<Problem>) -> Entry {
        let question = self.question.and_then(|question| {
            let text = question.value.trim();
            if text.is_empty() {
                problems.push(
                    Problem::error(question.line, question.col, "the question is empty")
                        .with_hint("write the question as customers ask it: it is the entry's title in search results"),
                );
                None
            } else {
                Some(text.to_owned())
            }
        });
        let id = self.id.and_then(|id| {
            let value = id.value.trim();
            if crate::is_slug(value) {
                return Some(Located {
                    value: value.to_owned(),
                    ..id
                });
            }
            let from_question = question.as_deref().map(slug_from_question);
            let problem = match from_question.filter(|_| crate::suggest_slug(value).is_empty()) {
                // The id has nothing to build a slug from (`营业时间`, ``), but the question
                // might: an English question is a good name for its entry.
                Some(suggestion) if !suggestion.is_empty() => {
                    let message = if value.is_empty() {
                        "the id is empty".to_owned()
                    } else {
                        format!("`{value}` is not a valid FAQ id: use lowercase ASCII letters, digits and `-`")
                    };
                    Problem::error(id.line, id.col, message)
                        .with_hint(format!("change the id to `{suggestion}`, or another short English name"))
                }
                _ if value.is_empty() => Problem::error(id.line, id.col, "the id is empty")
                    .with_hint("give every entry a short English id such as `opening-hours`; links to it are written [text](article:<id>)"),
                _ => crate::bad_id(value, id.line, id.col, "change the id to", "FAQ id"),
            };
            problems.push(problem);
            None
        });
        let answer = self.answer.and_then(|(answer, line, col)| {
            if answer.text.trim().is_empty() {
                problems.push(
                    Problem::error(line, col, "the answer is empty")
                        .with_hint("write the answer in Markdown, as in an article's body"),
                );
                None
            } else {
                Some(answer)
            }
        });
        let category = self
            .category
            .map(|category| category.value.trim().to_owned())
            .filter(|category| !category.is_empty())
            .unwrap_or_else(|| DEFAULT_CATEGORY.to_owned());
        let locale = self
            .locale
            .map(|locale| Located {
                value: locale.value.trim().to_owned(),
                ..locale
            })
            .filter(|locale| !locale.value.is_empty());
        Entry {
            line: self.line,
            id,
            question,
            similar: self.similar,
            answer,
            category,
            locale,
        }
    }
}

/// A slug made of the first words of a question, for suggesting an id.
fn slug_from_question(question: &str) -> String {
    let slug = crate::suggest_slug(question);
    slug.split('-').take(6).collect::<Vec<_>>().join("-")
}

/// The suggestion for an unknown key or column: a near miss, or a name other helpdesks use.
fn suggest_field(name: &str) -> Option<&'static str> {
    let lowercase = name.trim().to_ascii_lowercase();
    FIELDS
        .iter()
        .copied()
        .find(|field| *field == lowercase)
        .or_else(|| closest(&lowercase, FIELDS, 2))
        .or_else(|| {
            SYNONYMS
                .iter()
                .find(|(synonym, _)| *synonym == lowercase)
                .map(|(_, field)| *field)
        })
}

fn unknown_field_hint(name: &str, what: &str) -> String {
    match suggest_field(name) {
        Some(field) => format!("did you mean `{field}`?"),
        None => format!(
            "the {what}s are {}; remove this one or rename it",
            FIELDS.join(", ")
        ),
    }
}

/// Splits the similar questions of a CSV field: `|`-separated, trimmed, empties dropped.
fn split_similar(field: &str) -> Vec<String> {
    field
        .split(SIMILAR_SEPARATOR)
        .map(str::trim)
        .filter(|question| !question.is_empty())
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// JSON Lines

/// The key/value pairs of one JSON object in the order written, duplicates included (a map would
/// keep only the last of two `"answer"` keys and hide the mistake).
struct Pairs(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Pairs, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Pairs;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object (one FAQ entry per line)")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<String, Value>()? {
                    pairs.push(pair);
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

fn parse_jsonl(text: &str) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parsed = Parsed::default();
    for (line_idx, raw_line) in text.split('\n').enumerate() {
        let line_number = to_u32(line_idx + 1);
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Pairs>(line) {
            Ok(Pairs(pairs)) => {
                let raw = jsonl_entry(line, line_number, pairs, &mut parsed.problems);
                parsed.entries.push(raw.finish(&mut parsed.problems));
            }
            Err(error) => parsed.problems.push(json_error(line, line_number, &error)),
        }
    }
    parsed
}

/// A serde_json error as a problem at its column. serde_json counts columns in bytes; editors
/// count characters.
fn json_error(line: &str, line_number: u32, error: &serde_json::Error) -> Problem {
    let message = error.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(message, _)| message);
    let mut byte_offset = error.column().saturating_sub(1).min(line.len());
    while !line.is_char_boundary(byte_offset) {
        byte_offset -= 1;
    }
    let hint = if message.starts_with("invalid type") {
        "each line holds one entry: {\"id\": \"…\", \"question\": \"…\", \"answer\": \"…\"}"
    } else {
        "each line must be one complete JSON object; a line break inside a string is written \\n"
    };
    Problem::error(
        line_number,
        col_of(line, byte_offset),
        format!("malformed JSON: {message}"),
    )
    .with_hint(hint)
}

/// Checks the keys and value types of one parsed line.
fn jsonl_entry(
    line: &str,
    line_number: u32,
    pairs: Vec<(String, Value)>,
    problems: &mut Vec<Problem>,
) -> Raw {
    let positions = object_positions(line);
    let mut raw = Raw::new(line_number);
    let mut seen: Vec<&'static str> = Vec::new();
    for (pair_idx, (key, value)) in pairs.into_iter().enumerate() {
        let (key_offset, value_offset) = positions.get(pair_idx).copied().unwrap_or((0, 0));
        let key_col = col_of(line, key_offset);
        let value_col = col_of(line, value_offset);
        let Some(field) = FIELDS.iter().copied().find(|field| *field == key) else {
            problems.push(
                Problem::error(line_number, key_col, format!("unknown key `{key}`"))
                    .with_hint(unknown_field_hint(&key, "key")),
            );
            continue;
        };
        if seen.contains(&field) {
            problems.push(
                Problem::error(
                    line_number,
                    key_col,
                    format!("`{field}` appears twice in this entry"),
                )
                .with_hint("keep one of them"),
            );
            continue;
        }
        seen.push(field);
        let wrong_type = |expected: &str, example: &str| {
            Problem::error(
                line_number,
                value_col,
                format!("`{field}` must be {expected}, not {}", json_type(&value)),
            )
            .with_hint(format!("write it as \"{field}\": {example}"))
        };
        match (field, &value) {
            ("similar", Value::Array(items)) => {
                if items.iter().all(Value::is_string) {
                    raw.similar = items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::trim)
                        .filter(|question| !question.is_empty())
                        .map(str::to_owned)
                        .collect();
                } else {
                    problems.push(wrong_type("a list of strings", "[\"…\", \"…\"]"));
                }
            }
            ("similar", Value::Null) => {}
            ("similar", _) => problems.push(wrong_type("a list of strings", "[\"…\", \"…\"]")),
            ("answer", Value::String(answer)) => {
                // Without escapes the string's text is the file's text, one character after the
                // opening quote, so positions inside it are exact.
                let raw_text = line
                    .get(value_offset..)
                    .map(|rest| rest.get(..skip_string(rest.as_bytes(), 0)).unwrap_or(rest))
                    .unwrap_or_default();
                let exact = !raw_text.contains('\\');
                let leading = answer.len() - answer.trim_start().len();
                let text = answer.trim_start().to_owned();
                let answer = if exact {
                    Answer {
                        text,
                        line: line_number,
                        col: value_col
                            .saturating_add(1)
                            .saturating_add(to_u32(answer[..leading].chars().count())),
                        exact: true,
                    }
                } else {
                    Answer {
                        text,
                        line: line_number,
                        col: value_col,
                        exact: false,
                    }
                };
                raw.answer = Some((answer, line_number, value_col));
            }
            (_, Value::String(text)) => raw.set(
                field,
                Located {
                    value: text.clone(),
                    line: line_number,
                    col: value_col,
                },
            ),
            ("category" | "locale", Value::Null) => {}
            _ => problems.push(wrong_type("a string", "\"…\"")),
        }
    }
    for required in REQUIRED {
        if !seen.contains(&required) {
            problems.push(
                Problem::error(
                    line_number,
                    1,
                    format!("this entry has no `{required}` (a required key)"),
                )
                .with_hint(format!(
                    "add \"{required}\": \"…\"; every entry needs id, question and answer"
                )),
            );
        }
    }
    raw
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// 1-based character column of byte `offset` in `line`.
fn col_of(line: &str, offset: usize) -> u32 {
    to_u32(
        line.get(..offset)
            .map_or(0, |prefix| prefix.chars().count())
            + 1,
    )
}

/// The byte offsets of each key and its value in a JSON object, in the order written. Only
/// called on text serde_json has accepted, so it needs to find structure, not check it.
fn object_positions(json: &str) -> Vec<(usize, usize)> {
    let bytes = json.as_bytes();
    let mut positions = Vec::new();
    let mut i = skip_whitespace(bytes, 0);
    if bytes.get(i) != Some(&b'{') {
        return positions;
    }
    i += 1;
    loop {
        i = skip_whitespace(bytes, i);
        if bytes.get(i) != Some(&b'"') {
            return positions;
        }
        let key_at = i;
        i = skip_whitespace(bytes, skip_string(bytes, i));
        if bytes.get(i) != Some(&b':') {
            return positions;
        }
        i = skip_whitespace(bytes, i + 1);
        positions.push((key_at, i));
        i = skip_whitespace(bytes, skip_value(bytes, i));
        if bytes.get(i) != Some(&b',') {
            return positions;
        }
        i += 1;
    }
}

fn skip_whitespace(bytes: &[u8], mut i: usize) -> usize {
    while matches!(bytes.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    i
}

/// From the opening quote at `i`, the offset just past the closing quote.
fn skip_string(bytes: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    while let Some(&b) = bytes.get(j) {
        match b {
            b'\\' => j += 2,
            b'"' => return j + 1,
            _ => j += 1,
        }
    }
    j
}

/// From the first byte of a value at `i`, the offset just past it.
fn skip_value(bytes: &[u8], i: usize) -> usize {
    match bytes.get(i) {
        Some(b'"') => skip_string(bytes, i),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while let Some(&b) = bytes.get(j) {
                match b {
                    b'"' => {
                        j = skip_string(bytes, j);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return j + 1;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            j
        }
        _ => {
            let mut j = i;
            while bytes
                .get(j)
                .is_some_and(|&b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
            {
                j += 1;
            }
            j
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CSV

fn parse_csv(text: &str) -> Parsed {
    let csv = csv::read(text);
    let mut parsed = Parsed {
        entries: Vec::new(),
        problems: csv.problems,
    };
    let mut records = csv.records.into_iter();
    let Some(header) = records.next() else {
        return parsed;
    };
    let header_line = header.line;
    let names: Vec<String> = header
        .fields
        .iter()
        .map(|field| field.value.trim().to_owned())
        .collect();

    if !names.iter().any(|name| FIELDS.contains(&name.as_str())) {
        parsed.problems.push(
            Problem::error(
                header_line,
                1,
                "the first line is not a header: it names none of the columns id, question, similar, answer, category, locale",
            )
            .with_hint("add a first line naming the columns, e.g. `id,question,similar,answer,category,locale`"),
        );
        return parsed;
    }

    // The field each column fills; `None` for columns that were reported.
    let mut columns: Vec<Option<&'static str>> = Vec::with_capacity(names.len());
    for (name, field) in names.iter().zip(&header.fields) {
        let (line, col) = field.content_start();
        let known = FIELDS.iter().copied().find(|known| known == name);
        match known {
            Some(known) if columns.contains(&Some(known)) => {
                parsed.problems.push(
                    Problem::error(
                        line,
                        col,
                        format!("the header names the column `{known}` twice"),
                    )
                    .with_hint("remove one of them"),
                );
                columns.push(None);
            }
            Some(known) => columns.push(Some(known)),
            None => {
                let problem = if name.is_empty() {
                    Problem::error(line, col, "a column of the header has no name").with_hint(
                        format!(
                            "the columns are {}; remove the extra comma",
                            FIELDS.join(", ")
                        ),
                    )
                } else {
                    Problem::error(line, col, format!("unknown column `{name}`"))
                        .with_hint(unknown_field_hint(name, "column"))
                };
                parsed.problems.push(problem);
                columns.push(None);
            }
        }
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|required| !columns.contains(&Some(required)))
        .collect();
    if !missing.is_empty() {
        let listed: Vec<String> = missing.iter().map(|name| format!("`{name}`")).collect();
        let message = match listed.as_slice() {
            [one] => format!("the header has no {one} column, which is required"),
            _ => format!(
                "the header has no {} columns, which are required",
                listed.join(", ")
            ),
        };
        parsed.problems.push(Problem::error(header_line, 1, message).with_hint(
            "the header names the columns in any order: id, question and answer are required; similar, category and locale are optional",
        ));
    }

    for record in records {
        if record.fields.len() != columns.len() {
            let hint = if record.fields.len() > columns.len() {
                "a field that contains a comma must be in double quotes: \"like, this\"".to_owned()
            } else {
                format!(
                    "every line needs one field per column of the header ({}); leave a field empty with nothing between its commas",
                    names.join(",")
                )
            };
            parsed.problems.push(
                Problem::error(
                    record.line,
                    1,
                    format!(
                        "this record has {} fields, but the header has {} columns",
                        record.fields.len(),
                        columns.len()
                    ),
                )
                .with_hint(hint),
            );
            continue;
        }
        if !missing.is_empty() {
            continue;
        }
        let mut raw = Raw::new(record.line);
        for (column, field) in columns.iter().zip(record.fields) {
            let (line, col) = field.content_start();
            match column {
                None => {}
                Some("similar") => raw.similar = split_similar(&field.value),
                Some("answer") => {
                    let (text, start_line, start_col) = trim_start_placed(&field.value, line, col);
                    let answer = Answer {
                        text: text.to_owned(),
                        line: start_line,
                        col: start_col,
                        exact: true,
                    };
                    raw.answer = Some((answer, line, col));
                }
                Some(name) => {
                    let (text, line, col) = trim_start_placed(&field.value, line, col);
                    raw.set(
                        name,
                        Located {
                            value: text.to_owned(),
                            line,
                            col,
                        },
                    );
                }
            }
        }
        parsed.entries.push(raw.finish(&mut parsed.problems));
    }
    parsed
}

/// `text` without leading whitespace, and where what is left starts, given where `text` starts.
fn trim_start_placed(text: &str, mut line: u32, mut col: u32) -> (&str, u32, u32) {
    let trimmed = text.trim_start();
    for c in text[..text.len() - trimmed.len()].chars() {
        if c == '\n' {
            line = line.saturating_add(1);
            col = 1;
        } else {
            col = col.saturating_add(1);
        }
    }
    (trimmed, line, col)
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};
    use proptest::prelude::*;

    use super::*;

    /// Renders entries and problems of one file, for snapshots.
    fn check(format: Format, text: &str, expected: Expect) {
        let parsed = parse(format, text);
        let mut out = String::new();
        for entry in &parsed.entries {
            let id = entry.id.as_ref().map_or("-".to_owned(), |id| {
                format!("{}@{}:{}", id.value, id.line, id.col)
            });
            let answer = entry.answer.as_ref().map_or("-".to_owned(), |answer| {
                let (line, col) = answer.place(1, 1);
                format!("{:?}@{line}:{col}", answer.text)
            });
            let locale = entry
                .locale
                .as_ref()
                .map_or("-".to_owned(), |locale| locale.value.clone());
            out.push_str(&format!(
                "{}: id={id} q={:?} similar={:?} a={answer} category={} locale={locale}\n",
                entry.line,
                entry.question.as_deref().unwrap_or("-"),
                entry.similar,
                entry.category,
            ));
        }
        for problem in &parsed.problems {
            out.push_str(&format!("{problem}\n"));
        }
        expected.assert_eq(&out);
    }

    #[test]
    fn format_from_file_name() {
        assert_eq!(Format::of(Path::new("kb/a.faq.jsonl")), Some(Format::Jsonl));
        assert_eq!(Format::of(Path::new("kb/en/a.faq.csv")), Some(Format::Csv));
        assert_eq!(Format::of(Path::new("kb/en/faq.csv")), None);
        assert_eq!(Format::of(Path::new("kb/en/a.md")), None);
    }

    #[test]
    fn jsonl_entries() {
        check(
            Format::Jsonl,
            "\u{feff}{\"id\": \"hours\", \"question\": \" 几点上班？ \", \"similar\": [\"客服时间\", \" \", \"几点下班\"], \"answer\": \"每天 **9:00–21:00**。\"}\r\n\n   \n{\"answer\": \"line\\none\", \"question\": \"Q\", \"id\": \"b\", \"category\": \"orders\", \"locale\": \"en\", \"similar\": null}\n",
            expect![[r#"
                1: id=hours@1:8 q="几点上班？" similar=["客服时间", "几点下班"] a="每天 **9:00–21:00**。"@1:85 category=general locale=-
                4: id=b@4:48 q="Q" similar=[] a="line\none"@4:12 category=orders locale=en
            "#]],
        );
    }

    #[test]
    fn jsonl_key_errors() {
        check(
            Format::Jsonl,
            "{\"id\": \"a\", \"questoin\": \"Q\", \"answer\": \"A\", \"tags\": [], \"title\": \"T\"}\n{\"id\": \"b\", \"question\": \"Q\", \"answer\": \"A\", \"answer\": \"B\"}\n",
            expect![[r#"
                1: id=a@1:8 q="-" similar=[] a="A"@1:41 category=general locale=-
                2: id=b@2:8 q="Q" similar=[] a="A"@2:41 category=general locale=-
                1:13: error: unknown key `questoin`
                  hint: did you mean `question`?
                1:45: error: unknown key `tags`
                  hint: the keys are id, question, similar, answer, category, locale; remove this one or rename it
                1:57: error: unknown key `title`
                  hint: did you mean `question`?
                1:1: error: this entry has no `question` (a required key)
                  hint: add "question": "…"; every entry needs id, question and answer
                2:45: error: `answer` appears twice in this entry
                  hint: keep one of them
            "#]],
        );
    }

    #[test]
    fn jsonl_type_and_value_errors() {
        check(
            Format::Jsonl,
            "{\"id\": 12, \"question\": \"\", \"answer\": \"  \", \"similar\": \"x\"}\n{\"id\": \"Opening Hours\", \"question\": \"Q\", \"answer\": \"A\"}\n{\"id\": \"营业时间\", \"question\": \"What are your opening hours?\", \"answer\": \"A\"}\n[1, 2]\n{\"id\": \"x\", \"question\": \"退款\" \"answer\": \"A\"}\n",
            expect![[r#"
                1: id=- q="-" similar=[] a=- category=general locale=-
                2: id=- q="Q" similar=[] a="A"@2:53 category=general locale=-
                3: id=- q="What are your opening hours?" similar=[] a="A"@3:71 category=general locale=-
                1:8: error: `id` must be a string, not a number
                  hint: write it as "id": "…"
                1:55: error: `similar` must be a list of strings, not a string
                  hint: write it as "similar": ["…", "…"]
                1:24: error: the question is empty
                  hint: write the question as customers ask it: it is the entry's title in search results
                1:38: error: the answer is empty
                  hint: write the answer in Markdown, as in an article's body
                2:8: error: `Opening Hours` is not a valid FAQ id: use lowercase ASCII letters, digits and `-`
                  hint: change the id to `opening-hours`
                3:8: error: `营业时间` is not a valid FAQ id: use lowercase ASCII letters, digits and `-`
                  hint: change the id to `what-are-your-opening-hours`, or another short English name
                4:1: error: malformed JSON: invalid type: sequence, expected a JSON object (one FAQ entry per line)
                  hint: each line holds one entry: {"id": "…", "question": "…", "answer": "…"}
                5:30: error: malformed JSON: expected `,` or `}`
                  hint: each line must be one complete JSON object; a line break inside a string is written \n
            "#]],
        );
    }

    #[test]
    fn csv_entries() {
        check(
            Format::Csv,
            "\u{feff}question,id,answer,similar,locale\r\n\"Can I pay cash, on delivery?\", cod ,\"No.\r\nSee [payment](article:payment-failed).\", cash | COD ||,en\r\nQ2,q2,\"He said \"\"hi\"\"\",,\r\n",
            expect![[r#"
                2: id=cod@2:33 q="Can I pay cash, on delivery?" similar=["cash", "COD"] a="No.\nSee [payment](article:payment-failed)."@2:39 category=general locale=en
                4: id=q2@4:4 q="Q2" similar=[] a="He said \"hi\""@4:8 category=general locale=-
            "#]],
        );
    }

    #[test]
    fn csv_header_errors() {
        check(
            Format::Csv,
            "id,Question,answr,tags,id,\na,b,c,d,e,f\n",
            expect![[r#"
                1:4: error: unknown column `Question`
                  hint: did you mean `question`?
                1:13: error: unknown column `answr`
                  hint: did you mean `answer`?
                1:19: error: unknown column `tags`
                  hint: the columns are id, question, similar, answer, category, locale; remove this one or rename it
                1:24: error: the header names the column `id` twice
                  hint: remove one of them
                1:27: error: a column of the header has no name
                  hint: the columns are id, question, similar, answer, category, locale; remove the extra comma
                1:1: error: the header has no `question`, `answer` columns, which are required
                  hint: the header names the columns in any order: id, question and answer are required; similar, category and locale are optional
            "#]],
        );
        check(
            Format::Csv,
            "1,How?,Like this\n",
            expect![[r#"
                1:1: error: the first line is not a header: it names none of the columns id, question, similar, answer, category, locale
                  hint: add a first line naming the columns, e.g. `id,question,similar,answer,category,locale`
            "#]],
        );
    }

    #[test]
    fn csv_record_errors() {
        check(
            Format::Csv,
            "id,question,answer\na,Q,A,extra\nb,Q\n\"c\",\"Q\",\"multi\nline\"\nd,,\"\"\ne,Q,\"never closed\n",
            expect![[r#"
                4: id=c@4:2 q="Q" similar=[] a="multi\nline"@4:10 category=general locale=-
                6: id=d@6:1 q="-" similar=[] a=- category=general locale=-
                7:5: error: this quoted field is never closed: everything after its opening `"` to the end of the file is inside it
                  hint: add the closing `"`; to put a `"` inside a quoted field, double it: `""`
                2:1: error: this record has 4 fields, but the header has 3 columns
                  hint: a field that contains a comma must be in double quotes: "like, this"
                3:1: error: this record has 2 fields, but the header has 3 columns
                  hint: every line needs one field per column of the header (id,question,answer); leave a field empty with nothing between its commas
                6:3: error: the question is empty
                  hint: write the question as customers ask it: it is the entry's title in search results
                6:5: error: the answer is empty
                  hint: write the answer in Markdown, as in an article's body
            "#]],
        );
    }

    #[test]
    fn empty_files_warn() {
        check(
            Format::Csv,
            "id,question,answer\n",
            expect![[r#"
                1:1: warning: this FAQ file has no entries
                  hint: start with the header line `id,question,similar,answer,category,locale`, then one line per entry
            "#]],
        );
        check(
            Format::Jsonl,
            "\n\n",
            expect![[r#"
                1:1: warning: this FAQ file has no entries
                  hint: add one JSON object a line: {"id": "…", "question": "…", "answer": "…"}
            "#]],
        );
    }

    #[test]
    fn answer_positions_map_into_the_file() {
        let exact = Answer {
            text: String::new(),
            line: 4,
            col: 10,
            exact: true,
        };
        assert_eq!(exact.place(1, 1), (4, 10));
        assert_eq!(exact.place(1, 5), (4, 14));
        assert_eq!(exact.place(3, 2), (6, 2));
        let escaped = Answer {
            exact: false,
            ..exact
        };
        assert_eq!(escaped.place(3, 2), (4, 10));
    }

    /// Text built from fragments of both formats, so random cases reach deep into the readers
    /// instead of failing on the first byte.
    fn table_text() -> impl Strategy<Value = String> {
        let fragment = prop_oneof![
            Just("id,question,similar,answer,category,locale\n".to_owned()),
            Just("id,question,answer\r\n".to_owned()),
            Just("\"".to_owned()),
            Just("\"\"".to_owned()),
            Just(",".to_owned()),
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just("\r".to_owned()),
            Just("\u{feff}".to_owned()),
            Just("a|b||".to_owned()),
            Just("{\"id\": \"a\", \"question\": \"Q\", \"answer\": \"[x](article:y) <b>\"}\n".to_owned()),
            Just("{\"id\": \"\\u00e9\", \"answer\": \"a\\n# h\\n\\n| t |\\n|---|\", \"similar\": [1]}\n".to_owned()),
            Just("{\"\": {\"[\": [\"}\"]}, ".to_owned()),
            Just("{".to_owned()),
            Just("}".to_owned()),
            Just("退款".to_owned()),
            "\\PC{0,12}",
        ];
        prop::collection::vec(fragment, 0..24).prop_map(|fragments| fragments.concat())
    }

    /// Every problem points inside the text: at a line it has, at column 1 or later.
    fn assert_inside(text: &str, problems: &[Problem]) -> Result<(), TestCaseError> {
        let n_lines = to_u32(text.split('\n').count());
        for problem in problems {
            prop_assert!(
                problem.line >= 1 && problem.line <= n_lines,
                "{problem:?} in {text:?}"
            );
            prop_assert!(problem.col >= 1, "{problem:?} in {text:?}");
        }
        Ok(())
    }

    proptest! {
        /// Untrusted tables never panic either reader, or the Markdown of their answers.
        #[test]
        fn readers_never_panic_on_fragments(text in table_text()) {
            for format in [Format::Jsonl, Format::Csv] {
                let parsed = parse(format, &text);
                assert_inside(&text, &parsed.problems)?;
                for entry in &parsed.entries {
                    prop_assert!(entry.line >= 1);
                    if let Some(answer) = &entry.answer {
                        let converted =
                            crate::markdown::convert_answer(&answer.text, &|line, col| answer.place(line, col));
                        assert_inside(&text, &converted.problems)?;
                    }
                }
            }
        }

        /// Random bytes (decoded as an editor would) never panic either reader.
        #[test]
        fn readers_never_panic_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let text = String::from_utf8_lossy(&bytes);
            for format in [Format::Jsonl, Format::Csv] {
                let parsed = parse(format, &text);
                assert_inside(&text, &parsed.problems)?;
            }
        }

        /// Random lines of plausible JSON never panic the JSONL reader.
        #[test]
        fn jsonl_never_panics_on_lines(lines in prop::collection::vec("[{}\\[\\]\",: a-z0-9\\\\]{0,40}", 0..8)) {
            let text = lines.join("\n");
            let parsed = parse(Format::Jsonl, &text);
            assert_inside(&text, &parsed.problems)?;
        }
    }
}

//! A small RFC 4180 CSV reader, written by hand so every record and field knows the exact line
//! and column it starts at, even when quoted fields span several lines.
//!
//! What it accepts: fields separated by `,`; records ended by LF or CRLF; fields quoted with `"`,
//! in which commas, line breaks and doubled quotes (`""` for `"`) are content; an optional UTF-8
//! byte-order mark. Lenient where spreadsheets are sloppy and the meaning is still clear: a `"`
//! inside an unquoted field is kept as text, spaces after a closing quote are ignored, and blank
//! lines are skipped. A quoted field that never closes, or text after a closing quote, is an
//! error, because the reader can no longer tell where the author meant fields to end.

use crate::diagnostic::Problem;

/// One field of a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Field {
    /// The content: quotes removed, `""` turned into `"`, CRLF inside quotes turned into LF.
    pub value: String,
    /// Where the field starts (its opening quote, if quoted).
    pub line: u32,
    pub col: u32,
    pub quoted: bool,
}

impl Field {
    /// The line and column of the first character of the content: past the opening quote.
    pub fn content_start(&self) -> (u32, u32) {
        (self.line, self.col + u32::from(self.quoted))
    }
}

/// One record: a line of the table, or several when a quoted field holds line breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    /// The line the record starts on.
    pub line: u32,
    pub fields: Vec<Field>,
}

/// Everything read from one CSV text.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub records: Vec<Record>,
    pub problems: Vec<Problem>,
}

/// Where the reader is inside the current field.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first character of a field.
    FieldStart,
    Unquoted,
    Quoted,
    /// After the closing quote of a quoted field, where only `,` or a line end may follow.
    AfterQuote,
    /// After text that followed a closing quote (already reported), until the field ends.
    Garbled,
}

/// Reads `text` (a whole file) into records. Never fails: problems are returned with the records
/// that could be read; a record whose quoted field never closes is dropped.
pub(crate) fn read(text: &str) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parsed = Parsed::default();
    let mut chars = text.chars().peekable();
    let (mut line, mut col) = (1u32, 1u32);
    let mut state = State::FieldStart;
    let mut record: Option<Record> = None;
    let mut field = Field {
        value: String::new(),
        line,
        col,
        quoted: false,
    };

    while let Some(c) = chars.next() {
        let (c_line, c_col) = (line, col);
        // A CRLF pair is one line end; a lone CR is ordinary text.
        let is_line_end = c == '\n' || (c == '\r' && chars.peek() == Some(&'\n'));
        if c == '\r' && is_line_end {
            chars.next();
        }
        if is_line_end {
            line = line.saturating_add(1);
            col = 1;
        } else {
            col = col.saturating_add(1);
        }

        match state {
            State::FieldStart => {
                let current = record.get_or_insert_with(|| Record {
                    line: c_line,
                    fields: Vec::new(),
                });
                field = Field {
                    value: String::new(),
                    line: c_line,
                    col: c_col,
                    quoted: false,
                };
                match c {
                    '"' => {
                        field.quoted = true;
                        state = State::Quoted;
                    }
                    ',' => current.fields.push(field.clone()),
                    _ if is_line_end => {
                        current.fields.push(field.clone());
                        end_record(&mut record, &mut parsed.records);
                    }
                    _ => {
                        field.value.push(c);
                        state = State::Unquoted;
                    }
                }
            }
            State::Unquoted | State::AfterQuote | State::Garbled => {
                if c == ',' || is_line_end {
                    if let Some(current) = record.as_mut() {
                        current.fields.push(field.clone());
                    }
                    if is_line_end {
                        end_record(&mut record, &mut parsed.records);
                    }
                    state = State::FieldStart;
                } else if state == State::AfterQuote && (c == ' ' || c == '\t') {
                    // Spaces after a closing quote are a common export quirk and mean nothing.
                } else if state == State::AfterQuote {
                    parsed.problems.push(
                        Problem::error(
                            c_line,
                            c_col,
                            "text after the closing quote of a field: a quoted field must end at its closing `\"`",
                        )
                        .with_hint(format!(
                            "to put a `\"` inside a quoted field, double it: `\"\"`; the field started at line {}, column {}",
                            field.line, field.col
                        )),
                    );
                    field.value.push(c);
                    state = State::Garbled;
                } else {
                    field.value.push(c);
                }
            }
            State::Quoted => match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    col = col.saturating_add(1);
                    field.value.push('"');
                }
                '"' => state = State::AfterQuote,
                _ if is_line_end => field.value.push('\n'),
                _ => field.value.push(c),
            },
        }
    }

    match state {
        State::FieldStart => {
            // A trailing comma on the last line, with no line end after it, still ends a field.
            if let Some(current) = record.as_mut() {
                current.fields.push(Field {
                    value: String::new(),
                    line,
                    col,
                    quoted: false,
                });
            }
            end_record(&mut record, &mut parsed.records);
        }
        State::Unquoted | State::AfterQuote | State::Garbled => {
            if let Some(current) = record.as_mut() {
                current.fields.push(field);
            }
            end_record(&mut record, &mut parsed.records);
        }
        State::Quoted => {
            parsed.problems.push(
                Problem::error(
                    field.line,
                    field.col,
                    "this quoted field is never closed: everything after its opening `\"` to the end of the file is inside it",
                )
                .with_hint("add the closing `\"`; to put a `\"` inside a quoted field, double it: `\"\"`"),
            );
        }
    }
    parsed
}

/// Finishes the current record, skipping blank lines: one empty or all-space unquoted field.
fn end_record(record: &mut Option<Record>, records: &mut Vec<Record>) {
    let Some(finished) = record.take() else {
        return;
    };
    let is_blank = matches!(
        finished.fields.as_slice(),
        [only] if !only.quoted && only.value.trim().is_empty()
    );
    if !is_blank {
        records.push(finished);
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    /// Renders every record as `line: [field@line:col, …]` and every problem, for snapshots.
    fn check(text: &str, expected: Expect) {
        let parsed = read(text);
        let mut out = String::new();
        for record in &parsed.records {
            let fields: Vec<String> = record
                .fields
                .iter()
                .map(|field| {
                    let quote = if field.quoted { "q" } else { "" };
                    format!("{:?}@{}:{}{quote}", field.value, field.line, field.col)
                })
                .collect();
            out.push_str(&format!("{}: {}\n", record.line, fields.join(" ")));
        }
        for problem in &parsed.problems {
            out.push_str(&format!("{problem}\n"));
        }
        expected.assert_eq(&out);
    }

    #[test]
    fn plain_records() {
        check(
            "id,question\na,Why?\nb,\n",
            expect![[r#"
                1: "id"@1:1 "question"@1:4
                2: "a"@2:1 "Why?"@2:3
                3: "b"@3:1 ""@3:3
            "#]],
        );
    }

    #[test]
    fn quotes_commas_and_doubled_quotes() {
        check(
            "a,\"x, y\",\"say \"\"hi\"\"\",\"\"\n",
            expect![[r#"
                1: "a"@1:1 "x, y"@1:3q "say \"hi\""@1:10q ""@1:23q
            "#]],
        );
    }

    #[test]
    fn newlines_inside_quotes_keep_later_lines_right() {
        check(
            "id,answer\na,\"line one\nline two\n\nline four\"\nb,after\n",
            expect![[r#"
                1: "id"@1:1 "answer"@1:4
                2: "a"@2:1 "line one\nline two\n\nline four"@2:3q
                6: "b"@6:1 "after"@6:3
            "#]],
        );
    }

    #[test]
    fn bom_and_crlf() {
        check(
            "\u{feff}id,answer\r\na,\"two\r\nlines\"\r\nb,c\r\n",
            expect![[r#"
                1: "id"@1:1 "answer"@1:4
                2: "a"@2:1 "two\nlines"@2:3q
                4: "b"@4:1 "c"@4:3
            "#]],
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        check(
            "退款,\"多久\",x\n",
            expect![[r#"
                1: "退款"@1:1 "多久"@1:4q "x"@1:9
            "#]],
        );
    }

    #[test]
    fn blank_lines_and_missing_final_newline() {
        check(
            "a,b\n\n   \n\"\",x\nc,",
            expect![[r#"
                1: "a"@1:1 "b"@1:3
                4: ""@4:1q "x"@4:4
                5: "c"@5:1 ""@5:3
            "#]],
        );
    }

    #[test]
    fn lenient_quirks() {
        check(
            "5\" screen,\"ok\"  ,x\n",
            expect![[r#"
                1: "5\" screen"@1:1 "ok"@1:11q "x"@1:18
            "#]],
        );
    }

    #[test]
    fn text_after_closing_quote() {
        check(
            "a,\"b\"c,d\ne,f\n",
            expect![[r#"
                1: "a"@1:1 "bc"@1:3q "d"@1:8
                2: "e"@2:1 "f"@2:3
                1:6: error: text after the closing quote of a field: a quoted field must end at its closing `"`
                  hint: to put a `"` inside a quoted field, double it: `""`; the field started at line 1, column 3
            "#]],
        );
    }

    #[test]
    fn unterminated_quote() {
        check(
            "id,answer\na,ok\nb,\"never closed\nc,d\n",
            expect![[r#"
                1: "id"@1:1 "answer"@1:4
                2: "a"@2:1 "ok"@2:3
                3:3: error: this quoted field is never closed: everything after its opening `"` to the end of the file is inside it
                  hint: add the closing `"`; to put a `"` inside a quoted field, double it: `""`
            "#]],
        );
    }

    #[test]
    fn lone_cr_is_text() {
        check(
            "a\rb,c\n",
            expect![[r#"
                1: "a\rb"@1:1 "c"@1:5
            "#]],
        );
    }
}

//! Raw HTML in Markdown, reduced at build time to the few tags that map onto kefu-core inlines.
//!
//! Editors paste HTML from old help centres; rejecting it outright made every import a chore,
//! passing it through would put a `<script>` or an `onerror=` on a customer's screen. So the
//! compiler tokenizes it here, keeps the tags on [`ALLOWED`] (as `Strong`, `Emphasis`, `Code`
//! and `LineBreak`), keeps the text of everything else, and drops the markup with a warning.
//! The text inside `<script>`, `<style>`, `<iframe>`, … is dropped as well: it is code, not prose.

/// One piece of an HTML fragment.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// Text between tags, with `&amp;`-style entities still in it.
    Text(&'a str),
    /// `<name attrs>` or `</name>`; `name` is lowercase, `attrs` the lowercase attribute names.
    Tag {
        name: String,
        closing: bool,
        attrs: Vec<String>,
        /// Byte offset of the `<` in the fragment.
        at: usize,
    },
    /// `<!-- … -->`, `<!doctype>`, `<?…?>`: dropped silently (editors leave notes in comments).
    Comment,
}

/// What an allowed tag becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Allowed {
    Strong,
    Emphasis,
    Code,
    LineBreak,
}

/// The allowlist: tag name → inline kind. Everything else is dropped with a warning.
pub(crate) const ALLOWED: &[(&str, Allowed)] = &[
    ("b", Allowed::Strong),
    ("strong", Allowed::Strong),
    ("i", Allowed::Emphasis),
    ("em", Allowed::Emphasis),
    ("code", Allowed::Code),
    ("kbd", Allowed::Code),
    ("br", Allowed::LineBreak),
];

/// Tags whose content is code or an embedded document rather than text for a reader.
pub(crate) const RAW_TEXT: &[&str] = &[
    "script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math",
    "textarea", "title",
];

/// What an allowed tag name maps to.
pub(crate) fn allowed(name: &str) -> Option<Allowed> {
    ALLOWED
        .iter()
        .find(|(allowed_name, _)| *allowed_name == name)
        .map(|&(_, kind)| kind)
}

/// Splits `html` into text, tags and comments. Never fails: a `<` that does not start a tag is
/// text, and an unterminated tag runs to the end of the fragment (and is dropped as a tag).
pub(crate) fn tokenize(html: &str) -> Vec<Token<'_>> {
    let bytes = html.as_bytes();
    let mut tokens = Vec::new();
    let mut text_start = 0;
    let mut pos = 0;
    while pos < bytes.len() {
        if bytes[pos] != b'<' {
            pos += 1;
            continue;
        }
        let rest = &html[pos..];
        let next = bytes.get(pos + 1).copied();
        let is_tag = matches!(next, Some(b'!' | b'?' | b'/'))
            || next.is_some_and(|b| b.is_ascii_alphabetic());
        if !is_tag {
            pos += 1;
            continue;
        }
        if text_start < pos {
            tokens.push(Token::Text(&html[text_start..pos]));
        }
        let end = if rest.starts_with("<!--") {
            rest.find("-->").map_or(html.len(), |close| pos + close + 3)
        } else {
            tag_end(html, pos)
        };
        if matches!(next, Some(b'!' | b'?')) {
            tokens.push(Token::Comment);
        } else {
            tokens.push(parse_tag(&html[pos..end], pos));
        }
        pos = end;
        text_start = end;
    }
    if text_start < html.len() {
        tokens.push(Token::Text(&html[text_start..]));
    }
    tokens
}

/// The offset just past the `>` closing the tag that starts at `start`, skipping `>` inside
/// quoted attribute values (`title="a > b"`).
fn tag_end(html: &str, start: usize) -> usize {
    let mut quote: Option<u8> = None;
    for (offset, &byte) in html.as_bytes().iter().enumerate().skip(start + 1) {
        match (quote, byte) {
            (Some(open), b) if b == open => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(byte),
            (None, b'>') => return offset + 1,
            (None, _) => {}
        }
    }
    html.len()
}

fn parse_tag(tag: &str, at: usize) -> Token<'_> {
    let inner = tag.trim_start_matches('<').trim_end_matches('>');
    let (closing, inner) = match inner.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, inner),
    };
    let name_end = inner
        .find(|c: char| c.is_whitespace() || c == '/')
        .unwrap_or(inner.len());
    let name = inner[..name_end].to_ascii_lowercase();
    let attrs = attribute_names(&inner[name_end..]);
    Token::Tag {
        name,
        closing,
        attrs,
        at,
    }
}

/// The names of the attributes in `text` (`src=x onerror="…"` → `src`, `onerror`), lowercase.
fn attribute_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() || c == '/' {
            chars.next();
            continue;
        }
        let mut end = start;
        while let Some(&(idx, c)) = chars.peek() {
            if c.is_whitespace() || c == '=' || c == '/' {
                break;
            }
            end = idx + c.len_utf8();
            chars.next();
        }
        if end > start {
            names.push(text[start..end].to_ascii_lowercase());
        }
        // Skip `= value`, quoted or not.
        while chars.peek().is_some_and(|&(_, c)| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_some_and(|&(_, c)| c == '=') {
            chars.next();
            while chars.peek().is_some_and(|&(_, c)| c.is_whitespace()) {
                chars.next();
            }
            match chars.peek().map(|&(_, c)| c) {
                Some(quote @ ('"' | '\'')) => {
                    chars.next();
                    for (_, c) in chars.by_ref() {
                        if c == quote {
                            break;
                        }
                    }
                }
                _ => {
                    while chars.peek().is_some_and(|&(_, c)| !c.is_whitespace()) {
                        chars.next();
                    }
                }
            }
        } else if end == start {
            // Neither a name nor `=`: a stray character; step over it so the loop ends.
            chars.next();
        }
    }
    names
}

/// Replaces the common named entities and numeric references; anything else is left as written.
pub(crate) fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after.find(';').filter(|&semi| semi <= 10).and_then(|semi| {
            let name = &after[..semi];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32)
                    .filter(|c| !c.is_control() || *c == '\n'),
            };
            c.map(|c| (c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let tokens = tokenize(r#"a <img src="x>y" onerror=alert(1)> b <!-- note --> </B> 1 < 2"#);
        assert_eq!(
            tokens,
            vec![
                Token::Text("a "),
                Token::Tag {
                    name: "img".into(),
                    closing: false,
                    attrs: vec!["src".into(), "onerror".into()],
                    at: 2
                },
                Token::Text(" b "),
                Token::Comment,
                Token::Text(" "),
                Token::Tag {
                    name: "b".into(),
                    closing: true,
                    attrs: vec![],
                    at: 51
                },
                Token::Text(" 1 < 2"),
            ]
        );
    }

    #[test]
    fn entities() {
        assert_eq!(
            decode_entities("a &amp; b &lt;&#x4E2D;&#25991;&gt; &bogus; &"),
            "a & b <中文> &bogus; &"
        );
    }
}

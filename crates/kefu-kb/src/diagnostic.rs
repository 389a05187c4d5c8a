//! Diagnostics: every problem the compiler finds, with the `file:line:col` an editor can jump to.

use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a problem is. Errors stop `kefu kb build`; warnings are printed and the build goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    /// The lowercase word printed before the message: `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem in one file of the knowledge base.
///
/// Displays the way compilers do, so terminals and editors turn the location into a link:
///
/// ```text
/// kb/en/refunds.md:12:5: error: links may only point to article:<id>, http(s) or mailto: URLs, not `javascript:`
///   hint: link to another article with [text](article:<id>)
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The KB directory as given to [`crate::compile`], joined with the file's path inside it.
    pub file: PathBuf,
    /// 1-based line of the offending text.
    pub line: u32,
    /// 1-based column of the offending text, counted in characters (not bytes), so it matches
    /// what an editor shows on a line of Chinese text.
    pub col: u32,
    pub message: String,
    /// How to fix it, when there is something more useful to say than the message.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// Whether this diagnostic stops a build.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = format_args!("{}:{}:{}", self.file.display(), self.line, self.col);
        write_problem(
            f,
            location,
            self.severity,
            &self.message,
            self.hint.as_deref(),
        )
    }
}

/// `location: severity: message`, then `  hint: …` on a line of its own: the one layout of every
/// problem the compiler reports, with a file ([`Diagnostic`]) or before it has one ([`Problem`]).
fn write_problem(
    f: &mut fmt::Formatter<'_>,
    location: fmt::Arguments<'_>,
    severity: Severity,
    message: &str,
    hint: Option<&str>,
) -> fmt::Result {
    write!(f, "{location}: {}: {message}", severity.as_str())?;
    if let Some(hint) = hint {
        write!(f, "\n  hint: {hint}")?;
    }
    Ok(())
}

/// A diagnostic before the file it belongs to is attached: what the per-file parsers return, so
/// they can be tested on strings without paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    pub severity: Severity,
    pub line: u32,
    pub col: u32,
    pub message: String,
    pub hint: Option<String>,
}

/// `line:col: severity: message`, then `  hint: …` on the next line when there is one: a problem
/// before the compiler knows its file (tests snapshot this form).
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = format_args!("{}:{}", self.line, self.col);
        write_problem(
            f,
            location,
            self.severity,
            &self.message,
            self.hint.as_deref(),
        )
    }
}

impl Problem {
    pub fn error(line: u32, col: u32, message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Error,
            line,
            col,
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(line: u32, col: u32, message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Warning,
            line,
            col,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Problem {
        self.hint = Some(hint.into());
        self
    }

    pub fn in_file(self, file: &Path) -> Diagnostic {
        Diagnostic {
            severity: self.severity,
            file: file.to_path_buf(),
            line: self.line,
            col: self.col,
            message: self.message,
            hint: self.hint,
        }
    }
}

/// Maps byte offsets of one file to 1-based line and character column.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset where each line starts; the first is always 0.
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(offset, _)| offset + 1));
        LineIndex { text, line_starts }
    }

    /// The line and column of byte `offset`. Offsets past the end, or inside a multi-byte
    /// character, are clamped rather than trusted: a wrong column is better than a panic.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line_idx = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        let line_start = self.line_starts.get(line_idx).copied().unwrap_or(0);
        let col = self
            .text
            .get(line_start..offset)
            .map_or(0, |prefix| prefix.chars().count());
        (to_u32(line_idx + 1), to_u32(col + 1))
    }
}

/// Converts a count to `u32`, saturating: no KB file has four billion lines.
pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Levenshtein distance in characters, for "did you mean …?" suggestions.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// The candidate closest to `wanted` within `max_distance` edits; the first one on ties, so
/// suggestions are deterministic when candidates come sorted.
pub(crate) fn closest<'c>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'c str>,
    max_distance: usize,
) -> Option<&'c str> {
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = edit_distance(wanted, candidate);
        if distance <= max_distance
            && best.is_none_or(|(best_distance, _)| distance < best_distance)
        {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let text = "ab\n退款x\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(0), (1, 1));
        assert_eq!(index.line_col(3), (2, 1));
        // `x` follows two three-byte characters.
        assert_eq!(index.line_col(9), (2, 3));
        assert_eq!(index.line_col(text.len()), (3, 1));
        assert_eq!(
            index.line_col(4),
            (2, 1),
            "inside a character clamps to the line start"
        );
    }

    #[test]
    fn suggestions() {
        assert_eq!(edit_distance("tittle", "title"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            closest("catgory", ["title", "category"], 2),
            Some("category")
        );
        assert_eq!(closest("zzz", ["title", "category"], 2), None);
    }

    #[test]
    fn display() {
        let diagnostic = Problem::error(12, 5, "bad link")
            .with_hint("fix it")
            .in_file(Path::new("kb/en/a.md"));
        assert_eq!(
            diagnostic.to_string(),
            "kb/en/a.md:12:5: error: bad link\n  hint: fix it"
        );
    }
}

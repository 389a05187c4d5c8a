//! What the commands print on a terminal: coloured diagnostics and a progress bar.
//!
//! Hand-written ANSI escapes: four colours do not justify a dependency. Colour only when stderr
//! is a terminal and `NO_COLOR` is unset (<https://no-color.org>), so logs, pipes and CI output
//! stay plain text that editors and scripts can parse.

use std::io::{self, IsTerminal, Write};

use kefu_kb::{Diagnostic, Severity};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const CYAN: &str = "\x1b[36m";

/// Whether stderr gets colours and progress bars.
pub fn stderr_is_terminal() -> bool {
    io::stderr().is_terminal()
}

/// Whether diagnostics on stderr are coloured.
pub fn colour_stderr() -> bool {
    stderr_is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

/// One diagnostic as `file:line:col: severity: message` and its hint, coloured or plain. The
/// plain form is exactly [`Diagnostic`]'s `Display`, which tests and editors rely on.
pub fn render(diagnostic: &Diagnostic, colour: bool) -> String {
    if !colour {
        return diagnostic.to_string();
    }
    let severity_colour = match diagnostic.severity {
        Severity::Error => RED,
        Severity::Warning => YELLOW,
    };
    let mut out = format!(
        "{BOLD}{}:{}:{}:{RESET} {severity_colour}{}{RESET}: {BOLD}{}{RESET}",
        diagnostic.file.display(),
        diagnostic.line,
        diagnostic.col,
        diagnostic.severity.as_str(),
        diagnostic.message
    );
    if let Some(hint) = &diagnostic.hint {
        out.push_str(&format!("\n  {CYAN}hint:{RESET} {hint}"));
    }
    out
}

/// Files above which `kefu kb build` draws a progress bar; smaller KBs compile in a blink.
pub const PROGRESS_MIN_FILES: usize = 500;

/// A one-line progress bar on stderr, redrawn in place with `\r` and cleared when done.
pub struct Progress {
    enabled: bool,
    last_percent: Option<usize>,
}

impl Progress {
    /// A bar that draws only when stderr is a terminal.
    pub fn new() -> Progress {
        Progress {
            enabled: stderr_is_terminal(),
            last_percent: None,
        }
    }

    /// Shows `done` of `total` files; does nothing for small KBs or off a terminal.
    pub fn update(&mut self, done: usize, total: usize) {
        if !self.enabled || total < PROGRESS_MIN_FILES {
            return;
        }
        let percent = done * 100 / total.max(1);
        // Redraw only when the bar moves: a write per file would cost more than the file.
        if self.last_percent == Some(percent) {
            return;
        }
        self.last_percent = Some(percent);
        let width = 30;
        let filled = percent * width / 100;
        let mut stderr = io::stderr().lock();
        // Best effort: a progress bar that cannot be drawn is not worth failing a build over.
        let _ = write!(
            stderr,
            "\r[{}{}] {percent:>3}% {done}/{total} files",
            "#".repeat(filled),
            " ".repeat(width - filled)
        );
        if done >= total {
            let _ = write!(stderr, "\r{}\r", " ".repeat(width + 40));
        }
        let _ = stderr.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_coloured() {
        let diagnostic = Diagnostic {
            severity: Severity::Error,
            file: "kb/en/a.md".into(),
            line: 3,
            col: 7,
            message: "image `x.png` does not exist".into(),
            hint: Some("did you mean `y.png`?".into()),
        };
        assert_eq!(render(&diagnostic, false), diagnostic.to_string());
        let coloured = render(&diagnostic, true);
        assert_eq!(
            coloured,
            "\x1b[1mkb/en/a.md:3:7:\x1b[0m \x1b[1;31merror\x1b[0m: \x1b[1mimage `x.png` does not exist\x1b[0m\n  \x1b[36mhint:\x1b[0m did you mean `y.png`?"
        );
    }
}

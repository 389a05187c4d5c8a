//! Finding index terms within a few edits of a query word, for typo tolerance.
//!
//! [`Typo`] is an `fst::Automaton` whose state is the last row of the dynamic-programming table
//! of the edit distance (with the row before it, for transpositions). Walking the fst feeds it a
//! byte at a time, and a branch is abandoned as soon as no cell of the row is within the
//! distance. fst's own `Levenshtein` builds a Unicode DFA for every query
//! word first, which took most of the query time; this costs nothing up front and a few
//! comparisons per byte. It compares bytes, so it is meant for the ASCII words typos are
//! corrected in (see `Index::expand`); a multi-byte character costs one edit per byte.

use fst::Automaton;

/// Longest query word corrected: one byte per row cell, plus the empty prefix.
pub const MAX_WORD_LEN: usize = 31;

/// Accepts the byte strings within `max_distance` edits of `word`: insertions, deletions,
/// substitutions, and transpositions of two adjacent letters (`recieve` → `receive`, the commonest
/// slip of a typing hand), each one edit. This is the optimal string alignment distance: no
/// letter is edited twice, so `ca` → `abc` is three edits, not two.
#[derive(Debug)]
pub struct Typo<'a> {
    word: &'a [u8],
    max_distance: u8,
}

impl<'a> Typo<'a> {
    /// `None` for words longer than [`MAX_WORD_LEN`] bytes.
    pub fn new(word: &'a str, max_distance: u8) -> Option<Typo<'a>> {
        (word.len() <= MAX_WORD_LEN).then_some(Typo {
            word: word.as_bytes(),
            max_distance,
        })
    }
}

/// The last row of the edit-distance table: cell `i` is the distance between the bytes read so
/// far and the first `i` bytes of the word, capped at `max_distance + 1`; with the row before
/// it and the last byte read, which a transposition needs.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    cells: [u8; MAX_WORD_LEN + 1],
    before: [u8; MAX_WORD_LEN + 1],
    last: Option<u8>,
}

impl Automaton for Typo<'_> {
    type State = Row;

    fn start(&self) -> Row {
        let cap = self.max_distance + 1;
        let mut cells = [cap; MAX_WORD_LEN + 1];
        for (i, cell) in cells.iter_mut().enumerate().take(self.word.len() + 1) {
            *cell = (i as u8).min(cap);
        }
        Row {
            cells,
            before: [cap; MAX_WORD_LEN + 1],
            last: None,
        }
    }

    fn is_match(&self, row: &Row) -> bool {
        row.cells[self.word.len()] <= self.max_distance
    }

    fn can_match(&self, row: &Row) -> bool {
        // A transposition reaches back two rows, but never below a cell of the row between
        // (which is at most one more than the cell it came from), so this row decides.
        row.cells[..=self.word.len()]
            .iter()
            .any(|&cell| cell <= self.max_distance)
    }

    fn accept(&self, row: &Row, byte: u8) -> Row {
        let cap = self.max_distance + 1;
        let mut next = [cap; MAX_WORD_LEN + 1];
        next[0] = (row.cells[0] + 1).min(cap);
        for i in 1..=self.word.len() {
            let substitute = row.cells[i - 1] + u8::from(self.word[i - 1] != byte);
            let delete = row.cells[i] + 1;
            let insert = next[i - 1] + 1;
            let mut cell = substitute.min(delete).min(insert);
            if i >= 2 && self.word[i - 2] == byte && row.last == Some(self.word[i - 1]) {
                cell = cell.min(row.before[i - 2] + 1);
            }
            next[i] = cell.min(cap);
        }
        Row {
            cells: next,
            before: row.cells,
            last: Some(byte),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fst::{IntoStreamer, Set, Streamer};

    fn within(words: &[&str], query: &str, distance: u8) -> Vec<String> {
        let set = Set::from_iter(words.iter().copied()).unwrap_or_default();
        let automaton = Typo::new(query, distance).unwrap_or_else(|| unreachable!());
        let mut stream = set.search(automaton).into_stream();
        let mut found = Vec::new();
        while let Some(key) = stream.next() {
            found.push(String::from_utf8_lossy(key).into_owned());
        }
        found
    }

    #[test]
    fn finds_words_one_and_two_edits_away() {
        let words = [
            "card", "cards", "care", "cart", "carton", "chard", "refund", "refunds",
        ];
        assert_eq!(within(&words, "card", 0), ["card"]);
        assert_eq!(
            within(&words, "card", 1),
            ["card", "cards", "care", "cart", "chard"]
        );
        assert_eq!(within(&words, "refnd", 1), ["refund"]);
        assert_eq!(within(&words, "refnd", 2), ["refund", "refunds"]);
    }

    #[test]
    fn two_letters_swapped_are_one_edit() {
        let words = ["abc", "exchang", "receiv", "refund", "review"];
        assert_eq!(within(&words, "reciev", 1), ["receiv"]);
        assert_eq!(within(&words, "exchnag", 1), ["exchang"]);
        assert_eq!(within(&words, "refudn", 1), ["refund"]);
        assert_eq!(within(&words, "erfund", 1), ["refund"]);
        // Optimal string alignment: a swapped pair is not edited again.
        assert_eq!(within(&words, "ca", 2), Vec::<String>::new());
        assert_eq!(within(&words, "ca", 3), ["abc"]);
    }

    #[test]
    fn words_too_long_are_refused() {
        assert!(Typo::new(&"a".repeat(MAX_WORD_LEN + 1), 1).is_none());
        assert!(Typo::new(&"a".repeat(MAX_WORD_LEN), 2).is_some());
    }
}

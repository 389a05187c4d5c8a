//! Text normalisation and tokenizing, shared by the index builder and the query parser.
//!
//! **Invariant:** documents and queries go through exactly the same [`tokenize`], so whatever a
//! customer types is folded the way the KB was folded. (Pagefind segments Chinese only when
//! indexing; Kefu must not.)
//!
//! The rules, in order:
//! 1. Each character is folded: full-width ASCII becomes half-width (`ｉＰｈｏｎｅ` → `iphone`), the
//!    ideographic space becomes a space, letters are lowercased, and traditional Chinese
//!    characters become simplified ones (`運費` → `运费`), so either script finds the other.
//! 2. Runs of letters and runs of digits become word tokens (`iPhone15` → `iphon`, `15`); English
//!    words are reduced to their Porter stem (`refunded` → `refund`).
//! 3. Runs of CJK characters (Han, kana, Hangul) have no spaces to split on, so each character is
//!    a unigram token and each adjacent pair a bigram token (`退货地址` → 退, 货, 地, 址, 退货,
//!    货地, 地址). Any substring of two or more characters of a query then finds the document.
//! 4. Everything else separates tokens.

/// What a token is made of; decides how the query side uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A run of letters (any script without CJK ideographs), folded to lowercase.
    Word,
    /// A run of decimal digits.
    Number,
    /// One CJK character.
    CjkUnigram,
    /// Two adjacent CJK characters.
    CjkBigram,
}

/// A term with the byte range it came from in the original text (for highlighting).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub term: String,
    pub kind: TokenKind,
    /// Byte offset of the first character in the original text.
    pub start: usize,
    /// Byte offset just past the last character in the original text.
    pub end: usize,
}

/// Folds one character for matching: full-width ASCII to half-width, ideographic space to space,
/// letters to lowercase. May yield more than one character (`İ` lowercases to two).
pub fn fold_char(c: char) -> impl Iterator<Item = char> {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '\u{3400}'..='\u{FFFF}' => to_simplified(c),
        _ => c,
    };
    c.to_lowercase()
}

/// The simplified form of a traditional Chinese character; any other character unchanged.
///
/// ```
/// use kefu_core::text::to_simplified;
/// assert_eq!(to_simplified('運'), '运');
/// assert_eq!(to_simplified('运'), '运');
/// ```
pub fn to_simplified(c: char) -> char {
    let Ok(code) = u16::try_from(c as u32) else {
        return c;
    };
    match crate::hant::HANT_TO_HANS.binary_search_by_key(&code, |&(traditional, _)| traditional) {
        Ok(found) => char::from_u32(u32::from(crate::hant::HANT_TO_HANS[found].1)).unwrap_or(c),
        Err(_) => c,
    }
}

pub use crate::stem::stem;

/// English words too common to say what a question is about. They still match, with a low
/// weight, but do not count towards how much of a query a document covers.
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "all", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but",
    "by", "can", "could", "did", "do", "does", "doing", "for", "from", "get", "got", "had", "has",
    "have", "how", "i", "if", "in", "into", "is", "it", "its", "just", "me", "my", "of", "on",
    "or", "our", "please", "should", "so", "some", "that", "the", "their", "them", "then", "there",
    "these", "they", "this", "to", "was", "we", "were", "what", "when", "where", "which", "who",
    "why", "will", "with", "would", "you", "your",
];

/// Whether a folded, unstemmed English word is a stop word.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

/// Whether `c` belongs to a script written without spaces between words.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'     // Hiragana, Katakana
        | '\u{3400}'..='\u{4DBF}'   // CJK Extension A
        | '\u{4E00}'..='\u{9FFF}'   // CJK Unified Ideographs
        | '\u{AC00}'..='\u{D7AF}'   // Hangul syllables
        | '\u{F900}'..='\u{FAFF}'   // CJK Compatibility Ideographs
        | '\u{20000}'..='\u{2FA1F}' // Extensions B onwards and compatibility supplement
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Digit,
    Cjk,
    Other,
}

fn classify(c: char) -> Class {
    if is_cjk(c) {
        Class::Cjk
    } else if c.is_ascii_digit() {
        Class::Digit
    } else if c.is_alphabetic() {
        Class::Letter
    } else {
        Class::Other
    }
}

/// Splits `text` into folded tokens, in order of position (a bigram follows its first unigram).
///
/// ```
/// use kefu_core::text::tokenize;
/// let terms: Vec<String> = tokenize("iPhone15退货").into_iter().map(|t| t.term).collect();
/// assert_eq!(terms, ["iphon", "15", "退", "退货", "货"]);
/// ```
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    // The current run: its class, folded text, start offset, and per-character spans for CJK.
    let mut run_class = Class::Other;
    let mut run_text = String::new();
    let mut run_start = 0;
    let mut run_end = 0;
    let mut cjk_chars: Vec<(String, usize, usize)> = Vec::new();

    for (offset, original) in text.char_indices() {
        let end = offset + original.len_utf8();
        // Folding may change the class (full-width digits become ASCII digits), so classify the
        // folded character. A character that folds to several takes the class of the first.
        let folded: String = fold_char(original).collect();
        let class = folded.chars().next().map_or(Class::Other, classify);
        if class != run_class {
            flush(
                run_class,
                &run_text,
                run_start,
                run_end,
                &cjk_chars,
                &mut tokens,
            );
            run_class = class;
            run_text.clear();
            cjk_chars.clear();
            run_start = offset;
        }
        run_end = end;
        match class {
            Class::Letter | Class::Digit => run_text.push_str(&folded),
            Class::Cjk => cjk_chars.push((folded, offset, end)),
            Class::Other => {}
        }
    }
    flush(
        run_class,
        &run_text,
        run_start,
        run_end,
        &cjk_chars,
        &mut tokens,
    );
    tokens
}

fn flush(
    class: Class,
    text: &str,
    start: usize,
    end: usize,
    cjk_chars: &[(String, usize, usize)],
    tokens: &mut Vec<Token>,
) {
    match class {
        Class::Letter | Class::Digit if !text.is_empty() => tokens.push(Token {
            term: if class == Class::Letter {
                stem(text)
            } else {
                text.to_owned()
            },
            kind: if class == Class::Digit {
                TokenKind::Number
            } else {
                TokenKind::Word
            },
            start,
            end,
        }),
        Class::Cjk => {
            for (index, (folded, char_start, char_end)) in cjk_chars.iter().enumerate() {
                tokens.push(Token {
                    term: folded.clone(),
                    kind: TokenKind::CjkUnigram,
                    start: *char_start,
                    end: *char_end,
                });
                if let Some((next, _, next_end)) = cjk_chars.get(index + 1) {
                    tokens.push(Token {
                        term: format!("{folded}{next}"),
                        kind: TokenKind::CjkBigram,
                        start: *char_start,
                        end: *next_end,
                    });
                }
            }
        }
        _ => {}
    }
}

/// One term of a parsed query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryTerm {
    /// The index term: folded, and stemmed for English words.
    pub term: String,
    /// While the customer is still typing this word (nothing follows it), the folded word as
    /// typed, unstemmed: it also matches longer index terms that start with it.
    pub prefix: Option<String>,
    /// A word of letters, which may carry a typo worth correcting.
    pub alphabetic: bool,
    /// A stop word: matched with a low weight, and not counted for coverage.
    pub stop_word: bool,
    /// A single CJK character of a longer run, which its bigrams already cover: it supports
    /// paraphrases that share characters but not pairs, with a low weight, and is not counted
    /// for coverage.
    pub cjk_unigram: bool,
    /// This word written together with its neighbour, when only a space or a hyphen separates
    /// them, folded but not yet stemmed (`pass-code` and `pass code` → `passcode`, `log in` →
    /// `login`): KBs and customers write many compounds open, hyphenated or closed, and the index
    /// only holds the form the KB uses. One entry for the word before and one for the word after.
    /// Most such pairs are no word at all, so the index stems one only after finding that some
    /// index term starts like it.
    pub joined: Vec<String>,
}

impl QueryTerm {
    /// A stop word or a lone CJK character: it adds to a score but does not count for coverage,
    /// and is highlighted only when nothing else matched.
    pub fn is_supporting(&self) -> bool {
        self.stop_word || self.cjk_unigram
    }
}

/// Parses a query with the index's tokenizer, keeping what scoring needs.
///
/// A CJK run of two or more characters is searched by its bigrams (its unigrams would only add
/// noise); a lone CJK character by itself. The last word is a prefix when nothing follows it,
/// because results update on every keystroke and the customer may be mid-word.
pub fn parse_query(query: &str) -> Vec<QueryTerm> {
    let tokens = tokenize(query);
    let typed: Vec<String> = tokens
        .iter()
        .map(|token| {
            query[token.start..token.end]
                .chars()
                .flat_map(fold_char)
                .collect()
        })
        .collect();
    // Each word with the next as one word, when both are words of letters with one space or
    // hyphen between them. Two stop words are not joined: what they make (`into`, `anyone`) is
    // a stop word too, and queries are full of such pairs.
    let compounds: Vec<Option<String>> = tokens
        .iter()
        .zip(&typed)
        .zip(tokens.iter().zip(&typed).skip(1))
        .map(|((a, a_typed), (b, b_typed))| {
            let gap = query.get(a.end..b.start)?;
            (a.kind == TokenKind::Word
                && b.kind == TokenKind::Word
                && matches!(gap, " " | "-" | "\u{2010}" | "\u{2011}")
                && !(is_stop_word(a_typed) && is_stop_word(b_typed)))
            .then(|| format!("{a_typed}{b_typed}"))
        })
        .collect();
    let mut terms: Vec<QueryTerm> = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        // A unigram that a bigram covers (any character of a run of two or more) only supports.
        let covered = token.kind == TokenKind::CjkUnigram && {
            let before = index.checked_sub(1).and_then(|i| tokens.get(i));
            let after = tokens.get(index + 1);
            let covers = |other: Option<&Token>| {
                other.is_some_and(|t| {
                    t.kind == TokenKind::CjkBigram && t.start <= token.start && token.end <= t.end
                })
            };
            covers(before) || covers(after)
        };
        if terms.iter().any(|t| t.term == token.term) {
            continue;
        }
        let typed = &typed[index];
        let is_word = matches!(token.kind, TokenKind::Word | TokenKind::Number);
        let joined = [index.checked_sub(1), Some(index)]
            .into_iter()
            .flatten()
            .filter_map(|pair| compounds.get(pair).cloned().flatten())
            .collect();
        terms.push(QueryTerm {
            term: token.term.clone(),
            prefix: (is_word && token.end == query.len()).then(|| typed.to_owned()),
            alphabetic: token.kind == TokenKind::Word,
            stop_word: token.kind == TokenKind::Word && is_stop_word(typed),
            cjk_unigram: covered,
            joined,
        });
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    fn check(text: &str, expected: Expect) {
        let rendered: Vec<String> = tokenize(text)
            .into_iter()
            .map(|t| format!("{}@{}..{}", t.term, t.start, t.end))
            .collect();
        expected.assert_eq(&rendered.join(" "));
    }

    #[test]
    fn adjacent_words_are_also_offered_joined() {
        let joined: Vec<Vec<String>> = parse_query("Log in with the pass-code")
            .into_iter()
            .map(|t| t.joined)
            .collect();
        // `in with` and `with the` are two stop words each: not joined.
        expect![[
            r#"[["login"], ["login"], [], ["thepass"], ["thepass", "passcode"], ["passcode"]]"#
        ]]
        .assert_eq(&format!("{joined:?}"));
        // Punctuation, digits and CJK break a compound.
        let joined: Vec<Vec<String>> = parse_query("log, in 2 fa 登录")
            .into_iter()
            .map(|t| t.joined)
            .collect();
        assert!(joined.iter().all(Vec::is_empty), "{joined:?}");
    }

    fn check_query(text: &str, expected: Expect) {
        let rendered: Vec<String> = parse_query(text)
            .into_iter()
            .map(|t| match t.prefix {
                Some(typed) => format!("{}({typed}*)", t.term),
                None if t.stop_word => format!("{}(stop)", t.term),
                None if t.cjk_unigram => format!("{}(+)", t.term),
                None => t.term,
            })
            .collect();
        expected.assert_eq(&rendered.join(" "));
    }

    #[test]
    fn english_words_are_lowercased_and_split_on_punctuation() {
        check(
            "Can't log in!",
            expect!["can@0..3 t@4..5 log@6..9 in@10..12"],
        );
    }

    #[test]
    fn letters_and_digits_split_and_cjk_gets_unigrams_and_bigrams() {
        check(
            "iPhone15退货",
            expect!["iphon@0..6 15@6..8 退@8..11 退货@8..14 货@11..14"],
        );
    }

    #[test]
    fn full_width_letters_digits_and_spaces_fold_to_half_width() {
        check(
            "ＡＢＣ１２３\u{3000}订单",
            expect!["abc@0..9 123@9..18 订@21..24 订单@21..27 单@24..27"],
        );
    }

    #[test]
    fn traditional_chinese_folds_to_simplified_both_in_text_and_queries() {
        check(
            "運費退貨",
            expect!["运@0..3 运费@0..6 费@3..6 费退@3..9 退@6..9 退货@6..12 货@9..12"],
        );
        assert_eq!(parse_query("登錄"), parse_query("登录"));
    }

    #[test]
    fn english_words_are_stemmed_so_inflections_meet() {
        check("Refunded refunds", expect!["refund@0..8 refund@9..16"]);
    }

    #[test]
    fn order_numbers_next_to_chinese_are_their_own_token() {
        check(
            "订单号 123456",
            expect!["订@0..3 订单@0..6 单@3..6 单号@3..9 号@6..9 123456@10..16"],
        );
    }

    #[test]
    fn query_uses_bigrams_for_runs_and_marks_the_last_word_as_prefix() {
        check_query("运费 refu", expect!["运(+) 运费 费(+) refu(refu*)"]);
        check_query("退 shipping ", expect!["退 ship"]);
        check_query(
            "How do I get refunded",
            expect!["how(stop) do(stop) i(stop) get(stop) refund(refunded*)"],
        );
        check_query(
            "怎么退货",
            expect!["怎(+) 怎么 么(+) 么退 退(+) 退货 货(+)"],
        );
    }
}

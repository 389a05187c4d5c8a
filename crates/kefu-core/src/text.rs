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
    tokenize_each(text, |term, kind, start, end| {
        tokens.push(Token {
            term: term.to_owned(),
            kind,
            start,
            end,
        });
    });
    tokens
}

/// The tokens of [`tokenize`], in the same order, handed to `emit` as (term, kind, start, end)
/// without a `String` each: the KB compiler sees millions of tokens, nearly all of them terms it
/// already holds, so allocating every one cost more than the lookup it feeds.
///
/// ```
/// use kefu_core::text::{tokenize, tokenize_each};
/// let mut terms = Vec::new();
/// tokenize_each("iPhone15退货", |term, _, _, _| terms.push(term.to_owned()));
/// let tokens: Vec<String> = tokenize("iPhone15退货").into_iter().map(|t| t.term).collect();
/// assert_eq!(terms, tokens);
/// ```
pub fn tokenize_each(text: &str, emit: impl FnMut(&str, TokenKind, usize, usize)) {
    Tokenizer::default().each(text, emit);
}

/// Stems remembered by [`Tokenizer::remembering_stems`] at most; past this many distinct words
/// the rest are stemmed each time, so a KB of random strings cannot grow the memory without end.
const MAX_REMEMBERED_STEMS: usize = 1 << 17;

/// [`tokenize_each`] for many texts in a row, reusing its buffers from one text to the next.
///
/// ```
/// use kefu_core::text::{Tokenizer, tokenize};
/// let mut tokenizer = Tokenizer::remembering_stems();
/// for text in ["Refunded refunds", "iPhone15退货"] {
///     let mut terms = Vec::new();
///     tokenizer.each(text, |term, _, _, _| terms.push(term.to_owned()));
///     let tokens: Vec<String> = tokenize(text).into_iter().map(|t| t.term).collect();
///     assert_eq!(terms, tokens);
/// }
/// ```
#[derive(Default)]
pub struct Tokenizer {
    run: Run,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer").finish_non_exhaustive()
    }
}

impl Tokenizer {
    /// A tokenizer that remembers the stem of each English word it has stemmed: the KB compiler
    /// stems the same few thousand words millions of times, and Porter's suffix rules were a tenth
    /// of a 10,000-article build. Not worth it for one short query.
    pub fn remembering_stems() -> Tokenizer {
        Tokenizer {
            run: Run {
                stems: Some(StemMap::default()),
                ..Run::default()
            },
        }
    }

    /// The tokens of `text`, exactly as [`tokenize_each`] gives them.
    pub fn each(&mut self, text: &str, mut emit: impl FnMut(&str, TokenKind, usize, usize)) {
        let run = &mut self.run;
        run.class = None;
        for (offset, original) in text.char_indices() {
            let end = offset + original.len_utf8();
            // Folding may change the class (full-width digits become ASCII digits), so classify
            // the folded character. A character that folds to several takes the class of the
            // first. ASCII, most of an English KB, folds to one character with no table lookups.
            if original.is_ascii() {
                let folded = original.to_ascii_lowercase();
                let class = if folded.is_ascii_digit() {
                    Class::Digit
                } else if folded.is_ascii_alphabetic() {
                    Class::Letter
                } else {
                    Class::Other
                };
                run.start_if_new(class, offset, &mut emit);
                run.push(class, [folded].into_iter(), offset, end);
            } else {
                let mut folded = fold_char(original).peekable();
                let class = folded.peek().map_or(Class::Other, |&first| classify(first));
                run.start_if_new(class, offset, &mut emit);
                run.push(class, folded, offset, end);
            }
        }
        run.flush(&mut emit);
        run.class = None;
    }
}

/// Folded word → its stem.
type StemMap = std::collections::HashMap<String, String, ShortKeyHash>;

/// Hashing for maps keyed by short strings the KB's editors wrote (terms, words): a
/// multiply-rotate hash, several times cheaper than SipHash on such keys. SipHash's protection
/// against chosen collisions buys nothing for text from the KB itself, and no caller depends on
/// the iteration order (the term table is sorted before encoding).
pub(crate) type ShortKeyHash = std::hash::BuildHasherDefault<ShortKeyHasher>;

/// The hasher of [`ShortKeyHash`].
#[derive(Default, Clone, Copy)]
pub(crate) struct ShortKeyHasher(u64);

impl ShortKeyHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for ShortKeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The run of same-class characters [`tokenize_each`] is in the middle of.
#[derive(Default)]
struct Run {
    class: Option<Class>,
    /// The folded letters or digits of a word or number run.
    text: String,
    start: usize,
    end: usize,
    /// The folded characters of a CJK run back to back, so a bigram is a slice of two neighbours.
    cjk_text: String,
    /// Per CJK character: its range in `cjk_text`, then its range in the original text.
    cjk_chars: Vec<(usize, usize, usize, usize)>,
    /// Scratch space for stemming, reused across words.
    stem: Vec<u8>,
    /// Stems already worked out, when the tokenizer remembers them.
    stems: Option<StemMap>,
}

impl Run {
    /// Ends the current run (emitting its tokens) when `class` differs from it.
    fn start_if_new(
        &mut self,
        class: Class,
        offset: usize,
        emit: &mut impl FnMut(&str, TokenKind, usize, usize),
    ) {
        if self.class.unwrap_or(Class::Other) != class {
            self.flush(emit);
            self.class = Some(class);
            self.start = offset;
        }
    }

    fn push(
        &mut self,
        class: Class,
        folded: impl Iterator<Item = char>,
        offset: usize,
        end: usize,
    ) {
        self.end = end;
        match class {
            Class::Letter | Class::Digit => self.text.extend(folded),
            Class::Cjk => {
                let text_start = self.cjk_text.len();
                self.cjk_text.extend(folded);
                self.cjk_chars
                    .push((text_start, self.cjk_text.len(), offset, end));
            }
            Class::Other => {}
        }
    }

    /// Emits the run's tokens and empties it.
    fn flush(&mut self, emit: &mut impl FnMut(&str, TokenKind, usize, usize)) {
        match self.class {
            Some(Class::Letter) if !self.text.is_empty() => {
                let word = self.text.as_str();
                let remembered = match &mut self.stems {
                    Some(stems) => {
                        if stems.len() < MAX_REMEMBERED_STEMS && !stems.contains_key(word) {
                            let stemmed = crate::stem::stem_into(word, &mut self.stem).to_owned();
                            stems.insert(word.to_owned(), stemmed);
                        }
                        stems.get(word)
                    }
                    None => None,
                };
                let term = match remembered {
                    Some(stemmed) => stemmed.as_str(),
                    None => crate::stem::stem_into(word, &mut self.stem),
                };
                emit(term, TokenKind::Word, self.start, self.end);
            }
            Some(Class::Digit) if !self.text.is_empty() => {
                emit(&self.text, TokenKind::Number, self.start, self.end);
            }
            Some(Class::Cjk) => {
                let chars = &self.cjk_chars;
                for (index, &(text_start, text_end, start, end)) in chars.iter().enumerate() {
                    emit(
                        &self.cjk_text[text_start..text_end],
                        TokenKind::CjkUnigram,
                        start,
                        end,
                    );
                    if let Some(&(_, next_text_end, _, next_end)) = chars.get(index + 1) {
                        emit(
                            &self.cjk_text[text_start..next_text_end],
                            TokenKind::CjkBigram,
                            start,
                            next_end,
                        );
                    }
                }
            }
            _ => {}
        }
        self.text.clear();
        self.cjk_text.clear();
        self.cjk_chars.clear();
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
    /// How many characters the customer typed for this term, folded but not stemmed: what the
    /// number of typos forgiven depends on (`shpiping` is eight letters, though its stem
    /// `shpipe` is six).
    pub typed_len: usize,
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

/// Whether a language tag (BCP 47, `-` or `_`, any case) asks for Chinese in traditional
/// characters: the script `Hant`, or a region that writes them (Taiwan, Hong Kong, Macau) unless
/// the tag says `Hans`. `zh-Hant`, `zh-TW`, `zh_hk`, `zh-Hant-CN` are; `zh`, `zh-CN`, `zh-SG`,
/// `zh-Hans-HK` and every other language are not.
pub fn is_traditional_chinese(tag: &str) -> bool {
    // Bytes, not chars: the subtags are ASCII, and splitting a str on two chars costs a kilobyte
    // of wasm.
    let mut subtags = tag.as_bytes().split(|&b| b == b'-' || b == b'_');
    if !subtags
        .next()
        .is_some_and(|language| language.eq_ignore_ascii_case(b"zh"))
    {
        return false;
    }
    let (mut hant, mut hans, mut region) = (false, false, false);
    for subtag in subtags {
        hant |= subtag.eq_ignore_ascii_case(b"hant");
        hans |= subtag.eq_ignore_ascii_case(b"hans");
        region |= [b"tw", b"hk", b"mo"]
            .iter()
            .any(|r| subtag.eq_ignore_ascii_case(*r));
    }
    hant || (region && !hans)
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
            typed_len: typed.chars().count(),
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
    fn traditional_chinese_tags() {
        for tag in [
            "zh-Hant",
            "zh-TW",
            "zh_hk",
            "ZH-MO",
            "zh-Hant-CN",
            "zh-Hant-TW",
        ] {
            assert!(is_traditional_chinese(tag), "{tag}");
        }
        for tag in [
            "zh",
            "zh-CN",
            "zh-Hans",
            "zh-SG",
            "zh-Hans-HK",
            "en",
            "en-TW",
            "",
        ] {
            assert!(!is_traditional_chinese(tag), "{tag}");
        }
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

    /// Taiwan and Hong Kong forms that Unihan's simplified variants miss or map elsewhere (the
    /// supplement of `tests/hant_table.rs`) meet the mainland's words.
    #[test]
    fn taiwan_and_hong_kong_forms_meet_the_mainland_words() {
        for (taiwan, mainland) in [
            ("哪裡", "哪里"),
            ("這週末", "这周末"),
            ("遊戲", "游戏"),
            ("乾淨", "干净"),
            ("帳號", "账号"),
            ("帳單", "账单"),
            ("妳好", "你好"),
            ("按讚", "按赞"),
            ("裏面", "里面"),
            ("滙豐", "汇丰"),
            ("衞生", "卫生"),
            ("託運", "托运"),
        ] {
            assert_eq!(parse_query(taiwan), parse_query(mainland), "{taiwan}");
        }
        // Mainland text writes 帐号 as well as 账号: both fold to 账号.
        assert_eq!(parse_query("帐号"), parse_query("账号"));
    }

    #[test]
    fn a_reused_tokenizer_gives_what_tokenize_gives() {
        let texts = [
            "Refunded refunds, refunding: REFUNDED",
            "ＡＢＣ１２３\u{3000}订单 運費退貨 iPhone15退货",
            "",
            "refunds İstanbul ñandú 123abc",
            "退货运费 refunds shipping shipped",
        ];
        for mut tokenizer in [Tokenizer::default(), Tokenizer::remembering_stems()] {
            for text in texts.iter().chain(texts.iter()) {
                let mut tokens = Vec::new();
                tokenizer.each(text, |term, kind, start, end| {
                    tokens.push(Token {
                        term: term.to_owned(),
                        kind,
                        start,
                        end,
                    });
                });
                assert_eq!(tokens, tokenize(text), "{text}");
            }
        }
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

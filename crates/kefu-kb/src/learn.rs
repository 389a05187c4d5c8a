//! Synonyms learned from the KB itself: the words that alternative phrasings of one FAQ question
//! swap for each other.
//!
//! An FAQ entry lists a standard question and its similar questions (相似问法), all leading to one
//! answer, so two phrasings of one entry that differ in a word or two are evidence that customers
//! use those words interchangeably ("my **parcel** has not arrived" / "my **package** has not
//! arrived"). One entry's pairing may be an accident of wording; the same swap in several entries
//! is a habit of the customers. So a pair is learned only when at least [`MIN_SUPPORT`] entries
//! show it, and only from phrasings close enough to be aligned: they share a word and each has at
//! most [`MAX_DIFFERENCE`] words the other lacks.
//!
//! Words are index terms (the stem of an English word, or a two-character CJK word, as the
//! tokenizer makes them), kept with the form customers wrote most often, which is what editors see
//! and veto (`learned_synonyms_veto` in `kb.toml`).

use std::collections::{BTreeMap, BTreeSet};

use kefu_core::index::LearnedSynonym;
use kefu_core::text::{TokenKind, fold_char, is_stop_word, tokenize};
use kefu_core::{DocKind, Document};

/// The fewest FAQ entries that must swap two words before they are learned as synonyms. Range 2
/// and up; 3 keeps a single entry's wording, or two entries written by one editor, from becoming
/// a rule for the whole KB.
pub const MIN_SUPPORT: u32 = 3;

/// Two phrasings are aligned, and their differing words paired, only when each has at most this
/// many words the other lacks. Range 1–6: larger pairs every word of two loose paraphrases with
/// every other, which is noise. A CJK character swapped changes two bigrams, so 4 is two
/// Chinese words or four English ones (banking77-dev: 2 learns 4 pairs, 4 learns 24 once
/// [`MIN_PMI`] filters them).
pub const MAX_DIFFERENCE: usize = 4;

/// The least share of the entries holding the rarer word of a pair in which the pair is swapped.
/// Range 0.0–1.0: it keeps a common word (`card`) from pairing with everything it happens to
/// stand next to in a few entries. Low, because [`MIN_PMI`] does most of that work.
pub const MIN_CONFIDENCE: f32 = 0.05;

/// The least pointwise mutual information of a learned pair, in nats, over all aligned pairs of
/// phrasings: how much more often the two words are swapped for each other than two words that
/// are each among the differences as often would be by chance (ln 2 = twice as often). Range
/// 0.0 up; it drops words that differ everywhere (`need`, `not`) and so pair with anything. In a
/// small KB few phrasings are aligned at all, so a pair needs about three times as many aligned
/// phrasings as its words' differences to pass 1.0.
pub const MIN_PMI: f32 = 1.0;

/// The words of one phrasing that can be learned: index term → the form as written (folded).
fn learnable_words(text: &str) -> BTreeMap<String, String> {
    let mut words = BTreeMap::new();
    for token in tokenize(text) {
        let written: String = text[token.start..token.end]
            .chars()
            .flat_map(fold_char)
            .collect();
        let learnable = match token.kind {
            TokenKind::Word => !is_stop_word(&written) && written.chars().count() >= 3,
            TokenKind::CjkBigram => true,
            TokenKind::Number | TokenKind::CjkUnigram => false,
        };
        if learnable {
            words.entry(token.term).or_insert(written);
        }
    }
    words
}

/// Learns synonym pairs from the similar questions of the FAQ entries in `documents`, leaving out
/// the pairs in `veto` (each a pair of words as an editor writes them, in either order). Sorted by
/// support, most first, then by words: deterministic, so the bundle's bytes are too.
pub fn learn_synonyms(documents: &[Document], veto: &[[String; 2]]) -> Vec<LearnedSynonym> {
    // Pair of index terms (in order) → the entries that swap them.
    let mut support: BTreeMap<(String, String), u32> = BTreeMap::new();
    // Over every aligned pair of phrasings: how often each pair of words is swapped, and how
    // often each word is among the differences at all, for the pair's pointwise mutual
    // information.
    let mut n_swaps: BTreeMap<(String, String), u32> = BTreeMap::new();
    let mut n_differing: BTreeMap<String, u32> = BTreeMap::new();
    let mut n_aligned = 0u32;
    // Index term → how many entries use it anywhere in their phrasings.
    let mut entries_with: BTreeMap<String, u32> = BTreeMap::new();
    // Index term → written form → how often, to show each term as customers write it.
    let mut written_forms: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
    for document in documents.iter().filter(|d| d.kind == DocKind::Faq) {
        let phrasings: Vec<BTreeMap<String, String>> = std::iter::once(&document.title)
            .chain(&document.similar)
            .map(|text| learnable_words(text))
            .collect();
        let mut in_entry: BTreeSet<&String> = BTreeSet::new();
        for (term, written) in phrasings.iter().flatten() {
            in_entry.insert(term);
            *written_forms
                .entry(term.clone())
                .or_default()
                .entry(written.clone())
                .or_default() += 1;
        }
        for term in in_entry {
            *entries_with.entry(term.clone()).or_default() += 1;
        }
        let mut swapped: BTreeSet<(String, String)> = BTreeSet::new();
        for (first_idx, first) in phrasings.iter().enumerate() {
            for second in &phrasings[first_idx + 1..] {
                let only_first: Vec<&String> =
                    first.keys().filter(|t| !second.contains_key(*t)).collect();
                let only_second: Vec<&String> =
                    second.keys().filter(|t| !first.contains_key(*t)).collect();
                let shared = first.len() - only_first.len();
                if shared == 0
                    || only_first.is_empty()
                    || only_second.is_empty()
                    || only_first.len() > MAX_DIFFERENCE
                    || only_second.len() > MAX_DIFFERENCE
                {
                    continue;
                }
                n_aligned += 1;
                for word in only_first.iter().chain(&only_second) {
                    *n_differing.entry((*word).clone()).or_default() += 1;
                }
                for a in &only_first {
                    for b in &only_second {
                        // Words that one phrasing uses together are not stand-ins for each other.
                        let together = phrasings
                            .iter()
                            .any(|p| p.contains_key(*a) && p.contains_key(*b));
                        if !together {
                            let pair = if a < b { (*a, *b) } else { (*b, *a) };
                            let pair = (pair.0.clone(), pair.1.clone());
                            *n_swaps.entry(pair.clone()).or_default() += 1;
                            swapped.insert(pair);
                        }
                    }
                }
            }
        }
        for pair in swapped {
            *support.entry(pair).or_default() += 1;
        }
    }

    let shown = |term: &String| -> String {
        written_forms
            .get(term)
            .and_then(|forms| {
                // The most frequent form, then the first in order.
                forms
                    .iter()
                    .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                    .map(|(form, _)| form.clone())
            })
            .unwrap_or_else(|| term.clone())
    };
    let vetoed: BTreeSet<(String, String)> = veto
        .iter()
        .filter_map(|[a, b]| {
            let (a, b) = (single_term(a)?, single_term(b)?);
            Some(if a < b { (a, b) } else { (b, a) })
        })
        .collect();
    let mut learned: Vec<LearnedSynonym> = support
        .into_iter()
        .filter(|(pair, n_entries)| {
            let rarer = entries_with
                .get(&pair.0)
                .copied()
                .unwrap_or(0)
                .min(entries_with.get(&pair.1).copied().unwrap_or(0))
                .max(1);
            // How much more often the two words are swapped than two words that differ as often
            // would be by chance.
            let pmi = {
                let swaps = n_swaps.get(pair).copied().unwrap_or(0) as f32;
                let differing =
                    |word: &String| n_differing.get(word).copied().unwrap_or(0).max(1) as f32;
                (swaps * n_aligned.max(1) as f32 / (differing(&pair.0) * differing(&pair.1))).ln()
            };
            *n_entries >= MIN_SUPPORT
                && pmi >= MIN_PMI
                && *n_entries as f32 / rarer as f32 >= MIN_CONFIDENCE
                && !vetoed.contains(pair)
        })
        .map(|((a, b), n_entries)| LearnedSynonym {
            words: [shown(&a), shown(&b)],
            support: n_entries,
        })
        .collect();
    learned.sort_by(|x, y| y.support.cmp(&x.support).then(x.words.cmp(&y.words)));
    learned
}

/// The one learnable index term of a word an editor wrote, if it is one.
pub(crate) fn single_term(word: &str) -> Option<String> {
    let words = learnable_words(word);
    let mut terms = words.into_keys();
    match (terms.next(), terms.next()) {
        (Some(term), None) => Some(term),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faq(id: &str, title: &str, similar: &[&str]) -> Document {
        Document {
            id: id.into(),
            kind: DocKind::Faq,
            locale: "en".into(),
            title: title.into(),
            category: "general".into(),
            tags: Vec::new(),
            similar: similar.iter().map(|s| (*s).into()).collect(),
            body: Vec::new(),
            pages: Vec::new(),
            flow: None,
        }
    }

    fn render(pairs: &[LearnedSynonym]) -> Vec<String> {
        pairs
            .iter()
            .map(|p| format!("{} ~ {} ({})", p.words[0], p.words[1], p.support))
            .collect()
    }

    #[test]
    fn a_swap_in_enough_entries_is_learned_and_an_accident_is_not() {
        let docs = [
            faq(
                "late",
                "My parcel is late",
                &["My package is late", "Courier lost my shipment"],
            ),
            faq(
                "damaged",
                "Parcel arrived damaged",
                &["Package arrived damaged"],
            ),
            faq("track", "Track my parcel", &["Track my package"]),
            // Only one entry swaps `refund` and `money`: not a rule.
            faq("refund", "Refund my order", &["Money for my order"]),
            // Other swaps, once each: against them, parcel/package stands out.
            faq("address", "Change my address", &["Update my address"]),
            faq("password", "Reset my password", &["Forgot my password"]),
            faq("invoice", "Download my invoice", &["Print my invoice"]),
            faq("coupon", "Apply a coupon", &["Use a coupon"]),
            faq("hours", "Opening hours", &["Business hours"]),
        ];
        assert_eq!(
            render(&learn_synonyms(&docs, &[])),
            ["package ~ parcel (3)"]
        );
        // Two entries are not enough either.
        assert!(learn_synonyms(&docs[1..], &[]).is_empty());
        // An editor's veto wins, in either order and any inflection.
        let veto = [["Parcels".to_owned(), "package".to_owned()]];
        assert!(learn_synonyms(&docs, &veto).is_empty());
    }

    #[test]
    fn chinese_two_character_words_are_learned() {
        let zh = |id: &str, title: &str, similar: &[&str]| Document {
            locale: "zh-CN".into(),
            ..faq(id, title, similar)
        };
        let docs = [
            zh("a", "怎么登录账号", &["怎么登入账号"]),
            zh("b", "登录失败", &["登入失败"]),
            zh("c", "无法登录", &["无法登入"]),
            zh("d", "查询余额", &["查看余额"]),
            zh("e", "修改密码", &["更改密码"]),
            zh("f", "申请退款", &["要求退款"]),
            zh("g", "绑定银行卡", &["添加银行卡"]),
            zh("h", "取消订单", &["撤销订单"]),
            zh("i", "开通花呗", &["打开花呗"]),
        ];
        let learned = render(&learn_synonyms(&docs, &[]));
        assert_eq!(learned, ["登入 ~ 登录 (3)"]);
    }

    #[test]
    fn articles_and_loose_paraphrases_teach_nothing() {
        let mut article = faq("a", "My parcel is late", &["My package is late"]);
        article.kind = DocKind::Article;
        let docs = [
            article.clone(),
            article.clone(),
            article,
            // Each phrasing has three words the other lacks: too far apart to align.
            faq(
                "x",
                "parcel tracking broken today",
                &["package courier missing today"],
            ),
        ];
        assert!(learn_synonyms(&docs, &[]).is_empty());
    }
}

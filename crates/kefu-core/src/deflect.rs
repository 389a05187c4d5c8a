//! Answers suggested while a customer writes to support: the contact form's subject and message
//! become a query, and the few articles that may answer it are offered before the ticket is sent.
//!
//! A message is not a search: it is long, it holds greetings and order numbers, and the customer
//! has usually read some articles already. So the query is the subject followed by the start of
//! the message, only readable answers (articles and FAQ entries, not flows) are offered, the ones
//! already read are left out, and weak matches next to a strong one are dropped rather than shown
//! as filler.

use std::collections::HashSet;

use crate::index::{Index, Ranked, SearchOptions};
use crate::kb::DocKind;
use crate::text::{TokenKind, is_stop_word, tokenize};

/// The most characters of subject and message searched. The opening of a message says what it is
/// about; searching four thousand characters would cost time on every pause in typing and let the
/// tail's small talk outvote the problem.
pub const FORM_QUERY_MAX_CHARS: usize = 200;

/// The fewest characters (after trimming) worth searching: two Chinese characters or a short word.
pub const FORM_QUERY_MIN_CHARS: usize = 2;

/// A suggestion must score at least this share of the best one, 0.0–1.0. The articles far behind
/// the first are noise, and weak suggestions teach customers to ignore the box. 0.0 would keep
/// every hit; 1.0 only ties.
pub const FORM_RELATIVE_SCORE: f32 = 0.35;

/// How much of a suggestion's title the customer's words must cover, 0.0–1.0, each title word
/// (English word, number, Chinese character) counted by its idf. A long message shares some common
/// word ("order", "still") with almost every article, and ranking alone lets articles with many
/// such words rise; an answer worth offering is one whose *title* names what the customer wrote
/// about. Below the minimum it is not offered; above it, its score is multiplied by the share's
/// square root. Chinese titles count characters, not character pairs: the pairs that straddle two
/// words (申请退货 → 请退) are rare, so their idf would outweigh the words themselves. 0.0 would
/// keep every ranked hit; measured on the demo KB's messages, 0.25 keeps the answers and drops
/// the articles that share only "order" or "怎么".
pub const FORM_MIN_TITLE_SHARE: f32 = 0.25;

impl Index {
    /// Up to `options.limit` articles or FAQ entries that may answer a message being written to
    /// support, best first, leaving out the documents whose ids are in `already_read`.
    ///
    /// ```
    /// use kefu_core::{Block, DocKind, Document, Index, Inline, SearchOptions, bundle};
    ///
    /// let article = |id: &str, title: &str| Document {
    ///     id: id.into(),
    ///     kind: DocKind::Article,
    ///     locale: "en".into(),
    ///     title: title.into(),
    ///     category: String::new(),
    ///     tags: Vec::new(),
    ///     similar: Vec::new(),
    ///     body: vec![Block::Paragraph(vec![Inline::Text(title.into())])],
    ///     pages: Vec::new(),
    ///     flow: None,
    /// };
    /// let docs = [article("refunds", "When will I get my refund?"), article("invoices", "Invoices")];
    /// let index = Index::from_bytes(bundle::encode(&docs, &bundle::BundleMeta::new("en"))).unwrap();
    /// let options = SearchOptions { locale: Some("en".into()), limit: 3 };
    /// let answers = index.answers_for_message("Refund", "Hello, where is my refund? Order 123456", &options, &[]);
    /// assert_eq!(index.entry(answers[0].doc).id, "refunds");
    /// assert!(index.answers_for_message("Refund", "", &options, &["refunds"]).is_empty());
    /// ```
    pub fn answers_for_message(
        &self,
        subject: &str,
        message: &str,
        options: &SearchOptions,
        already_read: &[&str],
    ) -> Vec<Ranked> {
        let query = form_query(subject, message);
        if query.chars().count() < FORM_QUERY_MIN_CHARS || options.limit == 0 {
            return Vec::new();
        }
        // Rank more than asked for: some hits are flows or already read.
        let wider = SearchOptions {
            locale: options.locale.clone(),
            limit: options.limit + already_read.len() + 8,
        };
        let written: HashSet<String> = tokenize(&query)
            .into_iter()
            .map(|token| token.term)
            .collect();
        let mut ranked: Vec<Ranked> = self
            .rank(&query, &wider)
            .into_iter()
            .filter(|hit| {
                let entry = self.entry(hit.doc);
                entry.kind != DocKind::Flow && !already_read.contains(&entry.id.as_str())
            })
            .filter_map(|hit| {
                let share = self.title_share(&self.entry(hit.doc).title, &written);
                (share >= FORM_MIN_TITLE_SHARE).then_some(Ranked {
                    doc: hit.doc,
                    score: hit.score * share.sqrt(),
                })
            })
            .collect();
        // Deterministic, as everywhere: higher score first, then lower document number.
        ranked.sort_by(Ranked::by_score);
        let Some(best) = ranked.first().map(|hit| hit.score) else {
            return Vec::new();
        };
        ranked
            .into_iter()
            .filter(|hit| hit.score >= best * FORM_RELATIVE_SCORE)
            .take(options.limit)
            .collect()
    }
}

impl Index {
    /// The share of `title`'s words (English words and numbers, not stop words; Chinese
    /// characters) that occur in `written`, each weighted by its idf, 0.0–1.0.
    fn title_share(&self, title: &str, written: &HashSet<String>) -> f32 {
        let n_docs = self.len() as f32;
        let (mut covered, mut total) = (0f32, 0f32);
        for token in tokenize(title) {
            if token.kind == TokenKind::CjkBigram || is_stop_word(&token.term) {
                continue;
            }
            let df = self.document_frequency(&token.term) as f32;
            let idf = (1.0 + (n_docs - df + 0.5) / (df + 0.5)).ln();
            total += idf;
            if written.contains(&token.term) {
                covered += idf;
            }
        }
        if total > 0.0 { covered / total } else { 0.0 }
    }
}

/// The subject, then the message, on one line, cut at [`FORM_QUERY_MAX_CHARS`] characters.
fn form_query(subject: &str, message: &str) -> String {
    let joined = format!("{} {}", subject.trim(), message.trim());
    joined
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(FORM_QUERY_MAX_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::bundle::{self, BundleMeta};
    use crate::kb::{Block, Document, Inline};

    fn doc(id: &str, kind: DocKind, title: &str, body: &str) -> Document {
        Document {
            id: id.into(),
            kind,
            locale: "zh-CN".into(),
            title: title.into(),
            category: String::new(),
            tags: Vec::new(),
            similar: Vec::new(),
            body: vec![Block::Paragraph(vec![Inline::Text(body.into())])],
            pages: Vec::new(),
            flow: None,
        }
    }

    fn index() -> Index {
        let docs = [
            doc(
                "returns",
                DocKind::Article,
                "如何申请退货？",
                "签收后七天内可以在订单页申请退货退款。",
            ),
            doc(
                "refund-time",
                DocKind::Faq,
                "退款多久到账？",
                "退款原路返回，一般一到三个工作日到账。",
            ),
            doc(
                "shipping",
                DocKind::Article,
                "运费怎么算？",
                "满九十九元包邮，偏远地区另计。",
            ),
            doc(
                "return-flow",
                DocKind::Flow,
                "退货遇到问题",
                "一步一步排查退货问题。",
            ),
        ];
        Index::from_bytes(bundle::encode(&docs, &BundleMeta::new("zh-CN"))).unwrap()
    }

    fn ids(index: &Index, ranked: &[Ranked]) -> Vec<String> {
        ranked
            .iter()
            .map(|hit| index.entry(hit.doc).id.clone())
            .collect()
    }

    fn options(limit: usize) -> SearchOptions {
        SearchOptions {
            locale: Some("zh-CN".into()),
            limit,
        }
    }

    #[test]
    fn subject_and_message_find_the_answer_and_never_a_flow() {
        let index = index();
        let answers = index.answers_for_message(
            "退货",
            "你好，我上周买的鞋子想退货，订单号 2026112300018，请问怎么操作？",
            &options(3),
            &[],
        );
        let found = ids(&index, &answers);
        assert_eq!(found.first().map(String::as_str), Some("returns"));
        assert!(!found.contains(&"return-flow".to_owned()), "{found:?}");
        assert!(found.len() <= 3);
    }

    #[test]
    fn answers_already_read_are_not_offered_again() {
        let index = index();
        let answers = index.answers_for_message(
            "退款",
            "我退货了，退款多久到账？",
            &options(3),
            &["returns"],
        );
        let found = ids(&index, &answers);
        assert!(!found.contains(&"returns".to_owned()), "{found:?}");
        assert_eq!(found.first().map(String::as_str), Some("refund-time"));
    }

    #[test]
    fn weak_matches_beside_a_strong_one_are_dropped() {
        let index = index();
        // 运费 matches the shipping article strongly; the message's 七天 also occurs in the
        // returns article, which would be shown as filler.
        let message = "我买的鞋子七天了";
        let all = index.rank(&form_query("运费怎么算", message), &options(3));
        assert!(ids(&index, &all).contains(&"returns".to_owned()));
        let answers = index.answers_for_message("运费怎么算", message, &options(3), &[]);
        assert_eq!(ids(&index, &answers), ["shipping"]);
    }

    #[test]
    fn an_answer_must_be_about_what_was_written_not_share_its_small_words() {
        let en = |id: &str, title: &str, body: &str| Document {
            locale: "en".into(),
            ..doc(id, DocKind::Article, title, body)
        };
        let docs = [
            en(
                "refunds",
                "When will I get my refund?",
                "Refunds reach your account in 3 days.",
            ),
            en(
                "coupons",
                "How do I use a coupon?",
                "If your order still shows the full price two weeks after you placed the order, \
                 the coupon was not applied to that order.",
            ),
        ];
        let index = Index::from_bytes(bundle::encode(&docs, &BundleMeta::new("en"))).unwrap();
        let options = SearchOptions {
            locale: Some("en".into()),
            limit: 3,
        };
        let message = "I returned my order two weeks ago and the refund is still not here.";
        let ranked = ids(&index, &index.rank(message, &options));
        assert_eq!(
            ranked,
            ["coupons", "refunds"],
            "ranking alone prefers the small words"
        );
        let answers = index.answers_for_message("", message, &options, &[]);
        assert_eq!(ids(&index, &answers), ["refunds"]);
    }

    #[test]
    fn too_little_text_or_no_room_searches_nothing() {
        let index = index();
        assert!(
            index
                .answers_for_message(" ", "退", &options(3), &[])
                .is_empty()
        );
        assert!(
            index
                .answers_for_message("退货", "", &options(0), &[])
                .is_empty()
        );
    }

    #[test]
    fn the_query_is_the_subject_then_the_start_of_the_message_on_one_line() {
        assert_eq!(
            form_query(" 退货 ", "第一行\n\n第二行"),
            "退货 第一行 第二行"
        );
        let long = "退".repeat(FORM_QUERY_MAX_CHARS * 3);
        assert_eq!(form_query("", &long).chars().count(), FORM_QUERY_MAX_CHARS);
    }
}

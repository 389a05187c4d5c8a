//! Groups of similar search queries for `kefu report`, so "退款多久到账", "退款什么时候到账" and
//! "退款几天到" reach the editor as one question asked three ways rather than three rows.
//!
//! Each query becomes the set of terms the engine itself would search for
//! ([`kefu_core::text::tokenize`]: folded, traditional Chinese as simplified, English stemmed,
//! CJK as unigrams and bigrams), minus English stop words and CJK terms made only of question
//! and function characters ([`CJK_FUNCTION_CHARS`]). Two queries are similar when the Jaccard
//! similarity of their term sets is at least [`SIMILARITY`].
//!
//! Clustering is greedy and led by the most frequent query: queries are taken by count (most
//! first, ties by text), and each joins the first group whose leader it is similar to, or leads
//! a new one. Plain single-link clustering (joining any similar member) was tried first and
//! chains: on 1,000 synthetic queries 857 ended in one group, through pairs such as
//! `退款不能用` ~ `账号不能用` ~ `账号在哪里`. Comparing with the leader only keeps each group about
//! one question, and the result is deterministic whatever order the database returns rows in.

use std::collections::BTreeSet;

use kefu_core::text::{TokenKind, fold_char, is_stop_word, tokenize};
use kefu_server::store::Counted;

/// The least Jaccard similarity `|A ∩ B| / |A ∪ B|` of two queries' term sets for them to share
/// a group, as a fraction (numerator, denominator) so the comparison is exact integer arithmetic.
///
/// One quarter joins Chinese paraphrases that share a subject and a verb (`退款多久到账` and
/// `退款几天到` share 退, 款, 到 and 退款: 4 of 16 terms) and English ones that share a content
/// word out of a few, but keeps apart queries that share only one character of a pair
/// (`退款` and `退货` share 退 alone: 1 of 5).
pub const SIMILARITY: (usize, usize) = (1, 4);

/// CJK characters that ask rather than say what about (`怎么`, `什么`, `哪里`, `吗`): a unigram
/// or bigram made only of them is left out, as English stop words are, so `退款怎么办` and
/// `发票怎么办` do not meet on `怎么`.
pub const CJK_FUNCTION_CHARS: &str =
    "的了吗呢吧啊么怎什哪里谁为何是我你他她在有没要能会可以请问如这那个一下就还都也和与把被给办";

/// Similar queries counted together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryGroup {
    /// The most frequent phrasing, which names the group.
    pub label: String,
    /// How often any phrasing of the group was searched.
    pub total: i64,
    /// The phrasings, most frequent first, ties by text then locale.
    pub phrasings: Vec<Counted>,
}

/// The terms a query is compared by. English stop words are left out because "how do I" says
/// nothing about the question; a query made only of them keeps them, and a query with no terms
/// at all is compared by its folded, trimmed text, so identical ones still meet.
pub fn terms(query: &str) -> BTreeSet<String> {
    let tokens = tokenize(query);
    let content: BTreeSet<String> = tokens
        .iter()
        .filter(|token| match token.kind {
            TokenKind::CjkUnigram | TokenKind::CjkBigram => {
                !token.term.chars().all(|c| CJK_FUNCTION_CHARS.contains(c))
            }
            TokenKind::Number => true,
            TokenKind::Word => {
                let typed: String = query
                    .get(token.start..token.end)
                    .unwrap_or_default()
                    .chars()
                    .flat_map(fold_char)
                    .collect();
                !is_stop_word(&typed)
            }
        })
        .map(|token| token.term.clone())
        .collect();
    if !content.is_empty() {
        return content;
    }
    let all: BTreeSet<String> = tokens.into_iter().map(|token| token.term).collect();
    if !all.is_empty() {
        return all;
    }
    let folded: String = query.trim().chars().flat_map(fold_char).collect();
    BTreeSet::from([folded])
}

/// Whether two term sets are at least [`SIMILARITY`] alike.
fn similar(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    let shared = a.intersection(b).count();
    let union = a.len() + b.len() - shared;
    let (numerator, denominator) = SIMILARITY;
    union > 0 && shared * denominator >= numerator * union
}

/// Groups `queries` by similarity to each group's leader: groups by total count, most first,
/// ties by label.
///
/// Each query is compared with the leaders so far, so the cost is at most quadratic in the
/// number of distinct queries; the report reads at most a thousand of them.
pub fn group(queries: &[Counted]) -> Vec<QueryGroup> {
    let mut sorted: Vec<&Counted> = queries.iter().collect();
    sorted.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.key.cmp(&b.key))
            .then_with(|| a.locale.cmp(&b.locale))
    });
    let mut groups: Vec<QueryGroup> = Vec::new();
    let mut leader_terms: Vec<BTreeSet<String>> = Vec::new();
    for query in sorted {
        let query_terms = terms(&query.key);
        match leader_terms
            .iter()
            .position(|leader| similar(leader, &query_terms))
        {
            Some(slot) => {
                groups[slot].total += query.count;
                groups[slot].phrasings.push(query.clone());
            }
            None => {
                groups.push(QueryGroup {
                    label: query.key.clone(),
                    total: query.count,
                    phrasings: vec![query.clone()],
                });
                leader_terms.push(query_terms);
            }
        }
    }
    groups.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.label.cmp(&b.label)));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    /// Renders the groups one per line as `total label: phrasing(locale)×count, …`.
    fn check(queries: &[(&str, &str, i64)], expected: &[&str]) {
        let counted: Vec<Counted> = queries
            .iter()
            .map(|(key, locale, count)| Counted {
                key: (*key).into(),
                locale: (*locale).into(),
                count: *count,
            })
            .collect();
        let rendered: Vec<String> = group(&counted)
            .iter()
            .map(|group| {
                let phrasings: Vec<String> = group
                    .phrasings
                    .iter()
                    .map(|p| format!("{}({})×{}", p.key, p.locale, p.count))
                    .collect();
                format!("{} {}: {}", group.total, group.label, phrasings.join(", "))
            })
            .collect();
        assert_eq!(rendered, expected);
    }

    #[test]
    fn chinese_paraphrases_share_a_group() {
        check(
            &[
                ("退款多久到账", "zh-CN", 3),
                ("退款什么时候到账", "zh-CN", 2),
                ("退款几天到", "zh-CN", 1),
                ("退货地址", "zh-CN", 2),
                ("退货", "zh-CN", 1),
                ("退款", "zh-CN", 1),
                ("退款怎么办", "zh-CN", 1),
                ("发票怎么办", "zh-CN", 1),
            ],
            // The bare subject 退款 joins its questions, while 退货 (returns, not refunds) stays
            // with the other returns question, and 发票怎么办 does not meet 退款怎么办 on 怎么.
            &[
                "8 退款多久到账: 退款多久到账(zh-CN)×3, 退款什么时候到账(zh-CN)×2, \
                 退款(zh-CN)×1, 退款几天到(zh-CN)×1, 退款怎么办(zh-CN)×1",
                "3 退货地址: 退货地址(zh-CN)×2, 退货(zh-CN)×1",
                "1 发票怎么办: 发票怎么办(zh-CN)×1",
            ],
        );
    }

    #[test]
    fn traditional_chinese_joins_simplified() {
        check(
            &[
                ("退款多久到帳", "zh-TW", 2),
                ("退款多久到账", "zh-CN", 2),
                ("發票抬頭怎麼改", "zh-TW", 1),
                ("发票抬头", "zh-CN", 1),
            ],
            &[
                "4 退款多久到帳: 退款多久到帳(zh-TW)×2, 退款多久到账(zh-CN)×2",
                "2 发票抬头: 发票抬头(zh-CN)×1, 發票抬頭怎麼改(zh-TW)×1",
            ],
        );
    }

    #[test]
    fn english_stems_and_stop_words() {
        check(
            &[
                ("how long does a refund take", "en", 2),
                ("refund how long", "en", 1),
                ("when will my refunds arrive", "en", 1),
                ("change shipping address", "en", 2),
                ("Shipping address", "en", 1),
                ("how do I", "en", 1),
                ("<script>alert(1)</script>", "en", 1),
            ],
            &[
                "4 how long does a refund take: how long does a refund take(en)×2, \
                 refund how long(en)×1, when will my refunds arrive(en)×1",
                "3 change shipping address: change shipping address(en)×2, \
                 Shipping address(en)×1",
                "1 <script>alert(1)</script>: <script>alert(1)</script>(en)×1",
                "1 how do I: how do I(en)×1",
            ],
        );
    }

    #[test]
    fn order_does_not_change_groups() {
        let make = |keys: &[&str]| -> Vec<Counted> {
            keys.iter()
                .map(|key| Counted {
                    key: (*key).into(),
                    locale: "zh-CN".into(),
                    count: 1,
                })
                .collect()
        };
        let forward = group(&make(&[
            "退款几天到",
            "退款多久到账",
            "退款什么时候到账",
            "发票",
        ]));
        let backward = group(&make(&[
            "发票",
            "退款什么时候到账",
            "退款多久到账",
            "退款几天到",
        ]));
        assert_eq!(forward, backward);
        // With equal counts the leader is the first by text, 退款什么时候到账; 退款几天到 shares
        // 4 of its 17 terms with it, just under a quarter, and leads a group of its own. The
        // price of not chaining: a group is what resembles its leader.
        let labels: Vec<&str> = forward.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(labels, ["退款什么时候到账", "发票", "退款几天到"]);
        assert_eq!(forward[0].phrasings.len(), 2);
    }

    #[test]
    fn leaders_stop_chaining() {
        // 退款不能用 ~ 账号不能用 (4 of 12 terms) and 账号不能用 ~ 账号在哪里 (4 of 8), but the
        // ends share nothing: single-link clustering would make one group of all three. (That
        // 账号不能用 joins 退款不能用 on 不能用 alone is the known cost of unweighted terms.)
        let chain: Vec<Counted> = [("退款不能用", 4), ("账号不能用", 3), ("账号在哪里", 2)]
            .iter()
            .map(|(key, count)| Counted {
                key: (*key).into(),
                locale: "zh-CN".into(),
                count: *count,
            })
            .collect();
        let labels: Vec<String> = group(&chain).into_iter().map(|g| g.label).collect();
        assert_eq!(labels, ["退款不能用", "账号在哪里"]);
    }
}

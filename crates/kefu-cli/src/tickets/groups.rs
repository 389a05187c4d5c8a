//! Groups of similar search queries for `kefu report`, so "退款多久到账", "退款什么时候到账" and
//! "退款几天到" reach the editor as one question asked three ways rather than three rows.
//!
//! Each query becomes the set of terms the engine itself would search for
//! ([`kefu_core::text::tokenize`]: folded, traditional Chinese as simplified, English stemmed,
//! CJK as unigrams and bigrams), minus English stop words. Two queries are similar when the
//! Jaccard similarity of their term sets is at least [`SIMILARITY`]; groups are the connected
//! components of that relation (single-link clustering), which is deterministic whatever the
//! input order.

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
        .filter(|token| {
            token.kind != TokenKind::Word || {
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

/// Finds a set's representative, halving paths as it goes.
fn root(parents: &mut [usize], mut index: usize) -> usize {
    while parents[index] != index {
        parents[index] = parents[parents[index]];
        index = parents[index];
    }
    index
}

/// Groups `queries` by similarity: groups by total count, most first, ties by label.
///
/// Every pair is compared, so the cost is quadratic in the number of distinct queries; the
/// report caps that number (a thousand pairs up in well under a second).
pub fn group(queries: &[Counted]) -> Vec<QueryGroup> {
    let mut sorted: Vec<&Counted> = queries.iter().collect();
    sorted.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.key.cmp(&b.key))
            .then_with(|| a.locale.cmp(&b.locale))
    });
    let term_sets: Vec<BTreeSet<String>> = sorted.iter().map(|q| terms(&q.key)).collect();
    let mut parents: Vec<usize> = (0..sorted.len()).collect();
    for first in 0..sorted.len() {
        for second in first + 1..sorted.len() {
            if similar(&term_sets[first], &term_sets[second]) {
                let (a, b) = (root(&mut parents, first), root(&mut parents, second));
                // The smaller index is the more frequent query, so it stays the root and names
                // the group.
                parents[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: Vec<QueryGroup> = Vec::new();
    let mut group_of_root: Vec<Option<usize>> = vec![None; sorted.len()];
    for (index, query) in sorted.iter().enumerate() {
        let representative = root(&mut parents, index);
        let slot = match group_of_root[representative] {
            Some(slot) => slot,
            None => {
                groups.push(QueryGroup {
                    label: sorted[representative].key.clone(),
                    total: 0,
                    phrasings: Vec::new(),
                });
                group_of_root[representative] = Some(groups.len() - 1);
                groups.len() - 1
            }
        };
        groups[slot].total += query.count;
        groups[slot].phrasings.push((*query).clone());
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
            ],
            // The bare subject 退款 joins its questions (it shares 3 of 9 terms with 退款几天到),
            // while 退货 (returns, not refunds) stays with the other returns question.
            &[
                "7 退款多久到账: 退款多久到账(zh-CN)×3, 退款什么时候到账(zh-CN)×2, \
                 退款(zh-CN)×1, 退款几天到(zh-CN)×1",
                "3 退货地址: 退货地址(zh-CN)×2, 退货(zh-CN)×1",
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
        assert_eq!(forward.len(), 2);
    }
}

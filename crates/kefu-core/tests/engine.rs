//! Native tests of the engine through its public API: bundle round trips, ranking snapshots on a
//! small zh-CN / zh-TW / en fixture KB, and decoding of hostile bytes.
#![allow(clippy::unwrap_used)]

use expect_test::{Expect, expect};
use kefu_core::bundle::{self, BundleMeta, FORMAT_VERSION};
use kefu_core::{Block, BundleError, DocKind, Document, Index, Inline, SearchOptions};
use proptest::prelude::*;

fn doc(id: &str, locale: &str, title: &str, similar: &[&str], body: &str) -> Document {
    Document {
        id: id.into(),
        kind: DocKind::Article,
        locale: locale.into(),
        title: title.into(),
        category: "help".into(),
        tags: Vec::new(),
        similar: similar.iter().map(|s| s.to_string()).collect(),
        body: body
            .split("\n\n")
            .map(|p| Block::Paragraph(vec![Inline::Text(p.into())]))
            .collect(),
    }
}

/// The shared mini KB: a few articles in simplified Chinese, traditional Chinese and English.
fn fixture() -> Vec<Document> {
    vec![
        doc(
            "shipping-costs",
            "zh-CN",
            "运费怎么算？",
            &["包邮吗", "邮费多少"],
            "订单满 99 元包邮。偏远地区另收运费。\n\n需要更快送达可以选择加急快递，费用另计。",
        ),
        doc(
            "returns",
            "zh-CN",
            "如何申请退换货？",
            &["怎么退货", "可以换货吗"],
            "签收后 7 天内可以无理由退货。在「我的订单」中点击「申请退货」。",
        ),
        doc(
            "cannot-log-in",
            "zh-CN",
            "无法登录怎么办？",
            &["登录不了", "收不到验证码"],
            "先确认手机号是否正确。连续 5 次输错密码后账号会锁定 30 分钟。",
        ),
        doc(
            "returns",
            "zh-TW",
            "如何申請退換貨？",
            &["怎麼退貨"],
            "簽收後 7 天內可以無理由退貨。",
        ),
        doc(
            "shipping-costs",
            "en",
            "How much is shipping?",
            &["delivery fee", "is shipping free"],
            "Orders over ¥99 ship free. Remote regions pay a surcharge.\n\nExpress shipping is faster and costs extra.",
        ),
        doc(
            "refunds",
            "en",
            "When will I get my refund?",
            &["money back", "refund not received"],
            "Refunds to Alipay or WeChat Pay arrive in 1-3 days; bank cards take 3-7 working days.",
        ),
        doc(
            "cannot-log-in",
            "en",
            "I can't log in",
            &["login not working", "verification code not arriving"],
            "Check the phone number first. After 5 wrong passwords the account locks for 30 minutes.",
        ),
    ]
}

fn index() -> Index {
    Index::from_bytes(bundle::encode(&fixture(), &BundleMeta::new("zh-CN"))).unwrap()
}

fn check(query: &str, locale: &str, expected: Expect) {
    let index = index();
    let options = SearchOptions {
        locale: Some(locale.into()),
        limit: 5,
    };
    let rendered: Vec<String> = index
        .search(query, &options)
        .iter()
        .map(|hit| {
            let entry = index.entry(hit.doc);
            let mut snippet = hit.snippet.text.clone();
            // Mark highlights with [brackets], last first so earlier offsets stay valid.
            for &(start, end) in hit.snippet.highlights.iter().rev() {
                snippet.insert(end as usize, ']');
                snippet.insert(start as usize, '[');
            }
            format!("{}/{} {}", entry.locale, entry.id, snippet)
        })
        .collect();
    expected.assert_eq(&rendered.join("\n"));
}

#[test]
fn chinese_query_finds_the_article_by_bigrams() {
    check(
        "运费",
        "zh-CN",
        expect![
            "zh-CN/shipping-costs 订单满 99 元包邮。偏远地区另收[运费]。需要更快送达可以选择加急快递，费用另计。"
        ],
    );
}

#[test]
fn a_colloquial_chinese_question_matches_the_similar_questions() {
    check(
        "我想退货",
        "zh-CN",
        expect![
            "zh-CN/returns 签收后 7 天内可以无理由[退货]。在「我的订单」中点击「申请[退货]」。"
        ],
    );
}

#[test]
fn english_words_and_a_prefix_being_typed() {
    check(
        "refu",
        "en",
        expect![
            "en/refunds [Refunds] to Alipay or WeChat Pay arrive in 1-3 days; bank cards take 3-7 working days."
        ],
    );
    check(
        "log in",
        "en",
        expect![
            "en/cannot-log-in Check the phone number first. After 5 wrong passwords the account locks for 30 minutes."
        ],
    );
}

#[test]
fn a_locale_sees_its_own_translation_and_falls_back_to_the_default_for_the_rest() {
    // zh-TW has only "returns": its own version wins, shipping falls back to zh-CN.
    check(
        "退貨",
        "zh-TW",
        expect!["zh-TW/returns 簽收後 7 天內可以無理由[退貨]。"],
    );
    check(
        "运费",
        "zh-Hant-TW",
        expect![
            "zh-CN/shipping-costs 订单满 99 元包邮。偏远地区另收[运费]。需要更快送达可以选择加急快递，费用另计。"
        ],
    );
}

#[test]
fn traditional_and_simplified_chinese_find_each_other() {
    // 運費 (traditional) finds the simplified article; 退货 (simplified) finds the traditional one.
    check(
        "運費",
        "zh-CN",
        expect![
            "zh-CN/shipping-costs 订单满 99 元包邮。偏远地区另收[运费]。需要更快送达可以选择加急快递，费用另计。"
        ],
    );
    check(
        "退货",
        "zh-TW",
        expect!["zh-TW/returns 簽收後 7 天內可以無理由[退貨]。"],
    );
}

#[test]
fn inflected_english_words_meet_their_stem() {
    check(
        "refunded",
        "en",
        expect![
            "en/refunds [Refunds] to Alipay or WeChat Pay arrive in 1-3 days; bank cards take 3-7 working days."
        ],
    );
}

#[test]
fn a_common_completion_beats_a_rare_one_while_typing() {
    // Regression: "refu" ranked an article mentioning "refuse" once above the refunds articles,
    // because the rare completion had the higher idf.
    let docs = vec![
        doc(
            "refunds",
            "en",
            "Refunds",
            &["refund not received"],
            "Refunds take 1-3 days.",
        ),
        doc(
            "refund-time",
            "en",
            "Refund times",
            &[],
            "A refund to a bank card takes longer.",
        ),
        doc(
            "address",
            "en",
            "Change the address",
            &[],
            "If it is too late, refuse the delivery.",
        ),
    ];
    let index = Index::from_bytes(bundle::encode(&docs, &BundleMeta::new("en"))).unwrap();
    let hits = index.search("refu", &SearchOptions::default());
    let ids: Vec<&str> = hits
        .iter()
        .map(|hit| index.entry(hit.doc).id.as_str())
        .collect();
    assert_eq!(ids, ["refunds", "refund-time", "address"]);
}

#[test]
fn results_do_not_flicker_while_an_inflected_word_is_typed() {
    let index = index();
    let options = SearchOptions {
        locale: Some("en".into()),
        limit: 5,
    };
    let word = "shipping";
    for end in 4..=word.len() {
        let hits = index.search(&word[..end], &options);
        let top = hits.first().map(|hit| index.entry(hit.doc).id.as_str());
        assert_eq!(
            top,
            Some("shipping-costs"),
            "after typing {:?}",
            &word[..end]
        );
    }
}

#[test]
fn typos_in_longer_words_are_forgiven_but_rank_below_exact_matches() {
    // One letter missing from a five-letter word, and a doubled consonant dropped.
    check(
        "refnd ",
        "en",
        expect![
            "en/refunds [Refunds] to Alipay or WeChat Pay arrive in 1-3 days; bank cards take 3-7 working days."
        ],
    );
    check(
        "shiping ",
        "en",
        expect![
            "en/shipping-costs …rders over ¥99 [ship] free. Remote regions pay a surcharge. Express [shipping] is faster and c…"
        ],
    );
    let index = index();
    let options = SearchOptions {
        locale: Some("en".into()),
        limit: 5,
    };
    let exact = index.search("refund ", &options)[0].score;
    let typo = index.search("refnd ", &options)[0].score;
    assert!(
        typo < exact,
        "a typo ({typo}) must score below the exact word ({exact})"
    );
    // Short words are not corrected: "lag" is not "log".
    assert!(index.search("lag ", &options).is_empty());
}

#[test]
fn stop_words_alone_do_not_decide_the_ranking() {
    check(
        "how do I get my money back",
        "en",
        expect!["en/refunds [money] [back]"],
    );
}

#[test]
fn editor_synonyms_let_a_customer_use_their_own_words() {
    let mut meta = BundleMeta::new("zh-CN");
    meta.synonyms = vec![
        vec!["运费".into(), "邮费".into(), "快递费".into()],
        vec!["log in".into(), "sign in".into(), "登录".into()],
    ];
    let index = Index::from_bytes(bundle::encode(&fixture(), &meta)).unwrap();
    let top = |query: &str, locale: &str| {
        let options = SearchOptions {
            locale: Some(locale.into()),
            limit: 3,
        };
        let hits = index.search(query, &options);
        hits.first().map(|hit| index.entry(hit.doc).id.clone())
    };
    // 快递费 appears nowhere in the KB; its synonym 运费 does.
    assert_eq!(
        top("快递费多少", "zh-CN").as_deref(),
        Some("shipping-costs")
    );
    // "sign in" appears nowhere; "log in" does.
    assert_eq!(
        top("cannot sign in", "en").as_deref(),
        Some("cannot-log-in")
    );
    // Without the synonyms neither query finds its article.
    let plain = self::index();
    let options = SearchOptions {
        locale: Some("en".into()),
        limit: 3,
    };
    assert!(plain.search("sign", &options).is_empty());
}

#[test]
fn learned_synonyms_find_the_other_word_below_the_customers_own() {
    let docs = vec![
        doc(
            "lost-package",
            "en",
            "Package lost in transit",
            &[],
            "Tell us the order number.",
        ),
        doc(
            "parcel-fees",
            "en",
            "Parcel fees",
            &[],
            "Fees depend on weight.",
        ),
    ];
    let mut meta = BundleMeta::new("en");
    meta.learned_synonyms = vec![kefu_core::index::LearnedSynonym {
        words: ["packages".into(), "parcel".into()],
        support: 3,
    }];
    let learned = Index::from_bytes(bundle::encode(&docs, &meta)).unwrap();
    let plain = Index::from_bytes(bundle::encode(&docs, &BundleMeta::new("en"))).unwrap();
    let ids = |index: &Index, query: &str| -> Vec<String> {
        index
            .rank(query, &SearchOptions::default())
            .iter()
            .map(|hit| index.entry(hit.doc).id.clone())
            .collect()
    };
    // The pair works both ways, and through the stem of the word as the compiler stored it.
    assert_eq!(
        ids(&learned, "lost parcel "),
        ["lost-package", "parcel-fees"]
    );
    assert_eq!(ids(&learned, "parcel "), ["parcel-fees", "lost-package"]);
    assert_eq!(
        ids(&learned, "package fee "),
        ["parcel-fees", "lost-package"]
    );
    assert_eq!(ids(&plain, "parcel "), ["parcel-fees"]);
}

#[test]
fn the_similar_question_a_query_fills_outranks_words_scattered_over_many() {
    let docs = vec![
        doc(
            "scattered",
            "en",
            "Card questions",
            &[
                "card declined",
                "payment abroad",
                "card limits",
                "foreign payment",
            ],
            "",
        ),
        doc(
            "one-phrasing",
            "en",
            "Declined abroad",
            &["my card payment was declined abroad", "travel notice"],
            "",
        ),
    ];
    let index = Index::from_bytes(bundle::encode(&docs, &BundleMeta::new("en"))).unwrap();
    let ranked = index.rank("card payment declined abroad ", &SearchOptions::default());
    let ids: Vec<&str> = ranked
        .iter()
        .map(|hit| index.entry(hit.doc).id.as_str())
        .collect();
    assert_eq!(ids, ["one-phrasing", "scattered"]);
}

#[test]
fn did_you_mean_offers_real_words_from_the_kb() {
    let index = index();
    let en = Some("en");
    assert_eq!(
        index.suggest("shiping costs", en).as_deref(),
        Some("shipping costs")
    );
    assert_eq!(
        index.suggest("verifcation code", en).as_deref(),
        Some("verification code")
    );
    // Two edits in an eight-letter word, and a swapped pair of letters.
    assert_eq!(index.suggest("recieved", en).as_deref(), Some("received"));
    assert_eq!(index.suggest("refund", en), None, "nothing to correct");
    assert_eq!(index.suggest("xyzzyq", en), None, "nothing close enough");
    assert_eq!(
        index.suggest("运费", Some("zh-CN")),
        None,
        "Chinese is not corrected by edits"
    );
}

#[test]
fn rank_orders_exactly_as_search_does() {
    let index = index();
    for (query, locale) in [
        ("运费", "zh-CN"),
        ("退貨", "zh-TW"),
        ("refu", "en"),
        ("how do I log in", "en"),
        ("zz", "en"),
    ] {
        let options = SearchOptions {
            locale: Some(locale.into()),
            limit: 5,
        };
        let searched: Vec<(u32, f32)> = index
            .search(query, &options)
            .iter()
            .map(|h| (h.doc, h.score))
            .collect();
        let ranked: Vec<(u32, f32)> = index
            .rank(query, &options)
            .iter()
            .map(|r| (r.doc, r.score))
            .collect();
        assert_eq!(searched, ranked, "{query}");
    }
}

#[test]
fn closest_articles_when_nothing_matches() {
    let index = index();
    let en = SearchOptions {
        locale: Some("en".into()),
        limit: 3,
    };
    let ids = |ranked: Vec<kefu_core::Ranked>| -> Vec<String> {
        ranked
            .into_iter()
            .map(|r| index.entry(r.doc).id.clone())
            .collect()
    };
    // Through the did-you-mean correction.
    assert!(index.search("recieved ", &en).is_empty());
    assert_eq!(
        ids(index.closest("recieved ", &en))
            .first()
            .map(String::as_str),
        Some("refunds")
    );
    // Through single characters: 费用 shares no pair with the KB, 费 alone is in shipping costs.
    let zh = SearchOptions {
        locale: Some("zh-CN".into()),
        limit: 3,
    };
    assert!(index.search("收费标准", &zh).is_empty());
    assert_eq!(
        ids(index.closest("收费标准", &zh))
            .first()
            .map(String::as_str),
        Some("shipping-costs")
    );
    // Nothing close at all.
    assert!(index.closest("xyzzyq", &en).is_empty());
}

#[test]
fn a_synonym_phrase_is_not_stood_in_for_by_one_of_its_words() {
    // Regression: with 运费 = 快递费, the bigram 快递 alone (all over a tracking article) counted as
    // the full synonym, and so did the lone characters 快 and 费.
    let docs = vec![
        doc(
            "shipping-costs",
            "zh-CN",
            "运费说明",
            &[],
            "满 99 元免运费。",
        ),
        doc(
            "track-package",
            "zh-CN",
            "查询快递",
            &["快递到哪了"],
            "快递单号在订单页。快递公司会更新物流。",
        ),
    ];
    let mut meta = BundleMeta::new("zh-CN");
    meta.synonyms = vec![vec!["运费".into(), "快递费".into()]];
    let index = Index::from_bytes(bundle::encode(&docs, &meta)).unwrap();
    let hits = index.rank("运费", &SearchOptions::default());
    assert_eq!(index.entry(hits[0].doc).id, "shipping-costs");
    let tracking = hits
        .iter()
        .find(|h| index.entry(h.doc).id == "track-package")
        .map_or(0.0, |h| h.score);
    assert!(
        tracking < hits[0].score / 2.0,
        "tracking {tracking} vs shipping {}",
        hits[0].score
    );
    // The whole phrase still works: 快递费 finds the shipping article first.
    let hits = index.rank("快递费", &SearchOptions::default());
    assert_eq!(index.entry(hits[0].doc).id, "shipping-costs");
}

#[test]
fn nothing_searchable_gives_no_hits_rather_than_an_error() {
    check("?!。 ", "en", expect![""]);
    check("zzzzqqq", "en", expect![""]);
}

#[test]
fn round_trip_keeps_every_document_and_is_deterministic() {
    let docs = fixture();
    let bytes = bundle::encode(&docs, &BundleMeta::new("zh-CN"));
    assert_eq!(
        bytes,
        bundle::encode(&docs, &BundleMeta::new("zh-CN")),
        "same input, same bytes"
    );
    let index = Index::from_bytes(bytes).unwrap();
    assert_eq!(index.len(), docs.len());
    for (number, original) in docs.iter().enumerate() {
        assert_eq!(&index.document(number as u32).unwrap(), original);
    }
    assert_eq!(index.meta().default_locale, "zh-CN");
    assert_eq!(index.find("returns", "zh-TW"), Some(3));
    assert_eq!(
        index.find("refunds", "zh-CN"),
        None,
        "no zh-CN refunds and en is not the default"
    );
    assert_eq!(index.find("refunds", "en"), Some(5));
}

#[test]
fn damaged_bundles_are_refused_with_the_reason() {
    let bytes = bundle::encode(&fixture(), &BundleMeta::new("zh-CN"));
    assert_eq!(
        Index::from_bytes(Vec::new()).unwrap_err(),
        BundleError::TooShort { len: 0 }
    );
    assert_eq!(
        Index::from_bytes(b"<!doctype html><html>...</html>".repeat(4)).unwrap_err(),
        BundleError::BadMagic
    );

    let mut newer = bytes.clone();
    newer[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let error = Index::from_bytes(newer).unwrap_err();
    assert_eq!(
        error,
        BundleError::Version {
            expected: FORMAT_VERSION,
            got: FORMAT_VERSION + 1
        }
    );
    assert!(error.to_string().contains("rebuild the KB"), "{error}");

    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    assert!(matches!(
        Index::from_bytes(flipped).unwrap_err(),
        BundleError::Checksum { .. }
    ));

    let truncated = bytes[..bytes.len() - 10].to_vec();
    assert!(Index::from_bytes(truncated).is_err());
}

/// Rewrites the checksum so mutations reach the section decoders instead of stopping at the CRC.
fn reseal(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.len() >= 16 {
        let crc = crc32fast(&bytes[16..]);
        bytes[12..16].copy_from_slice(&crc.to_le_bytes());
    }
    bytes
}

fn crc32fast(bytes: &[u8]) -> u32 {
    // Bitwise CRC-32, independent of the engine's table-driven one.
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                0xEDB8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The fixture's bundle, encoded once for the hundreds of thousands of mutation cases.
fn fixture_bundle() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| bundle::encode(&fixture(), &BundleMeta::new("zh-CN")))
}

proptest! {
    // The issue asks for hundreds of thousands of mutated bundles in CI; each case takes tens of
    // microseconds in release and well under a millisecond in debug.
    #![proptest_config(ProptestConfig { cases: 200_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Mutated, resealed bundles either decode or fail cleanly, and any that decode can be searched
    /// and read without panicking.
    #[test]
    fn mutated_bundles_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = fixture_bundle().to_vec();
        for (position, value) in edits {
            let at = position.index(bytes.len());
            bytes[at] = value;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        if let Ok(index) = Index::from_bytes(reseal(bytes)) {
            for query in ["运费", "refund", "r", "退"] {
                for hit in index.search(query, &SearchOptions::default()) {
                    let _ = index.document(hit.doc);
                }
            }
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 5_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary bytes behind a valid header never panic the decoder.
    #[test]
    fn arbitrary_bytes_never_panic(tail in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut bytes = bundle::MAGIC.to_vec();
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(&tail);
        let _ = Index::from_bytes(reseal(bytes));
    }

    /// Any query text is safe to search: no panics, highlights inside the snippet on char bounds.
    #[test]
    fn any_query_is_safe(query in "\\PC{0,24}") {
        let index = index();
        for hit in index.search(&query, &SearchOptions::default()) {
            for (start, end) in hit.snippet.highlights {
                prop_assert!(start < end && (end as usize) <= hit.snippet.text.len());
                prop_assert!(hit.snippet.text.is_char_boundary(start as usize));
                prop_assert!(hit.snippet.text.is_char_boundary(end as usize));
            }
        }
    }
}

//! Tests of ranking against a reference: the straightforward scorer `Index::score` was before it
//! was made fast (every postings list decoded whole into `Posting`s, every touched document
//! sorted), kept here verbatim so that every speed-up is checked to give the same documents in
//! the same order with the same scores, to the bit, over generated KBs and queries.

use proptest::prelude::*;

use super::*;
use crate::kb::{Block, DocKind, Inline};

/// What the reference keeps of an index term that matched.
struct ReferenceMatch {
    query_idx: usize,
    weight: f32,
    idf: f32,
    postings: Postings,
}

/// `Index::score` as it was, scoring with the postings decoded by `Index::read_postings`.
fn score_exhaustive(
    index: &Index,
    query_terms: &[QueryTerm],
    options: &SearchOptions,
    relaxed: bool,
) -> Vec<Ranked> {
    if query_terms.is_empty() || options.limit == 0 {
        return Vec::new();
    }
    let visible = index.visible(options.locale.as_deref());
    let n_docs = index.docs.len() as f32;
    let n_terms = query_terms.len();
    // Per matched document, the best contribution of each query term: dense arrays indexed by
    // document number, so the hot loop neither hashes nor allocates per posting.
    let mut slot_of: Vec<u32> = vec![u32::MAX; index.docs.len()];
    let mut touched: Vec<u32> = Vec::new();
    let mut contributions: Vec<f32> = Vec::new();
    let mut matches: Vec<ReferenceMatch> = Vec::new();

    let mut synonyms = index.synonym_terms(query_terms);
    for (query_idx, query_term) in query_terms.iter().enumerate() {
        let term_weight = if query_term.stop_word {
            STOP_WORD_WEIGHT
        } else if query_term.cjk_unigram {
            CJK_UNIGRAM_WEIGHT
        } else {
            1.0
        };
        let mut expansions = index.expand(query_term);
        for (synonym, weight) in std::mem::take(&mut synonyms[query_idx]) {
            if let Some(offset) = index.lookup(&synonym) {
                let slot = expansions.entry(synonym).or_insert(Expansion {
                    offset,
                    weight: 0.0,
                    completion: false,
                });
                slot.weight = slot.weight.max(weight);
            }
        }
        let decoded: Vec<(String, Expansion, Postings)> = expansions
            .into_iter()
            .filter_map(|(term, expansion)| {
                let postings = index.read_postings(&term, expansion.offset)?;
                Some((term, expansion, postings))
            })
            .collect();
        // Completions of the word being typed share one idf, that of the prefix as a whole:
        // otherwise the rarest completion wins (`refu` → `refuse` over `refund`), though the
        // customer is far more likely typing the common word.
        let completion_df: usize = decoded
            .iter()
            .filter(|(_, e, _)| e.completion)
            .map(|(_, _, p)| p.len())
            .sum();
        let idf_of = |df: usize| {
            let df = (df as f32).min(n_docs);
            (1.0 + (n_docs - df + 0.5) / (df + 0.5)).ln()
        };
        for (term, expansion, postings) in decoded {
            // A supporting character in more than a tenth of the documents says next to
            // nothing and costs the longest postings lists: skip it. Not in the relaxed
            // ranking of `closest`, where characters are all a query has left.
            if !relaxed
                && query_term.cjk_unigram
                && postings.len() > MIN_SKIPPED_DF
                && postings.len() * MAX_SUPPORTING_SHARE > index.docs.len()
            {
                continue;
            }
            let weight = expansion.weight * term_weight;
            let idf = idf_of(if expansion.completion {
                completion_df
            } else {
                postings.len()
            });
            for &Posting { doc, freqs, .. } in &postings {
                if visible.is_some_and(|v| !v.get(doc as usize).copied().unwrap_or(false)) {
                    continue;
                }
                let (Some(field_factors), Some(slot)) = (
                    index.field_factors.get(doc as usize),
                    slot_of.get_mut(doc as usize),
                ) else {
                    continue;
                };
                let weighted_tf: f32 = freqs
                    .iter()
                    .zip(field_factors)
                    .map(|(freq, factor)| *freq as f32 * *factor)
                    .sum();
                let contribution = weight * idf * weighted_tf * (K1 + 1.0) / (weighted_tf + K1);
                if *slot == u32::MAX {
                    *slot = touched.len() as u32;
                    touched.push(doc);
                    contributions.extend(std::iter::repeat_n(0.0, n_terms));
                }
                let cell = &mut contributions[*slot as usize * n_terms + query_idx];
                if contribution > *cell {
                    *cell = contribution;
                }
            }
            let _ = term;
            matches.push(ReferenceMatch {
                query_idx,
                weight,
                idf,
                postings,
            });
        }
    }

    // Coverage counts the words that carry meaning; a query of stop words only counts them all.
    let supporting = QueryTerm::is_supporting;
    let counts: Vec<bool> = if relaxed || query_terms.iter().all(supporting) {
        vec![true; n_terms]
    } else {
        query_terms.iter().map(|t| !supporting(t)).collect()
    };
    let n_counted = counts.iter().filter(|c| **c).count().max(1) as f32;
    // A document that matched only stop words is not a hit: "how do I" alone says nothing.
    let mut ranked: Vec<Ranked> = touched
        .iter()
        .enumerate()
        .filter_map(|(slot, &doc)| {
            let cells = &contributions[slot * n_terms..(slot + 1) * n_terms];
            let matched = cells
                .iter()
                .zip(&counts)
                .filter(|(c, counted)| **counted && **c > 0.0)
                .count() as f32;
            let coverage = matched / n_counted;
            (matched > 0.0).then(|| Ranked {
                doc,
                score: cells.iter().sum::<f32>() * coverage.sqrt(),
            })
        })
        .collect();
    // Deterministic: higher score first, then lower document number.
    let by_score = |a: &Ranked, b: &Ranked| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc));
    ranked.sort_by(by_score);
    // The best single phrasing of each candidate, from the postings already decoded: only
    // for the leading candidates, since in a large KB a query touches thousands of
    // documents and the phrasing bonus only reorders those near the top.
    ranked.truncate(options.limit.max(RERANK_CANDIDATES));
    // `slot_of` now maps each candidate to its place in `ranked`, and `cells` holds, per
    // candidate, `n_terms` cells for each of its phrasings.
    for &doc in &touched {
        if let Some(slot) = slot_of.get_mut(doc as usize) {
            *slot = u32::MAX;
        }
    }
    let mut cell_starts = Vec::with_capacity(ranked.len());
    let mut n_cells = 0;
    for (candidate, hit) in ranked.iter().enumerate() {
        if let Some(slot) = slot_of.get_mut(hit.doc as usize) {
            *slot = candidate as u32;
        }
        cell_starts.push(n_cells);
        n_cells += index.instance_factors(hit.doc).len() * n_terms;
    }
    let mut cells = vec![0f32; n_cells];
    for term_match in &matches {
        let mut visit = |posting: &Posting| {
            let Some(&candidate) = slot_of.get(posting.doc as usize) else {
                return;
            };
            let Some(&start) = cell_starts.get(candidate as usize) else {
                return;
            };
            let factors = index.instance_factors(posting.doc);
            let mut update = |instance: usize| {
                if let (Some(cell), Some(factor)) = (
                    cells.get_mut(start + instance * n_terms + term_match.query_idx),
                    factors.get(instance),
                ) {
                    *cell = cell.max(term_match.weight * term_match.idf * factor);
                }
            };
            if posting.freqs[Field::Title as usize] > 0 {
                update(0);
            }
            let mut bits = posting.questions;
            while bits != 0 {
                update(1 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        };
        // Walk a short postings list; look the candidates up in a long one.
        if term_match.postings.len() <= ranked.len() * 8 {
            term_match.postings.iter().for_each(&mut visit);
        } else {
            for hit in &ranked {
                if let Ok(at) = term_match
                    .postings
                    .binary_search_by_key(&hit.doc, |posting| posting.doc)
                {
                    visit(&term_match.postings[at]);
                }
            }
        }
    }
    for (hit, &start) in ranked.iter_mut().zip(&cell_starts) {
        let n_instances = index.instance_factors(hit.doc).len();
        let rows = cells
            .get(start..start + n_instances * n_terms)
            .unwrap_or_default();
        let mut phrasing_scores: Vec<f32> = rows
            .chunks_exact(n_terms)
            .map(|row| {
                let (mut sum, mut matched) = (0f32, 0u32);
                for (cell, counted) in row.iter().zip(&counts) {
                    sum += cell;
                    matched += u32::from(*counted && *cell > 0.0);
                }
                sum * (matched as f32 / n_counted).sqrt()
            })
            .collect();
        phrasing_scores.sort_by(|a, b| b.total_cmp(a));
        let bonus: f32 = phrasing_scores
            .iter()
            .take(COUNTED_PHRASINGS)
            .zip(std::iter::successors(Some(1f32), |decay| {
                Some(decay * PHRASING_DECAY)
            }))
            .map(|(score, decay)| decay * score)
            .sum();
        hit.score += INSTANCE_WEIGHT * bonus;
    }
    ranked.sort_by(by_score);
    ranked.truncate(options.limit);
    ranked
}

fn document(
    number: usize,
    locale: &str,
    title: String,
    similar: Vec<String>,
    body: String,
) -> Document {
    Document {
        id: format!("doc-{number}"),
        kind: DocKind::Article,
        locale: locale.into(),
        title,
        category: "help".into(),
        tags: Vec::new(),
        similar,
        body: vec![Block::Paragraph(vec![Inline::Text(body)])],
        pages: Vec::new(),
        flow: None,
    }
}

/// A small vocabulary, so that words recur across documents and queries, long postings lists
/// (above `CACHE_MIN_DF`) occur, and prefixes, typos and stop words all come up.
const WORDS: &[&str] = &[
    "card", "cards", "refund", "refuse", "delivery", "deliver", "password", "reset", "account",
    "payment", "pay", "order", "orders", "shipping", "ship", "how", "the", "my", "is", "not",
    "退款", "订单", "发货", "快递", "密码", "重置", "账户", "支付", "花呗", "还款", "的", "我",
];

fn text(picks: &[u8]) -> String {
    let mut out = String::new();
    for &pick in picks {
        let word = WORDS[pick as usize % WORDS.len()];
        if !out.is_empty() && word.is_ascii() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// A generated KB: (title, similar questions, body) word picks per document.
type Generated = Vec<(Vec<u8>, Vec<Vec<u8>>, Vec<u8>)>;

fn generated_kb() -> impl Strategy<Value = Generated> {
    prop::collection::vec(
        (
            prop::collection::vec(any::<u8>(), 1..5),
            prop::collection::vec(prop::collection::vec(any::<u8>(), 1..6), 0..4),
            prop::collection::vec(any::<u8>(), 0..12),
        ),
        1..260,
    )
}

fn documents(generated: &Generated) -> Vec<Document> {
    generated
        .iter()
        .enumerate()
        .map(|(number, (title, similar, body))| {
            // Mostly English and simplified Chinese, with translations falling back.
            let locale = if number % 3 == 0 { "en" } else { "zh-CN" };
            document(
                number,
                locale,
                text(title),
                similar.iter().map(|q| text(q)).collect(),
                text(body),
            )
        })
        .collect()
}

fn build(generated: &Generated, synonyms: bool) -> Index {
    let docs = documents(generated);
    let mut meta = BundleMeta::new("zh-CN");
    if synonyms {
        meta.synonyms = vec![
            vec!["refund".into(), "money back".into()],
            vec!["快递".into(), "物流".into()],
        ];
    }
    // The bundle is made from generated documents, so it is well formed.
    #[allow(clippy::unwrap_used)]
    Index::from_bytes(bundle::encode(&docs, &meta)).unwrap()
}

fn assert_same_as_reference(index: &Index, query: &str, locale: &str, limit: usize) {
    let options = SearchOptions {
        locale: Some(locale.into()),
        limit,
    };
    let query_terms = parse_query(query);
    let expected = score_exhaustive(index, &query_terms, &options, false);
    // Twice: the second time long postings lists come from the cache.
    for _ in 0..2 {
        let got = index.score(&query_terms, &options, false).0;
        assert_eq!(got.len(), expected.len(), "query {query:?}");
        for (got, expected) in got.iter().zip(&expected) {
            assert_eq!(
                (got.doc, got.score.to_bits()),
                (expected.doc, expected.score.to_bits()),
                "query {query:?}"
            );
        }
    }
    let terms: Vec<QueryTerm> = query_terms.into_iter().filter(|t| !t.stop_word).collect();
    let expected = score_exhaustive(index, &terms, &options, true);
    let got = index.score(&terms, &options, true).0;
    let pairs = |ranked: &[Ranked]| -> Vec<(u32, u32)> {
        ranked.iter().map(|r| (r.doc, r.score.to_bits())).collect()
    };
    assert_eq!(pairs(&got), pairs(&expected), "relaxed query {query:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn ranking_equals_the_exhaustive_reference(
        generated in generated_kb(),
        queries in prop::collection::vec((prop::collection::vec(any::<u8>(), 1..6), 0usize..4, any::<bool>()), 1..6),
        synonyms in any::<bool>(),
        limit in prop_oneof![Just(10usize), Just(1), Just(150)],
    ) {
        let index = build(&generated, synonyms);
        for (picks, cut, english) in &queries {
            let mut query = text(picks);
            // Some queries end in a word being typed: cut a few characters off.
            for _ in 0..*cut {
                query.pop();
            }
            if *cut == 0 {
                query.push(' ');
            }
            let locale = if *english { "en" } else { "zh-CN" };
            assert_same_as_reference(&index, &query, locale, limit);
        }
    }
}

/// A KB large enough that queries touch more documents than `RERANK_CANDIDATES` and lists pass
/// `CACHE_MIN_DF`, with a cache small enough to be emptied: fixed, so it runs on every `cargo
/// test` quickly.
#[test]
fn many_documents_rank_as_the_reference_does() {
    let generated: Generated = (0..600u32)
        .map(|n| {
            let pick = |k: u32| (n.wrapping_mul(2654435761).rotate_left(k) % 251) as u8;
            (
                vec![pick(3), pick(7)],
                vec![vec![pick(11), pick(13), pick(17)], vec![pick(19), pick(23)]],
                (0..8).map(|k| pick(k * 5 + 1)).collect(),
            )
        })
        .collect();
    assert_postings_read_back(&generated);
    let index = build(&generated, true);
    for query in [
        "how do I reset my password ",
        "refund for my order ",
        "refu",
        "c",
        "订单退款 ",
        "我的快递发货",
        "花",
        "the my is ",
        "paymnet card ",
    ] {
        for locale in ["en", "zh-CN"] {
            for limit in [1, 10, 200] {
                assert_same_as_reference(&index, query, locale, limit);
            }
        }
    }
}

/// Every term's postings list reads back as the KB's own (renumbered as in the bundle), a CJK
/// character's too, though the bundle stores only what its bigrams leave over of it: it must, for
/// every character, since `text::tokenize` makes bigrams of every run. Every bigram is found
/// through its first character's block, not the fst, and the section holds each term's list once.
fn assert_postings_read_back(generated: &Generated) {
    assert_postings_of_read_back(&documents(generated));
}

/// [`assert_postings_read_back`] of any documents; returns their index.
fn assert_postings_of_read_back(docs: &[Document]) -> Index {
    // The bundle is made from well-formed documents.
    #[allow(clippy::unwrap_used)]
    let index = Index::from_bytes(bundle::encode(docs, &BundleMeta::new("zh-CN"))).unwrap();
    let (tables, _) = collect_terms_on(docs, 1);
    let mut by_term: Vec<String> = index
        .postings_by_term()
        .into_iter()
        .map(|(term, _)| term)
        .collect();
    by_term.sort();
    let mut terms: Vec<String> = tables
        .iter()
        .flatten()
        .map(|(term, _)| term.clone())
        .collect();
    terms.sort();
    terms.dedup();
    assert_eq!(by_term, terms);
    // The walk that finds the characters finds what a stream over the fst does, in its order.
    let mut characters = Vec::new();
    let mut stream = index.terms.stream();
    while let Some((key, offset)) = stream.next() {
        let key = String::from_utf8_lossy(key);
        if is_derived_unigram(&key) {
            characters.extend(key.chars().map(|c| (c, offset)));
        }
    }
    assert_eq!(index.characters(), characters.as_slice());
    for (term, list) in tables.iter().flatten() {
        let offset = index.lookup(term);
        assert!(offset.is_some(), "{term} is found");
        let offset = offset.unwrap_or_default();
        if cjk_pair(term).is_some() {
            assert_eq!(
                index.terms.get(term),
                None,
                "{term} is held, not in the fst"
            );
        }
        let mut expected: Vec<Posting> = list
            .iter()
            .map(|posting| {
                let doc = &docs[posting.doc as usize];
                let number = index.find(&doc.id, &doc.locale).unwrap_or(u32::MAX);
                let n_questions = usize::from(index.question_counts[number as usize]);
                as_read(
                    Posting {
                        doc: number,
                        ..*posting
                    },
                    n_questions,
                )
            })
            .collect();
        expected.sort_by_key(|posting| posting.doc);
        assert_eq!(index.read_postings(term, offset), Some(expected), "{term}");
        if is_derived_unigram(term) {
            let (mut pos, _) = index.postings_start(offset).unwrap_or_default();
            let stored = read_varint(&index.postings, &mut pos);
            assert_eq!(
                stored.map(|word| word & 1),
                Some(1),
                "{term} is stored as left over"
            );
        }
    }
    index
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_postings_list_reads_back(generated in generated_kb()) {
        assert_postings_read_back(&generated);
    }
}

/// How `encode_terms` stores the list of the character 花 next to its one bigram 花呗 (in
/// document 0's title `花呗` once): as the word `n << 1 | 1` after `df` (entries left over)
/// when the bigram gives the list back, as `df << 1` (the whole list) when it cannot.
fn stored_word_of_hua(hua_in_title: u32) -> Option<u64> {
    let posting = |title| Posting {
        doc: 0,
        freqs: [title, 0, 0, 0],
        questions: 0,
    };
    let mut table = TermTable::default();
    table.insert("花".to_owned(), vec![posting(hua_in_title)]);
    table.insert("花呗".to_owned(), vec![posting(1)]);
    table.insert("呗".to_owned(), vec![posting(1)]);
    let tables = [table];
    let (fst_bytes, postings) = encode_terms(&tables, &sorted_terms(&tables), &[0], &[0]);
    let terms = fst::Map::new(fst_bytes).ok()?;
    let mut pos = usize::try_from(terms.get("花")?).ok()?;
    let df = read_varint(&postings, &mut pos)?;
    assert_eq!(df, 1);
    read_varint(&postings, &mut pos)
}

#[test]
fn a_character_is_stored_as_what_its_bigrams_leave_over_or_else_whole() {
    // 花 once, in 花呗: the bigram covers it, nothing is left over, and one list follows.
    assert_eq!(stored_word_of_hua(1), Some(1));
    // 花 twice (花呗 and a lone 花): one entry is left over.
    assert_eq!(stored_word_of_hua(2), Some((1 << 1) | 1));
    // 花 never, yet its bigram holds it (no tokenizer makes this): stored whole.
    assert_eq!(stored_word_of_hua(0), Some(1 << 1));
}

#[test]
fn a_questions_mask_is_written_as_its_one_question_or_else_whole() {
    for mask in [
        1u32,
        1 << 7,
        1 << 9,
        1 << 31,
        0,
        0b11,
        0b10_1000_0001,
        u32::MAX,
    ] {
        let code = questions_code(mask, 10);
        assert_eq!(questions_mask(code, 10), Some(mask), "mask {mask:#b}");
        assert_eq!(code < MAX_QUESTION_INSTANCES as u64, mask.count_ones() == 1);
    }
    // One question, from the eighth on, takes one varint byte where its mask took two.
    assert_eq!(questions_code(1 << 9, 10), 9);
    // Past every mask is corrupt, not a wrapped mask.
    let past = u64::from(u32::MAX) + MAX_QUESTION_INSTANCES as u64 + 1;
    assert_eq!(questions_mask(past, 10), None);
    // Up to seven questions, every mask is one byte as it is, and is written so.
    for mask in 0..1 << PLAIN_MASKS_UP_TO {
        assert_eq!(questions_code(mask, PLAIN_MASKS_UP_TO), u64::from(mask));
        assert_eq!(
            questions_mask(u64::from(mask), PLAIN_MASKS_UP_TO),
            Some(mask)
        );
    }
    assert_eq!(questions_mask(u64::from(u32::MAX) + 1, 2), None);
}

/// Documents with many similar questions: words in one question (the first, the tenth, one past
/// [`MAX_QUESTION_INSTANCES`], for which no mask bit stands), in several, and in every one.
#[test]
fn questions_masks_of_many_questions_read_back() {
    let docs: Vec<Document> = (0..6usize)
        .map(|n| {
            let similar = (0..40usize)
                .map(|q| {
                    let mut words = vec!["card"];
                    if q == 0 || q == 9 || q == 33 + n {
                        words.push("refund");
                    }
                    if q % (n + 2) == 0 {
                        words.push("delivery");
                    }
                    if q == 3 * n {
                        words.push("退款");
                    }
                    if q == 35 {
                        words.push("password");
                    }
                    words.join(" ")
                })
                .collect();
            document(n, "en", format!("title {n}"), similar, String::new())
        })
        .collect();
    let index = assert_postings_of_read_back(&docs);
    let refund = index.lookup("refund");
    assert!(refund.is_some());
    let postings = refund
        .and_then(|offset| index.read_postings("refund", offset))
        .unwrap_or_default();
    assert_eq!(postings.len(), 6);
    assert!(
        postings
            .iter()
            .all(|posting| posting.questions == 1 | 1 << 9),
        "the question past the mask's 32 adds no bit: {postings:?}"
    );
}

/// A character's bigrams are found in its block whether their lists take more than
/// [`HELD_LENGTHS_FROM`] bytes in all (their lengths written, 的 here: about 200 bigrams in 400
/// documents) or not (the lists read to find one: each other character's).
#[test]
fn bigrams_are_found_in_their_characters_blocks_with_lengths_or_without() {
    let docs: Vec<Document> = (0..400u32)
        .map(|n| {
            let title: String = (0..10)
                .flat_map(|k| {
                    let second = char::from_u32(0x4E00 + (n * 7 + k * 13) % 200).unwrap_or('一');
                    ['的', second]
                })
                .collect();
            document(n as usize, "zh-CN", title, Vec::new(), String::new())
        })
        .collect();
    let index = assert_postings_of_read_back(&docs);
    let layout_of = |character: char| {
        index
            .characters()
            .iter()
            .find(|(c, _)| *c == character)
            .and_then(|&(_, offset)| index.block(offset))
            .map(|block| (block.held, block.lengths))
    };
    // A few of the 200 characters fold into others (traditional into simplified).
    assert!(matches!(layout_of('的'), Some((held, true)) if held > 190));
    assert_eq!(layout_of('一'), Some((1, false)));
    assert_eq!(index.lookup("的的"), None);
    assert!(index.lookup("一的").is_some());
}

fn decoded_list(len: usize) -> Arc<ScoredPostings> {
    Arc::new(ScoredPostings {
        df: len,
        entries: vec![
            Scored {
                doc_and_title: 0,
                weighted_tf: 1.0,
                questions: 0,
            };
            len
        ],
    })
}

#[test]
fn the_decoded_cache_drops_the_least_recently_used_lists_and_stays_bounded() {
    let mut cache = DecodedCache::default();
    let quarter = MAX_CACHED_ENTRIES / 4;
    for offset in 0..4 {
        cache.insert(offset, decoded_list(quarter));
    }
    assert_eq!(cache.n_entries, 4 * quarter);
    // List 0, the oldest inserted, is the most recently used.
    assert!(cache.get(0).is_some());
    // A fifth does not fit: the two least recently used go (1 and 2), leaving room to spare.
    cache.insert(4, decoded_list(quarter));
    assert_eq!(cache.n_entries, 3 * quarter);
    for (offset, kept) in [(0, true), (1, false), (2, false), (3, true), (4, true)] {
        assert_eq!(cache.get(offset).is_some(), kept, "list {offset}");
    }
    // A list larger than the whole cache is not kept, and evicts nothing.
    cache.insert(9, decoded_list(MAX_CACHED_ENTRIES + 1));
    assert!(cache.get(9).is_none());
    assert_eq!(cache.n_entries, 3 * quarter);
}

#[test]
fn a_decoded_entry_is_twelve_bytes_and_keeps_document_and_title_apart() {
    assert_eq!(std::mem::size_of::<Scored>(), 12);
    let entry = Scored {
        doc_and_title: 12_345 | TITLE_BIT,
        weighted_tf: 0.5,
        questions: 0,
    };
    assert_eq!((entry.doc(), entry.in_title()), (12_345, true));
    let entry = Scored {
        doc_and_title: TITLE_BIT - 1,
        ..entry
    };
    assert_eq!((entry.doc(), entry.in_title()), (TITLE_BIT - 1, false));
}

proptest! {
    #[test]
    fn ranking_keys_order_hits_as_the_ranking_does(
        a in (any::<u32>(), any::<f32>()),
        b in (any::<u32>(), any::<f32>()),
    ) {
        let (a, b) = (Ranked { doc: a.0, score: a.1 }, Ranked { doc: b.0, score: b.1 });
        let by_score = b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc));
        prop_assert_eq!(b.key().cmp(&a.key()), by_score);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever the lookups and insertions, the cache counts exactly the entries it holds, never
    /// more than its budget, and keeps a list it was just given when the list fits at all.
    #[test]
    fn the_decoded_cache_stays_within_its_budget_and_counts_true(
        operations in proptest::collection::vec(
            (any::<bool>(), 0u64..40, prop_oneof![0usize..2_000, Just(MAX_CACHED_ENTRIES / 3), Just(MAX_CACHED_ENTRIES + 1)]),
            1..60,
        ),
    ) {
        let mut cache = DecodedCache::default();
        for (insert, offset, len) in operations {
            if insert {
                let known = cache.get(offset).is_some();
                cache.insert(offset, decoded_list(len));
                prop_assert_eq!(cache.get(offset).is_some(), known || len <= MAX_CACHED_ENTRIES);
            } else {
                cache.get(offset);
            }
            let held: usize = cache.lists.values().map(|list| list.postings.entries.len()).sum();
            prop_assert_eq!(cache.n_entries, held);
            prop_assert!(cache.n_entries <= MAX_CACHED_ENTRIES);
        }
    }
}

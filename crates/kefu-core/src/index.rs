//! The searchable index: building term postings from documents, and ranking documents for a query.
//!
//! Terms live in an `fst::Map` from term to the byte offset of its postings list. A postings list
//! is `df` (a LEB128 varint) followed by one entry per document, most of them a single byte:
//!
//! ```text
//! header byte   bits 0-3  the fields the term occurs in (bit = `Field as u8`)
//!               bit 4     set: the term occurs once in each of those fields (no frequencies follow)
//!               bits 5-7  the document number as a delta from the previous entry's (from 0 for
//!                         the first), when below 7; 7 means a varint of `delta - 7` follows
//! [varint]      delta - 7, when bits 5-7 are 7
//! [varints]     the term frequency in each field of the mask, when bit 4 is clear
//! [varint]      which of the first [`MAX_QUESTION_INSTANCES`] similar questions hold the term,
//!               when it occurs in the questions and the document has more than one of them (with
//!               exactly one, it is that one): a bit mask; with more than seven questions, the
//!               place of the one question holding it, or the mask plus 32 (`questions_code`)
//! ```
//!
//! A term once in one field, in a document close to the previous one, is the common case in a FAQ
//! (afqmc-dev: most entries), so it takes one byte (it took three to five in format version 3).
//!
//! A single CJK character is the exception. Wherever it is not the last of its run, it is the
//! first half of a bigram, so its list is mostly the sum of the lists of its bigrams (format
//! version 5); and a bigram is found through its first character (format version 6), so the fst
//! holds no bigrams, which were most of its keys. A character's postings are one block:
//!
//! ```text
//! df            varint, the length of the character's whole list
//! n << 1 | d    varint: d = 1, the block holds the n entries its bigrams leave over (the
//!               character at the end of a run, or alone), and the list is those plus the
//!               bigrams' lists; d = 0, it holds all n = df entries (the writer's fallback where
//!               the sum would not give the list back exactly)
//! k << 1 | l    varint: the block holds the lists of k bigrams, and l = 1 their lengths
//! k steps       varints: the places of the bigrams' second characters among the CJK characters
//!               that are terms (in key order), each as its step from the one after the previous
//!               With l = 1, the bytes of what follows up to the n entries, then the bytes of
//!               the n entries, then each step followed by the bytes of that bigram's list.
//! n entries     the layout above
//! k lists       each bigram's list as any other: df, then its entries
//! ```
//!
//! A bigram is held so when both its characters are terms, which is every bigram
//! `text::tokenize` makes. The lengths are written when the block holds bigrams and its entries
//! (its own and its bigrams' lists) take more than [`HELD_LENGTHS_FROM`] bytes; without them,
//! finding a list reads the entries before it. The reader puts a character's list back together
//! by reading the k lists that follow its own entries. afqmc-dev, gzip: format 5 took the
//! character postings from 38.5 to 8.7 KiB, and format 6 the fst from 41.7 to 3.7 KiB for 10.9
//! KiB more in the characters' blocks (the steps and lengths); the same lists to the bit.
//!
//! Ranking is BM25F: term frequencies are weighted per field and length-normalised per field,
//! then saturated once per term. A document's score is the sum over query terms of the best
//! contribution of any index term matching that query term (the term itself, longer terms it is
//! a prefix of while the customer is typing, typo corrections, editors' synonyms and synonyms
//! learned from FAQ similar questions), times the square root of the share of query terms it
//! matched, so a document that answers the whole question outranks one that repeats a single
//! word. To the leading [`RERANK_CANDIDATES`] documents adds [`INSTANCE_WEIGHT`] times the best
//! score of a single phrasing (the title or one similar question, scored the same way on its
//! own): FAQ matching is per paraphrase.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use fst::{IntoStreamer, Streamer, automaton::Automaton};
use serde::{Deserialize, Serialize};

use crate::bundle::{self, BundleError, BundleMeta};
use crate::kb::{DocEntry, Document};
use crate::text::{
    QueryTerm, ShortKeyHash, TokenKind, Tokenizer, fold_char, parse_query, tokenize,
};
use crate::varint;

/// The fields a term can occur in, in postings-mask bit order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Title = 0,
    /// The "similar questions" customers ask.
    Questions = 1,
    /// Tags and category.
    Keywords = 2,
    Body = 3,
}

pub(crate) const NUM_FIELDS: usize = 4;

/// How much one occurrence in a field counts relative to the body. Range: any positive number;
/// 1.0 is "as much as body text". The title and the similar questions are what a customer's words
/// look like, so they count most; tags are editor-chosen but terse.
pub const FIELD_WEIGHTS: [f32; NUM_FIELDS] = [3.0, 2.5, 2.0, 1.0];

/// BM25 length normalisation per field, 0.0 (none) to 1.0 (full). Keywords are short lists where
/// length says little, so they are barely normalised.
pub const FIELD_B: [f32; NUM_FIELDS] = [0.5, 0.5, 0.2, 0.75];

/// BM25 term-frequency saturation, usually 0.5 to 2.0: how quickly extra occurrences stop helping.
/// High in Kefu's range because of FAQ entries: a word's frequency in the similar-questions field
/// counts how many customer phrasings use it, which is evidence worth keeping (measured on
/// banking77-dev: hit@5 90.6 at 1.2, 91.3 at 2.0; afqmc-dev unchanged).
pub const K1: f32 = 2.0;

/// Weight of a match on a longer term the customer is still typing, before scaling by how much of
/// it was typed. Range 0.0–1.0; below 1.0 so a finished word outranks a completion.
pub const PREFIX_WEIGHT: f32 = 0.8;

/// At most this many index terms stand in for one prefix, so a one-letter prefix stays fast: the
/// ones in the most documents (ties: the first in order) among the first [`MAX_PREFIX_SCAN`].
/// Common completions have long postings lists: at 64 (the number when the first 64 in order
/// were taken) typing on the 10,000-article KB was 40 % slower at p95, at 16 about 13 %.
pub const MAX_PREFIX_EXPANSIONS: usize = 16;

/// At most this many completions of a prefix are looked at to choose the
/// [`MAX_PREFIX_EXPANSIONS`] that stand in for it: a bound on the work of a one-letter prefix in a
/// large KB (reading a completion's document count is one step down the fst and one number).
pub const MAX_PREFIX_SCAN: usize = 256;

/// How many letters a word being typed may run past an index stem and still match it
/// (`shippi` → `ship`). Porter's longest common inflectional endings (`-ing`, `-ies`) fit.
pub const MAX_STEM_OVERRUN: usize = 3;

/// Weight of an index term one or two edits away from an alphabetic query word (a typo), indexed
/// by the edit distance. Range 0.0–1.0; below [`PREFIX_WEIGHT`] so exact words and completions
/// rank first, and lower for two edits than for one.
pub const TYPO_WEIGHTS: [f32; 3] = [1.0, 0.55, 0.35];

/// Shortest words (in letters as typed, before stemming) corrected with one edit, and with two;
/// a swap of two adjacent letters is one edit (see [`crate::typo`]). Shorter words have too many
/// neighbours one edit away (`card`, `care`, `cart`) for a correction to mean anything.
pub const TYPO_MIN_LEN: [usize; 2] = [4, 8];

/// Shortest words offered a "did you mean" correction with one edit, and with two. Looser than
/// [`TYPO_MIN_LEN`]: a suggestion is a question the customer may ignore, while a typo match
/// silently adds results, so suggestions can reach further (`invoyse` → `invoice`, two edits in
/// seven letters).
pub const SUGGEST_MIN_LEN: [usize; 2] = [4, 5];

/// At most this many index terms stand in for one misspelt word.
pub const MAX_TYPO_EXPANSIONS: usize = 32;

/// Weight of a synonym's terms relative to the words the customer typed. Range 0.0–1.0; just
/// below 1.0 so an article using the customer's own word wins a tie.
pub const SYNONYM_WEIGHT: f32 = 0.9;

/// Weight of a synonym the KB compiler learned from FAQ similar questions, relative to the words
/// the customer typed. Range 0.0–1.0; below [`SYNONYM_WEIGHT`] because a learned pair is
/// statistical evidence, not an editor's judgement.
pub const LEARNED_SYNONYM_WEIGHT: f32 = 0.5;

/// Weight of two adjacent query words written as one (`pass code` → `passcode`, see
/// [`QueryTerm::joined`](crate::text::QueryTerm::joined)), shared between the two words. Range
/// 0.0–2.0; 1.0 counts the compound like one word the customer typed.
pub const COMPOUND_WEIGHT: f32 = 1.0;

/// Two words (each an English word or a two-character CJK word) that customers swap when they
/// ask one question in other words, learned from the similar questions of FAQ entries. Both
/// directions count: a query with either word also matches the other.
///
/// ```
/// use kefu_core::index::LearnedSynonym;
/// let pair = LearnedSynonym { words: ["parcel".into(), "package".into()], support: 3 };
/// assert_eq!(pair.words[1], "package");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnedSynonym {
    /// The two words as customers wrote them, folded to lowercase.
    pub words: [String; 2],
    /// In how many FAQ entries one phrasing uses the first word where another uses the second.
    pub support: u32,
}

/// Weight of a single character of a CJK run in the query, next to its bigrams. Range 0.0–1.0:
/// below a bigram, because one character says little (`的`, `钱`), but it lets a paraphrase that
/// shares characters and not pairs (`花呗还款` / `还花呗`) still be found. Colloquial paraphrases
/// share characters more often than pairs, so it is fairly high (afqmc-dev hit@5, tuning /
/// held-out half: 0.4 → 33.4 / 32.8, 0.6 → 33.8 / 33.8, 0.8 → 34.2 / 34.4, 1.0 → 33.8 / 34.9;
/// idf already makes common characters count little).
pub const CJK_UNIGRAM_WEIGHT: f32 = 0.8;

/// A supporting CJK character found in more than one in this many documents is skipped, if it is
/// also in more than [`MIN_SKIPPED_DF`] documents: the rule saves the longest postings lists in
/// large KBs, and in a small KB every character would otherwise count as common.
pub const MAX_SUPPORTING_SHARE: usize = 10;

/// See [`MAX_SUPPORTING_SHARE`].
pub const MIN_SKIPPED_DF: usize = 100;

/// Weight of a stop word (`how`, `the`, `my`) relative to other words. Range 0.0–1.0: it still
/// breaks ties between otherwise equal documents, but cannot outweigh a word that carries meaning.
/// Since phrasings are also scored one by one, the small words a query shares with a similar
/// question say a little more about which phrasing it is (banking77-dev hit@5 / MRR@10, tuning
/// half: 0.1 → 92.9 / 82.3, 0.2 → 92.9 / 82.6, 0.4 → 93.0 / 82.9, 0.5 → 92.9 / 82.9; held-out
/// half 92.4 / 81.5 at 0.2, 92.6 / 81.8 at 0.4).
pub const STOP_WORD_WEIGHT: f32 = 0.4;

/// How much the best single phrasing of a document (its title or one similar question), and
/// less so the next ones (see [`PHRASING_DECAY`]), add to its score over all fields. Range 0.0 (off) to about 4.0. FAQ matching is per paraphrase: a
/// query that one similar question says almost word for word should beat an entry whose many
/// questions each share a word with it. Measured on the tuning half of banking77-dev (hit@5 /
/// MRR@10): 0 → 91.4 / 79.4, 0.5 → 91.6 / 80.5, 1 → 92.0 / 81.4, 2 → 92.1 / 81.7 (with
/// [`INSTANCE_B`] 0.5), 4 → 92.4 / 81.7; the held-out half follows (91.1 → 91.8 at 2). afqmc-dev,
/// whose entries have a title only, is unchanged.
pub const INSTANCE_WEIGHT: f32 = 2.0;

/// How much the phrasings after the best one add to the bonus of [`INSTANCE_WEIGHT`]: the best
/// phrasing counts whole, the second times this, the third times its square, and so on. Range
/// 0.0 (the best phrasing alone) to 1.0 (every phrasing alike). An entry two or three of whose
/// similar questions each say part of the query is likelier the answer than one with a single
/// close phrasing; counting them all alike lets entries with many questions win on volume.
/// banking77-dev, `cargo xtask bench --quality`'s tuning half, hit@1 / hit@5 / MRR@10: 0.0 →
/// 75.2 / 93.5 / 83.0, 0.4 → 76.0 / 93.9 / 83.6, 0.5 → 76.3 / 93.9 / 83.8, 0.6 → 75.9 / 94.0 /
/// 83.6, 0.7 → 76.1 / 93.9 / 83.8, 0.85 → 75.2 / 93.8 / 83.2, 1.0 → 72.4 / 93.0 / 81.5; the
/// held-out half follows (74.6 / 92.1 / 81.8 at 0.0, 75.4 / 92.5 / 82.6 at 0.5). afqmc-dev's
/// entries have one phrasing each, so it is unchanged.
pub const PHRASING_DECAY: f32 = 0.5;

/// How many of a document's best phrasings the bonus of [`PHRASING_DECAY`] counts. At least 1.
/// With a decay of 0.5 the seventh would add at most a sixty-fourth of the best one's score;
/// keeping six is a few comparisons per phrasing instead of a sort. Same hit@1 / hit@5 / MRR@10
/// on banking77-dev as counting every phrasing, to the tenth of a point on both halves (four:
/// tuning 76.2 / 93.9 / 83.7, held-out 75.1 / 92.5 / 82.4, against 76.3 / 93.9 / 83.8 and
/// 75.4 / 92.5 / 82.6).
pub const COUNTED_PHRASINGS: usize = 6;

/// Length normalisation of a single phrasing, 0.0 (none) to 1.0 (full). Full, because how much of
/// a phrasing the query fills is the point of scoring phrasings one by one (banking77-dev tuning
/// half, hit@5: 0.2 → 91.5, 0.5 → 92.1, 0.8 → 92.5, 1.0 → 92.7).
pub const INSTANCE_B: f32 = 1.0;

/// How many of the best documents by their field scores get the phrasing bonus of
/// [`INSTANCE_WEIGHT`] before the final order is cut to the requested limit. At least 1; the
/// bonus reorders the leading candidates, and scoring every document a query touches cost twice
/// the time of the whole search on a 10,000-article KB. With 100, hit@1, hit@5 and MRR@10 on both
/// shared sets are exactly those of scoring every document.
pub const RERANK_CANDIDATES: usize = 100;

/// Similar questions beyond this many per document are still indexed, but only in the bag of all
/// questions, not as phrasings of their own (a question's bit must fit a `u32` mask).
pub const MAX_QUESTION_INSTANCES: usize = 32;

/// Characters of context kept in a snippet around the first match.
const SNIPPET_CHARS: usize = 90;

/// Options of one search.
#[derive(Clone, Debug)]
pub struct SearchOptions {
    /// The customer's locale (`zh-CN`, `en`, `zh-Hant-TW`…); resolved with [`Index::resolve_locale`].
    /// `None` searches the KB's default locale.
    pub locale: Option<String>,
    /// The most hits returned.
    pub limit: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            locale: None,
            limit: 10,
        }
    }
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    /// The document number, for [`Index::entry`] and [`Index::document`].
    pub doc: u32,
    pub score: f32,
    /// Byte ranges of the document's title ([`DocEntry::title`]) that matched the query, sorted
    /// and non-overlapping, highlighted like the snippet's: a hit that matched by its title alone
    /// still shows why.
    pub title_highlights: Vec<(u32, u32)>,
    pub snippet: Snippet,
}

/// A document ranked for a query, without a snippet (see [`Index::rank`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Ranked {
    /// The document number, for [`Index::entry`] and [`Index::document`].
    pub doc: u32,
    pub score: f32,
}

impl Ranked {
    /// The ranking order, deterministic: higher score first, then lower document number. One
    /// function, so that every sort of hits shares one copy of the standard library's sort in the
    /// wasm (each comparator type makes another, kilobytes each).
    pub(crate) fn by_score(a: &Ranked, b: &Ranked) -> std::cmp::Ordering {
        b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc))
    }

    /// The ranking order as one integer, greater for a better hit: the score's bits mapped so
    /// that integers order as `f32::total_cmp` orders scores, then the document number inverted
    /// (the lower number first on equal scores).
    fn key(&self) -> u64 {
        let bits = self.score.to_bits();
        let ordered = if bits >> 31 == 1 {
            !bits
        } else {
            bits | 1 << 31
        };
        (u64::from(ordered) << 32) | u64::from(!self.doc)
    }
}

/// An index term that matched part of a query, with its postings.
struct TermMatch {
    query_idx: usize,
    term: String,
    weight: f32,
    /// The idf the term was scored with.
    idf: f32,
    postings: Arc<ScoredPostings>,
}

/// A short excerpt showing why a document matched.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snippet {
    pub text: String,
    /// Byte ranges of `text` to highlight, sorted and non-overlapping. The widget renders them as
    /// `<mark>` elements with text content: a snippet is text, never markup.
    pub highlights: Vec<(u32, u32)>,
}

/// One entry of a postings list: a document, the term's frequency in each of its fields, and which
/// of its first [`MAX_QUESTION_INSTANCES`] similar questions hold the term (bit `i` for question
/// `i`), so each phrasing can be scored on its own.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Posting {
    doc: u32,
    freqs: [u32; NUM_FIELDS],
    questions: u32,
}

/// A decoded postings list, in document order.
pub(crate) type Postings = Vec<Posting>;

/// One entry of a postings list as ranking consumes it: the field frequencies already weighted
/// and length-normalised for the document (exactly the sum the scoring loop used to compute for
/// every posting of every query), and which phrasings hold the term. Twelve bytes: the scoring
/// loop walks millions of them on a large KB, and the cache holds more the smaller they are.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Scored {
    /// The document number in the low 31 bits ([`Scored::doc`]); the top bit ([`TITLE_BIT`])
    /// set when the title holds the term.
    doc_and_title: u32,
    /// The sum over fields of the term's frequency times the document's `field_factors`.
    weighted_tf: f32,
    /// Bit `i`: similar question `i` holds the term (as [`Posting::questions`]).
    questions: u32,
}

/// See [`Scored::doc_and_title`]. No index has 2³¹ documents (each costs far more than a byte),
/// so the bit is free; decoding leaves out any entry whose number has it set.
const TITLE_BIT: u32 = 1 << 31;

impl Scored {
    fn doc(&self) -> u32 {
        self.doc_and_title & !TITLE_BIT
    }

    fn in_title(&self) -> bool {
        self.doc_and_title & TITLE_BIT != 0
    }
}

/// A postings list decoded for ranking (see [`Index::scored_postings`]).
#[derive(Debug)]
struct ScoredPostings {
    /// The list's length as stored, for idf.
    df: usize,
    /// The entries of documents of this index, in document order.
    entries: Vec<Scored>,
}

/// Postings lists with at least this many entries are kept decoded after their first use (see
/// [`DecodedCache`]). Short lists decode in less time than a cache lookup saves; the long lists
/// of common words (CJK bigrams above all) are what a search spends its time decoding, and the
/// same ones come back on every keystroke and in most queries.
const CACHE_MIN_DF: usize = 64;

/// At most this many bytes of decoded entries are kept: 16 MiB, about 1.4 million entries. A KB
/// of a few hundred articles never gets near it; the generated 10,000-article KB of the
/// benchmarks has lists of 1.6 million entries in all behind its 500 queries.
const MAX_CACHED_BYTES: usize = 16 << 20;

/// [`MAX_CACHED_BYTES`] in entries.
const MAX_CACHED_ENTRIES: usize = MAX_CACHED_BYTES / std::mem::size_of::<Scored>();

/// Decoded long postings lists by offset (see [`CACHE_MIN_DF`]), least recently used dropped
/// first. When a new list would not fit, the oldest are dropped until the cache is at most three
/// quarters full with it, so one sort of the cached lists pays for many insertions, and the lists
/// of common words, used by most queries, stay.
#[derive(Debug, Default)]
struct DecodedCache {
    lists: BTreeMap<u64, CachedList>,
    n_entries: usize,
    /// Counts lookups and insertions: the time of a list's last use.
    clock: u64,
}

#[derive(Debug)]
struct CachedList {
    postings: Arc<ScoredPostings>,
    last_used: u64,
}

impl DecodedCache {
    fn get(&mut self, offset: u64) -> Option<Arc<ScoredPostings>> {
        self.clock += 1;
        let clock = self.clock;
        let list = self.lists.get_mut(&offset)?;
        list.last_used = clock;
        Some(Arc::clone(&list.postings))
    }

    fn insert(&mut self, offset: u64, postings: Arc<ScoredPostings>) {
        let len = postings.entries.len();
        if len > MAX_CACHED_ENTRIES || self.lists.contains_key(&offset) {
            return;
        }
        if self.n_entries + len > MAX_CACHED_ENTRIES {
            self.evict((MAX_CACHED_ENTRIES / 4 * 3).saturating_sub(len));
        }
        self.clock += 1;
        self.n_entries += len;
        self.lists.insert(
            offset,
            CachedList {
                postings,
                last_used: self.clock,
            },
        );
    }

    /// Drops the least recently used lists until at most `keep` entries remain.
    fn evict(&mut self, keep: usize) {
        let mut by_age: Vec<(u64, u64)> = self
            .lists
            .iter()
            .map(|(&offset, list)| (list.last_used, offset))
            .collect();
        by_age.sort_unstable();
        for (_, offset) in by_age {
            if self.n_entries <= keep {
                break;
            }
            if let Some(list) = self.lists.remove(&offset) {
                self.n_entries -= list.postings.entries.len();
            }
        }
    }
}

/// Running sums over a set of items (documents in ranking's first pass, the candidates'
/// phrasings in the second) of the best weight each query term gives each item. The terms come
/// in query order; a term may offer an item several weights (one per index term standing in for
/// it), of which the best counts. `end_term` adds each reached item's best to its sum and
/// touches only those items: every sum is, to the bit, that of adding every term's best in query
/// order (adding 0.0 to a positive sum leaves it as it is), at a cost that follows the weights
/// offered rather than items × terms. The lists are written by index: a `push` is an
/// out-of-line call per item in the hot loop.
struct TermSums {
    sums: Vec<f32>,
    /// How many counted terms reached each item.
    matched: Vec<u32>,
    /// The best weight of the term in hand per item; 0.0 where it has not reached.
    best: Vec<f32>,
    /// The items the term in hand reached, the first `n_reached`.
    reached: Vec<u32>,
    n_reached: usize,
    /// The items with a positive sum in the order they got it, the first `n_touched`.
    touched: Vec<u32>,
    n_touched: usize,
}

impl TermSums {
    fn new(n_items: usize) -> TermSums {
        TermSums {
            sums: vec![0.0; n_items],
            matched: vec![0; n_items],
            best: vec![0.0; n_items],
            reached: vec![0; n_items],
            n_reached: 0,
            touched: vec![0; n_items],
            n_touched: 0,
        }
    }

    /// The term in hand gives `item` the weight `weight` (kept if its best so far).
    #[inline]
    fn offer(&mut self, item: u32, weight: f32) {
        if let Some(best) = self.best.get_mut(item as usize)
            && weight > *best
        {
            if *best == 0.0
                && let Some(entry) = self.reached.get_mut(self.n_reached)
            {
                *entry = item;
                self.n_reached += 1;
            }
            *best = weight;
        }
    }

    /// The term in hand is done: its bests go into the sums, and into the counts if `counted`.
    fn end_term(&mut self, counted: bool) {
        for &item in self.reached.get(..self.n_reached).unwrap_or_default() {
            let at = item as usize;
            if let (Some(sum), Some(matched), Some(best)) = (
                self.sums.get_mut(at),
                self.matched.get_mut(at),
                self.best.get_mut(at),
            ) {
                if *sum == 0.0
                    && let Some(entry) = self.touched.get_mut(self.n_touched)
                {
                    *entry = item;
                    self.n_touched += 1;
                }
                *sum += *best;
                *matched += u32::from(counted);
                *best = 0.0;
            }
        }
        self.n_reached = 0;
    }

    /// The items with a positive sum, in the order they got it.
    fn touched(&self) -> &[u32] {
        self.touched.get(..self.n_touched).unwrap_or_default()
    }

    /// An item's sum and how many counted terms reached it.
    fn get(&self, item: usize) -> (f32, u32) {
        (
            self.sums.get(item).copied().unwrap_or(0.0),
            self.matched.get(item).copied().unwrap_or(0),
        )
    }
}

/// One index term standing in for a query term.
#[derive(Clone, Copy, Debug)]
struct Expansion {
    /// Byte offset of the term's postings list.
    offset: u64,
    /// How much a match counts, 0.0–1.0 (see the weight constants).
    weight: f32,
    /// A longer word completing the one being typed.
    completion: bool,
}

/// Per-document statistics kept in the bundle's directory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct DocRecord {
    pub entry: DocEntry,
    /// Number of tokens in each field, for length normalisation.
    pub field_lens: [u32; NUM_FIELDS],
    /// Number of tokens in each of the first [`MAX_QUESTION_INSTANCES`] similar questions.
    pub question_lens: Vec<u16>,
    /// Byte range of the encoded document in the bundle (within its store section).
    pub store_start: u32,
    pub store_end: u32,
    /// URL path patterns of the host pages the document helps on (see [`Index::for_page`]).
    pub pages: Vec<String>,
    /// A flow's place in the "common problems" list (see [`Index::flows`]).
    pub order: Option<i32>,
}

/// The texts of each field of a document, in [`Field`] order.
pub(crate) fn field_texts(doc: &Document) -> [String; NUM_FIELDS] {
    let mut keywords = doc.tags.join("\n");
    keywords.push('\n');
    keywords.push_str(&doc.category);
    [
        doc.title.clone(),
        doc.similar.join("\n"),
        keywords,
        doc.body_text(),
    ]
}

/// Term → document number → frequency per field, ordered so the output bytes are deterministic.
///
/// A hash map while collecting (a B-tree's string comparisons took a third of a 10,000-article
/// build); each term's postings are appended in document order, since documents are read in
/// order. `encode_terms` sorts the terms, so the output stays deterministic whatever the hash
/// ([`ShortKeyHash`]: SipHash showed in profiles of a 10,000-article build).
pub(crate) type TermTable = HashMap<String, Postings, ShortKeyHash>;

/// Each document's field lengths and the lengths of its first [`MAX_QUESTION_INSTANCES`] similar
/// questions, for length normalisation.
pub(crate) type FieldLengths = Vec<([u32; NUM_FIELDS], Vec<u16>)>;

/// Tokenizes every field of every document into term tables, one per run of consecutive
/// documents (in document order), returning each field's length and the length of each of the
/// first [`MAX_QUESTION_INSTANCES`] similar questions.
///
/// Tokenizing is most of a build, so the runs are tokenized on one thread per core, each thread
/// taking the next run not yet taken: a Chinese article costs several times an English one of the
/// same size (two tokens per character), so fixed halves left one thread idle for half the time.
/// Every run's result is kept at the run's place, so the output does not depend on which thread
/// took what, and the tables are not merged: [`encode_terms`] reads a term's postings from each
/// table in turn, which is document order (merging copied every postings list once more).
pub(crate) fn collect_terms(docs: &[Document]) -> (Vec<TermTable>, FieldLengths) {
    // Below this much text a thread costs more than it saves.
    const MIN_TEXT_PER_THREAD: usize = 1 << 20;
    let text_len: usize = docs.iter().map(approximate_text_len).sum();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(text_len / MIN_TEXT_PER_THREAD);
    collect_terms_on(docs, threads)
}

/// [`collect_terms`] on `threads` threads (1 to 8; one means none started). The result is the
/// same for any number (a test checks that).
pub(crate) fn collect_terms_on(
    docs: &[Document],
    threads: usize,
) -> (Vec<TermTable>, FieldLengths) {
    // Runs per thread: enough that the last run to finish leaves little idle time.
    const RUNS_PER_THREAD: usize = 8;
    let threads = threads.clamp(1, 8);
    if threads == 1 {
        let (table, lengths) = collect_range(docs, 0, &mut Tokenizer::remembering_stems());
        return (vec![table], lengths);
    }
    let run_len = docs.len().div_ceil(threads * RUNS_PER_THREAD).max(1);
    let runs: Vec<&[Document]> = docs.chunks(run_len).collect();
    let first_of = |run: usize| u32::try_from(run * run_len).unwrap_or(u32::MAX);
    let next_run = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<Option<(TermTable, FieldLengths)>> = runs.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut tokenizer = Tokenizer::remembering_stems();
                    let mut finished = Vec::new();
                    loop {
                        let run = next_run.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(run_docs) = runs.get(run) else {
                            return finished;
                        };
                        finished
                            .push((run, collect_range(run_docs, first_of(run), &mut tokenizer)));
                    }
                })
            })
            .collect();
        for handle in handles {
            let finished = handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (run, result) in finished {
                if let Some(slot) = done.get_mut(run) {
                    *slot = Some(result);
                }
            }
        }
    });
    let mut tables = Vec::with_capacity(runs.len());
    let mut lengths = Vec::with_capacity(docs.len());
    for (run, (result, run_docs)) in done.into_iter().zip(&runs).enumerate() {
        // Every run was taken by exactly one thread; tokenizing here only guards the invariant.
        let (table, run_lengths) = result.unwrap_or_else(|| {
            collect_range(run_docs, first_of(run), &mut Tokenizer::remembering_stems())
        });
        tables.push(table);
        lengths.extend(run_lengths);
    }
    (tables, lengths)
}

/// The bytes of text a document gives the tokenizer, roughly (to decide whether threads pay).
fn approximate_text_len(doc: &Document) -> usize {
    let body: usize = doc.body.len() * 64;
    doc.title.len() + doc.similar.iter().map(String::len).sum::<usize>() + body
}

/// [`collect_terms`] for `docs`, numbered from `first`.
fn collect_range(
    docs: &[Document],
    first: u32,
    tokenizer: &mut Tokenizer,
) -> (TermTable, FieldLengths) {
    let mut table = TermTable::default();
    let mut lengths = Vec::with_capacity(docs.len());
    for (doc_number, doc) in (first..).zip(docs) {
        let mut field_lens = [0u32; NUM_FIELDS];
        let mut question_lens = Vec::new();
        let [title, _, keywords, body] = field_texts(doc);
        // The similar questions one by one, so each term knows which questions hold it.
        let questions = doc
            .similar
            .iter()
            .enumerate()
            .map(|(question_idx, question)| (Field::Questions, question.as_str(), question_idx));
        let others = [
            (Field::Title, &title),
            (Field::Keywords, &keywords),
            (Field::Body, &body),
        ]
        .into_iter()
        .map(|(field, text)| (field, text.as_str(), usize::MAX));
        for (field, text, question_idx) in others.chain(questions) {
            let question_bit = if question_idx < MAX_QUESTION_INSTANCES {
                1u32 << question_idx
            } else {
                0
            };
            let mut n_tokens = 0u32;
            tokenizer.each(text, |term, _, _, _| {
                n_tokens += 1;
                // Look up by &str first: most tokens repeat a term already seen, and only a new
                // term needs a String of its own.
                let postings = match table.get_mut(term) {
                    Some(postings) => postings,
                    None => table.entry(term.to_owned()).or_default(),
                };
                let posting = match postings.last_mut() {
                    Some(last) if last.doc == doc_number => last,
                    _ => {
                        postings.push(Posting {
                            doc: doc_number,
                            freqs: [0; NUM_FIELDS],
                            questions: 0,
                        });
                        let Some(last) = postings.last_mut() else {
                            return;
                        };
                        last
                    }
                };
                posting.freqs[field as usize] += 1;
                if field == Field::Questions {
                    posting.questions |= question_bit;
                }
            });
            field_lens[field as usize] += n_tokens;
            if field == Field::Questions && question_idx < MAX_QUESTION_INSTANCES {
                question_lens.push(u16::try_from(n_tokens).unwrap_or(u16::MAX));
            }
        }
        lengths.push((field_lens, question_lens));
    }
    (table, lengths)
}

/// Postings header bit: every field of the mask holds the term exactly once.
const ALL_ONCE: u8 = 1 << NUM_FIELDS;

/// Postings header bits 5-7 hold a document delta below this; this value means a varint follows.
const DELTA_INLINE: u8 = 7;

/// The terms of `tables`, sorted and each once: the order of the terms fst, and the numbers
/// [`shared_terms`] gives them.
pub(crate) fn sorted_terms(tables: &[TermTable]) -> Vec<&str> {
    let mut terms: Vec<&str> = tables
        .iter()
        .flat_map(|table| table.keys().map(String::as_str))
        .collect();
    terms.sort_unstable();
    terms.dedup();
    terms
}

/// [`shared_terms`] leaves out terms held by more than one document in this many. Their gaps are
/// small wherever the documents go, and they blur which documents belong together: leaving out
/// those in more than a tenth made afqmc-dev's bundle 219.0 → 218.7 KiB gzip and the
/// 10,000-article KB's 4,121.6 → 4,100.9, with half the work.
const MAX_SHARED_TERM_SHARE: usize = 10;

/// Per document (numbered as in `tables`), the numbers of its terms in `terms` (ascending) that
/// at least one other document holds too, but not too many (see [`MAX_SHARED_TERM_SHARE`]): what
/// numbering documents by shared terms looks at.
pub(crate) fn shared_terms(tables: &[TermTable], terms: &[&str], n_docs: usize) -> Vec<Vec<u32>> {
    let mut doc_terms = vec![Vec::new(); n_docs];
    for (term_number, term) in terms.iter().enumerate() {
        let lists = tables.iter().filter_map(|table| table.get(*term));
        let df = lists.clone().map(Vec::len).sum::<usize>();
        if df < 2 || df > n_docs / MAX_SHARED_TERM_SHARE {
            continue;
        }
        for posting in lists.flatten() {
            if let Some(terms_of_doc) = doc_terms.get_mut(posting.doc as usize) {
                terms_of_doc.push(term_number as u32);
            }
        }
    }
    doc_terms
}

/// Whether `term` is one CJK character, whose postings list is stored as what the bigrams that
/// start with it leave over (see [`encode_terms`]).
pub(crate) fn is_derived_unigram(term: &str) -> bool {
    let mut chars = term.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if crate::text::is_cjk(c))
}

/// `posting` as [`Index::read_entry`] gives it back for a document with `n_questions` similar
/// questions: with at most one, the questions mask is implied, not stored.
fn as_read(mut posting: Posting, n_questions: usize) -> Posting {
    posting.questions = match (posting.freqs[Field::Questions as usize], n_questions) {
        (0, _) | (_, 0) => 0,
        (_, 1) => 1,
        _ => posting.questions,
    };
    posting
}

/// The entries of a term's parts (a CJK character's bigrams' lists), folded into one list with an
/// entry per document: frequencies added, questions masks joined. `None` on overflow.
fn fold_by_document(mut entries: Vec<Posting>) -> Option<Vec<Posting>> {
    entries.sort_unstable_by_key(|posting| posting.doc);
    let mut folded: Vec<Posting> = Vec::new();
    for posting in &entries {
        match folded.last_mut() {
            Some(last) if last.doc == posting.doc => add_posting(last, posting)?,
            _ => folded.push(*posting),
        }
    }
    Some(folded)
}

/// Adds `posting`'s frequencies to `sum`'s and joins its questions mask; `None` on overflow.
fn add_posting(sum: &mut Posting, posting: &Posting) -> Option<()> {
    for (total, freq) in sum.freqs.iter_mut().zip(posting.freqs) {
        *total = total.checked_add(freq)?;
    }
    sum.questions |= posting.questions;
    Some(())
}

/// What `full` (a unigram's list, as read) holds beyond `bigrams` (its bigrams' lists, as read,
/// folded): per document, the frequencies the bigrams do not account for (the character at the
/// end of a run of CJK characters, or on its own). `None` unless `bigrams` and the result, folded
/// as the reader folds them, give back `full` exactly.
fn left_over(
    full: &[Posting],
    bigrams: &[Posting],
    question_counts: &[usize],
) -> Option<Vec<Posting>> {
    let mut rest = Vec::new();
    let mut bigrams = bigrams.iter().peekable();
    for entry in full {
        let covered = match bigrams.peek() {
            Some(bigram) if bigram.doc == entry.doc => bigrams.next().copied(),
            Some(bigram) if bigram.doc < entry.doc => return None,
            _ => None,
        };
        let covered = covered.unwrap_or(Posting {
            doc: entry.doc,
            freqs: [0; NUM_FIELDS],
            questions: 0,
        });
        let mut freqs = [0u32; NUM_FIELDS];
        for ((left, all), part) in freqs.iter_mut().zip(entry.freqs).zip(covered.freqs) {
            *left = all.checked_sub(part)?;
        }
        let n_questions = question_counts
            .get(entry.doc as usize)
            .copied()
            .unwrap_or(0);
        let left = as_read(
            Posting {
                doc: entry.doc,
                freqs,
                questions: entry.questions,
            },
            n_questions,
        );
        if covered.questions | left.questions != entry.questions {
            return None;
        }
        if freqs.iter().any(|freq| *freq > 0) {
            rest.push(left);
        }
    }
    bigrams.next().is_none().then_some(rest)
}

/// Appends `entries` (sorted by document, distinct) to `postings` in the entry layout of this
/// module's header, the first delta from 0.
fn write_entries(postings: &mut Vec<u8>, entries: &[Posting], question_counts: &[usize]) {
    let mut previous = 0u32;
    for posting in entries {
        let freqs = &posting.freqs;
        let delta = posting.doc - previous;
        previous = posting.doc;
        let mask = freqs
            .iter()
            .enumerate()
            .filter(|(_, tf)| **tf > 0)
            .fold(0u8, |mask, (field, _)| mask | (1 << field));
        let all_once = freqs.iter().all(|tf| *tf <= 1);
        let inline_delta = u8::try_from(delta).map_or(DELTA_INLINE, |d| d.min(DELTA_INLINE));
        let once_bit = if all_once { ALL_ONCE } else { 0 };
        postings.push(mask | once_bit | (inline_delta << 5));
        if inline_delta == DELTA_INLINE {
            varint::write(postings, u64::from(delta - u32::from(DELTA_INLINE)));
        }
        if !all_once {
            for tf in freqs.iter().filter(|tf| **tf > 0) {
                varint::write(postings, u64::from(*tf));
            }
        }
        let n_questions = question_counts
            .get(posting.doc as usize)
            .copied()
            .unwrap_or(0);
        if freqs[Field::Questions as usize] > 0 && n_questions > 1 {
            varint::write(postings, questions_code(posting.questions, n_questions));
        }
    }
}

/// Documents with up to this many similar questions have their questions masks written as they
/// are: every such mask fits in one varint byte.
const PLAIN_MASKS_UP_TO: usize = 7;

/// How a postings entry writes its questions mask in a document with `n_questions` similar
/// questions: past [`PLAIN_MASKS_UP_TO`], the one question that holds the term as its place
/// (below [`MAX_QUESTION_INSTANCES`]) and any other mask as the mask plus
/// `MAX_QUESTION_INSTANCES`. A term is mostly in one question of its document, and with ten
/// questions the mask of the eighth to tenth takes two varint bytes where its place takes one
/// (banking77-dev: 4.3 of the bundle's 31.2 KB gzip are masks). Up to seven questions the mask
/// is written as it is: places would take no fewer bytes, and gzip finds the masks' values in
/// the lists of other documents (the 10,000-article KB came out 3.8 KB larger coded).
fn questions_code(mask: u32, n_questions: usize) -> u64 {
    if n_questions <= PLAIN_MASKS_UP_TO {
        u64::from(mask)
    } else if mask.is_power_of_two() {
        u64::from(mask.trailing_zeros())
    } else {
        u64::from(mask) + MAX_QUESTION_INSTANCES as u64
    }
}

/// The mask [`questions_code`] wrote as `code`; `None` past any mask.
fn questions_mask(code: u64, n_questions: usize) -> Option<u32> {
    if n_questions <= PLAIN_MASKS_UP_TO {
        return u32::try_from(code).ok();
    }
    match code.checked_sub(MAX_QUESTION_INSTANCES as u64) {
        None => Some(1 << code),
        Some(mask) => u32::try_from(mask).ok(),
    }
}

/// The two characters of `term` when it is two CJK characters, the shape of a bigram.
fn cjk_pair(term: &str) -> Option<(char, char)> {
    let mut chars = term.chars();
    match (chars.next(), chars.next(), chars.next()) {
        (Some(first), Some(second), None)
            if crate::text::is_cjk(first) && crate::text::is_cjk(second) =>
        {
            Some((first, second))
        }
        _ => None,
    }
}

/// Where `term` is held when it is a bigram whose two characters are both terms (every bigram
/// `text::tokenize` makes): the places of its first and second character among `characters`,
/// the CJK characters that are terms, sorted. Such a bigram is not in the fst; its list is in its
/// first character's block (see [`encode_terms`]). `None` for any other term.
fn held_at(term: &str, characters: &[char]) -> Option<(usize, usize)> {
    let (first, second) = cjk_pair(term)?;
    let first = characters.binary_search(&first).ok()?;
    let second = characters.binary_search(&second).ok()?;
    Some((first, second))
}

/// Adds to `out`, in key order, every key below `node` (reached by `key`, with the outputs on the
/// way summed in `output`) that is one CJK character, with its value. A walk of the fst's nodes
/// down to one character's bytes, from lead byte E3 on (U+3040, the first CJK character, is E3 81
/// 80): a stream over the fst would cost the widget more code than the walk.
fn add_characters(
    fst: &fst::raw::Fst<Vec<u8>>,
    node: fst::raw::Node<'_>,
    key: &mut Vec<u8>,
    output: u64,
    out: &mut Vec<(char, u64)>,
) {
    if let Some(&lead) = key.first()
        && key.len() == if lead >= 0xF0 { 4 } else { 3 }
    {
        if node.is_final()
            && let Ok(term) = std::str::from_utf8(key)
            && is_derived_unigram(term)
            && let Some(character) = term.chars().next()
        {
            out.push((character, output.wrapping_add(node.final_output().value())));
        }
        return;
    }
    for at in 0..node.len() {
        let transition = node.transition(at);
        if key.is_empty() && transition.inp < 0xE3 {
            continue;
        }
        key.push(transition.inp);
        let output = output.wrapping_add(transition.out.value());
        add_characters(fst, fst.node(transition.addr), key, output, out);
        key.pop();
    }
}

/// A character's block writes the byte length of its own entries and of each of its bigrams'
/// lists when those take more than this many bytes in all, so that finding one of its bigrams adds
/// lengths instead of reading the entries before it. afqmc-dev, `gzip -9` of the bundle and
/// in-process p50 of its 1,500 queries against format 5 (0.0647 ms): lengths in every block
/// 172,969 bytes; from 256 bytes 169,349 (+1.9 % time); from 512 168,402 (+2.8 %); from 1,024
/// 170,225 (+4.9 %: longer lists read to find one). Those figures counted the bigrams' lists
/// only; counting the own entries too (a character with many entries of its own and few bigrams,
/// such as 吗, was parsed whole to reach them) costs 64 bytes on afqmc-dev and 342 on the
/// 10,000-article KB, whose 500 queries' in-process p50 / p95 went 0.133–0.142 / 0.273–0.296 ms
/// to 0.131–0.135 / 0.266–0.283 ms (three alternated runs).
pub(crate) const HELD_LENGTHS_FROM: usize = 512;

/// Encodes the term table as (fst map bytes, postings bytes). `terms` are [`sorted_terms`]`(tables)`.
/// Documents are renumbered on the way: `new_number[doc]` is the number document `doc` of the
/// tables has in the bundle (identity when nothing moves). `question_counts` gives, per document
/// in the new numbering, how many similar questions have a bit of their own (those beyond
/// [`MAX_QUESTION_INSTANCES`] do not): with at most one, the questions mask is implied.
///
/// `tables` are [`collect_terms`]'s, one per run of documents in document order: a term's postings
/// list is its list in each table in turn, sorted again by new number.
///
/// A CJK character's list ([`is_derived_unigram`]) is written as a block that also holds its
/// bigrams' lists (see the module's header), and stored as what those leave over, checked here to
/// give the whole list back; where it would not (never, from `text::tokenize`, but the bundle must
/// not depend on that), it is stored whole.
pub(crate) fn encode_terms(
    tables: &[TermTable],
    terms: &[&str],
    new_number: &[u32],
    question_counts: &[usize],
) -> (Vec<u8>, Vec<u8>) {
    let renumbered = |term: &str| -> Vec<Posting> {
        let mut list: Vec<Posting> = tables
            .iter()
            .filter_map(|table| table.get(term))
            .flatten()
            .map(|posting| Posting {
                doc: new_number
                    .get(posting.doc as usize)
                    .copied()
                    .unwrap_or(posting.doc),
                ..*posting
            })
            .collect();
        // A term has one posting per document, so the numbers are distinct.
        list.sort_unstable_by_key(|posting| posting.doc);
        list
    };
    let n_questions = |doc: u32| question_counts.get(doc as usize).copied().unwrap_or(0);
    let entries = |list: &[Posting]| {
        let mut bytes = Vec::new();
        write_entries(&mut bytes, list, question_counts);
        bytes
    };
    // Terms are sorted, so the characters among them are too.
    let characters: Vec<char> = terms
        .iter()
        .filter(|term| is_derived_unigram(term))
        .filter_map(|term| term.chars().next())
        .collect();
    let mut postings = Vec::new();
    let mut builder = fst::MapBuilder::memory();
    for (at, &term) in terms.iter().enumerate() {
        // A held bigram was written with its first character, which sorts before it.
        if held_at(term, &characters).is_some() {
            continue;
        }
        // `sorted_terms` gives keys sorted and unique, which is all `insert` can reject.
        if builder.insert(term, postings.len() as u64).is_err() {
            continue;
        }
        let list = renumbered(term);
        varint::write(&mut postings, list.len() as u64);
        if !is_derived_unigram(term) {
            postings.extend(entries(&list));
            continue;
        }
        // The terms that start with this character (all of them its bigrams, from the
        // tokenizer), and those of them held in its block, with their second characters' places.
        let parts: Vec<&str> = terms[at + 1..]
            .iter()
            .take_while(|key| key.starts_with(term))
            .copied()
            .collect();
        let held: Vec<(usize, Vec<Posting>)> = parts
            .iter()
            .filter_map(|key| Some((held_at(key, &characters)?.1, renumbered(key))))
            .collect();
        let full: Vec<Posting> = list
            .iter()
            .map(|p| as_read(*p, n_questions(p.doc)))
            .collect();
        let rest = if held.len() == parts.len() {
            let covered = held
                .iter()
                .flat_map(|(_, list)| list)
                .map(|p| as_read(*p, n_questions(p.doc)))
                .collect();
            fold_by_document(covered)
                .and_then(|covered| left_over(&full, &covered, question_counts))
        } else {
            None
        };
        let (own, derived) = match rest {
            Some(rest) => (rest, 1),
            None => (list, 0),
        };
        let lists: Vec<Vec<u8>> = held
            .iter()
            .map(|(_, list)| {
                let mut bytes = Vec::new();
                varint::write(&mut bytes, list.len() as u64);
                bytes.extend(entries(list));
                bytes
            })
            .collect();
        varint::write(&mut postings, ((own.len() as u64) << 1) | derived);
        let own = entries(&own);
        // A lookup reads the own entries and the lists before the one it wants.
        let with_lengths = !held.is_empty()
            && own.len() + lists.iter().map(Vec::len).sum::<usize>() > HELD_LENGTHS_FROM;
        varint::write(
            &mut postings,
            ((held.len() as u64) << 1) | u64::from(with_lengths),
        );
        // Second characters' places, rising (the keys are sorted): each as its step from the
        // one after the previous; with lengths, each step followed by its list's length, after
        // the length of the own entries, and all of it after its own length.
        let mut steps = Vec::new();
        if with_lengths {
            varint::write(&mut steps, own.len() as u64);
        }
        let mut next = 0;
        for ((second, _), list) in held.iter().zip(&lists) {
            varint::write(&mut steps, (second - next) as u64);
            next = second + 1;
            if with_lengths {
                varint::write(&mut steps, list.len() as u64);
            }
        }
        if with_lengths {
            varint::write(&mut postings, steps.len() as u64);
        }
        postings.extend(steps);
        postings.extend(own);
        postings.extend(lists.concat());
    }
    (builder.into_inner().unwrap_or_default(), postings)
}

/// Scratch space for putting a CJK character's postings list together from its parts: per
/// document, its place in the list, and a bitmap of the documents touched, which gives them back
/// in order without a sort. All `u32::MAX` and zero between uses.
#[derive(Default)]
struct UnigramSlots {
    slots: Vec<u32>,
    touched: Vec<u64>,
}

/// The header of a CJK character's block (see [`encode_terms`] and [`Index::block`]).
struct Block {
    /// How many entries the block holds of the character's own list: what its bigrams leave
    /// over when `derived`, else all of them.
    own: u64,
    derived: bool,
    /// How many bigrams' lists the block holds, after the own entries.
    held: u64,
    /// Where the steps between the held bigrams' second characters start (with `lengths`, the
    /// own entries' length first, and each step followed by its list's length).
    steps: usize,
    /// Whether the block holds the byte lengths of its own entries and of each held list.
    lengths: bool,
    /// Where the own entries start.
    entries: usize,
}

/// A decoded bundle, ready to search. Built with [`Index::from_bytes`].
pub struct Index {
    meta: BundleMeta,
    docs: Vec<DocRecord>,
    /// The bundle's bytes up to the end of its store section, which the records' store ranges
    /// point into (the store is not copied out of the downloaded bytes).
    store: Vec<u8>,
    /// What the store's texts are coded with.
    store_alphabet: bundle::StoreAlphabet,
    terms: fst::Map<Vec<u8>>,
    postings: Vec<u8>,
    /// Per document, each field's weight divided by its BM25 length normalisation: what one
    /// occurrence in that field counts, computed once at load rather than for every posting.
    field_factors: Vec<[f32; NUM_FIELDS]>,
    /// Per document, how many similar questions it has (at most 255): whether a postings entry
    /// carries a questions mask depends on it, and decoding reads it here rather than from each
    /// document's record, a cache miss per entry on long lists. `instance_offsets` implies the
    /// same count, but reading it from there made ranking on the 10,000-article KB 3 % slower.
    question_counts: Vec<u8>,
    /// Per document, where its phrasings' entries start in `instance_factors` (one more entry
    /// than there are documents, so document `d` has `offsets[d]..offsets[d + 1]`).
    instance_offsets: Vec<u32>,
    /// Per phrasing (each document's title, then its first similar questions), the saturated,
    /// length-normalised weight of one term occurring in it, computed once at load.
    instance_factors: Vec<f32>,
    /// For each locale of the KB, which documents a customer in that locale sees: its own, plus
    /// default-locale documents that have no translation in it.
    locale_views: Vec<(String, Vec<bool>)>,
    /// The bundle's synonym groups, each phrase parsed once at load.
    synonyms: Vec<Vec<SynonymPhrase>>,
    /// Learned synonyms by index term: each term's alternatives, both directions of every pair.
    learned: BTreeMap<String, Vec<String>>,
    /// Per locale view (same order as `locale_views`), the words of titles and similar questions
    /// with their counts, for "did you mean": built on the first suggestion in that locale, since
    /// it decodes every document and the widget asks on every keystroke without results.
    vocabularies: Vec<OnceLock<BTreeMap<String, usize>>>,
    /// Long postings lists decoded for ranking, kept between searches.
    decoded: Mutex<DecodedCache>,
    /// Where a CJK character's list is put together (see [`Index::derive_unigram`]), kept
    /// between searches.
    unigram_slots: Mutex<UnigramSlots>,
    /// See [`Index::characters`].
    characters: OnceLock<Vec<(char, u64)>>,
    checksum: u32,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("docs", &self.docs.len())
            .field("terms", &self.terms.len())
            .field("version", &self.version())
            .finish()
    }
}

impl Index {
    /// Decodes and verifies a bundle. Never panics, whatever the bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Index, BundleError> {
        let parts = bundle::decode(bytes)?;
        let corrupt_terms = |error: fst::Error| BundleError::Corrupt {
            section: "terms",
            reason: error.to_string(),
        };
        let terms = fst::Map::new(parts.terms).map_err(corrupt_terms)?;
        // fst trusts its bytes when walking them and panics on a damaged automaton, so check its
        // own checksum too. Our CRC already covers accidents; this also covers a bundle whose
        // outer checksum was recomputed after tampering. A deliberately forged automaton with a
        // recomputed inner checksum is out of scope: whoever can forge the bundle controls the
        // help content anyway.
        terms.as_fst().verify().map_err(corrupt_terms)?;
        let mut totals = [0f64; NUM_FIELDS];
        for record in &parts.docs {
            if record.store_start > record.store_end
                || record.store_end as usize > parts.store.len()
            {
                return Err(BundleError::Corrupt {
                    section: "documents",
                    reason: format!("document '{}' points outside the store", record.entry.id),
                });
            }
            for (total, len) in totals.iter_mut().zip(record.field_lens) {
                *total += f64::from(len);
            }
        }
        let count = parts.docs.len().max(1) as f64;
        let avg_field_lens = totals.map(|total| ((total / count) as f32).max(1.0));
        let field_factors = parts
            .docs
            .iter()
            .map(|record| {
                std::array::from_fn(|field| {
                    let norm = 1.0 - FIELD_B[field]
                        + FIELD_B[field] * record.field_lens[field] as f32 / avg_field_lens[field];
                    FIELD_WEIGHTS[field] / norm
                })
            })
            .collect();
        let question_counts = parts
            .docs
            .iter()
            .map(|record| u8::try_from(record.question_lens.len()).unwrap_or(u8::MAX))
            .collect();
        let (instance_total, n_instances) =
            parts
                .docs
                .iter()
                .fold((0f64, 0usize), |(total, n), record| {
                    let questions: u32 = record.question_lens.iter().map(|&l| u32::from(l)).sum();
                    (
                        total + f64::from(record.field_lens[Field::Title as usize] + questions),
                        n + 1 + record.question_lens.len(),
                    )
                });
        let avg_instance_len = ((instance_total / n_instances.max(1) as f64) as f32).max(1.0);
        // Within one short phrasing a term's frequency is almost always one, so only its length
        // matters: a phrasing the query fills scores highest.
        let factor = |len: u32| {
            let tf = 1.0 / (1.0 - INSTANCE_B + INSTANCE_B * len as f32 / avg_instance_len);
            tf * (K1 + 1.0) / (tf + K1)
        };
        let mut instance_offsets = Vec::with_capacity(parts.docs.len() + 1);
        let mut instance_factors = Vec::with_capacity(n_instances);
        for record in &parts.docs {
            instance_offsets.push(instance_factors.len() as u32);
            instance_factors.push(factor(record.field_lens[Field::Title as usize]));
            instance_factors.extend(record.question_lens.iter().map(|&l| factor(u32::from(l))));
        }
        instance_offsets.push(instance_factors.len() as u32);
        let synonyms = parts
            .meta
            .synonyms
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(|phrase| SynonymPhrase::new(phrase))
                    .collect()
            })
            .collect();
        let mut learned: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for pair in &parts.meta.learned_synonyms {
            // One word is one index term: the stem of an English word, or a CJK bigram.
            let term_of = |word: &str| {
                let terms: Vec<QueryTerm> = parse_query(&format!("{word} "))
                    .into_iter()
                    .filter(|t| !t.cjk_unigram)
                    .collect();
                match terms.as_slice() {
                    [only] => Some(only.term.clone()),
                    _ => None,
                }
            };
            let (Some(first), Some(second)) = (term_of(&pair.words[0]), term_of(&pair.words[1]))
            else {
                continue;
            };
            if first == second {
                continue;
            }
            learned
                .entry(first.clone())
                .or_default()
                .push(second.clone());
            learned.entry(second).or_default().push(first);
        }
        let mut index = Index {
            locale_views: Vec::new(),
            synonyms,
            learned,
            vocabularies: Vec::new(),
            meta: parts.meta,
            docs: parts.docs,
            store: parts.store,
            store_alphabet: parts.store_alphabet,
            terms,
            postings: parts.postings,
            field_factors,
            question_counts,
            instance_offsets,
            instance_factors,
            decoded: Mutex::new(DecodedCache::default()),
            unigram_slots: Mutex::new(UnigramSlots::default()),
            characters: OnceLock::new(),
            checksum: parts.checksum,
        };
        index.locale_views = index.build_locale_views();
        index.vocabularies = index.locale_views.iter().map(|_| OnceLock::new()).collect();
        Ok(index)
    }

    fn build_locale_views(&self) -> Vec<(String, Vec<bool>)> {
        // Filled by `extend`, not `collect`: collecting a `BTreeSet` sorts first, and that sort
        // is another copy of the standard library's in the wasm for each element type. The ids
        // go in a hash set, which neither sorts nor inserts one by one into a tree (that was
        // 5 % slower to open 10,000 documents).
        let mut locales: BTreeSet<&str> = BTreeSet::new();
        locales.extend(self.docs.iter().map(|d| d.entry.locale.as_str()));
        locales.insert(&self.meta.default_locale);
        locales
            .into_iter()
            .map(|locale| {
                let own: std::collections::HashSet<&str> = self
                    .docs
                    .iter()
                    .filter(|d| d.entry.locale == locale)
                    .map(|d| d.entry.id.as_str())
                    .collect();
                let visible = self
                    .docs
                    .iter()
                    .map(|d| {
                        d.entry.locale == locale
                            || (d.entry.locale == self.meta.default_locale
                                && !own.contains(d.entry.id.as_str()))
                    })
                    .collect();
                (locale.to_owned(), visible)
            })
            .collect()
    }

    /// The bundle's settings.
    pub fn meta(&self) -> &BundleMeta {
        &self.meta
    }

    /// A short identifier of this exact bundle (its checksum), sent with tickets.
    pub fn version(&self) -> String {
        format!("{:08x}", self.checksum)
    }

    /// Number of documents in all locales.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether the bundle holds no documents.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The directory entry of document `doc`. Panics only if `doc` did not come from this index.
    pub fn entry(&self, doc: u32) -> &DocEntry {
        &self.docs[doc as usize].entry
    }

    /// Decodes one document from the store without touching the others.
    pub fn document(&self, doc: u32) -> Result<Document, BundleError> {
        let record = self.docs.get(doc as usize).ok_or(BundleError::Corrupt {
            section: "documents",
            reason: format!("no document number {doc}"),
        })?;
        let bytes = &self.store[record.store_start as usize..record.store_end as usize];
        let corrupt = |reason: String| BundleError::Corrupt {
            section: "store",
            reason: format!("document '{}': {reason}", record.entry.id),
        };
        let mut stored: bundle::StoredBody =
            postcard::from_bytes(bytes).map_err(|error| corrupt(error.to_string()))?;
        self.store_alphabet
            .decode(&mut stored)
            .ok_or_else(|| corrupt("a character outside the store's alphabet".to_owned()))?;
        Ok(stored.into_document(record))
    }

    /// The KB locale that best serves `requested`: the same tag; else, of the same language, one
    /// in the same Chinese script (`zh-Hant`, `zh-HK` and `zh-Hant-TW` read `zh-TW`, not `zh-CN`;
    /// see [`crate::text::is_traditional_chinese`]), then with the same region, then the first
    /// the KB lists; else the default locale. Comparison ignores case and `_`/`-`.
    pub fn resolve_locale(&self, requested: &str) -> &str {
        // Tags are compared as ASCII bytes, with `_` read as `-`; no allocation, as every search
        // resolves its locale. (Splitting a str on two chars would also cost a kilobyte of wasm.)
        fn subtags(tag: &str) -> std::slice::Split<'_, u8, impl FnMut(&u8) -> bool> {
            tag.as_bytes().split(|&b| b == b'-' || b == b'_')
        }
        fn same_tag(a: &str, b: &str) -> bool {
            let fold = |b: u8| {
                if b == b'_' {
                    b'-'
                } else {
                    b.to_ascii_lowercase()
                }
            };
            a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| fold(x) == fold(y))
        }
        // A region is the two-letter or three-digit subtag after the language (and script).
        fn region_of(tag: &str) -> Option<&[u8]> {
            subtags(tag).skip(1).find(|p| {
                (p.len() == 2 && p.iter().all(u8::is_ascii_alphabetic))
                    || (p.len() == 3 && p.iter().all(u8::is_ascii_digit))
            })
        }
        let language = subtags(requested).next().unwrap_or_default();
        let region = region_of(requested);
        let traditional = crate::text::is_traditional_chinese(requested);
        let locales = || self.locale_views.iter().map(|(locale, _)| locale.as_str());
        locales()
            .find(|locale| same_tag(locale, requested))
            .or_else(|| {
                locales()
                    .enumerate()
                    .filter(|(_, locale)| {
                        subtags(locale)
                            .next()
                            .is_some_and(|l| l.eq_ignore_ascii_case(language))
                    })
                    .max_by_key(|(position, locale)| {
                        let same_region = region
                            .zip(region_of(locale))
                            .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b));
                        (
                            crate::text::is_traditional_chinese(locale) == traditional,
                            same_region,
                            std::cmp::Reverse(*position),
                        )
                    })
                    .map(|(_, locale)| locale)
            })
            .unwrap_or(&self.meta.default_locale)
    }

    /// The document with `id` that a customer in `locale` should read: its translation, else the
    /// default-locale version.
    pub fn find(&self, id: &str, locale: &str) -> Option<u32> {
        let locale = self.resolve_locale(locale).to_owned();
        let position = |wanted: &str| {
            self.docs
                .iter()
                .position(|d| d.entry.id == id && d.entry.locale == wanted)
                .map(|p| p as u32)
        };
        position(&locale).or_else(|| position(&self.meta.default_locale))
    }

    /// The directory record of document `doc`, for the flow and page accessors in `flow`.
    pub(crate) fn record(&self, doc: u32) -> Option<&DocRecord> {
        self.docs.get(doc as usize)
    }

    /// Which documents a customer in `locale` sees, by document number; `None` when the locale
    /// view is missing (every document is then visible).
    pub(crate) fn visible(&self, locale: Option<&str>) -> Option<&[bool]> {
        let locale = self.resolve_locale(locale.unwrap_or(&self.meta.default_locale));
        self.locale_views
            .iter()
            .find(|(candidate, _)| candidate == locale)
            .map(|(_, visible)| visible.as_slice())
    }

    /// Ranks the documents a customer in `options.locale` sees against `query`, best first, each
    /// with a snippet showing why it matched. Never fails: a query with nothing searchable in it
    /// returns no hits.
    pub fn search(&self, query: &str, options: &SearchOptions) -> Vec<Hit> {
        let query_terms = parse_query(query);
        let (ranked, matches) = self.score(&query_terms, options, false);
        ranked
            .into_iter()
            .map(|Ranked { doc, score }| {
                // The index terms that matched this document, and for each query term the best
                // weight among them: snippets highlight only each query term's best matches (not
                // `bank` when `back` itself matched).
                let mut found: Vec<&TermMatch> = matches
                    .iter()
                    .filter(|m| {
                        m.postings
                            .entries
                            .binary_search_by_key(&doc, Scored::doc)
                            .is_ok()
                    })
                    .collect();
                // Highlight the words that carry meaning; lone characters and stop words only
                // when nothing else matched.
                let supporting = |m: &&TermMatch| {
                    query_terms
                        .get(m.query_idx)
                        .is_some_and(QueryTerm::is_supporting)
                };
                if found.iter().any(|m| !supporting(m)) {
                    found.retain(|m| !supporting(m));
                }
                let best = |query_idx: usize| {
                    found
                        .iter()
                        .filter(|m| m.query_idx == query_idx)
                        .map(|m| m.weight)
                        .fold(0.0, f32::max)
                };
                let mut terms: BTreeSet<String> = BTreeSet::new();
                terms.extend(
                    found
                        .iter()
                        .filter(|m| m.weight >= best(m.query_idx))
                        .map(|m| m.term.clone()),
                );
                let title = self.record(doc).map_or("", |r| r.entry.title.as_str());
                Hit {
                    doc,
                    score,
                    title_highlights: merged(&matched_ranges(title, &terms)),
                    snippet: self.snippet(doc, &terms),
                }
            })
            .collect()
    }

    /// Ranks like [`Index::search`] without making snippets: for callers that need only which
    /// documents match (the JavaScript API's ids, the CLI's JSON lines, benchmarks).
    pub fn rank(&self, query: &str, options: &SearchOptions) -> Vec<Ranked> {
        self.score(&parse_query(query), options, false).0
    }

    /// For a query with no hits, the documents closest to it: the hits of the did-you-mean
    /// correction when there is one, else a relaxed ranking in which supporting terms (single
    /// CJK characters, stop words) may make a hit on their own. Empty when nothing is close.
    pub fn closest(&self, query: &str, options: &SearchOptions) -> Vec<Ranked> {
        if let Some(corrected) = self.suggest(query, options.locale.as_deref()) {
            let hits = self.rank(&corrected, options);
            if !hits.is_empty() {
                return hits;
            }
        }
        let terms: Vec<QueryTerm> = parse_query(query)
            .into_iter()
            .filter(|t| !t.stop_word)
            .collect();
        self.score(&terms, options, true).0
    }

    /// Scores every visible document against the parsed query: the best `limit`, and every index
    /// term that matched with its postings (to find, later, which ones matched a given hit).
    fn score(
        &self,
        query_terms: &[QueryTerm],
        options: &SearchOptions,
        relaxed: bool,
    ) -> (Vec<Ranked>, Vec<TermMatch>) {
        if query_terms.is_empty() || options.limit == 0 {
            return (Vec::new(), Vec::new());
        }
        let visible = self.visible(options.locale.as_deref());
        let n_docs = self.docs.len() as f32;
        let n_terms = query_terms.len();
        // Coverage counts the words that carry meaning; a query of stop words only counts them all.
        let supporting = QueryTerm::is_supporting;
        let counts: Vec<bool> = if relaxed || query_terms.iter().all(supporting) {
            vec![true; n_terms]
        } else {
            query_terms.iter().map(|t| !supporting(t)).collect()
        };
        // Per document (dense arrays by document number, so the hot loop neither hashes nor
        // allocates), the sum of the query terms' best contributions (see `TermSums`).
        let n_all = self.docs.len();
        let mut doc_sums = TermSums::new(n_all);
        let mut matches: Vec<TermMatch> = Vec::new();

        let mut synonyms = self.synonym_terms(query_terms);
        for (query_idx, query_term) in query_terms.iter().enumerate() {
            let term_weight = if query_term.stop_word {
                STOP_WORD_WEIGHT
            } else if query_term.cjk_unigram {
                CJK_UNIGRAM_WEIGHT
            } else {
                1.0
            };
            let mut expansions = self.expand(query_term);
            for (synonym, weight) in std::mem::take(&mut synonyms[query_idx]) {
                if let Some(offset) = self.lookup(&synonym) {
                    let slot = expansions.entry(synonym).or_insert(Expansion {
                        offset,
                        weight: 0.0,
                        completion: false,
                    });
                    slot.weight = slot.weight.max(weight);
                }
            }
            // Each list's length is its first number: known before decoding the list, so lists
            // skipped below are never decoded.
            let headed: Vec<(String, Expansion, usize)> = expansions
                .into_iter()
                .filter_map(|(term, expansion)| {
                    Some((term, expansion, self.postings_df(expansion.offset)?))
                })
                .collect();
            // Completions of the word being typed share one idf, that of the prefix as a whole:
            // otherwise the rarest completion wins (`refu` → `refuse` over `refund`), though the
            // customer is far more likely typing the common word.
            let completion_df: usize = headed
                .iter()
                .filter(|(_, e, _)| e.completion)
                .map(|(_, _, df)| df)
                .sum();
            let idf_of = |df: usize| {
                let df = (df as f32).min(n_docs);
                (1.0 + (n_docs - df + 0.5) / (df + 0.5)).ln()
            };
            for (term, expansion, df) in headed {
                // A supporting character in more than a tenth of the documents says next to
                // nothing and costs the longest postings lists: skip it. Not in the relaxed
                // ranking of `closest`, where characters are all a query has left.
                if !relaxed
                    && query_term.cjk_unigram
                    && df > MIN_SKIPPED_DF
                    && df * MAX_SUPPORTING_SHARE > self.docs.len()
                {
                    continue;
                }
                let Some(postings) = self.scored_postings(&term, expansion.offset) else {
                    continue;
                };
                let weight = expansion.weight * term_weight;
                let idf = idf_of(if expansion.completion {
                    completion_df
                } else {
                    postings.df
                });
                // The same product, in the same order, as `weight * idf * weighted_tf * …` per
                // posting: the scores stay the same to the bit.
                let scale = weight * idf;
                for scored in &postings.entries {
                    let (doc, weighted_tf) = (scored.doc(), scored.weighted_tf);
                    if visible.is_some_and(|v| !v.get(doc as usize).copied().unwrap_or(false)) {
                        continue;
                    }
                    let contribution = scale * weighted_tf * (K1 + 1.0) / (weighted_tf + K1);
                    doc_sums.offer(doc, contribution);
                }
                matches.push(TermMatch {
                    query_idx,
                    term,
                    weight,
                    idf,
                    postings,
                });
            }
            doc_sums.end_term(counts[query_idx]);
        }

        let n_counted = counts.iter().filter(|c| **c).count().max(1) as f32;
        // A document that matched only stop words is not a hit: "how do I" alone says nothing.
        let mut ranked: Vec<Ranked> = doc_sums
            .touched()
            .iter()
            .filter_map(|&doc| {
                let (sum, matched) = doc_sums.get(doc as usize);
                let matched = matched as f32;
                let coverage = matched / n_counted;
                (matched > 0.0).then(|| Ranked {
                    doc,
                    score: sum * coverage.sqrt(),
                })
            })
            .collect();
        // The phrasing bonus of each candidate, from the postings already decoded: only
        // for the leading candidates, since in a large KB a query touches thousands of
        // documents and the phrasing bonus only reorders those near the top. `by_score` is a
        // total order (no two documents tie), so selecting the leading ones and sorting only
        // them gives exactly the order of sorting everything. The selection, among thousands,
        // compares `Ranked::key`s, the same order as integers.
        let n_candidates = options.limit.max(RERANK_CANDIDATES);
        if ranked.len() > n_candidates {
            ranked.select_nth_unstable_by_key(n_candidates, |hit| std::cmp::Reverse(hit.key()));
            ranked.truncate(n_candidates);
        }
        ranked.sort_by(Ranked::by_score);
        // `slot_of` maps each candidate to its place in `ranked`, and its phrasings are numbered
        // from `phrasing_starts[candidate]`. Per phrasing, as per document in the first pass:
        // the sum of the best weights of the query terms done so far, how many counted terms
        // matched, and the best weight of the term in hand, added to the sum once the term's
        // matches are all visited (`matches` is in query order), touching only the phrasings it
        // reached: each phrasing's sum is, to the bit, that of adding its terms' bests in order.
        let mut slot_of = vec![u32::MAX; n_all];
        let mut phrasing_starts = Vec::with_capacity(ranked.len());
        let mut n_phrasings = 0;
        for (candidate, hit) in ranked.iter().enumerate() {
            if let Some(slot) = slot_of.get_mut(hit.doc as usize) {
                *slot = candidate as u32;
            }
            phrasing_starts.push(n_phrasings);
            n_phrasings += self.instance_factors(hit.doc).len();
        }
        let mut phrasing_sums = TermSums::new(n_phrasings);
        // The candidates in document order, to look them up in long postings lists in one
        // forward pass rather than one binary search of the whole list each.
        let mut candidate_docs: Vec<u32> = ranked.iter().map(|hit| hit.doc).collect();
        candidate_docs.sort_unstable();
        for term_group in matches.chunk_by(|a, b| a.query_idx == b.query_idx) {
            for term_match in term_group {
                let mut visit = |posting: &Scored| {
                    let Some(&candidate) = slot_of.get(posting.doc() as usize) else {
                        return;
                    };
                    let Some(&start) = phrasing_starts.get(candidate as usize) else {
                        return;
                    };
                    let factors = self.instance_factors(posting.doc());
                    let mut update = |instance: usize| {
                        if let Some(factor) = factors.get(instance) {
                            let weight = term_match.weight * term_match.idf * factor;
                            phrasing_sums.offer((start + instance) as u32, weight);
                        }
                    };
                    if posting.in_title() {
                        update(0);
                    }
                    let mut bits = posting.questions;
                    while bits != 0 {
                        update(1 + bits.trailing_zeros() as usize);
                        bits &= bits - 1;
                    }
                };
                // Walk a short postings list; look the candidates up in a long one.
                let entries = &term_match.postings.entries;
                if entries.len() <= ranked.len() * 8 {
                    entries.iter().for_each(&mut visit);
                } else {
                    let mut rest = entries.as_slice();
                    for &doc in &candidate_docs {
                        // Galloping: the next candidate is usually not far ahead.
                        let mut bound = 1;
                        while bound < rest.len() && rest[bound].doc() < doc {
                            bound *= 2;
                        }
                        let end = (bound + 1).min(rest.len());
                        let at = rest[..end].partition_point(|posting| posting.doc() < doc);
                        rest = &rest[at..];
                        match rest.first() {
                            Some(posting) if posting.doc() == doc => visit(posting),
                            Some(_) => {}
                            None => break,
                        }
                    }
                }
            }
            let counted = term_group
                .first()
                .is_some_and(|term_match| counts.get(term_match.query_idx) == Some(&true));
            phrasing_sums.end_term(counted);
        }
        for (hit, &start) in ranked.iter_mut().zip(&phrasing_starts) {
            let n_instances = self.instance_factors(hit.doc).len();
            // The best COUNTED_PHRASINGS phrasing scores, best first; a new score is compared
            // with the last of them first, so most phrasings cost one comparison.
            let mut best = [0f32; COUNTED_PHRASINGS];
            for phrasing in start..start + n_instances {
                let (sum, matched) = phrasing_sums.get(phrasing);
                let mut score = sum * (matched as f32 / n_counted).sqrt();
                if score > best[COUNTED_PHRASINGS - 1] {
                    for slot in &mut best {
                        if score > *slot {
                            std::mem::swap(slot, &mut score);
                        }
                    }
                }
            }
            let (mut bonus, mut decay) = (0f32, 1f32);
            for phrasing_score in best {
                bonus += decay * phrasing_score;
                decay *= PHRASING_DECAY;
            }
            hit.score += INSTANCE_WEIGHT * bonus;
        }
        ranked.sort_by(Ranked::by_score);
        ranked.truncate(options.limit);
        (ranked, matches)
    }

    /// The weights of one term occurring in each phrasing of document `doc` (see
    /// `instance_factors`); empty for a number that is no document.
    fn instance_factors(&self, doc: u32) -> &[f32] {
        let doc = doc as usize;
        match (
            self.instance_offsets.get(doc),
            self.instance_offsets.get(doc + 1),
        ) {
            (Some(&start), Some(&end)) => self
                .instance_factors
                .get(start as usize..end as usize)
                .unwrap_or_default(),
            _ => &[],
        }
    }

    /// The words of the titles and similar questions of the `visible` documents, with counts.
    fn vocabulary(&self, visible: Option<&[bool]>) -> BTreeMap<String, usize> {
        let mut vocabulary: BTreeMap<String, usize> = BTreeMap::new();
        for (doc_number, record) in self.docs.iter().enumerate() {
            if visible.is_some_and(|v| !v.get(doc_number).copied().unwrap_or(false)) {
                continue;
            }
            // Titles are in the directory; similar questions need the document itself.
            let mut texts = vec![record.entry.title.clone()];
            if let Ok(document) = self.document(doc_number as u32) {
                texts.extend(document.similar);
            }
            for text in texts {
                for token in tokenize(&text)
                    .into_iter()
                    .filter(|t| t.kind == TokenKind::Word)
                {
                    let word: String = text[token.start..token.end]
                        .chars()
                        .flat_map(fold_char)
                        .collect();
                    *vocabulary.entry(word).or_default() += 1;
                }
            }
        }
        vocabulary
    }

    /// A corrected query for "did you mean", when some word of `query` matches nothing in the
    /// customer's locale but a word one or two edits away is in a title or similar question
    /// there. Suggestions are whole words as editors wrote them (`delivery`), never stems.
    /// `None` when every word matched or no correction was found.
    pub fn suggest(&self, query: &str, locale: Option<&str>) -> Option<String> {
        let visible = self.visible(locale);
        let resolved = self.resolve_locale(locale.unwrap_or(&self.meta.default_locale));
        let cell = self
            .locale_views
            .iter()
            .position(|(candidate, _)| candidate == resolved)
            .and_then(|view| self.vocabularies.get(view));
        let uncached;
        let vocabulary = match cell {
            Some(cell) => cell.get_or_init(|| self.vocabulary(visible)),
            None => {
                uncached = self.vocabulary(visible);
                &uncached
            }
        };
        let mut changed = false;
        let mut out = String::with_capacity(query.len());
        let mut at = 0;
        for token in tokenize(query) {
            if token.kind != TokenKind::Word || token.start < at {
                continue;
            }
            out.push_str(&query[at..token.start]);
            at = token.end;
            let typed: String = query[token.start..token.end]
                .chars()
                .flat_map(fold_char)
                .collect();
            let len = typed.chars().count();
            let known = self.lookup(&token.term).is_some_and(|offset| {
                self.read_postings(&token.term, offset)
                    .is_some_and(|postings| {
                        postings.iter().any(|posting| {
                            visible.is_none_or(|v| {
                                v.get(posting.doc as usize).copied().unwrap_or(false)
                            })
                        })
                    })
            });
            if known || len < SUGGEST_MIN_LEN[0] || crate::text::is_stop_word(&typed) {
                out.push_str(&query[token.start..token.end]);
                continue;
            }
            let max_distance = if len >= SUGGEST_MIN_LEN[1] { 2 } else { 1 };
            // The closest word, then the most frequent, then the first in order: deterministic.
            let best = vocabulary
                .iter()
                .map(|(word, count)| (edit_distance(&typed, word), std::cmp::Reverse(*count), word))
                .filter(|(distance, _, _)| *distance <= max_distance)
                .min();
            match best {
                Some((_, _, word)) => {
                    out.push_str(word);
                    changed = true;
                }
                None => out.push_str(&query[token.start..token.end]),
            }
        }
        out.push_str(&query[at..]);
        changed.then_some(out)
    }

    /// For each query term, the terms of synonyms that stand in for it: when the query holds
    /// the words of a phrase of a synonym group one after another, the meaningful terms of the group's other
    /// phrases become alternatives for each query term that phrase covers; and the learned
    /// synonyms of each meaningful query term.
    fn synonym_terms(&self, query_terms: &[QueryTerm]) -> Vec<Vec<(String, f32)>> {
        let mut out: Vec<Vec<(String, f32)>> = vec![Vec::new(); query_terms.len()];
        // Learned pairs first, at their lower weight; an editor's synonym for the same term
        // below raises it.
        for (slot, query_term) in out.iter_mut().zip(query_terms) {
            if query_term.is_supporting() {
                continue;
            }
            for alternative in self.learned.get(&query_term.term).into_iter().flatten() {
                if !slot.iter().any(|(term, _)| term == alternative) {
                    slot.push((alternative.clone(), LEARNED_SYNONYM_WEIGHT));
                }
            }
        }
        // A compound stands for both of its words, so each gets half its weight: a document
        // that writes it closed scores as if it held one more word of the query, not two.
        // Each compound is in two query terms: look it up once. Stemming changes the end of a
        // word and keeps at least its first half, so a compound whose first half starts no index
        // term cannot be one; most pairs of words are dropped there, before stemming. (`x y`
        // checks the prefix `x`.)
        let mut known: Vec<(&str, Option<String>)> = Vec::new();
        for (slot, query_term) in out.iter_mut().zip(query_terms) {
            for compound in &query_term.joined {
                let term = match known.iter().find(|(joined, _)| *joined == compound) {
                    Some((_, term)) => term.clone(),
                    None => {
                        let term = self
                            .has_prefix(
                                compound
                                    .as_bytes()
                                    .get(..compound.len() / 2)
                                    .unwrap_or_default(),
                            )
                            .then(|| crate::text::stem(compound))
                            .filter(|term| self.terms.contains_key(term));
                        known.push((compound, term.clone()));
                        term
                    }
                };
                let Some(term) = term else { continue };
                let weight = COMPOUND_WEIGHT / 2.0;
                match slot.iter_mut().find(|(existing, _)| *existing == term) {
                    Some(existing) => existing.1 = existing.1.max(weight),
                    None => slot.push((term, weight)),
                }
            }
        }
        // The query's words in order, as a phrase's are kept: lone CJK characters left out.
        let words: Vec<&str> = query_terms
            .iter()
            .filter(|t| !t.cjk_unigram)
            .map(|t| t.term.as_str())
            .collect();
        for group in &self.synonyms {
            for (phrase_idx, phrase) in group.iter().enumerate() {
                if phrase.terms.is_empty() || !phrase.is_in(&words) {
                    continue;
                }
                let phrase = &phrase.terms;
                let others = group
                    .iter()
                    .enumerate()
                    .filter(|(other_idx, _)| *other_idx != phrase_idx);
                for (_, other) in others {
                    // A phrase of several terms shares the weight among them: one of its words
                    // alone (快递 of 快递费) is not the synonym.
                    let weight = SYNONYM_WEIGHT / other.terms.len().max(1) as f32;
                    for alternative in &other.terms {
                        for (slot, query_term) in out.iter_mut().zip(query_terms) {
                            if !phrase.iter().any(|t| t.term == query_term.term) {
                                continue;
                            }
                            match slot.iter_mut().find(|(term, _)| *term == alternative.term) {
                                Some(existing) => existing.1 = existing.1.max(weight),
                                None => slot.push((alternative.term.clone(), weight)),
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Whether some index term starts with `prefix` (or is it): a walk down the terms fst, with
    /// no stream and no allocation. A `prefix` longer than every term is no prefix.
    fn has_prefix(&self, prefix: &[u8]) -> bool {
        let fst = self.terms.as_fst();
        let mut node = fst.root();
        for &byte in prefix {
            match node.find_input(byte) {
                Some(at) => node = fst.node(node.transition(at).addr),
                None => return false,
            }
        }
        true
    }

    /// Index terms standing for a query term, with the offset of their postings and their weight:
    /// the term itself; while the customer is typing, up to [`MAX_PREFIX_EXPANSIONS`] longer terms
    /// that start with the typed word; and for alphabetic words long enough, up to
    /// [`MAX_TYPO_EXPANSIONS`] terms within one or two edits. Each term keeps its best weight.
    fn expand(&self, query_term: &QueryTerm) -> BTreeMap<String, Expansion> {
        let mut out: BTreeMap<String, Expansion> = BTreeMap::new();
        fn add(
            out: &mut BTreeMap<String, Expansion>,
            key: &[u8],
            offset: u64,
            weight: f32,
            completion: bool,
        ) {
            let Ok(key) = std::str::from_utf8(key) else {
                return;
            };
            let slot = out.entry(key.to_owned()).or_insert(Expansion {
                offset,
                weight: 0.0,
                completion,
            });
            if weight > slot.weight {
                *slot = Expansion {
                    offset,
                    weight,
                    completion,
                };
            }
        }
        if let Some(offset) = self.lookup(&query_term.term) {
            add(&mut out, query_term.term.as_bytes(), offset, 1.0, false);
        }
        if let Some(typed) = &query_term.prefix {
            let typed_len = typed.chars().count() as f32;
            let automaton = fst::automaton::Str::new(typed).starts_with();
            let mut stream = self.terms.search(automaton).into_stream();
            // The completions in the most documents, not the first in alphabetical order: after
            // `re` the customer is likelier typing `refund` than `reassur`.
            // Kept by hand rather than sorted: a selection routine would add a few KB of wasm.
            let mut completions: Vec<(usize, Vec<u8>, u64)> = Vec::new();
            let mut scanned = 0;
            while let Some((key, offset)) = stream.next() {
                scanned += 1;
                if scanned > MAX_PREFIX_SCAN {
                    break;
                }
                let df = self.postings_df(offset).unwrap_or(0);
                if completions.len() < MAX_PREFIX_EXPANSIONS {
                    completions.push((df, key.to_vec(), offset));
                    continue;
                }
                // The one to replace: the fewest documents, the last in order among those.
                let mut least = 0;
                for (i, kept) in completions.iter().enumerate() {
                    let (least_df, least_key) = (completions[least].0, &completions[least].1);
                    if kept.0 < least_df || (kept.0 == least_df && kept.1 > *least_key) {
                        least = i;
                    }
                }
                if df > completions[least].0 {
                    completions[least] = (df, key.to_vec(), offset);
                }
            }
            for (_, key, offset) in &completions {
                let key_len = String::from_utf8_lossy(key).chars().count().max(1) as f32;
                add(
                    &mut out,
                    key,
                    *offset,
                    PREFIX_WEIGHT * (typed_len / key_len).min(1.0).sqrt(),
                    true,
                );
            }
            // Index terms are stems, and a half-typed inflection runs past its stem: `shippi`, on
            // the way to `shipping`, starts with the stem `ship` but is no prefix of it. So a word
            // being typed also matches stems it starts with, at most MAX_STEM_OVERRUN letters
            // shorter, lest results flicker to nothing in the middle of a word.
            if query_term.alphabetic && typed.is_ascii() {
                let shortest = typed.len().saturating_sub(MAX_STEM_OVERRUN).max(3);
                for end in (shortest..typed.len()).rev() {
                    if let Some(offset) = self.terms.get(&typed[..end]) {
                        add(
                            &mut out,
                            &typed.as_bytes()[..end],
                            offset,
                            PREFIX_WEIGHT * (end as f32 / typed_len).sqrt(),
                            false,
                        );
                        break;
                    }
                }
            }
        }
        // A word the KB knows (exactly, or as the start of a word being typed) is most likely
        // spelt as meant: correcting it anyway only adds its neighbours as noise (`card` → `cart`).
        // How many typos a word may hold depends on the word as typed, not on its stem: Porter
        // takes more off a misspelt word than off the word meant (`shpiping` → `shpipe`).
        let len = query_term.typed_len;
        if out.is_empty()
            && query_term.alphabetic
            && !query_term.stop_word
            && len >= TYPO_MIN_LEN[0]
        {
            let max_distance = if len >= TYPO_MIN_LEN[1] { 2 } else { 1 };
            // Only words of at most typo::MAX_WORD_LEN bytes are corrected.
            if let Some(automaton) = crate::typo::Typo::new(&query_term.term, max_distance) {
                let mut stream = self.terms.search(automaton).into_stream();
                let mut n_expansions = 0;
                while let Some((key, offset)) = stream.next() {
                    n_expansions += 1;
                    if n_expansions > MAX_TYPO_EXPANSIONS {
                        break;
                    }
                    let distance = edit_distance(&query_term.term, &String::from_utf8_lossy(key));
                    add(&mut out, key, offset, TYPO_WEIGHTS[distance.min(2)], false);
                }
            }
        }
        out
    }

    /// The length of the postings list at `offset` (its first number), without decoding it;
    /// `None` if it cannot be a list's length. A list that is damaged further on still counts
    /// here (towards the shared idf of completions), then is left out when decoded.
    fn postings_df(&self, offset: u64) -> Option<usize> {
        self.postings_start(offset).map(|(_, df)| df)
    }

    /// The postings list of `term` at `offset` decoded for ranking, from the cache when it is a
    /// long list decoded before; `None` if it is corrupt.
    fn scored_postings(&self, term: &str, offset: u64) -> Option<Arc<ScoredPostings>> {
        // A poisoned lock only means a panic elsewhere; searching goes on without the cache.
        if let Ok(mut cache) = self.decoded.lock()
            && let Some(list) = cache.get(offset)
        {
            return Some(list);
        }
        let list = Arc::new(self.decode_scored(term, offset)?);
        // A CJK character's list is cached however short: it is put together from its bigrams'.
        if (list.df >= CACHE_MIN_DF || is_derived_unigram(term))
            && let Ok(mut cache) = self.decoded.lock()
        {
            cache.insert(offset, Arc::clone(&list));
        }
        Some(list)
    }

    /// Decodes the postings list of `term` at `offset` straight into [`Scored`] entries, without
    /// keeping a [`Posting`] per entry; `None` if it is corrupt. An entry of a document number
    /// this index does not have (only in a damaged bundle) is left out but counted in `df`, or
    /// makes the list corrupt when it has a questions field, as in `read_postings`.
    fn decode_scored(&self, term: &str, offset: u64) -> Option<ScoredPostings> {
        let mut entries = Vec::with_capacity(self.postings_df(offset)?);
        let df = self.for_each_posting(term, offset, |posting| {
            let Posting {
                doc: doc_number,
                freqs,
                questions,
            } = posting;
            let Some(field_factors) = self.field_factors.get(doc_number as usize) else {
                return;
            };
            if doc_number & TITLE_BIT != 0 {
                return;
            }
            // Exactly the expression ranking evaluated per posting before it was hoisted here.
            let weighted_tf: f32 = freqs
                .iter()
                .zip(field_factors)
                .map(|(freq, factor)| *freq as f32 * *factor)
                .sum();
            let title_bit = if freqs[Field::Title as usize] > 0 {
                TITLE_BIT
            } else {
                0
            };
            entries.push(Scored {
                doc_and_title: doc_number | title_bit,
                weighted_tf,
                questions,
            });
        })?;
        Some(ScoredPostings { df, entries })
    }

    /// How many documents hold `term` (an index term, as the tokenizer makes them); 0 for none.
    pub(crate) fn document_frequency(&self, term: &str) -> usize {
        self.lookup(term)
            .and_then(|offset| self.postings_df(offset))
            .unwrap_or(0)
    }

    /// Decodes the postings list of `term` at `offset`; `None` if it is corrupt.
    fn read_postings(&self, term: &str, offset: u64) -> Option<Postings> {
        let mut postings = Vec::new();
        self.for_each_posting(term, offset, |posting| postings.push(posting))?;
        Some(postings)
    }

    /// Calls `each` with every entry of the postings list of `term` at `offset`, in document
    /// order, and returns the list's length; `None` if it is corrupt (`each` may have been called
    /// by then). The one place that knows a CJK character's list is partly its bigrams' lists
    /// (see [`encode_terms`]).
    #[inline(always)]
    fn for_each_posting(
        &self,
        term: &str,
        offset: u64,
        mut each: impl FnMut(Posting),
    ) -> Option<usize> {
        let (mut pos, df) = self.postings_start(offset)?;
        if is_derived_unigram(term) {
            let block = self.block(offset)?;
            if block.derived {
                let entries = self.derive_unigram(block.entries, block.own, block.held)?;
                if entries.len() != df {
                    return None;
                }
                entries.into_iter().for_each(each);
                return Some(df);
            }
            if block.own != df as u64 {
                return None;
            }
            pos = block.entries;
        }
        let mut doc = 0u64;
        for _ in 0..df {
            each(self.read_entry(&mut pos, &mut doc)?);
        }
        Some(df)
    }

    /// A CJK character's postings list: the `stored` entries at `pos`, which its bigrams leave
    /// over, and the `parts` lists that follow them in the section, its bigrams' (the terms one
    /// character longer that start with it), added up by document. `None` if corrupt.
    ///
    /// Done in [`UnigramSlots`], without sorting or merging postings: a sort of postings would be
    /// more code in the wasm (2.9 KB gzip), merging the lists two by two, round after round,
    /// copies every entry once per round, and sorting the document numbers cost more than a
    /// bitmap's walk (the 10,000-article KB, natively: one common character alone, p50 0.16 →
    /// 0.13 ms; format 4, storing the whole list, 0.10 ms).
    fn derive_unigram(&self, pos: usize, stored: u64, parts: u64) -> Option<Vec<Posting>> {
        let mut scratch = match self.unigram_slots.lock() {
            Ok(scratch) => scratch,
            // A panic while the slots were in use may have left some set: start over.
            Err(poisoned) => {
                let mut scratch = poisoned.into_inner();
                *scratch = UnigramSlots::default();
                scratch
            }
        };
        let UnigramSlots { slots, touched } = &mut *scratch;
        slots.resize(self.docs.len(), u32::MAX);
        touched.resize(self.docs.len().div_ceil(64), 0);
        let mut folded: Vec<Posting> = Vec::new();
        let added = self.add_unigram_parts(pos, stored, parts, slots, touched, &mut folded);
        // The documents in order, from the bitmap of those touched, which also resets both.
        let mut list = Vec::with_capacity(folded.len());
        for (word_at, word) in touched.iter_mut().enumerate() {
            let mut bits = std::mem::take(word);
            while bits != 0 {
                let doc = word_at * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if let Some(slot) = slots.get_mut(doc) {
                    list.extend(folded.get(*slot as usize).copied());
                    *slot = u32::MAX;
                }
            }
        }
        added.map(|()| list)
    }

    /// Adds the entries of a CJK character's parts (see [`Index::derive_unigram`]) into `folded`,
    /// one per document, `slots[doc]` the place of document `doc`'s, its bit set in `touched`.
    /// `None` if corrupt. The entries read are bounded by the size of the postings section, every
    /// entry of a sound bundle being a byte of it of its own.
    fn add_unigram_parts(
        &self,
        pos: usize,
        stored: u64,
        parts: u64,
        slots: &mut [u32],
        touched: &mut [u64],
        folded: &mut Vec<Posting>,
    ) -> Option<()> {
        let mut budget = self.postings.len();
        // Adds the `len` entries at `pos`; returns where they end.
        let mut add_list = |mut pos: usize, len: u64, folded: &mut Vec<Posting>| {
            budget = budget.checked_sub(usize::try_from(len).ok()?)?;
            let mut doc = 0u64;
            for _ in 0..len {
                let posting = self.read_entry(&mut pos, &mut doc)?;
                let slot = slots.get_mut(posting.doc as usize)?;
                match folded.get_mut(*slot as usize) {
                    Some(sum) => add_posting(sum, &posting)?,
                    None => {
                        *slot = folded.len() as u32;
                        folded.push(posting);
                        let word = touched.get_mut(posting.doc as usize / 64)?;
                        *word |= 1 << (posting.doc % 64);
                    }
                }
            }
            Some(pos)
        };
        let mut pos = add_list(pos, stored, folded)?;
        for _ in 0..parts {
            let df = read_varint(&self.postings, &mut pos)?;
            pos = add_list(pos, df, folded)?;
        }
        Some(())
    }

    /// The offset of `term`'s postings list: from the fst, or for a bigram held in its first
    /// character's block (see [`encode_terms`]), from that block. `None` if the index does not
    /// have the term.
    fn lookup(&self, term: &str) -> Option<u64> {
        let Some((first, second)) = cjk_pair(term) else {
            return self.terms.get(term);
        };
        let characters = self.characters();
        let place = |c: char| characters.binary_search_by_key(&c, |&(c, _)| c).ok();
        let (Some(first), Some(second)) = (place(first), place(second)) else {
            return self.terms.get(term);
        };
        let block = characters.get(first)?.1;
        let mut found = None;
        self.held_lists(block, |place, offset| {
            if place == second {
                found = Some(offset);
            }
            place < second
        })?;
        found
    }

    /// The CJK characters that are terms, in key order, each with the offset of its block, which
    /// also holds the lists of its bigrams (see [`encode_terms`]): a held bigram's second
    /// character is named by its place here. Read from the fst on first use.
    fn characters(&self) -> &[(char, u64)] {
        self.characters.get_or_init(|| {
            let mut characters = Vec::new();
            let fst = self.terms.as_fst();
            add_characters(
                fst,
                fst.root(),
                &mut Vec::with_capacity(4),
                0,
                &mut characters,
            );
            characters
        })
    }

    /// The header of the CJK character's block at `offset` (see [`encode_terms`]); `None` if it
    /// is corrupt. Every count read is bounded by the bytes it takes: each step and length is a
    /// varint of at least one byte.
    fn block(&self, offset: u64) -> Option<Block> {
        let bytes = self.postings.as_slice();
        let (mut pos, _) = self.postings_start(offset)?;
        let own = read_varint(bytes, &mut pos)?;
        let held = read_varint(bytes, &mut pos)?;
        let lengths = held & 1 == 1;
        let entries = if lengths {
            let len = usize::try_from(read_varint(bytes, &mut pos)?).ok()?;
            pos.checked_add(len)?
        } else {
            let mut end = pos;
            for _ in 0..held >> 1 {
                read_varint(bytes, &mut end)?;
            }
            end
        };
        Some(Block {
            own: own >> 1,
            derived: own & 1 == 1,
            held: held >> 1,
            steps: pos,
            lengths,
            entries,
        })
    }

    /// Calls `each` with the place (in [`Index::characters`]) of the second character and the
    /// offset of the list of each bigram held in the block at `offset`, in order, while `each`
    /// returns true; `None` if the block is corrupt. Without lengths in the block, the entries
    /// before a list are read to find where it starts (at most [`HELD_LENGTHS_FROM`] bytes).
    fn held_lists(&self, offset: u64, mut each: impl FnMut(usize, u64) -> bool) -> Option<()> {
        let bytes = self.postings.as_slice();
        let block = self.block(offset)?;
        let mut steps = block.steps;
        let mut pos = block.entries;
        // Past the `len` entries at `pos` (the own entries, or a list's), or past the next
        // length when the block has them.
        let skip = |pos: &mut usize, steps: &mut usize, len: u64| -> Option<()> {
            if block.lengths {
                let len = usize::try_from(read_varint(bytes, steps)?).ok()?;
                *pos = pos.checked_add(len)?;
            } else {
                let mut doc = 0u64;
                for _ in 0..len {
                    self.read_entry(pos, &mut doc)?;
                }
            }
            Some(())
        };
        skip(&mut pos, &mut steps, block.own)?;
        let mut next = 0usize;
        for _ in 0..block.held {
            let step = usize::try_from(read_varint(bytes, &mut steps)?).ok()?;
            let place = next.checked_add(step)?;
            next = place.checked_add(1)?;
            if !each(place, pos as u64) {
                break;
            }
            let mut entries = pos;
            let len = read_varint(bytes, &mut entries)?;
            if !block.lengths {
                pos = entries;
            }
            skip(&mut pos, &mut steps, len)?;
        }
        Some(())
    }

    /// Every term with the bytes of its postings list, in the postings section's order: the fst's
    /// terms and the bigrams held in their first characters' blocks. For `kefu kb build --stats`
    /// and tests; lists of a corrupt block are left out.
    pub(crate) fn postings_by_term(&self) -> Vec<(String, &[u8])> {
        let mut offsets: Vec<(String, u64)> = Vec::new();
        let mut stream = self.terms.stream();
        while let Some((key, offset)) = stream.next() {
            let term = String::from_utf8_lossy(key).into_owned();
            if is_derived_unigram(&term) {
                let characters = self.characters();
                let _ = self.held_lists(offset, |place, list| {
                    if let Some((second, _)) = characters.get(place) {
                        offsets.push((format!("{term}{second}"), list));
                    }
                    true
                });
            }
            offsets.push((term, offset));
        }
        offsets.sort_by_key(|(_, offset)| *offset);
        let ends: Vec<u64> = offsets
            .iter()
            .skip(1)
            .map(|(_, offset)| *offset)
            .chain([self.postings.len() as u64])
            .collect();
        offsets
            .into_iter()
            .zip(ends)
            .map(|((term, start), end)| {
                let list = usize::try_from(start)
                    .ok()
                    .zip(usize::try_from(end).ok())
                    .and_then(|(start, end)| self.postings.get(start..end))
                    .unwrap_or_default();
                (term, list)
            })
            .collect()
    }

    /// Where the entries of the postings list at `offset` start, and how many there are; `None`
    /// if the count cannot be right.
    fn postings_start(&self, offset: u64) -> Option<(usize, usize)> {
        let mut pos = usize::try_from(offset).ok()?;
        let df = read_varint(&self.postings, &mut pos)?;
        // Every entry takes at least one byte, which bounds a corrupt count before allocating.
        if df > self.postings.len() as u64 {
            return None;
        }
        Some((pos, usize::try_from(df).ok()?))
    }

    /// Reads the postings entry at `pos` (the layout `encode_terms` writes), moving `pos` past it
    /// and `doc` to its document number; `None` if it is corrupt. The one decoder of an entry,
    /// for [`Index::read_postings`] and [`Index::decode_scored`] alike.
    #[inline(always)]
    fn read_entry(&self, pos: &mut usize, doc: &mut u64) -> Option<Posting> {
        let bytes = self.postings.as_slice();
        let header = *bytes.get(*pos)?;
        *pos += 1;
        let inline_delta = header >> 5;
        *doc += u64::from(inline_delta);
        if inline_delta == DELTA_INLINE {
            *doc = doc.checked_add(read_varint(bytes, pos)?)?;
        }
        let doc_number = u32::try_from(*doc).ok()?;
        let mut freqs = [0u32; NUM_FIELDS];
        for (field, freq) in freqs.iter_mut().enumerate() {
            if header & (1 << field) != 0 {
                *freq = if header & ALL_ONCE != 0 {
                    1
                } else {
                    u32::try_from(read_varint(bytes, pos)?).ok()?
                };
            }
        }
        // The questions mask is written only for documents with several similar questions, so
        // reading on needs the document; a number this index does not have is corrupt.
        let questions = if header & (1 << Field::Questions as u8) != 0 {
            match self.question_counts.get(doc_number as usize)? {
                0 => 0,
                1 => 1,
                &n => questions_mask(read_varint(bytes, pos)?, usize::from(n))?,
            }
        } else {
            0
        };
        Some(Posting {
            doc: doc_number,
            freqs,
            questions,
        })
    }

    /// A window of the body around the first matched term, else the first similar question that
    /// matched, else the start of the body.
    fn snippet(&self, doc: u32, terms: &BTreeSet<String>) -> Snippet {
        let Ok(document) = self.document(doc) else {
            return Snippet {
                text: String::new(),
                highlights: Vec::new(),
            };
        };
        let body = join_lines(&document.body_text());
        let matches = |text: &str| matched_ranges(text, terms);
        let body_matches = matches(&body);
        if body_matches.is_empty()
            && let Some(question) = document.similar.iter().find(|q| !matches(q).is_empty())
        {
            return make_snippet(question, 0, &matches(question));
        }
        let first = body_matches.first().map_or(0, |m| m.0);
        make_snippet(&body, first, &body_matches)
    }
}

/// [`varint::read`] with the common case first: most numbers in a postings list (document gaps
/// in long lists, frequencies, question masks) fit in one byte.
#[inline(always)]
fn read_varint(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    match bytes.get(*pos) {
        Some(&byte) if byte < 0x80 => {
            *pos += 1;
            Some(u64::from(byte))
        }
        _ => varint::read(bytes, pos),
    }
}

#[cfg(test)]
mod tests;

/// One phrase of an editor's synonym group (`sign in`, `退换货`), parsed once at load.
#[derive(Debug)]
struct SynonymPhrase {
    /// Every index term of the phrase in order, stop words included and lone CJK characters
    /// left out: a query stands for the phrase when it holds these one after another, so `sign
    /// up` is not `sign in`.
    words: Vec<String>,
    /// The terms that carry its meaning, which stand in for the other phrases of the group: not
    /// its stop words nor its lone CJK characters, which alone would stand in for the phrase at
    /// full synonym weight.
    terms: Vec<QueryTerm>,
}

impl SynonymPhrase {
    fn new(phrase: &str) -> SynonymPhrase {
        let parsed: Vec<QueryTerm> = parse_query(&format!("{phrase} "))
            .into_iter()
            .filter(|t| !t.cjk_unigram)
            .collect();
        SynonymPhrase {
            words: parsed.iter().map(|t| t.term.clone()).collect(),
            terms: parsed.into_iter().filter(|t| !t.stop_word).collect(),
        }
    }

    /// Whether `words` (a query's terms in order, lone CJK characters left out) hold this
    /// phrase's words one after another.
    fn is_in(&self, words: &[&str]) -> bool {
        !self.words.is_empty()
            && words
                .windows(self.words.len())
                .any(|window| window.iter().zip(&self.words).all(|(a, b)| *a == b))
    }
}

/// The edit distance between two words, in characters, as [`crate::typo::Typo`] counts it:
/// insertions, deletions, substitutions and transpositions of adjacent characters, each one
/// edit (optimal string alignment).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Rows i - 2, i - 1 and i of the table; row 0 is the distance from the empty prefix.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut above: Vec<usize> = (0..=b.len()).collect();
    let mut row: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        row[0] = i;
        for j in 1..=b.len() {
            let mut cell = (above[j - 1] + usize::from(a[i - 1] != b[j - 1]))
                .min(above[j] + 1)
                .min(row[j - 1] + 1);
            if i >= 2 && j >= 2 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cell = cell.min(before[j - 2] + 1);
            }
            row[j] = cell;
        }
        std::mem::swap(&mut before, &mut above);
        std::mem::swap(&mut above, &mut row);
    }
    above[b.len()]
}

/// Joins the lines of a body into one line of running text: with a space after Latin text, with
/// nothing after CJK text (which does not put spaces between sentences).
fn join_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let glue = out
            .chars()
            .last()
            .is_some_and(|c| !is_cjk_or_cjk_punctuation(c));
        if glue {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

fn is_cjk_or_cjk_punctuation(c: char) -> bool {
    crate::text::is_cjk(c) || matches!(c, '\u{3000}'..='\u{303F}' | '\u{FF00}'..='\u{FFEF}')
}

/// Cuts about [`SNIPPET_CHARS`] characters of `text` starting a little before byte `anchor` (the
/// whole text when it is that short), with ellipses where it was cut, and moves the match ranges
/// into the cut text. Matches outside the window are dropped; overlapping ones (a CJK bigram and
/// its unigrams) are merged.
fn make_snippet(text: &str, anchor: usize, matches: &[(usize, usize)]) -> Snippet {
    let offsets: Vec<usize> = text.char_indices().map(|(offset, _)| offset).collect();
    let n_chars = offsets.len();
    let byte_at = |char_idx: usize| offsets.get(char_idx).copied().unwrap_or(text.len());
    let (mut first, mut last) = (0, n_chars);
    if n_chars > SNIPPET_CHARS {
        let anchor_char = offsets.partition_point(|&offset| offset < anchor);
        last = (anchor_char.saturating_sub(SNIPPET_CHARS / 6) + SNIPPET_CHARS).min(n_chars);
        first = last - SNIPPET_CHARS;
    }
    let is_space = |char_idx: usize| text[byte_at(char_idx)..].starts_with(char::is_whitespace);
    while first < last && is_space(first) {
        first += 1;
    }
    while last > first && is_space(last - 1) {
        last -= 1;
    }
    let (start, end) = (byte_at(first), byte_at(last));
    let prefix = if text[..start].trim().is_empty() {
        ""
    } else {
        "…"
    };
    let suffix = if text[end..].trim().is_empty() {
        ""
    } else {
        "…"
    };
    let inside = matches
        .iter()
        .filter(|&&(match_start, match_end)| start <= match_start && match_end <= end)
        .map(|&(match_start, match_end)| {
            (
                match_start - start + prefix.len(),
                match_end - start + prefix.len(),
            )
        });
    Snippet {
        text: format!("{prefix}{}{suffix}", &text[start..end]),
        highlights: merged(&inside.collect::<Vec<_>>()),
    }
}

/// The byte ranges of `text`'s tokens whose index term is one of `terms`, in text order.
fn matched_ranges(text: &str, terms: &BTreeSet<String>) -> Vec<(usize, usize)> {
    tokenize(text)
        .into_iter()
        .filter(|token| terms.contains(&token.term))
        .map(|token| (token.start, token.end))
        .collect()
}

/// Ranges in text order with the overlapping ones (a CJK bigram and its unigrams, two bigrams
/// sharing a character) merged, as highlights.
fn merged(ranges: &[(usize, usize)]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for &(start, end) in ranges {
        let (start, end) = (start as u32, end as u32);
        match out.last_mut() {
            Some(previous) if start <= previous.1 => previous.1 = previous.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

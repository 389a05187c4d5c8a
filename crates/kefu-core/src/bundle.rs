//! The bundle: the one file the widget downloads, holding the whole compiled KB.
//!
//! Writer and reader live side by side here so they cannot drift. Layout, all integers
//! little-endian:
//!
//! ```text
//! offset  size  field
//! 0       8     magic  b"KEFUKB\r\n" (the CR LF catches transfers that mangle line ends)
//! 8       4     format version (FORMAT_VERSION)
//! 12      4     CRC-32 of every byte from offset 16 to the end
//! 16      20    lengths of the five sections, u32 each
//! 36      …     sections, back to back:
//!               meta       postcard BundleMeta
//!               directory  postcard `Directory`, column by column: the KB's locales, then per
//!                          document its locale number, kind, field lengths (field by field),
//!                          similar-question lengths, store length (the start is the sum of the
//!                          lengths before it), flow order, page patterns, id (sorted and
//!                          front-coded where they are counters), category, title (coded by
//!                          character frequency where that pays; see `columns`)
//!               store      each document's tags, similar questions, body and flow (StoredBody),
//!                          postcard-encoded on its own so one article is read without decoding
//!                          the others; id, title, locale and category live in the directory only,
//!                          and a body that is just the title is a flag, not a second copy; its
//!                          texts in stand-in characters (see `store`; the directory's last
//!                          column is their alphabet)
//!               terms      fst::Map, term → offset of its postings list (a CJK bigram's list
//!                          is found through its first character's)
//!               postings   see `index` (mostly one byte per document a term occurs in; a CJK
//!                          character's block holds its bigrams' lists and, of its own, only
//!                          what those leave over)
//! ```
//!
//! Documents are numbered in the bundle's own order, not the KB's: those sharing terms sit
//! together, which makes postings smaller (see `order`).
//!
//! **Invariant:** the same documents give the same bytes (no hash-map order, no timestamps), so a
//! rebuilt but unchanged KB does not bust a CDN cache.

use serde::{Deserialize, Serialize};

mod columns;
mod order;
mod store;

use crate::crc32::crc32;
use crate::index::{self, DocRecord, NUM_FIELDS};
use crate::kb::{Block, DocEntry, DocKind, Document, Inline};
use columns::{Ids, Titles};
pub(crate) use store::StoreAlphabet;

/// The first eight bytes of every bundle.
pub const MAGIC: [u8; 8] = *b"KEFUKB\r\n";

/// The bundle format this build reads and writes. Bump on any change to the layout or to the
/// encoding of a section; older readers then refuse the bundle with a clear message.
///
/// Version 2: flows (`StoredBody::flow`), page patterns and flow order in the directory.
/// Version 3: which similar questions hold each word (per-phrasing scoring), learned synonyms.
/// Version 4: smaller — one-byte postings entries (fields, frequencies all one, small document
/// deltas in one header byte; the questions mask only for documents with several questions), the
/// directory as columns with store lengths instead of ranges, a body equal to the title stored as a
/// flag (afqmc-dev: 355.6 → 248.2 KiB gzip; BENCHMARKS.md, "Bundle size").
/// Version 5: a CJK character's postings list holds only what the lists of its bigrams leave
/// over, and how many of the lists after it are those; the reader adds them back (afqmc-dev:
/// 218.7 → 193.4 KiB gzip).
/// Version 6: a CJK character's bigrams (both characters terms) are not in the fst: their lists
/// sit in the character's block, named by the place of their second character among the
/// characters (afqmc-dev: 193.4 → 167.2 KiB gzip).
/// Version 7: titles coded by their characters' frequency ranks instead of as UTF-8, ids sorted
/// and front-coded with each document's place among them (`columns`), the store's texts written
/// in stand-in characters ranked by frequency (`store`); each only where it pays. gzip -9:
/// afqmc-dev 168,465 → 149,963 bytes, the demo KB 151,047 → 145,227, the 10,000-article KB
/// 3,689,381 → 3,352,197.
/// Version 8: in documents with more than seven similar questions, a postings entry's questions
/// mask written as the place of its one question when it has one (`index::questions_code`);
/// banking77-dev 31,194 → 30,943 bytes gzip -9. Its terms are also folded with the Taiwan and
/// Hong Kong forms added to `hant` (帳 → 账, 裡 → 里, 週 → 周): an older bundle's would not meet
/// the queries this reader folds.
pub const FORMAT_VERSION: u32 = 8;

const HEADER_LEN: usize = 36;
const SECTION_NAMES: [&str; 5] = ["meta", "directory", "store", "terms", "postings"];

/// KB-wide settings carried in the bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleMeta {
    /// Locale shown when a document has no translation in the customer's locale.
    pub default_locale: String,
    /// Groups of words or phrases customers use interchangeably (`退货`, `退换货`, `return`), as
    /// editors define them. A query containing one phrase of a group also matches the others.
    pub synonyms: Vec<Vec<String>>,
    /// Word pairs the KB compiler learned from FAQ similar questions (`kefu_kb::learn`); they
    /// count less than editors' synonyms.
    pub learned_synonyms: Vec<crate::index::LearnedSynonym>,
}

impl BundleMeta {
    pub fn new(default_locale: &str) -> BundleMeta {
        BundleMeta {
            default_locale: default_locale.to_owned(),
            synonyms: Vec::new(),
            learned_synonyms: Vec::new(),
        }
    }
}

/// Why bytes are not a usable bundle. Each message says what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BundleError {
    /// Fewer bytes than a header: the download was cut short or the URL serves something else.
    TooShort { len: usize },
    /// The bytes do not start with [`MAGIC`]: not a Kefu bundle at all.
    BadMagic,
    /// Written by a Kefu with another bundle format. Read by the widget and by the CLI alike
    /// (`kefu kb search`), so the message names neither.
    Version { expected: u32, got: u32 },
    /// Fewer bytes than the header's section lengths add up to: the download or upload was cut
    /// short (an interrupted transfer, a size limit on the server). `expected` counts the header.
    Truncated { expected: u64, got: u64 },
    /// The checksum does not match: the bytes were damaged in transit or on disk.
    Checksum { expected: u32, got: u32 },
    /// A section is malformed although the checksum matched.
    Corrupt {
        section: &'static str,
        reason: String,
    },
}

impl std::fmt::Display for BundleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BundleError::TooShort { len } => write!(
                f,
                "the bundle is only {len} bytes, too short to be a Kefu bundle; check that the URL serves the file `kefu kb build` wrote and that the download completed"
            ),
            BundleError::BadMagic => write!(
                f,
                "this is not a Kefu bundle (wrong magic bytes); check that the URL points at the .bin file written by `kefu kb build`, not an HTML error page"
            ),
            BundleError::Version { expected, got } => write!(
                f,
                "the bundle has format version {got} but this Kefu reads format version {expected}; rebuild the KB with the same Kefu version as the widget or command reading it (`kefu kb build`)"
            ),
            BundleError::Truncated { expected, got } => write!(
                f,
                "the bundle is cut short: its header declares {expected} bytes but only {got} arrived; download or upload it again, whole (an interrupted transfer or a size limit on the server cuts files short)"
            ),
            BundleError::Checksum { expected, got } => write!(
                f,
                "the bundle is damaged (checksum {got:08x}, expected {expected:08x}); upload it again, byte for byte (no text-mode transfer, no re-encoding)"
            ),
            BundleError::Corrupt { section, reason } => write!(
                f,
                "the bundle's {section} section is malformed ({reason}); rebuild it with `kefu kb build`"
            ),
        }
    }
}

impl std::error::Error for BundleError {}

/// Encodes `docs` into bundle bytes. Deterministic: the same input gives the same bytes.
pub fn encode(docs: &[Document], meta: &BundleMeta) -> Vec<u8> {
    let (tables, mut field_lens) = index::collect_terms(docs);
    let terms = index::sorted_terms(&tables);
    let order = numbering(
        docs,
        &index::shared_terms(&tables, &terms, docs.len()),
        terms.len(),
    );
    let mut new_number = vec![0u32; docs.len()];
    for (new, &old) in order.iter().enumerate() {
        if let Some(slot) = new_number.get_mut(old as usize) {
            *slot = new as u32;
        }
    }
    let question_counts: Vec<usize> = order
        .iter()
        .map(|&old| {
            field_lens
                .get(old as usize)
                .map_or(0, |(_, lens)| lens.len())
        })
        .collect();
    let (terms, postings) = index::encode_terms(&tables, &terms, &new_number, &question_counts);

    // `order` numbers every document once, so these follow it one for one.
    let in_order = || order.iter().filter_map(|&old| docs.get(old as usize));
    let mut bodies: Vec<StoredBody> = in_order().map(StoredBody::of).collect();
    let alphabet = StoreAlphabet::of(&mut bodies);
    let mut store = Vec::new();
    let mut directory = Directory {
        store_alphabet: alphabet.to_text(),
        ..Directory::default()
    };
    for (&old, mut body) in order.iter().zip(bodies) {
        let (Some(doc), Some(lens)) = (docs.get(old as usize), field_lens.get_mut(old as usize))
        else {
            continue;
        };
        let (field_lens, question_lens) = std::mem::take(lens);
        let store_start = store.len();
        alphabet.code(&mut body);
        // Encoding plain data into a Vec cannot fail; an error would be a postcard bug.
        store.extend(postcard::to_allocvec(&body).unwrap_or_default());
        directory.push(
            doc,
            field_lens,
            question_lens,
            (store.len() - store_start) as u32,
        );
    }
    directory.titles =
        Titles::encode(&in_order().map(|doc| doc.title.as_str()).collect::<Vec<_>>());
    directory.ids = Ids::encode(&in_order().map(|doc| doc.id.as_str()).collect::<Vec<_>>());
    let sections = [
        postcard::to_allocvec(meta).unwrap_or_default(),
        postcard::to_allocvec(&directory).unwrap_or_default(),
        store,
        terms,
        postings,
    ];

    let mut body = Vec::new();
    for section in &sections {
        body.extend_from_slice(&(section.len() as u32).to_le_bytes());
    }
    for section in &sections {
        body.extend_from_slice(section);
    }
    let mut out = Vec::with_capacity(16 + body.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&crc32(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// The order documents are numbered in, as the old number of each new one: `order[new] = old`.
///
/// Documents sharing terms are numbered close together (see `order`), which makes postings
/// smaller. Each locale's documents stay together, in their first-seen order of locales, and
/// every locale follows one order of ids: a translated article's postings then repeat the gaps of
/// the original's, which gzip finds (ordered locale by locale, the demo KB's CJK postings grew
/// from 40.9 to 47.6 KiB gzip). So the order is computed over ids, each holding the terms of all
/// its translations. `doc_terms` are [`index::shared_terms`].
fn numbering(docs: &[Document], doc_terms: &[Vec<u32>], n_terms: usize) -> Vec<u32> {
    let mut unit_of_id: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    let mut unit_terms: Vec<Vec<u32>> = Vec::new();
    let mut units = Vec::with_capacity(docs.len());
    for (doc, terms) in docs.iter().zip(doc_terms) {
        let unit = *unit_of_id.entry(doc.id.as_str()).or_insert_with(|| {
            unit_terms.push(Vec::new());
            (unit_terms.len() - 1) as u32
        });
        if let Some(held) = unit_terms.get_mut(unit as usize) {
            held.extend_from_slice(terms);
        }
        units.push(unit);
    }
    for held in &mut unit_terms {
        held.sort_unstable();
        held.dedup();
    }
    let mut place_of_unit = vec![0u32; unit_terms.len()];
    for (place, unit) in order::by_shared_terms(&unit_terms, n_terms)
        .into_iter()
        .enumerate()
    {
        if let Some(slot) = place_of_unit.get_mut(unit as usize) {
            *slot = place as u32;
        }
    }
    // Each document's sort key, once: its locale's place among the KB's locales (in first-seen
    // order), then its id's place in the order.
    let mut locales: Vec<&str> = Vec::new();
    let keys: Vec<(usize, u32)> = docs
        .iter()
        .zip(&units)
        .map(|(doc, &unit)| {
            let locale_place = match locales.iter().position(|l| *l == doc.locale) {
                Some(place) => place,
                None => {
                    locales.push(&doc.locale);
                    locales.len() - 1
                }
            };
            let place = place_of_unit.get(unit as usize).copied().unwrap_or(0);
            (locale_place, place)
        })
        .collect();
    let mut order: Vec<u32> = (0..docs.len() as u32).collect();
    order.sort_by_key(|&doc| keys.get(doc as usize).copied().unwrap_or_default());
    order
}

/// The directory as written: one column per field of [`DocRecord`] rather than one record after
/// another, so the ids, titles and categories sit together as text and gzip finds what they share
/// (afqmc-dev, gzip -9 of the section alone: 106.0 KiB as records, 77.8 KiB as columns, the titles
/// alone being 55.5 KiB). Locales are numbers into a table
/// of the KB's locales, and each document's place in the store is its length: the start is the sum
/// of the lengths before it.
#[derive(Default, Serialize, Deserialize)]
struct Directory {
    locales: Vec<String>,
    locale_numbers: Vec<u32>,
    kinds: Vec<DocKind>,
    /// Field by field rather than document by document: in a FAQ imported from a question list
    /// the body's lengths repeat the title's, and gzip then finds the whole column again.
    field_lens: [Vec<u32>; NUM_FIELDS],
    question_lens: Vec<Vec<u16>>,
    store_lens: Vec<u32>,
    orders: Vec<Option<i32>>,
    pages: Vec<Vec<String>>,
    /// Sorted and front-coded, with each document's place among them, or as they are (see
    /// `columns`); written by the encoder once every document is in.
    ids: Ids,
    categories: Vec<String>,
    /// Coded by character frequency, or as they are (see `columns`); written by the encoder once
    /// every document is in.
    titles: Titles,
    /// The characters of the store's texts by rank, or empty when those are as written (see
    /// `store`).
    store_alphabet: String,
}

impl Directory {
    fn push(
        &mut self,
        doc: &Document,
        field_lens: [u32; NUM_FIELDS],
        question_lens: Vec<u16>,
        store_len: u32,
    ) {
        let locale_number = match self.locales.iter().position(|l| *l == doc.locale) {
            Some(number) => number,
            None => {
                self.locales.push(doc.locale.clone());
                self.locales.len() - 1
            }
        };
        self.locale_numbers.push(locale_number as u32);
        self.kinds.push(doc.kind);
        for (column, len) in self.field_lens.iter_mut().zip(field_lens) {
            column.push(len);
        }
        self.question_lens.push(question_lens);
        self.store_lens.push(store_len);
        self.orders
            .push(doc.flow.as_ref().and_then(|flow| flow.order));
        self.pages.push(doc.pages.clone());
        self.categories.push(doc.category.clone());
    }

    /// The records again; `None` when the columns disagree in length, a locale number points
    /// outside the table, the titles or ids do not decode (see `columns`), or the store lengths
    /// overflow.
    ///
    /// `store_start` is where the first document's stored part starts: the records' store
    /// ranges are offsets into whatever holds the store section at that position.
    fn into_records(self, store_start: u32) -> Option<Vec<DocRecord>> {
        let ids = self.ids.decode()?;
        let n_docs = ids.len();
        let titles = self.titles.decode()?;
        let lens = [
            self.locale_numbers.len(),
            self.kinds.len(),
            self.field_lens[0].len(),
            self.field_lens[1].len(),
            self.field_lens[2].len(),
            self.field_lens[3].len(),
            self.question_lens.len(),
            self.store_lens.len(),
            self.orders.len(),
            self.pages.len(),
            self.categories.len(),
            titles.len(),
        ];
        if lens.iter().any(|len| *len != n_docs) {
            return None;
        }
        let mut records = Vec::with_capacity(n_docs);
        let mut store_start = store_start;
        let mut locale_numbers = self.locale_numbers.into_iter();
        let mut kinds = self.kinds.into_iter();
        let field_lens = &self.field_lens;
        let mut question_lens = self.question_lens.into_iter();
        let mut store_lens = self.store_lens.into_iter();
        let mut orders = self.orders.into_iter();
        let mut pages = self.pages.into_iter();
        let mut categories = self.categories.into_iter();
        let mut titles = titles.into_iter();
        for (doc_number, id) in ids.into_iter().enumerate() {
            let store_end = store_start.checked_add(store_lens.next()?)?;
            let locale = self.locales.get(locale_numbers.next()? as usize)?;
            records.push(DocRecord {
                entry: DocEntry {
                    id,
                    kind: kinds.next()?,
                    locale: locale.clone(),
                    title: titles.next()?,
                    category: categories.next()?,
                },
                field_lens: std::array::from_fn(|field| {
                    field_lens[field]
                        .get(doc_number)
                        .copied()
                        .unwrap_or_default()
                }),
                question_lens: question_lens.next()?,
                store_start,
                store_end,
                pages: pages.next()?,
                order: orders.next()?,
            });
            store_start = store_end;
        }
        Some(records)
    }
}

/// What the store keeps of a document: everything its directory entry does not already hold.
#[derive(Serialize, Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(crate) struct StoredBody {
    pub tags: Vec<String>,
    pub similar: Vec<String>,
    /// Empty when `body_is_title`.
    pub body: Vec<crate::kb::Block>,
    /// A flow's graph: decoded with the document, like an article's body.
    pub flow: Option<crate::flow::Flow>,
    /// The body is one paragraph of plain text equal to the title, as FAQ answers imported from
    /// a question list often are (every entry of the benchmark sets): stored once, in the
    /// directory.
    pub body_is_title: bool,
}

impl StoredBody {
    fn of(doc: &Document) -> StoredBody {
        let body_is_title = doc.body == title_paragraph(&doc.title);
        StoredBody {
            tags: doc.tags.clone(),
            similar: doc.similar.clone(),
            body: if body_is_title {
                Vec::new()
            } else {
                doc.body.clone()
            },
            flow: doc.flow.clone(),
            body_is_title,
        }
    }

    /// The whole document again, from its directory record and this.
    pub(crate) fn into_document(self, record: &DocRecord) -> Document {
        let entry = &record.entry;
        Document {
            id: entry.id.clone(),
            kind: entry.kind,
            locale: entry.locale.clone(),
            title: entry.title.clone(),
            category: entry.category.clone(),
            tags: self.tags,
            similar: self.similar,
            body: if self.body_is_title {
                title_paragraph(&entry.title)
            } else {
                self.body
            },
            pages: record.pages.clone(),
            flow: self.flow,
        }
    }
}

/// A body of one paragraph holding `title` as plain text.
fn title_paragraph(title: &str) -> Vec<Block> {
    vec![Block::Paragraph(vec![Inline::Text(title.to_owned())])]
}

/// The verified sections of a bundle, before the index is assembled from them.
pub(crate) struct Parts {
    pub meta: BundleMeta,
    /// Each record's store range is a range of `store`.
    pub docs: Vec<DocRecord>,
    /// The bundle's bytes up to the end of its store section: the records' store ranges point
    /// into it (the header, meta and directory before the store are kept, not copied away).
    pub store: Vec<u8>,
    /// What the store's texts are coded with (see `store`).
    pub store_alphabet: StoreAlphabet,
    pub terms: Vec<u8>,
    pub postings: Vec<u8>,
    pub checksum: u32,
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    if let Some(slice) = bytes.get(at..at + 4) {
        word.copy_from_slice(slice);
    }
    u32::from_le_bytes(word)
}

/// Checks the header, that every byte it declares arrived, and the checksum, and splits the
/// sections. Never panics; allocates no more than the input's size.
pub(crate) fn decode(bytes: Vec<u8>) -> Result<Parts, BundleError> {
    if bytes.len() < HEADER_LEN {
        // A short prefix of a real bundle is still worth naming as such.
        if bytes.len() >= 8 && bytes[..8] != MAGIC {
            return Err(BundleError::BadMagic);
        }
        return Err(BundleError::TooShort { len: bytes.len() });
    }
    if bytes[..8] != MAGIC {
        return Err(BundleError::BadMagic);
    }
    let version = read_u32(&bytes, 8);
    if version != FORMAT_VERSION {
        return Err(BundleError::Version {
            expected: FORMAT_VERSION,
            got: version,
        });
    }
    // The header declares every section's length, so a bundle cut short is named as such rather
    // than failing the checksum as "damaged", which sends people looking for a transfer that
    // re-encodes bytes. A length damaged upwards is reported as a cut too: both fail the checksum
    // alike, and a cut file is by far the likelier. In u64, as five u32 lengths overflow a 32-bit
    // usize (wasm32).
    let declared = (0..SECTION_NAMES.len()).fold(HEADER_LEN as u64, |total, number| {
        total + u64::from(read_u32(&bytes, 16 + 4 * number))
    });
    if declared > bytes.len() as u64 {
        return Err(BundleError::Truncated {
            expected: declared,
            got: bytes.len() as u64,
        });
    }
    let expected = read_u32(&bytes, 12);
    let got = crc32(&bytes[16..]);
    if expected != got {
        return Err(BundleError::Checksum { expected, got });
    }
    let mut ranges = Vec::with_capacity(SECTION_NAMES.len());
    let mut start = HEADER_LEN;
    for (number, name) in SECTION_NAMES.iter().enumerate() {
        let len = read_u32(&bytes, 16 + 4 * number) as usize;
        let end = start
            .checked_add(len)
            .filter(|end| *end <= bytes.len())
            .ok_or(BundleError::Corrupt {
                section: name,
                reason: format!("its length {len} runs past the end of the bundle"),
            })?;
        ranges.push(start..end);
        start = end;
    }
    if start != bytes.len() {
        return Err(BundleError::Corrupt {
            section: "postings",
            reason: format!(
                "{} unexpected bytes after the last section",
                bytes.len() - start
            ),
        });
    }
    let section = |number: usize| &bytes[ranges[number].clone()];
    let corrupt = |number: usize| {
        move |error: postcard::Error| BundleError::Corrupt {
            section: SECTION_NAMES[number],
            reason: error.to_string(),
        }
    };
    let meta: BundleMeta = postcard::from_bytes(section(0)).map_err(corrupt(0))?;
    let directory: Directory = postcard::from_bytes(section(1)).map_err(corrupt(1))?;
    let store_alphabet = StoreAlphabet::from_text(&directory.store_alphabet);
    // The store is most of a large bundle (7.1 of the 10.9 MB of 10,000 articles): it stays
    // where it is in the downloaded bytes, and the records point into those, rather than being
    // copied out.
    let store = ranges[2].clone();
    let docs = directory
        .into_records(u32::try_from(store.start).unwrap_or(u32::MAX))
        .ok_or(BundleError::Corrupt {
            section: "directory",
            reason: "its columns disagree".to_owned(),
        })?;
    let terms = section(3).to_vec();
    let postings = section(4).to_vec();
    let mut bytes = bytes;
    bytes.truncate(store.end);
    bytes.shrink_to_fit();
    Ok(Parts {
        meta,
        docs,
        store: bytes,
        store_alphabet,
        terms,
        postings,
        checksum: expected,
    })
}

/// One part of a bundle's bytes, for size reports (`kefu kb build --stats`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The section's name; postings are split by term kind (`postings: cjk bigram`).
    pub name: String,
    /// How many terms the part holds postings for (0 for other sections).
    pub n_terms: usize,
    /// The part's bytes, concatenated in bundle order (the caller compresses them to see what
    /// each costs after gzip).
    pub bytes: Vec<u8>,
}

/// The bundle's bytes by section, the postings split by the kind of term they belong to
/// (CJK unigram, CJK bigram, number, word), so size work measures before it guesses.
///
/// ```
/// use kefu_core::bundle::{BundleMeta, breakdown, encode};
/// let bytes = encode(&[], &BundleMeta::new("en"));
/// let parts = breakdown(&bytes).unwrap();
/// assert_eq!(parts[0].name, "header");
/// ```
pub fn breakdown(bytes: &[u8]) -> Result<Vec<Part>, BundleError> {
    let index = index::Index::from_bytes(bytes.to_vec())?;
    let mut out = vec![Part {
        name: "header".to_owned(),
        n_terms: 0,
        bytes: bytes[..HEADER_LEN].to_vec(),
    }];
    let mut start = HEADER_LEN;
    let by_term = index.postings_by_term();
    for (number, name) in SECTION_NAMES.iter().enumerate() {
        let len = read_u32(bytes, 16 + 4 * number) as usize;
        let section = bytes.get(start..start + len).unwrap_or_default();
        start += len;
        if *name != "postings" {
            out.push(Part {
                name: (*name).to_owned(),
                n_terms: if *name == "terms" { by_term.len() } else { 0 },
                bytes: section.to_vec(),
            });
        }
    }
    let kinds = ["cjk unigram", "cjk bigram", "number", "word"];
    let mut by_kind: Vec<Part> = kinds
        .iter()
        .map(|kind| Part {
            name: format!("postings: {kind}"),
            n_terms: 0,
            bytes: Vec::new(),
        })
        .collect();
    for (term, list) in by_term {
        if let Some(part) = by_kind.get_mut(term_kind(&term)) {
            part.n_terms += 1;
            part.bytes.extend_from_slice(list);
        }
    }
    out.extend(by_kind);
    Ok(out)
}

/// 0 CJK unigram, 1 CJK bigram, 2 number, 3 word: the kinds `text::tokenize` produces.
fn term_kind(term: &str) -> usize {
    let n_chars = term.chars().count();
    if term.chars().all(crate::text::is_cjk) {
        if n_chars == 1 { 0 } else { 1 }
    } else if term.chars().all(|c| c.is_ascii_digit()) {
        2
    } else {
        3
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{collect_terms_on, encode_terms, sorted_terms};
    use crate::kb::Inline;

    /// Documents in both scripts, of uneven lengths, some with similar questions.
    fn documents() -> Vec<Document> {
        let english = "Refunds are processed within five working days after the returned parcel \
                       arrives; shipping fees for exchanges are refunded too";
        let chinese = "退货运费由商家承担，退款将在收到退回的包裹后五个工作日内原路退回，運費退貨";
        (0..300)
            .map(|n| {
                let zh = n % 3 == 0;
                let text = if zh { chinese } else { english };
                let cut = text.char_indices().nth(n % 40).map_or(0, |(at, _)| at);
                let body = format!("{} {n} {}", &text[cut..], text.repeat(n % 7));
                Document {
                    id: format!("doc-{n}"),
                    kind: DocKind::Article,
                    locale: if zh { "zh-CN" } else { "en" }.into(),
                    title: text[..cut].to_owned(),
                    category: format!("c{}", n % 5),
                    tags: vec![format!("tag{}", n % 4)],
                    similar: (0..n % 4)
                        .map(|q| format!("{q} {}", &text[cut..]))
                        .collect(),
                    body: vec![Block::Paragraph(vec![Inline::Text(body)])],
                    pages: Vec::new(),
                    flow: None,
                }
            })
            .collect()
    }

    #[test]
    fn counter_ids_and_recurring_characters_are_coded_and_come_back() {
        let docs = documents();
        let bytes = encode(&docs, &BundleMeta::new("zh-CN"));
        let directory_start = HEADER_LEN + read_u32(&bytes, 16) as usize;
        let directory_len = read_u32(&bytes, 20) as usize;
        let directory: Directory =
            postcard::from_bytes(&bytes[directory_start..directory_start + directory_len])
                .expect("the directory decodes");
        assert!(matches!(directory.ids, Ids::Sorted { .. }));
        assert!(matches!(directory.titles, Titles::Coded { .. }));
        assert!(!directory.store_alphabet.is_empty());
        let index = crate::Index::from_bytes(bytes.clone()).expect("the bundle opens");
        for number in 0..index.len() as u32 {
            let read = index.document(number).expect("the document decodes");
            assert!(docs.contains(&read), "{} comes back as written", read.id);
        }
        let parts = decode(bytes).expect("the bundle decodes");
        let mut written: Vec<(String, String)> = docs
            .iter()
            .map(|doc| (doc.id.clone(), doc.title.clone()))
            .collect();
        let mut read: Vec<(String, String)> = parts
            .docs
            .iter()
            .map(|record| (record.entry.id.clone(), record.entry.title.clone()))
            .collect();
        written.sort();
        read.sort();
        assert_eq!(read, written);
    }

    #[test]
    fn a_cut_short_bundle_says_how_many_bytes_arrived() {
        let bytes = encode(&documents()[..12], &BundleMeta::new("zh-CN"));
        let whole = bytes.len() as u64;
        let cut_at = |len: usize| {
            decode(bytes[..len].to_vec())
                .err()
                .expect("a cut is refused")
        };
        let half = bytes.len() / 2;
        let error = cut_at(half);
        assert_eq!(
            error,
            BundleError::Truncated {
                expected: whole,
                got: half as u64
            }
        );
        assert_eq!(
            error.to_string(),
            format!(
                "the bundle is cut short: its header declares {whole} bytes but only {half} arrived; download or upload it again, whole (an interrupted transfer or a size limit on the server cuts files short)"
            )
        );
        for len in [bytes.len() - 1, HEADER_LEN] {
            assert_eq!(
                cut_at(len),
                BundleError::Truncated {
                    expected: whole,
                    got: len as u64
                }
            );
        }
        // Inside the header the lengths are not all there: too short, as before.
        assert_eq!(cut_at(20), BundleError::TooShort { len: 20 });
        // Bytes added, not lost, and bytes changed in place are damage, as before.
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            decode(longer).err(),
            Some(BundleError::Checksum { .. })
        ));
        let mut flipped = bytes.clone();
        flipped[half] ^= 0x40;
        assert!(matches!(
            decode(flipped).err(),
            Some(BundleError::Checksum { .. })
        ));
    }

    /// The message is printed by the widget (in the console) and by `kefu kb search`, so it says
    /// "this Kefu", true of both.
    #[test]
    fn another_format_version_says_which_one_this_kefu_reads() {
        let mut bytes = encode(&[], &BundleMeta::new("en"));
        bytes[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        let error = decode(bytes).err().expect("another version is refused");
        assert_eq!(
            error.to_string(),
            format!(
                "the bundle has format version {} but this Kefu reads format version {FORMAT_VERSION}; rebuild the KB with the same Kefu version as the widget or command reading it (`kefu kb build`)",
                FORMAT_VERSION + 1
            )
        );
    }

    #[test]
    fn terms_and_postings_do_not_depend_on_the_number_of_threads() {
        let docs = documents();
        let encoded_on = |threads| {
            let (tables, lengths) = collect_terms_on(&docs, threads);
            let counts: Vec<usize> = lengths.iter().map(|(_, lens)| lens.len()).collect();
            let identity: Vec<u32> = (0..docs.len() as u32).collect();
            let encoded = encode_terms(&tables, &sorted_terms(&tables), &identity, &counts);
            (encoded, lengths)
        };
        let one = encoded_on(1);
        assert!(!one.0.1.is_empty());
        for threads in [2, 3, 8] {
            assert!(encoded_on(threads) == one, "{threads} threads");
        }
    }
}

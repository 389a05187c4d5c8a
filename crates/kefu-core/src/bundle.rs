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
//!               directory  postcard Vec<DocRecord>: id, kind, locale, title, field lengths, store
//!                          range, page patterns, flow order
//!               store      each document's tags, similar questions, body and flow (StoredBody),
//!                          postcard-encoded on its own so one article is read without decoding
//!                          the others; id, title, locale and category live in the directory only
//!               terms      fst::Map, term → offset of its postings list
//!               postings   see `index`
//! ```
//!
//! **Invariant:** the same documents give the same bytes (no hash-map order, no timestamps), so a
//! rebuilt but unchanged KB does not bust a CDN cache.

use serde::{Deserialize, Serialize};

use crate::crc32::crc32;
use crate::index::{self, DocRecord, TermTable};
use crate::kb::Document;

/// The first eight bytes of every bundle.
pub const MAGIC: [u8; 8] = *b"KEFUKB\r\n";

/// The bundle format this build reads and writes. Bump on any change to the layout or to the
/// encoding of a section; older readers then refuse the bundle with a clear message.
///
/// Version 2: flows (`StoredBody::flow`), page patterns and flow order in the directory.
/// Version 3: which similar questions hold each word (per-phrasing scoring), learned synonyms.
pub const FORMAT_VERSION: u32 = 3;

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
    /// Written by a Kefu with another bundle format.
    Version { expected: u32, got: u32 },
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
                "the bundle has format version {got} but this widget reads version {expected}; rebuild the KB with the same Kefu version as the widget (`kefu kb build`)"
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
    let mut table = TermTable::new();
    let field_lens = index::collect_terms(docs, &mut table);
    let (terms, postings) = index::encode_terms(&table);

    let mut store = Vec::new();
    let mut directory = Vec::with_capacity(docs.len());
    for (doc, (field_lens, question_lens)) in docs.iter().zip(field_lens) {
        let store_start = store.len() as u32;
        // Encoding plain data into a Vec cannot fail; an error would be a postcard bug.
        store.extend(postcard::to_allocvec(&StoredBody::of(doc)).unwrap_or_default());
        directory.push(DocRecord {
            entry: doc.entry(),
            field_lens,
            question_lens,
            store_start,
            store_end: store.len() as u32,
            pages: doc.pages.clone(),
            order: doc.flow.as_ref().and_then(|flow| flow.order),
        });
    }
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

/// What the store keeps of a document: everything its directory entry does not already hold.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredBody {
    pub tags: Vec<String>,
    pub similar: Vec<String>,
    pub body: Vec<crate::kb::Block>,
    /// A flow's graph: decoded with the document, like an article's body.
    pub flow: Option<crate::flow::Flow>,
}

impl StoredBody {
    fn of(doc: &Document) -> StoredBody {
        StoredBody {
            tags: doc.tags.clone(),
            similar: doc.similar.clone(),
            body: doc.body.clone(),
            flow: doc.flow.clone(),
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
            body: self.body,
            pages: record.pages.clone(),
            flow: self.flow,
        }
    }
}

/// The verified sections of a bundle, before the index is assembled from them.
pub(crate) struct Parts {
    pub meta: BundleMeta,
    pub docs: Vec<DocRecord>,
    pub store: Vec<u8>,
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

/// Checks the header and checksum and splits the sections. Never panics; allocates no more than
/// the input's size.
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
    let docs: Vec<DocRecord> = postcard::from_bytes(section(1)).map_err(corrupt(1))?;
    Ok(Parts {
        meta,
        docs,
        store: section(2).to_vec(),
        terms: section(3).to_vec(),
        postings: section(4).to_vec(),
        checksum: expected,
    })
}

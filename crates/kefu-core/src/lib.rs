//! Kefu's engine: the knowledge-base model, text normalisation, the fst index, ranking, guided
//! flows and the bundle format.
//!
//! **Boundary:** this crate knows nothing of the browser, HTTP, async or the filesystem. It is
//! compiled into the widget (wasm32) and into the native CLI, so the same tokenizer and ranking
//! run at index time and at query time. `xtask test` checks the manifest mechanically.
//!
//! The usual path through it:
//!
//! ```
//! use kefu_core::{Block, DocKind, Document, Index, Inline, SearchOptions, bundle};
//!
//! let doc = Document {
//!     id: "refunds".into(),
//!     kind: DocKind::Article,
//!     locale: "en".into(),
//!     title: "When will I get my refund?".into(),
//!     category: "payment".into(),
//!     tags: vec!["refund".into()],
//!     similar: vec!["money back".into()],
//!     body: vec![Block::Paragraph(vec![Inline::Text("Refunds take 1-3 days.".into())])],
//!     pages: Vec::new(),
//!     flow: None,
//! };
//! let bytes = bundle::encode(&[doc], &bundle::BundleMeta::new("en"));
//! let index = Index::from_bytes(bytes).expect("a bundle we just wrote decodes");
//! let hits = index.search("refund", &SearchOptions::default());
//! assert_eq!(index.entry(hits[0].doc).id, "refunds");
//! ```

pub mod bundle;
mod crc32;
mod deflect;
pub mod flow;
mod hant;
pub mod hours;
pub mod index;
pub mod kb;
mod stem;
pub mod text;
mod typo;
mod varint;

pub use bundle::{BundleError, BundleMeta};
pub use deflect::{
    FORM_MIN_TITLE_SHARE, FORM_QUERY_MAX_CHARS, FORM_QUERY_MIN_CHARS, FORM_RELATIVE_SCORE,
};
pub use flow::{Flow, FlowError, FlowState, Outcome};
pub use index::{Hit, Index, Ranked, SearchOptions, Snippet};
pub use kb::{Align, Block, CalloutKind, DocEntry, DocKind, Document, Inline};

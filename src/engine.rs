//! `Engine`: Kefu's search as a JavaScript class, without the widget's user interface.
//!
//! This is the seed of the public `Kefu.search(q)` API and what `cargo xtask bench` times in
//! headless Chromium. It stays thin on purpose: decoding, ranking and locale resolution are
//! `kefu_core::Index`'s, tested natively; this type only carries values across the wasm boundary.

use kefu_core::{Index, SearchOptions};
use wasm_bindgen::prelude::*;

/// A decoded knowledge-base bundle (`kb-<hash>.bin` from `cargo xtask dist`), ready to search.
///
/// From JavaScript, after the wasm-bindgen glue is initialised:
///
/// ```js
/// const bytes = new Uint8Array(await (await fetch("kb.bin")).arrayBuffer());
/// const engine = new Engine(bytes); // throws an Error saying what is wrong with the bundle
/// engine.search_ids("how do I get a refund", "en", 10); // ["refunds", "returns", …]
/// engine.free(); // releases the wasm memory once the engine is no longer needed
/// ```
#[wasm_bindgen]
pub struct Engine {
    index: Index,
}

#[wasm_bindgen]
impl Engine {
    /// Decodes and verifies a bundle. Fails, with a message that says what is wrong and how to
    /// fix it, when the bytes are not a bundle this version of Kefu can read (damaged download,
    /// wrong file, bundle built by another version).
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: Vec<u8>) -> Result<Engine, JsValue> {
        Index::from_bytes(bytes)
            .map(|index| Engine { index })
            .map_err(|error| js_sys::Error::new(&error.to_string()).into())
    }

    /// The ids of the documents that best answer `query`, best first, at most `limit` of them.
    ///
    /// `locale` is the customer's locale (`zh-CN`, `en`, `zh-Hant-TW`…); it picks the KB locale
    /// the same way the widget does, falling back to the KB's default locale when the KB has
    /// nothing closer (so `""` searches the default locale). Never fails: a query with nothing
    /// searchable in it returns an empty array.
    pub fn search_ids(&self, query: &str, locale: &str, limit: usize) -> Vec<String> {
        let options = SearchOptions {
            locale: Some(locale.to_owned()),
            limit,
        };
        self.index
            .rank(query, &options)
            .into_iter()
            .map(|hit| self.index.entry(hit.doc).id.clone())
            .collect()
    }

    /// The number of documents in the bundle, in all locales together.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the bundle holds no documents at all.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

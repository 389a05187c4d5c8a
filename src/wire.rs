//! What the widget's network and storage code shares: JSON text without a JSON crate in the
//! wasm, and the URLs of the escalation API below the configured endpoint.

use serde::Serialize;

/// `value` as JSON text, through the browser's own `JSON.stringify` (keeps serde_json out of
/// the wasm); `None` if it cannot be encoded.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value
        .serialize(&serializer)
        .ok()
        .and_then(|value| js_sys::JSON::stringify(&value).ok())
        .and_then(|text| text.as_string())
}

/// The URL of the protocol's `path` (`/api/v1/tickets`) for the configured `endpoint`:
/// `data-endpoint` is the API base (`…/api/v1`), the protocol's paths start at the server's root.
pub fn api_url(endpoint: &str, path: &str) -> String {
    let below_base = path.strip_prefix("/api/v1").unwrap_or(path);
    format!("{}{below_base}", endpoint.trim_end_matches('/'))
}

//! The site owner's configuration, as `kefu.js` reads it from the script tag's data attributes.

use serde::Deserialize;

/// Everything the loader passes to [`crate::mount`]. Field names are camelCase in JavaScript.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// Absolute URL of the KB bundle (`data-kb`, else the bundle shipped beside `kefu.js`).
    pub kb_url: String,
    /// Base URL of the escalation API (`data-endpoint`), e.g. `https://help.example.com/api/v1`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Forced UI and content locale (`data-locale`); otherwise the browser's languages decide.
    #[serde(default)]
    pub locale: Option<String>,
    /// The browser's preferred languages (`navigator.languages`), passed by the loader.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Contact channels shown when help cannot be loaded (`data-contact-email`, `data-contact-phone`).
    #[serde(default)]
    pub contact_email: Option<String>,
    #[serde(default)]
    pub contact_phone: Option<String>,
    /// The widget's version, stamped into `kefu.js` at build time.
    #[serde(default)]
    pub version: String,
}

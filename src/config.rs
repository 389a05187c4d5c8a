//! The site owner's configuration, as `kefu.js` reads it from the script tag's data attributes.

use kefu_core::hours::Hours;
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
    /// A WeChat account customers can add (`data-wechat`), and its QR code image (`data-wechat-qr`).
    #[serde(default)]
    pub wechat: Option<String>,
    #[serde(default)]
    pub wechat_qr: Option<String>,
    /// Weekly service hours in the site's time zone (`data-hours`), e.g. `Mon-Fri 09:00-18:30`.
    #[serde(default)]
    pub hours: Option<String>,
    /// The site's IANA time zone (`data-time-zone`), e.g. `Asia/Shanghai`; else the visitor's.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// `off` turns the contact form off everywhere (`data-escalation`): a site without staff.
    #[serde(default)]
    pub escalation: Option<String>,
    /// `off` stops the signals for editors (searches, votes, flow outcomes) (`data-analytics`).
    #[serde(default)]
    pub analytics: Option<String>,
    /// Topics offered in the contact form (`data-categories="Orders,Payment,Returns"`).
    #[serde(default)]
    pub categories: Vec<String>,
    /// When set, the contact form asks for this consent before sending (`data-consent`).
    #[serde(default)]
    pub consent: Option<String>,
    /// The path of the host page, for "help with this page".
    #[serde(default)]
    pub page: String,
    /// The widget's version, stamped into `kefu.js` at build time.
    #[serde(default)]
    pub version: String,
    /// `hours`, parsed by [`Config::prepare`]; `None` when not given or not readable.
    #[serde(skip)]
    pub schedule: Option<Hours>,
}

impl Config {
    /// Parses what needs parsing and returns one message per problem, each saying how to fix it.
    /// A problem never stops the widget: the part in question is left out (no expected reply
    /// time without readable hours).
    pub fn prepare(&mut self) -> Vec<String> {
        let mut problems = Vec::new();
        self.schedule = match self.hours.as_deref().map(Hours::parse) {
            Some(Ok(hours)) if !hours.is_empty() => Some(hours),
            Some(Err(error)) => {
                problems.push(format!("data-hours: {error}"));
                None
            }
            _ => None,
        };
        problems
    }
}

//! Kefu's wire protocol: the ticket and event request, response and error types exchanged by the
//! widget and the escalation server, plus the validation rules both sides apply.
//!
//! The crate depends on serde alone so the widget can use exactly the same types and limits when
//! it is compiled to wasm32: a ticket the widget accepts is a ticket the server accepts.

mod events;
mod validate;

pub use events::{
    COMMENT_MAX_CHARS, EVENT_ID_MAX_CHARS, EVENTS_MAX_PER_BATCH, Event, EventBatch, EventsResponse,
    FlowOutcome, HITS_MAX, LOCALE_MAX_CHARS, QUERY_MAX_CHARS, Reason, VoteTarget, validate_batch,
};

pub use validate::{
    CATEGORY_MAX_CHARS, CONTACT_MAX_CHARS, CONTEXT_ITEM_MAX_CHARS, CONTEXT_LIST_MAX_ITEMS,
    FieldError, IDEMPOTENCY_KEY_MAX_CHARS, IDEMPOTENCY_KEY_MIN_CHARS, MESSAGE_MAX_CHARS,
    NAME_MAX_CHARS, PAGE_URL_MAX_CHARS, PHONE_MAX_DIGITS, PHONE_MIN_DIGITS, SUBJECT_MAX_CHARS,
    TRANSCRIPT_MAX_CHARS, is_email, is_phone_number, is_valid_idempotency_key, validate,
};

use serde::{Deserialize, Serialize};

/// The path, relative to the server's origin, that accepts a [`TicketRequest`] by `POST`.
pub const TICKETS_PATH: &str = "/api/v1/tickets";

/// The path, relative to the server's origin, that accepts an [`EventBatch`] by `POST`; the
/// answer is `200` with an [`EventsResponse`].
pub const EVENTS_PATH: &str = "/api/v1/events";

/// A visitor's request to reach a human, sent by the widget when self-service did not help.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TicketRequest {
    /// A random key chosen by the widget once per ticket, so a retried submission (for example
    /// after a network timeout) returns the first ticket instead of creating a second one.
    pub idempotency_key: String,
    /// How the visitor would like to be addressed.
    #[serde(default)]
    pub name: Option<String>,
    /// An email address or phone number for the reply.
    #[serde(default)]
    pub contact: Option<String>,
    /// The topic the visitor picked, if the site offers categories.
    #[serde(default)]
    pub category: Option<String>,
    /// A one-line summary of the problem, if the visitor gave one.
    #[serde(default)]
    pub subject: Option<String>,
    /// What the visitor needs help with, in their own words.
    pub message: String,
    /// The widget's active locale, such as `zh-CN`, so the reply can be in the same language.
    #[serde(default)]
    pub locale: Option<String>,
    /// The page the widget was opened on.
    #[serde(default)]
    pub page_url: Option<String>,
    /// What the visitor already tried in the widget, so support does not ask again.
    #[serde(default)]
    pub context: Option<TicketContext>,
    /// A honeypot field hidden from people: browsers' form-filling bots fill it in, humans do not,
    /// so any non-empty value marks the request as automated. See [`TicketRequest::honeypot_filled`].
    #[serde(default)]
    pub website: Option<String>,
}

impl TicketRequest {
    /// Whether the hidden honeypot field was filled in, which only automated submitters do.
    ///
    /// Whitespace alone does not count, because some browsers' autofill inserts it into any
    /// empty text field and a visitor must not be turned away for that.
    #[must_use]
    pub fn honeypot_filled(&self) -> bool {
        self.website
            .as_deref()
            .is_some_and(|value| !value.trim().is_empty())
    }
}

/// What the visitor did in the widget before asking for help; every field may be missing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TicketContext {
    /// The search queries the visitor typed, oldest first.
    #[serde(default)]
    pub searches: Vec<String>,
    /// The identifiers of the articles the visitor opened, oldest first.
    #[serde(default)]
    pub articles: Vec<String>,
    /// A plain-text transcript of the guided conversation, if there was one.
    #[serde(default)]
    pub transcript: Option<String>,
    /// The browser's user agent string.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// The version of the widget code.
    #[serde(default)]
    pub widget_version: Option<String>,
    /// The version of the knowledge-base bundle the widget searched.
    #[serde(default)]
    pub bundle_version: Option<String>,
    /// Answers the visitor said did not help, with their reason, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_helpful: Vec<NotHelpful>,
}

/// An article or flow the visitor marked "not helpful" before writing to support.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotHelpful {
    /// The article or flow identifier.
    pub id: String,
    /// Why, when the visitor picked a reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Their own words, at most [`COMMENT_MAX_CHARS`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// The server's answer to an accepted [`TicketRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketResponse {
    /// The reference the visitor can quote to support, like `KF-7Q3M2K`.
    pub reference: String,
    /// When the ticket was first stored, in RFC 3339 UTC such as `2025-01-31T09:30:00Z`.
    pub created_at: String,
    /// True when this idempotency key had already created a ticket, which this response repeats.
    pub duplicate: bool,
}

/// The body of every error response from the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// A stable machine-readable code from [`error_code`], for the widget to branch on.
    pub error: String,
    /// The request field at fault, using the wire name (for example `contact`), when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// A plain-English explanation that says how to fix the problem, fit to show a visitor.
    pub message: String,
}

impl ApiError {
    /// Builds an error body from its code, optional field and message.
    #[must_use]
    pub fn new(error: &str, field: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            error: error.to_owned(),
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }
}

impl From<FieldError> for ApiError {
    /// A validation failure becomes an [`error_code::INVALID_FIELD`] error naming the field.
    fn from(err: FieldError) -> Self {
        Self {
            error: error_code::INVALID_FIELD.to_owned(),
            field: Some(err.field),
            message: err.message,
        }
    }
}

/// The machine-readable codes used in [`ApiError::error`].
pub mod error_code {
    /// A field failed validation; [`super::ApiError::field`] names it.
    pub const INVALID_FIELD: &str = "invalid_field";
    /// The request was judged automated (the honeypot was filled) and was not stored.
    pub const REJECTED: &str = "rejected";
    /// The body was not JSON, or was JSON of the wrong shape.
    pub const INVALID_JSON: &str = "invalid_json";
    /// The request did not declare `Content-Type: application/json`.
    pub const UNSUPPORTED_CONTENT_TYPE: &str = "unsupported_content_type";
    /// Too many requests from one client; the `Retry-After` header says how many seconds to wait.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// The request took longer than the server allows (often a body sent too slowly); retry.
    pub const TIMEOUT: &str = "timeout";
    /// The body was larger than the server accepts.
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    /// No such endpoint.
    pub const NOT_FOUND: &str = "not_found";
    /// The endpoint exists but not for this HTTP method.
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    /// The server could not reach its storage; retrying later may succeed.
    pub const UNAVAILABLE: &str = "unavailable";
    /// Something failed inside the server; the details are in its log, not in the response.
    pub const INTERNAL: &str = "internal";
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn minimal_request_deserializes_with_defaults() {
        let json = r#"{"idempotency_key":"abcdefgh","message":"你好"}"#;
        let req: TicketRequest = serde_json::from_str(json).unwrap();
        assert_eq!(req.idempotency_key, "abcdefgh");
        assert_eq!(req.message, "你好");
        assert_eq!(req.name, None);
        assert_eq!(req.context, None);
        assert!(!req.honeypot_filled());
    }

    #[test]
    fn context_fields_all_default() {
        let json = r#"{"idempotency_key":"abcdefgh","message":"hi","context":{}}"#;
        let req: TicketRequest = serde_json::from_str(json).unwrap();
        assert_eq!(req.context, Some(TicketContext::default()));
    }

    #[test]
    fn request_round_trips() {
        let req = TicketRequest {
            idempotency_key: "key-12345".into(),
            name: Some("李雷".into()),
            contact: Some("li@example.com".into()),
            category: Some("billing".into()),
            subject: Some("发票".into()),
            message: "我的发票在哪里？".into(),
            locale: Some("zh-CN".into()),
            page_url: Some("https://example.com/pricing".into()),
            context: Some(TicketContext {
                searches: vec!["发票".into()],
                articles: vec!["invoices".into()],
                transcript: None,
                user_agent: Some("test".into()),
                widget_version: Some("0.1.0".into()),
                bundle_version: Some("42".into()),
                not_helpful: vec![NotHelpful {
                    id: "invoices".into(),
                    reason: Some(Reason::StepsFailed),
                    comment: Some("按钮是灰的".into()),
                }],
            }),
            website: None,
        };
        let json = serde_json::to_string(&req).unwrap();
        let back: TicketRequest = serde_json::from_str(&json).unwrap();
        assert_eq!(back, req);
    }

    #[test]
    fn honeypot_ignores_whitespace_only() {
        let mut req = TicketRequest {
            website: Some("  ".into()),
            ..TicketRequest::default()
        };
        assert!(!req.honeypot_filled());
        req.website = Some("http://spam.example".into());
        assert!(req.honeypot_filled());
    }

    #[test]
    fn api_error_omits_missing_field() {
        let err = ApiError::new(error_code::REJECTED, None, "no");
        assert_eq!(
            serde_json::to_string(&err).unwrap(),
            r#"{"error":"rejected","message":"no"}"#
        );
        let parsed: ApiError = serde_json::from_str(r#"{"error":"x","message":"y"}"#).unwrap();
        assert_eq!(parsed.field, None);
    }

    #[test]
    fn field_error_converts_to_invalid_field() {
        let err = ApiError::from(FieldError {
            field: "contact".into(),
            message: "bad".into(),
        });
        assert_eq!(err.error, "invalid_field");
        assert_eq!(err.field.as_deref(), Some("contact"));
        assert_eq!(err.message, "bad");
    }
}

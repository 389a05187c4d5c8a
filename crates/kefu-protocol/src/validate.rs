//! The validation rules for a [`TicketRequest`] and the public limits they enforce.
//!
//! Every length is counted in Unicode scalar values (`char`s), not bytes, so a Chinese message of
//! 4000 characters is accepted although it takes about 12000 bytes of UTF-8.

use serde::{Deserialize, Serialize};

use crate::{TicketContext, TicketRequest};

/// The fewest characters an idempotency key may have; shorter keys collide too easily.
pub const IDEMPOTENCY_KEY_MIN_CHARS: usize = 8;
/// The most characters an idempotency key may have; a UUID (36 characters) fits comfortably.
pub const IDEMPOTENCY_KEY_MAX_CHARS: usize = 64;
/// The most characters a message may have.
pub const MESSAGE_MAX_CHARS: usize = 4000;
/// The most characters a visitor's name may have.
pub const NAME_MAX_CHARS: usize = 100;
/// The most characters a contact may have; 254 is the longest usable email address.
pub const CONTACT_MAX_CHARS: usize = 254;
/// The fewest digits a phone-number contact may have.
pub const PHONE_MIN_DIGITS: usize = 6;
/// The most digits a phone-number contact may have.
pub const PHONE_MAX_DIGITS: usize = 20;
/// The most characters a category may have.
pub const CATEGORY_MAX_CHARS: usize = 50;
/// The most characters a subject may have: one line, as an email subject.
pub const SUBJECT_MAX_CHARS: usize = 150;
/// The most characters the page URL may have.
pub const PAGE_URL_MAX_CHARS: usize = 2000;
/// The most items each list in [`TicketContext`] (`searches`, `articles`) may have.
pub const CONTEXT_LIST_MAX_ITEMS: usize = 50;
/// The most characters each item of a [`TicketContext`] list may have.
pub const CONTEXT_ITEM_MAX_CHARS: usize = 500;
/// The most characters the conversation transcript may have.
pub const TRANSCRIPT_MAX_CHARS: usize = 20000;

/// One rule a request broke: the wire name of the field and a plain-English way to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field's wire name, such as `message` or `context.searches`.
    pub field: String,
    /// What is wrong and how to fix it, fit to show a visitor.
    pub message: String,
}

impl FieldError {
    pub(crate) fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

/// Checks every rule on `req` and returns all the broken ones, in field order.
///
/// Returning them all lets a form mark every bad field at once; the server reports the first.
/// The honeypot is deliberately not checked here: see [`TicketRequest::honeypot_filled`].
pub fn validate(req: &TicketRequest) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();

    if !is_valid_idempotency_key(&req.idempotency_key) {
        errors.push(FieldError::new(
            "idempotency_key",
            format!(
                "The idempotency key must be {IDEMPOTENCY_KEY_MIN_CHARS} to \
                 {IDEMPOTENCY_KEY_MAX_CHARS} characters of letters, digits, '-' or '_'. \
                 Generate one random key (a UUID works) per ticket and reuse it only for retries."
            ),
        ));
    }

    if let Some(name) = &req.name {
        check_max_chars(&mut errors, "name", "The name", name, NAME_MAX_CHARS);
    }

    if let Some(contact) = req.contact.as_deref().map(str::trim)
        && !contact.is_empty()
    {
        if chars(contact) > CONTACT_MAX_CHARS {
            errors.push(too_long(
                "contact",
                "The contact",
                contact,
                CONTACT_MAX_CHARS,
            ));
        } else if !is_email(contact) && !is_phone_number(contact) {
            errors.push(FieldError::new(
                "contact",
                format!(
                    "Enter an email address (like name@example.com) or a phone number with \
                     {PHONE_MIN_DIGITS} to {PHONE_MAX_DIGITS} digits, or leave the contact empty."
                ),
            ));
        }
    }

    if let Some(category) = &req.category {
        check_max_chars(
            &mut errors,
            "category",
            "The category",
            category,
            CATEGORY_MAX_CHARS,
        );
    }

    if let Some(subject) = &req.subject {
        check_max_chars(
            &mut errors,
            "subject",
            "The subject",
            subject,
            SUBJECT_MAX_CHARS,
        );
    }

    if req.message.trim().is_empty() {
        errors.push(FieldError::new(
            "message",
            "Please write a message describing what you need help with.",
        ));
    } else {
        check_max_chars(
            &mut errors,
            "message",
            "The message",
            &req.message,
            MESSAGE_MAX_CHARS,
        );
    }

    if let Some(page_url) = &req.page_url {
        check_max_chars(
            &mut errors,
            "page_url",
            "The page URL",
            page_url,
            PAGE_URL_MAX_CHARS,
        );
    }

    if let Some(context) = &req.context {
        validate_context(&mut errors, context);
    }

    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn validate_context(errors: &mut Vec<FieldError>, context: &TicketContext) {
    check_list(errors, "context.searches", "search", &context.searches);
    check_list(errors, "context.articles", "article", &context.articles);
    if let Some(transcript) = &context.transcript {
        check_max_chars(
            errors,
            "context.transcript",
            "The transcript",
            transcript,
            TRANSCRIPT_MAX_CHARS,
        );
    }
    if context.not_helpful.len() > CONTEXT_LIST_MAX_ITEMS {
        errors.push(FieldError::new(
            "context.not_helpful",
            format!("Send at most {CONTEXT_LIST_MAX_ITEMS} not-helpful answers; keep the most recent ones."),
        ));
    }
    for item in &context.not_helpful {
        check_max_chars(
            errors,
            "context.not_helpful.id",
            "An answer id",
            &item.id,
            crate::EVENT_ID_MAX_CHARS,
        );
        if let Some(comment) = &item.comment {
            check_max_chars(
                errors,
                "context.not_helpful.comment",
                "The comment",
                comment,
                crate::COMMENT_MAX_CHARS,
            );
        }
    }
}

fn check_list(errors: &mut Vec<FieldError>, field: &str, noun: &str, items: &[String]) {
    if items.len() > CONTEXT_LIST_MAX_ITEMS {
        errors.push(FieldError::new(
            field,
            format!(
                "Send at most {CONTEXT_LIST_MAX_ITEMS} {noun} entries (there are {}); \
                 keep the most recent ones.",
                items.len()
            ),
        ));
    }
    if let Some(item) = items
        .iter()
        .find(|item| chars(item) > CONTEXT_ITEM_MAX_CHARS)
    {
        errors.push(FieldError::new(
            field,
            format!(
                "Each {noun} entry may have at most {CONTEXT_ITEM_MAX_CHARS} characters \
                 (one has {}); truncate it.",
                chars(item)
            ),
        ));
    }
}

fn check_max_chars(
    errors: &mut Vec<FieldError>,
    field: &str,
    label: &str,
    value: &str,
    max: usize,
) {
    if chars(value) > max {
        errors.push(too_long(field, label, value, max));
    }
}

fn too_long(field: &str, label: &str, value: &str, max: usize) -> FieldError {
    FieldError::new(
        field,
        format!(
            "{label} is too long: it has {} characters and the limit is {max}. Please shorten it.",
            chars(value)
        ),
    )
}

fn chars(value: &str) -> usize {
    value.chars().count()
}

/// Whether `key` is a well-formed idempotency key: [`IDEMPOTENCY_KEY_MIN_CHARS`] to
/// [`IDEMPOTENCY_KEY_MAX_CHARS`] characters, each an ASCII letter, digit, `-` or `_`.
#[must_use]
pub fn is_valid_idempotency_key(key: &str) -> bool {
    // The key is all ASCII when valid, so its byte length equals its character count.
    (IDEMPOTENCY_KEY_MIN_CHARS..=IDEMPOTENCY_KEY_MAX_CHARS).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `value` looks like an email address: `local@domain.tld` with no whitespace, exactly one
/// `@`, no empty domain labels and a top-level domain of at least two characters.
///
/// This is a plausibility check to catch typos, not RFC 5322: the only real test of an address is
/// whether the reply arrives.
#[must_use]
pub fn is_email(value: &str) -> bool {
    if value.chars().any(char::is_whitespace) {
        return false;
    }
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    if local.is_empty() || domain.contains('@') {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| !label.is_empty())
        && labels.last().is_some_and(|tld| tld.chars().count() >= 2)
}

/// Whether `value` looks like a phone number: only ASCII digits, spaces, `+`, `-`, `(` and `)`,
/// with [`PHONE_MIN_DIGITS`] to [`PHONE_MAX_DIGITS`] digits.
#[must_use]
pub fn is_phone_number(value: &str) -> bool {
    let allowed = |c: char| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')');
    let digits = value.chars().filter(char::is_ascii_digit).count();
    value.chars().all(allowed) && (PHONE_MIN_DIGITS..=PHONE_MAX_DIGITS).contains(&digits)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn valid() -> TicketRequest {
        TicketRequest {
            idempotency_key: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
            message: "I cannot find my invoice.".into(),
            ..TicketRequest::default()
        }
    }

    /// Returns the fields named by the errors, so tests can assert exactly which rules fired.
    fn failing_fields(req: &TicketRequest) -> Vec<String> {
        match validate(req) {
            Ok(()) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| e.field).collect(),
        }
    }

    fn with_context(context: TicketContext) -> TicketRequest {
        TicketRequest {
            context: Some(context),
            ..valid()
        }
    }

    #[test]
    fn minimal_request_is_valid() {
        assert_eq!(validate(&valid()), Ok(()));
    }

    #[test]
    fn idempotency_key_length_bounds() {
        for (len, ok) in [(7, false), (8, true), (64, true), (65, false), (0, false)] {
            let req = TicketRequest {
                idempotency_key: "a".repeat(len),
                ..valid()
            };
            assert_eq!(validate(&req).is_ok(), ok, "key length {len}");
        }
    }

    #[test]
    fn idempotency_key_charset() {
        assert!(is_valid_idempotency_key("abc_DEF-123"));
        for bad in [
            "abc def gh",
            "abcdefg!",
            "abcdefg.",
            "密钥密钥密钥密钥",
            "abcdefg/",
        ] {
            assert!(!is_valid_idempotency_key(bad), "{bad}");
            let req = TicketRequest {
                idempotency_key: bad.into(),
                ..valid()
            };
            assert_eq!(failing_fields(&req), ["idempotency_key"]);
        }
    }

    #[test]
    fn message_must_not_be_blank() {
        for blank in ["", "   ", "\n\t", "\u{3000}"] {
            let req = TicketRequest {
                message: blank.into(),
                ..valid()
            };
            assert_eq!(failing_fields(&req), ["message"], "{blank:?}");
        }
    }

    #[test]
    fn message_limit_counts_chars_not_bytes() {
        // 4000 Chinese characters are 12000 bytes of UTF-8 yet within the limit.
        let at_limit = "字".repeat(MESSAGE_MAX_CHARS);
        assert_eq!(at_limit.len(), MESSAGE_MAX_CHARS * 3);
        let req = TicketRequest {
            message: at_limit,
            ..valid()
        };
        assert_eq!(validate(&req), Ok(()));

        let over = TicketRequest {
            message: "字".repeat(MESSAGE_MAX_CHARS + 1),
            ..valid()
        };
        let errors = validate(&over).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "message");
        assert!(errors[0].message.contains("4001"), "{}", errors[0].message);
        assert!(errors[0].message.contains("4000"), "{}", errors[0].message);
    }

    #[test]
    fn name_limit() {
        let ok = TicketRequest {
            name: Some("王".repeat(NAME_MAX_CHARS)),
            ..valid()
        };
        assert_eq!(validate(&ok), Ok(()));
        let bad = TicketRequest {
            name: Some("王".repeat(NAME_MAX_CHARS + 1)),
            ..valid()
        };
        assert_eq!(failing_fields(&bad), ["name"]);
    }

    #[test]
    fn contact_accepts_emails_and_phones() {
        for good in [
            "name@example.com",
            "first.last+tag@mail.example.co.uk",
            "用户@例子.中国",
            "+86 138 0013 8000",
            "(020) 7946-0958",
            "123456",
            "12345678901234567890",
            "  name@example.com  ",
            "",
            "   ",
        ] {
            let req = TicketRequest {
                contact: Some(good.into()),
                ..valid()
            };
            assert_eq!(validate(&req), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn contact_rejects_other_text() {
        for bad in [
            "name",
            "name@example",
            "name@example.c",
            "@example.com",
            "name@.com",
            "name@example..com",
            "na me@example.com",
            "a@b@example.com",
            "12345",
            "123456789012345678901",
            "phone: 123456",
            "１３８００１３８０００",
            "微信 wxid_123",
        ] {
            let req = TicketRequest {
                contact: Some(bad.into()),
                ..valid()
            };
            let errors = validate(&req).unwrap_err();
            assert_eq!(errors.len(), 1, "{bad:?}");
            assert_eq!(errors[0].field, "contact");
            assert!(errors[0].message.contains("email"), "{}", errors[0].message);
        }
    }

    #[test]
    fn contact_length_limit() {
        let long = format!("{}@example.com", "a".repeat(CONTACT_MAX_CHARS));
        let req = TicketRequest {
            contact: Some(long),
            ..valid()
        };
        assert_eq!(failing_fields(&req), ["contact"]);
    }

    #[test]
    fn category_limit() {
        let ok = TicketRequest {
            category: Some("账".repeat(CATEGORY_MAX_CHARS)),
            ..valid()
        };
        assert_eq!(validate(&ok), Ok(()));
        let bad = TicketRequest {
            category: Some("账".repeat(CATEGORY_MAX_CHARS + 1)),
            ..valid()
        };
        assert_eq!(failing_fields(&bad), ["category"]);
    }

    #[test]
    fn subject_limit() {
        let ok = TicketRequest {
            subject: Some("退".repeat(SUBJECT_MAX_CHARS)),
            ..valid()
        };
        assert_eq!(validate(&ok), Ok(()));
        let bad = TicketRequest {
            subject: Some("退".repeat(SUBJECT_MAX_CHARS + 1)),
            ..valid()
        };
        assert_eq!(failing_fields(&bad), ["subject"]);
    }

    #[test]
    fn page_url_limit() {
        let base = "https://example.com/";
        let ok = TicketRequest {
            page_url: Some(format!(
                "{base}{}",
                "页".repeat(PAGE_URL_MAX_CHARS - base.len())
            )),
            ..valid()
        };
        assert_eq!(validate(&ok), Ok(()));
        let bad = TicketRequest {
            page_url: Some(format!(
                "{base}{}",
                "页".repeat(PAGE_URL_MAX_CHARS - base.len() + 1)
            )),
            ..valid()
        };
        assert_eq!(failing_fields(&bad), ["page_url"]);
    }

    #[test]
    fn context_list_item_count_limit() {
        let ok = with_context(TicketContext {
            searches: vec!["发票".into(); CONTEXT_LIST_MAX_ITEMS],
            articles: vec!["a".into(); CONTEXT_LIST_MAX_ITEMS],
            ..TicketContext::default()
        });
        assert_eq!(validate(&ok), Ok(()));

        let too_many_searches = with_context(TicketContext {
            searches: vec!["发票".into(); CONTEXT_LIST_MAX_ITEMS + 1],
            ..TicketContext::default()
        });
        assert_eq!(failing_fields(&too_many_searches), ["context.searches"]);

        let too_many_articles = with_context(TicketContext {
            articles: vec!["a".into(); CONTEXT_LIST_MAX_ITEMS + 1],
            ..TicketContext::default()
        });
        assert_eq!(failing_fields(&too_many_articles), ["context.articles"]);
    }

    #[test]
    fn context_list_item_length_limit() {
        let ok = with_context(TicketContext {
            searches: vec!["搜".repeat(CONTEXT_ITEM_MAX_CHARS)],
            articles: vec!["a".repeat(CONTEXT_ITEM_MAX_CHARS)],
            ..TicketContext::default()
        });
        assert_eq!(validate(&ok), Ok(()));

        let long_search = with_context(TicketContext {
            searches: vec!["ok".into(), "搜".repeat(CONTEXT_ITEM_MAX_CHARS + 1)],
            ..TicketContext::default()
        });
        assert_eq!(failing_fields(&long_search), ["context.searches"]);

        let long_article = with_context(TicketContext {
            articles: vec!["a".repeat(CONTEXT_ITEM_MAX_CHARS + 1)],
            ..TicketContext::default()
        });
        assert_eq!(failing_fields(&long_article), ["context.articles"]);
    }

    #[test]
    fn transcript_limit() {
        let ok = with_context(TicketContext {
            transcript: Some("话".repeat(TRANSCRIPT_MAX_CHARS)),
            ..TicketContext::default()
        });
        assert_eq!(validate(&ok), Ok(()));
        let bad = with_context(TicketContext {
            transcript: Some("话".repeat(TRANSCRIPT_MAX_CHARS + 1)),
            ..TicketContext::default()
        });
        assert_eq!(failing_fields(&bad), ["context.transcript"]);
    }

    #[test]
    fn all_errors_are_reported_in_field_order() {
        let req = TicketRequest {
            idempotency_key: "short".into(),
            contact: Some("nope".into()),
            message: " ".into(),
            ..TicketRequest::default()
        };
        assert_eq!(
            failing_fields(&req),
            ["idempotency_key", "contact", "message"]
        );
    }

    #[test]
    fn field_error_displays_field_and_message() {
        let err = FieldError::new("name", "too long");
        assert_eq!(err.to_string(), "name: too long");
    }
}

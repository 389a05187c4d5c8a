//! The HTTP layer's error type: every failure a handler can return, each turned into an
//! [`ApiError`] JSON body with the right status, without leaking internals to clients.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kefu_protocol::{ApiError, FieldError, error_code};

use crate::store::StoreError;

/// Marks a response as an [`AppError`] with this code, for the metrics layer.
#[derive(Debug, Clone, Copy)]
pub struct Refused(pub &'static str);

/// A request that could not be answered successfully.
///
/// The variants caused by the client (bad input, wrong method) are normal traffic and are not
/// logged; the server-side ones carry a detail that goes to the log and never into the response.
#[derive(Debug)]
pub enum AppError {
    /// The honeypot field was filled in, so the request is treated as automated.
    Rejected,
    /// A field failed validation.
    InvalidField(FieldError),
    /// The body was not JSON or not a ticket; the message explains which.
    InvalidJson(String),
    /// The request did not say `Content-Type: application/json`.
    UnsupportedContentType,
    /// The body exceeded [`crate::MAX_BODY_BYTES`].
    PayloadTooLarge,
    /// The client sent too many requests; it may try again after this many seconds.
    RateLimited(u64),
    /// The request took longer than the configured timeout.
    Timeout,
    /// No route matched.
    NotFound,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// Storage failed; retrying later may help (the idempotency key makes a retry safe).
    Storage(StoreError),
    /// Anything else that went wrong inside the server, with a detail for the log.
    Internal(String),
}

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Rejected | Self::InvalidJson(_) | Self::UnsupportedContentType => {
                StatusCode::BAD_REQUEST
            }
            Self::InvalidField(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Timeout => StatusCode::REQUEST_TIMEOUT,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code of this error, also the `reason` label in `/metrics`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Rejected => error_code::REJECTED,
            Self::InvalidField(_) => error_code::INVALID_FIELD,
            Self::InvalidJson(_) => error_code::INVALID_JSON,
            Self::UnsupportedContentType => error_code::UNSUPPORTED_CONTENT_TYPE,
            Self::PayloadTooLarge => error_code::PAYLOAD_TOO_LARGE,
            Self::RateLimited(_) => error_code::RATE_LIMITED,
            Self::Timeout => error_code::TIMEOUT,
            Self::NotFound => error_code::NOT_FOUND,
            Self::MethodNotAllowed => error_code::METHOD_NOT_ALLOWED,
            Self::Storage(_) => error_code::UNAVAILABLE,
            Self::Internal(_) => error_code::INTERNAL,
        }
    }

    fn body(self) -> ApiError {
        match self {
            Self::Rejected => ApiError::new(
                error_code::REJECTED,
                None,
                "This request looks automated and was not accepted. If you are a person, \
                 reload the page and send your message again.",
            ),
            Self::InvalidField(err) => ApiError::from(err),
            Self::InvalidJson(message) => ApiError::new(error_code::INVALID_JSON, None, message),
            Self::UnsupportedContentType => ApiError::new(
                error_code::UNSUPPORTED_CONTENT_TYPE,
                None,
                "Send the ticket as JSON with the header `Content-Type: application/json`.",
            ),
            Self::PayloadTooLarge => ApiError::new(
                error_code::PAYLOAD_TOO_LARGE,
                None,
                format!(
                    "The request is larger than {} KiB. Shorten the message or the transcript \
                     and send it again.",
                    crate::MAX_BODY_BYTES / 1024
                ),
            ),
            Self::RateLimited(seconds) => ApiError::new(
                error_code::RATE_LIMITED,
                None,
                format!(
                    "Too many requests from your network. Please wait {seconds} seconds and try \
                     again; nothing you sent was lost."
                ),
            ),
            Self::Timeout => ApiError::new(
                error_code::TIMEOUT,
                None,
                "The request took too long to arrive or to answer. Please send it again; \
                 sending a ticket again will not create a duplicate.",
            ),
            Self::NotFound => ApiError::new(
                error_code::NOT_FOUND,
                None,
                "There is nothing at this address. Tickets are sent by POST to /api/v1/tickets, \
                 events to /api/v1/events.",
            ),
            Self::MethodNotAllowed => ApiError::new(
                error_code::METHOD_NOT_ALLOWED,
                None,
                "This address does not accept that HTTP method. Tickets are sent by POST.",
            ),
            Self::Storage(_) => ApiError::new(
                error_code::UNAVAILABLE,
                None,
                "Your message could not be saved just now. Please try again in a minute; \
                 sending it again will not create a duplicate.",
            ),
            Self::Internal(_) => ApiError::new(
                error_code::INTERNAL,
                None,
                "Something went wrong on our side. Please try again in a minute.",
            ),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // Only server-side failures are logged: bad input from clients is expected traffic and
        // logging it as an error would bury real problems.
        match &self {
            Self::Storage(err) => eprintln!("kefu-server: storage error: {}", error_chain(err)),
            Self::Internal(detail) => eprintln!("kefu-server: internal error: {detail}"),
            _ => {}
        }
        let status = self.status();
        let code = self.code();
        let retry_after = match &self {
            Self::RateLimited(seconds) => Some(*seconds),
            _ => None,
        };
        let mut response = (status, Json(self.body())).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        // The metrics layer counts refusals by this code without parsing the body.
        response.extensions_mut().insert(Refused(code));
        response
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        Self::Storage(err)
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        // The body limit surfaces as a failure to buffer the body; its status is the reliable
        // way to recognise it across axum's rejection types.
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Self::PayloadTooLarge;
        }
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::UnsupportedContentType,
            // axum's texts for these two describe only the client's input (such as "expected
            // value at line 1 column 1" or "missing field `message`"), so they are safe to return.
            JsonRejection::JsonSyntaxError(err) => Self::InvalidJson(format!(
                "{} Send the ticket as one JSON object.",
                sentence(&err.body_text())
            )),
            JsonRejection::JsonDataError(err) => Self::InvalidJson(format!(
                "{} A ticket needs at least the string fields \"idempotency_key\" and \"message\".",
                sentence(&err.body_text())
            )),
            _ => Self::InvalidJson(
                "The request body could not be read. Send the ticket as one JSON object.".into(),
            ),
        }
    }
}

/// Ends `text` with a full stop so it reads as a sentence before the advice that follows.
fn sentence(text: &str) -> String {
    let text = text.trim_end();
    if text.ends_with('.') {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

/// Joins an error with its sources, so the log shows the root cause (such as "disk full").
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Wrapping errors often repeat their source's text; printing it twice adds nothing.
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

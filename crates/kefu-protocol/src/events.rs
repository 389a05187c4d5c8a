//! Usage signals from the widget: helpfulness votes, searches, flow outcomes and deflections, sent
//! in batches to [`crate::EVENTS_PATH`] so editors can see what customers look for and miss.
//!
//! Events carry no personal data: no contact, no name, no ticket text. The only free text is a
//! search query and an optional short comment on a "not helpful" vote, both capped in length.
//!
//! **All or nothing.** A batch is stored only when every event in it is valid; the first invalid
//! one is reported as a `4xx` naming its field (`events[3].reason`). An unknown `kind` is refused
//! the same way rather than skipped: a widget sending kinds the server does not know is a version
//! mismatch worth seeing at once, and a silently shrunk batch would skew the report.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// The most events one batch may carry; the widget sends what it has collected in chunks of this.
pub const EVENTS_MAX_PER_BATCH: usize = 50;
/// The most characters a search query in an event may have.
pub const QUERY_MAX_CHARS: usize = 200;
/// The most characters an article, flow or node identifier may have.
pub const EVENT_ID_MAX_CHARS: usize = 100;
/// The most characters the optional comment on a vote may have.
pub const COMMENT_MAX_CHARS: usize = 280;
/// The most characters a locale tag may have (BCP 47 tags in practice stay far below this).
pub const LOCALE_MAX_CHARS: usize = 35;
/// The most hits a search event may report; larger counts are clamped by the widget.
pub const HITS_MAX: u32 = 10_000;

/// A batch of events, the body of `POST /api/v1/events`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EventBatch {
    /// The events, oldest first; 1 to [`EVENTS_MAX_PER_BATCH`] of them.
    pub events: Vec<Event>,
}

/// The server's answer to an accepted [`EventBatch`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsResponse {
    /// How many events were stored: always the whole batch.
    pub accepted: usize,
}

/// One signal from the widget. On the wire an object with a `kind` tag, such as
/// `{"kind":"search","query":"退款","locale":"zh-CN","hits":3}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// The visitor answered "Was this helpful?" at the end of an article or a flow.
    Helpful {
        /// What was rated.
        target: VoteTarget,
        /// The article or flow identifier.
        id: String,
        /// The widget's locale.
        locale: String,
        /// Yes or no.
        helpful: bool,
        /// Why not, when the visitor picked a reason (only meaningful with `helpful: false`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<Reason>,
        /// A short comment, at most [`COMMENT_MAX_CHARS`] characters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// A search the visitor made, with how many hits it had.
    Search {
        /// The query as typed (trimmed), at most [`QUERY_MAX_CHARS`] characters.
        query: String,
        /// The widget's locale.
        locale: String,
        /// How many hits the engine returned; `0` is a zero-result search.
        hits: u32,
    },
    /// A search that returned hits, none of which the visitor found useful (they left, or
    /// contacted support, without opening one).
    SearchMiss {
        /// The query as typed (trimmed).
        query: String,
        /// The widget's locale.
        locale: String,
    },
    /// How a guided flow ended.
    FlowOutcome {
        /// The flow identifier.
        flow_id: String,
        /// Solved, escalated or abandoned.
        outcome: FlowOutcome,
        /// The node the visitor was on when it ended.
        last_node: String,
    },
    /// The contact form suggested an article, the visitor opened it and then left the form
    /// unsent: a ticket that did not need to be written.
    Deflection {
        /// The article opened from the form.
        article_id: String,
        /// The widget's locale.
        locale: String,
    },
}

impl Event {
    /// The wire name of this event's kind, as stored and reported.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Helpful { .. } => "helpful",
            Self::Search { .. } => "search",
            Self::SearchMiss { .. } => "search_miss",
            Self::FlowOutcome { .. } => "flow_outcome",
            Self::Deflection { .. } => "deflection",
        }
    }
}

/// What a helpfulness vote is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteTarget {
    /// A knowledge-base article.
    Article,
    /// A guided flow.
    Flow,
}

impl VoteTarget {
    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Article => "article",
            Self::Flow => "flow",
        }
    }
}

/// Why an answer did not help, from the widget's fixed list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// `didnt-answer`: it was about something else.
    DidntAnswer,
    /// `steps-failed`: the visitor followed the steps and they did not work.
    StepsFailed,
    /// `hard-to-understand`.
    HardToUnderstand,
    /// `out-of-date`.
    OutOfDate,
}

impl Reason {
    /// The wire name, such as `steps-failed`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DidntAnswer => "didnt-answer",
            Self::StepsFailed => "steps-failed",
            Self::HardToUnderstand => "hard-to-understand",
            Self::OutOfDate => "out-of-date",
        }
    }
}

/// How a guided flow ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowOutcome {
    /// The visitor said it solved the problem.
    Solved,
    /// The flow handed the visitor to the contact form.
    Escalated,
    /// The visitor left part-way.
    Abandoned,
}

impl FlowOutcome {
    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Solved => "solved",
            Self::Escalated => "escalated",
            Self::Abandoned => "abandoned",
        }
    }
}

/// Checks a whole batch and returns every broken rule, with fields named like
/// `events[2].query`. An empty batch is refused: it is a widget bug, not a signal.
pub fn validate_batch(batch: &EventBatch) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if batch.events.is_empty() {
        errors.push(FieldError::new(
            "events",
            "Send at least one event; do not send empty batches.",
        ));
    }
    if batch.events.len() > EVENTS_MAX_PER_BATCH {
        errors.push(FieldError::new(
            "events",
            format!(
                "Send at most {EVENTS_MAX_PER_BATCH} events per batch (there are {}); split them.",
                batch.events.len()
            ),
        ));
    }
    for (index, event) in batch.events.iter().enumerate() {
        validate_event(&mut errors, &format!("events[{index}]"), event);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn validate_event(errors: &mut Vec<FieldError>, prefix: &str, event: &Event) {
    let mut text = |field: &str, value: &str, max: usize, required: bool| {
        let chars = value.chars().count();
        if required && value.trim().is_empty() {
            errors.push(FieldError::new(
                &format!("{prefix}.{field}"),
                format!("`{field}` must not be empty."),
            ));
        } else if chars > max {
            errors.push(FieldError::new(
                &format!("{prefix}.{field}"),
                format!("`{field}` has {chars} characters and the limit is {max}; truncate it."),
            ));
        }
    };
    match event {
        Event::Helpful {
            id,
            locale,
            comment,
            ..
        } => {
            text("id", id, EVENT_ID_MAX_CHARS, true);
            text("locale", locale, LOCALE_MAX_CHARS, true);
            if let Some(comment) = comment {
                text("comment", comment, COMMENT_MAX_CHARS, false);
            }
        }
        Event::Search {
            query,
            locale,
            hits,
        } => {
            text("query", query, QUERY_MAX_CHARS, true);
            text("locale", locale, LOCALE_MAX_CHARS, true);
            if *hits > HITS_MAX {
                errors.push(FieldError::new(
                    &format!("{prefix}.hits"),
                    format!("`hits` is at most {HITS_MAX}; clamp larger counts."),
                ));
            }
        }
        Event::SearchMiss { query, locale } => {
            text("query", query, QUERY_MAX_CHARS, true);
            text("locale", locale, LOCALE_MAX_CHARS, true);
        }
        Event::FlowOutcome {
            flow_id, last_node, ..
        } => {
            text("flow_id", flow_id, EVENT_ID_MAX_CHARS, true);
            text("last_node", last_node, EVENT_ID_MAX_CHARS, true);
        }
        Event::Deflection { article_id, locale } => {
            text("article_id", article_id, EVENT_ID_MAX_CHARS, true);
            text("locale", locale, LOCALE_MAX_CHARS, true);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn fields(batch: &EventBatch) -> Vec<String> {
        validate_batch(batch)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn every_kind_parses_from_its_documented_wire_form() {
        let json = r#"{"events":[
            {"kind":"helpful","target":"article","id":"refund-time","locale":"zh-CN","helpful":false,"reason":"out-of-date","comment":"旧了"},
            {"kind":"helpful","target":"flow","id":"reset-password","locale":"en","helpful":true},
            {"kind":"search","query":"退款","locale":"zh-CN","hits":3},
            {"kind":"search_miss","query":"发票抬头","locale":"zh-CN"},
            {"kind":"flow_outcome","flow_id":"reset-password","outcome":"escalated","last_node":"no-email"},
            {"kind":"deflection","article_id":"track-package","locale":"en"}
        ]}"#;
        let batch: EventBatch = serde_json::from_str(json).unwrap();
        let kinds: Vec<_> = batch.events.iter().map(Event::kind).collect();
        assert_eq!(
            kinds,
            [
                "helpful",
                "helpful",
                "search",
                "search_miss",
                "flow_outcome",
                "deflection"
            ]
        );
        assert_eq!(validate_batch(&batch), Ok(()));
        let back: EventBatch =
            serde_json::from_str(&serde_json::to_string(&batch).unwrap()).unwrap();
        assert_eq!(back, batch);
    }

    #[test]
    fn unknown_kind_reason_and_fields_are_refused() {
        for json in [
            r#"{"kind":"page_view","url":"x"}"#,
            r#"{"kind":"helpful","target":"article","id":"a","locale":"en","helpful":false,"reason":"boring"}"#,
            r#"{"kind":"search","query":"q","locale":"en","hits":1,"email":"a@b.c"}"#,
            r#"{"kind":"search","query":"q","locale":"en","hits":-1}"#,
        ] {
            assert!(serde_json::from_str::<Event>(json).is_err(), "{json}");
        }
    }

    #[test]
    fn limits_name_the_field_with_its_index() {
        let search = |query: &str| Event::Search {
            query: query.into(),
            locale: "en".into(),
            hits: 0,
        };
        let batch = EventBatch {
            events: vec![
                search("ok"),
                search(&"字".repeat(QUERY_MAX_CHARS + 1)),
                search("  "),
            ],
        };
        assert_eq!(fields(&batch), ["events[1].query", "events[2].query"]);
        assert_eq!(
            fields(&EventBatch {
                events: vec![search(&"字".repeat(QUERY_MAX_CHARS))]
            }),
            Vec::<String>::new()
        );
        assert_eq!(fields(&EventBatch::default()), ["events"]);
        let too_many = EventBatch {
            events: vec![search("q"); EVENTS_MAX_PER_BATCH + 1],
        };
        assert_eq!(fields(&too_many), ["events"]);
        let hits = EventBatch {
            events: vec![Event::Search {
                query: "q".into(),
                locale: "en".into(),
                hits: HITS_MAX + 1,
            }],
        };
        assert_eq!(fields(&hits), ["events[0].hits"]);
    }
}

//! Property test over the endpoints' untrusted JSON: whatever shape arrives, the answer is a
//! success or a `4xx` with a known error code — never a `5xx`, never a panic — and a batch is
//! stored whole or not at all.

use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::StatusCode;
use kefu_protocol::{EVENTS_PATH, TICKETS_PATH, error_code};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value};

use crate::support::{Fixture, post_raw};

/// Keys the endpoints know, so generated objects often come close to valid ones.
const KEYS: &[&str] = &[
    "kind",
    "query",
    "locale",
    "hits",
    "target",
    "id",
    "helpful",
    "reason",
    "comment",
    "flow_id",
    "outcome",
    "last_node",
    "article_id",
    "events",
    "idempotency_key",
    "message",
    "contact",
    "website",
    "context",
    "searches",
];

/// Strings the endpoints give meaning to, mixed with arbitrary text.
const WORDS: &[&str] = &[
    "search",
    "search_miss",
    "helpful",
    "flow_outcome",
    "deflection",
    "article",
    "flow",
    "out-of-date",
    "solved",
    "zh-CN",
    "退款",
    "key-12345678",
    "a@example.com",
    "",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0u32..20).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        prop::sample::select(WORDS).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            prop::collection::btree_map(prop::sample::select(KEYS), inner, 0..8).prop_map(|map| {
                Value::Object(
                    map.into_iter()
                        .map(|(key, value)| (key.to_owned(), value))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

#[test]
fn arbitrary_json_gets_a_success_or_a_clear_4xx() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let fx = runtime.block_on(Fixture::sqlite());
    let known = [
        error_code::INVALID_FIELD,
        error_code::INVALID_JSON,
        error_code::REJECTED,
    ];
    let stored_events = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(
            &(json_value(), any::<bool>(), any::<bool>()),
            |(value, wrap_in_events, to_tickets)| {
                let body = if wrap_in_events && !to_tickets {
                    serde_json::json!({ "events": [value] })
                } else {
                    value
                };
                let path = if to_tickets {
                    TICKETS_PATH
                } else {
                    EVENTS_PATH
                };
                let (status, answer) = runtime.block_on(post_raw(
                    fx.app(),
                    path,
                    Some("application/json"),
                    serde_json::to_vec(&body).unwrap(),
                ));
                prop_assert!(!status.is_server_error(), "{status}: {answer}");
                if status.is_success() {
                    if !to_tickets {
                        prop_assert_eq!(status, StatusCode::OK);
                        let accepted = answer["accepted"].as_u64().unwrap();
                        prop_assert_eq!(
                            Some(accepted as usize),
                            body["events"].as_array().map(Vec::len)
                        );
                        stored_events.fetch_add(accepted as usize, Ordering::Relaxed);
                    }
                } else {
                    let code = answer["error"].as_str().unwrap_or_default();
                    prop_assert!(known.contains(&code), "{status}: {answer}");
                }
                let in_store = runtime.block_on(fx.store.count_events()).unwrap();
                prop_assert_eq!(in_store as usize, stored_events.load(Ordering::Relaxed));
                Ok(())
            },
        )
        .unwrap();
}

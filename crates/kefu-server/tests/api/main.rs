//! Integration tests for kefu-server, one binary: the API and the store on both backends
//! (`on_both_backends!`: SQLite always, PostgreSQL when `KEFU_TEST_DATABASE_URL` is set), the
//! hardening rules over real sockets, webhooks against a real loopback receiver, and the
//! `kefu-server` binary itself.

#![allow(clippy::unwrap_used)]

mod binary;
mod fuzz;
mod hardening;
mod support;
mod webhooks;

use axum::http::StatusCode;
use kefu_protocol::{EVENTS_PATH, Event, FlowOutcome, Reason, TicketRequest, VoteTarget};
use kefu_server::reference;
use kefu_server::store::{DeliveryResult, TimeRange};
use kefu_server::webhook::{WebhookKind, WebhookTarget};
use serde_json::{Value, json};

use crate::support::{Fixture, is_rfc3339_utc, post_json, post_raw, post_to, ticket};

on_both_backends!(
    new_ticket_is_201_and_repeat_key_is_200_with_same_reference,
    different_keys_make_different_tickets,
    full_ticket_is_stored_with_context,
    invalid_fields_are_422_naming_the_field,
    honeypot_is_400_rejected_and_nothing_is_stored,
    oversize_body_is_413,
    malformed_json_and_wrong_content_type_are_400,
    concurrent_requests_with_one_key_make_one_ticket,
    event_batch_is_stored_whole,
    invalid_event_batch_is_refused_whole_naming_the_field,
    report_counts_searches_misses_and_votes,
    list_tickets_filters_by_time,
    webhook_queue_is_written_with_the_ticket_and_leased,
    healthz_and_metrics,
    two_instances_agree_on_a_key_and_share_the_queue,
);

async fn new_ticket_is_201_and_repeat_key_is_200_with_same_reference(fx: Fixture) {
    let (status, first) = post_json(fx.app(), &ticket("retry-key-1", "我找不到发票。")).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let reference = first["reference"].as_str().unwrap().to_owned();
    assert!(reference::is_reference(&reference), "{reference}");
    assert!(
        is_rfc3339_utc(first["created_at"].as_str().unwrap()),
        "{first}"
    );
    assert_eq!(first["duplicate"], json!(false));

    // A retry with different content must not change the stored ticket.
    let (status, second) = post_json(fx.app(), &ticket("retry-key-1", "changed")).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["reference"], first["reference"]);
    assert_eq!(second["created_at"], first["created_at"]);
    assert_eq!(second["duplicate"], json!(true));

    assert_eq!(fx.count().await, 1);
    let stored = fx
        .store
        .ticket_by_reference(&reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.message, "我找不到发票。");
    assert_eq!(stored.idempotency_key, "retry-key-1");
}

async fn different_keys_make_different_tickets(fx: Fixture) {
    let (_, a) = post_json(fx.app(), &ticket("key-aaaa-1", "one")).await;
    let (_, b) = post_json(fx.app(), &ticket("key-bbbb-2", "two")).await;
    assert_ne!(a["reference"], b["reference"]);
    assert_eq!(fx.count().await, 2);
}

async fn full_ticket_is_stored_with_context(fx: Fixture) {
    let body = json!({
        "idempotency_key": "full-ticket-1",
        "name": "  李雷 ",
        "contact": "+86 138 0013 8000",
        "category": "billing",
        "subject": " 发票抬头写错了 ",
        "message": "  发票问题\n第二行  ",
        "locale": "zh-CN",
        "page_url": "https://example.com/pricing",
        "context": { "searches": ["发票"], "articles": ["invoices"], "widget_version": "0.1.0" },
        "website": ""
    });
    let (status, response) = post_json(fx.app(), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{response}");
    let stored = fx
        .store
        .ticket_by_idempotency_key("full-ticket-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name.as_deref(), Some("李雷"));
    assert_eq!(stored.contact.as_deref(), Some("+86 138 0013 8000"));
    assert_eq!(stored.locale.as_deref(), Some("zh-CN"));
    assert_eq!(stored.subject.as_deref(), Some("发票抬头写错了"));
    assert_eq!(
        stored.message, "  发票问题\n第二行  ",
        "kept exactly as sent"
    );
    let context: Value = serde_json::from_str(stored.context_json.as_deref().unwrap()).unwrap();
    assert_eq!(context["searches"], json!(["发票"]));
    assert_eq!(context["transcript"], Value::Null);
}

async fn invalid_fields_are_422_naming_the_field(fx: Fixture) {
    let mut bad_contact = ticket("bad-contact-1", "help");
    bad_contact["contact"] = json!("call me maybe");
    let mut long_name = ticket("long-name-1", "help");
    long_name["name"] = json!("名".repeat(kefu_protocol::NAME_MAX_CHARS + 1));
    let mut long_search = ticket("long-search-1", "help");
    long_search["context"] = json!({ "searches": ["q".repeat(501)] });
    for (body, field) in [
        (ticket("empty-msg-1", "  \n "), "message"),
        (ticket("short", "help"), "idempotency_key"),
        (bad_contact, "contact"),
        (long_name, "name"),
        (long_search, "context.searches"),
    ] {
        let (status, response) = post_json(fx.app(), &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{response}");
        assert_eq!(response["error"], "invalid_field");
        assert_eq!(response["field"], field, "{response}");
        assert!(!response["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(fx.count().await, 0);
}

async fn honeypot_is_400_rejected_and_nothing_is_stored(fx: Fixture) {
    let mut body = ticket("honeypot-1", "buy cheap watches");
    body["website"] = json!("http://spam.example");
    let (status, body) = post_json(fx.app(), &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "rejected");
    assert!(body.get("field").is_none(), "{body}");
    assert_eq!(fx.count().await, 0);
    // Whitespace from autofill is not a bot.
    let mut body = ticket("honeypot-2", "real person");
    body["website"] = json!("  ");
    let (status, _) = post_json(fx.app(), &body).await;
    assert_eq!(status, StatusCode::CREATED);
}

async fn oversize_body_is_413(fx: Fixture) {
    let body = ticket("big-body-1", &"x".repeat(kefu_server::MAX_BODY_BYTES));
    let (status, response) = post_json(fx.app(), &body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response["error"], "payload_too_large");
    let events = json!({ "events": [{ "kind": "search", "query": "x".repeat(kefu_server::MAX_BODY_BYTES), "locale": "en", "hits": 0 }] });
    let (status, _) = post_to(fx.app(), EVENTS_PATH, &events).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(fx.count().await, 0);

    // A full-length Chinese message and transcript must not trip the byte limit: the limits
    // are documented in characters, and the body limit must leave room for them.
    let body = json!({
        "idempotency_key": "max-size-1",
        "message": "字".repeat(kefu_protocol::MESSAGE_MAX_CHARS),
        "context": { "transcript": "话".repeat(kefu_protocol::TRANSCRIPT_MAX_CHARS / 2) },
    });
    let (status, response) = post_json(fx.app(), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{response}");
}

async fn malformed_json_and_wrong_content_type_are_400(fx: Fixture) {
    let (status, body) = post_raw(
        fx.app(),
        kefu_protocol::TICKETS_PATH,
        Some("application/json"),
        b"{\"idempotency_key\": ".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_json");
    assert!(body["message"].as_str().unwrap().contains("JSON"), "{body}");

    let (status, body) = post_json(fx.app(), &json!({ "idempotency_key": "no-message-1" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("missing field `message`"), "{message}");

    let payload = serde_json::to_vec(&ticket("ctype-key-1", "hi")).unwrap();
    for path in [kefu_protocol::TICKETS_PATH, EVENTS_PATH] {
        for content_type in [Some("text/plain"), None] {
            let (status, body) = post_raw(fx.app(), path, content_type, payload.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {content_type:?}");
            assert_eq!(body["error"], "unsupported_content_type");
        }
    }
    assert_eq!(fx.count().await, 0);
}

async fn concurrent_requests_with_one_key_make_one_ticket(fx: Fixture) {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let app = fx.app();
        tasks.spawn(async move { post_json(app, &ticket("race-key-1", "double click")).await });
    }
    let mut created = 0;
    let mut references = std::collections::HashSet::new();
    while let Some(result) = tasks.join_next().await {
        let (status, body) = result.unwrap();
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::OK => assert_eq!(body["duplicate"], json!(true)),
            other => panic!("unexpected {other}: {body}"),
        }
        references.insert(body["reference"].as_str().unwrap().to_owned());
    }
    assert_eq!(created, 1);
    assert_eq!(references.len(), 1);
    assert_eq!(fx.count().await, 1);
}

fn sample_events() -> Value {
    json!({ "events": [
        { "kind": "search", "query": "退款", "locale": "zh-CN", "hits": 3 },
        { "kind": "search", "query": "发票抬头", "locale": "zh-CN", "hits": 0 },
        { "kind": "search_miss", "query": "退款", "locale": "zh-CN" },
        { "kind": "helpful", "target": "article", "id": "refund-time", "locale": "zh-CN",
          "helpful": false, "reason": "out-of-date", "comment": "规则变了" },
        { "kind": "flow_outcome", "flow_id": "reset-password", "outcome": "abandoned",
          "last_node": "no-email" },
        { "kind": "deflection", "article_id": "track-package", "locale": "en" }
    ]})
}

async fn event_batch_is_stored_whole(fx: Fixture) {
    let (status, body) = post_to(fx.app(), EVENTS_PATH, &sample_events()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "accepted": 6 }));
    assert_eq!(fx.store.count_events().await.unwrap(), 6);
}

async fn invalid_event_batch_is_refused_whole_naming_the_field(fx: Fixture) {
    let with_event = |event: Value| {
        let mut batch = sample_events();
        batch["events"].as_array_mut().unwrap().push(event);
        batch
    };
    let cases = [
        (
            with_event(json!({ "kind": "page_view", "url": "https://x.example" })),
            "events[6].kind",
        ),
        (
            with_event(json!({ "query": "q", "locale": "en", "hits": 1 })),
            "events[6].kind",
        ),
        (
            with_event(json!({ "kind": "search", "locale": "en", "hits": 1 })),
            "events[6].query",
        ),
        (
            with_event(json!({ "kind": "helpful", "target": "article", "id": "a",
                               "locale": "en", "helpful": false, "reason": "boring" })),
            "events[6].reason",
        ),
        (
            with_event(
                json!({ "kind": "search", "query": "q", "locale": "en", "hits": 1,
                               "email": "a@example.com" }),
            ),
            "events[6].email",
        ),
        (
            with_event(
                json!({ "kind": "search", "query": "字".repeat(201), "locale": "en", "hits": 1 }),
            ),
            "events[6].query",
        ),
        (json!({ "events": [] }), "events"),
        (json!({ "events": "many" }), "events"),
        (json!({ "events": [], "user": "x" }), "user"),
        (
            json!({ "events": vec![json!({ "kind": "search", "query": "q", "locale": "en", "hits": 1 }); 51] }),
            "events",
        ),
    ];
    for (batch, field) in cases {
        let (status, body) = post_to(fx.app(), EVENTS_PATH, &batch).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"], "invalid_field", "{body}");
        assert_eq!(body["field"], field, "{body}");
    }
    assert_eq!(fx.store.count_events().await.unwrap(), 0, "nothing stored");
}

async fn report_counts_searches_misses_and_votes(fx: Fixture) {
    let search = |query: &str, hits: u32| Event::Search {
        query: query.into(),
        locale: "zh-CN".into(),
        hits,
    };
    let vote = |id: &str, helpful: bool, reason: Option<Reason>| Event::Helpful {
        target: VoteTarget::Article,
        id: id.into(),
        locale: "zh-CN".into(),
        helpful,
        reason,
        comment: None,
    };
    let events = vec![
        search("退款", 4),
        search("退款", 4),
        search(" 退款 ", 2),
        search("发票抬头", 0),
        search("发票抬头", 0),
        search("运费", 1),
        Event::SearchMiss {
            query: "运费".into(),
            locale: "zh-CN".into(),
        },
        vote("refund-time", false, Some(Reason::OutOfDate)),
        vote("refund-time", false, Some(Reason::OutOfDate)),
        vote("refund-time", true, None),
        vote("track-package", true, None),
        vote("shipping-fee", false, Some(Reason::StepsFailed)),
        Event::FlowOutcome {
            flow_id: "reset-password".into(),
            outcome: FlowOutcome::Solved,
            last_node: "done".into(),
        },
        Event::FlowOutcome {
            flow_id: "reset-password".into(),
            outcome: FlowOutcome::Escalated,
            last_node: "no-email".into(),
        },
        Event::Deflection {
            article_id: "track-package".into(),
            locale: "en".into(),
        },
    ];
    fx.store.insert_events(events).await.unwrap();
    post_json(fx.app(), &ticket("report-key-1", "hi")).await;

    let report = fx.store.report(&TimeRange::default(), 10).await.unwrap();
    assert_eq!(report.searches, 6);
    assert_eq!(report.zero_result_searches, 2);
    let top: Vec<(&str, i64)> = report
        .top_searches
        .iter()
        .map(|c| (c.key.as_str(), c.count))
        .collect();
    assert_eq!(
        top,
        [("退款", 3), ("发票抬头", 2), ("运费", 1)],
        "queries are trimmed"
    );
    assert_eq!(report.zero_result_queries.len(), 1);
    assert_eq!(report.zero_result_queries[0].key, "发票抬头");
    assert_eq!(report.missed_queries[0].key, "运费");
    let worst: Vec<(&str, i64, i64)> = report
        .least_helpful
        .iter()
        .map(|v| (v.id.as_str(), v.helpful, v.not_helpful))
        .collect();
    assert_eq!(worst, [("shipping-fee", 0, 1), ("refund-time", 1, 2)]);
    assert_eq!(
        report.least_helpful[1].reasons,
        [("out-of-date".to_owned(), 2)]
    );
    assert_eq!(report.flows.len(), 1);
    assert_eq!(
        (
            report.flows[0].solved,
            report.flows[0].escalated,
            report.flows[0].abandoned
        ),
        (1, 1, 0)
    );
    assert_eq!(report.deflections[0].key, "track-package");
    assert_eq!(report.tickets, 1);

    let past = TimeRange {
        since: Some("2000-01-01T00:00:00Z".into()),
        until: Some("2000-12-31T23:59:59Z".into()),
    };
    let empty = fx.store.report(&past, 10).await.unwrap();
    assert_eq!((empty.searches, empty.tickets), (0, 0));
    assert!(empty.top_searches.is_empty() && empty.least_helpful.is_empty());
}

async fn list_tickets_filters_by_time(fx: Fixture) {
    for n in 0..3 {
        post_json(fx.app(), &ticket(&format!("list-key-{n}"), "hi")).await;
    }
    let all = fx
        .store
        .list_tickets(&TimeRange::default(), 100)
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    let limited = fx
        .store
        .list_tickets(&TimeRange::default(), 2)
        .await
        .unwrap();
    assert_eq!(limited.len(), 2);
    let future = TimeRange {
        since: Some("2999-01-01T00:00:00Z".into()),
        until: None,
    };
    assert!(
        fx.store
            .list_tickets(&future, 100)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn webhook_queue_is_written_with_the_ticket_and_leased(fx: Fixture) {
    let hooks = [
        WebhookTarget {
            kind: WebhookKind::Json,
            url: "http://127.0.0.1:9/a".into(),
        },
        WebhookTarget {
            kind: WebhookKind::Slack,
            url: "http://127.0.0.1:9/b".into(),
        },
    ];
    let request = TicketRequest {
        idempotency_key: "queue-key-1".into(),
        message: "hello".into(),
        ..TicketRequest::default()
    };
    let first = fx
        .store
        .insert_ticket(&request, &hooks, 1000)
        .await
        .unwrap();
    let again = fx
        .store
        .insert_ticket(&request, &hooks, 1000)
        .await
        .unwrap();
    assert!(again.duplicate);
    let reference = first.ticket.reference;
    let queued = fx.store.deliveries_for(&reference).await.unwrap();
    assert_eq!(queued.len(), 2, "a duplicate queues nothing more");
    assert!(
        queued
            .iter()
            .all(|d| d.status == "pending" && d.attempts == 0)
    );

    assert!(
        fx.store
            .claim_deliveries(999, 5000, 10)
            .await
            .unwrap()
            .is_empty(),
        "not yet due"
    );
    let claimed = fx.store.claim_deliveries(1000, 5000, 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert_eq!(claimed[0].ticket.reference, reference);
    assert!(
        fx.store
            .claim_deliveries(2000, 6000, 10)
            .await
            .unwrap()
            .is_empty(),
        "leased deliveries are not claimed twice"
    );
    fx.store
        .finish_delivery(claimed[0].id, DeliveryResult::Delivered)
        .await
        .unwrap();
    fx.store
        .finish_delivery(
            claimed[1].id,
            DeliveryResult::Retry {
                next_attempt_ms: 7000,
                error: "HTTP 500".into(),
            },
        )
        .await
        .unwrap();
    let retried = fx.store.claim_deliveries(7000, 9000, 10).await.unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].attempts, 1);
    fx.store
        .finish_delivery(
            retried[0].id,
            DeliveryResult::GaveUp {
                error: "HTTP 500".into(),
            },
        )
        .await
        .unwrap();
    let states: Vec<(String, u32)> = fx
        .store
        .deliveries_for(&reference)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.status, d.attempts))
        .collect();
    assert_eq!(
        states,
        [("delivered".to_owned(), 1), ("failed".to_owned(), 2)]
    );
    assert!(
        fx.store
            .claim_deliveries(i64::MAX, i64::MAX, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn healthz_and_metrics(fx: Fixture) {
    let state = fx.state();
    let (status, _, body) = support::get(kefu_server::app(state.clone()), "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let health: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"], fx.store.backend());

    post_json(
        kefu_server::app(state.clone()),
        &ticket("metric-key-1", "hi"),
    )
    .await;
    post_json(
        kefu_server::app(state.clone()),
        &ticket("metric-key-1", "hi"),
    )
    .await;
    post_json(kefu_server::app(state.clone()), &ticket("short", "hi")).await;
    post_to(
        kefu_server::app(state.clone()),
        EVENTS_PATH,
        &sample_events(),
    )
    .await;
    let (status, headers, body) = support::get(kefu_server::app(state), "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        support::header_value(&headers, "content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = String::from_utf8(body).unwrap();
    for line in [
        "kefu_tickets_created_total 1",
        "kefu_tickets_duplicate_total 1",
        "kefu_events_total 6",
        "kefu_requests_rejected_total{reason=\"invalid_field\"} 1",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
    }
    assert!(
        text.contains("kefu_http_request_duration_seconds_count 5"),
        "{text}"
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_get_json_errors() {
    let fx = Fixture::sqlite().await;
    for (path, status, code) in [
        ("/api/v2/tickets", StatusCode::NOT_FOUND, "not_found"),
        ("/nothing-here", StatusCode::NOT_FOUND, "not_found"),
        (
            kefu_protocol::TICKETS_PATH,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            EVENTS_PATH,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ] {
        let (got, _, body) = support::get(fx.app(), path).await;
        assert_eq!(got, status, "{path}");
        assert_eq!(
            serde_json::from_slice::<Value>(&body).unwrap()["error"],
            code
        );
    }
}

async fn two_instances_agree_on_a_key_and_share_the_queue(fx: Fixture) {
    // Two stores on one database stand in for two server processes sharing it.
    let other = kefu_server::Store::open(&fx.database).await.unwrap();
    let request = TicketRequest {
        idempotency_key: "shared-key-1".into(),
        message: "hello".into(),
        ..TicketRequest::default()
    };
    let hook = [WebhookTarget {
        kind: WebhookKind::Json,
        url: "http://127.0.0.1:9/hook".into(),
    }];
    let (first, second) = tokio::join!(
        fx.store.insert_ticket(&request, &hook, 0),
        other.insert_ticket(&request, &hook, 0)
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert!(first.duplicate != second.duplicate, "exactly one inserted");
    assert_eq!(first.ticket, second.ticket);
    assert_eq!(other.count_tickets().await.unwrap(), 1);
    // One delivery queued, and only one of the two forwarders gets it.
    let (a, b) = tokio::join!(
        fx.store.claim_deliveries(10, 5000, 10),
        other.claim_deliveries(10, 5000, 10)
    );
    assert_eq!(a.unwrap().len() + b.unwrap().len(), 1);
}

#[tokio::test]
async fn sqlite_ticket_survives_reopening_with_durable_settings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/nested/kefu.db");
    let database = kefu_server::Database::Sqlite(path.clone());
    let reference = {
        let store = kefu_server::Store::open(&database).await.unwrap();
        let (status, body) = post_json(
            kefu_server::app(kefu_server::AppState::new(store)),
            &ticket("durable-key-1", "保存我"),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        body["reference"].as_str().unwrap().to_owned()
    };
    assert!(path.is_file());
    let reopened = kefu_server::Store::open(&database).await.unwrap();
    let stored = reopened
        .ticket_by_idempotency_key("durable-key-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.reference, reference);

    // The durability settings are what make a 201 a promise; check them on a fresh connection.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn static_files_are_served_with_wasm_mime_and_no_cache() {
    let fx = Fixture::sqlite().await;
    let dir = support::static_dir(fx.dir.path());
    let router = || kefu_server::app(fx.state().with_static_dir(dir.clone()));

    let (status, headers, body) = support::get(router(), "/kefu_bg.wasm").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        support::header_value(&headers, "content-type"),
        Some("application/wasm")
    );
    assert_eq!(
        support::header_value(&headers, "cache-control"),
        Some("no-cache")
    );
    assert_eq!(body, support::WASM_BYTES);

    let (status, _, body) = support::get(router(), "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(body).unwrap().contains("Kefu demo"));
    let (status, _, body) = support::get(router(), "/docs/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"<p>docs</p>");

    // The API keeps working with static files on, and API misses do not fall through to them.
    let (status, _) = post_json(router(), &ticket("static-on-1", "hi")).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) = support::get(router(), "/api/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = support::get(router(), "/missing.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

//! Webhooks against a real loopback receiver (an axum server in the test): each payload format,
//! retries after failures, giving up, and a dead webhook not delaying the `201`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use kefu_protocol::TICKETS_PATH;
use kefu_server::webhook::{RetryPolicy, WebhookKind, WebhookTarget};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::support::{Fixture, Running, TIMEOUT, http};

/// What the receiver saw, and how many requests per path it should fail first.
#[derive(Default)]
struct Receiver {
    received: Mutex<Vec<(String, Value)>>,
    fail_first: Mutex<Vec<(String, u32)>>,
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    Path(path): Path<String>,
    body: String,
) -> (StatusCode, String) {
    let value: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    receiver
        .received
        .lock()
        .unwrap()
        .push((path.clone(), value));
    let mut fail_first = receiver.fail_first.lock().unwrap();
    if let Some((_, left)) = fail_first.iter_mut().find(|(p, n)| *p == path && *n > 0) {
        *left -= 1;
        return (StatusCode::INTERNAL_SERVER_ERROR, "down".into());
    }
    match path.as_str() {
        // The bots answer 200 with an error code in the body when they refuse.
        "wecom-refuses" => (
            StatusCode::OK,
            r#"{"errcode":93000,"errmsg":"invalid key"}"#.into(),
        ),
        "wecom" | "dingtalk" => (StatusCode::OK, r#"{"errcode":0,"errmsg":"ok"}"#.into()),
        "feishu" => (StatusCode::OK, r#"{"code":0,"msg":"success"}"#.into()),
        _ => (StatusCode::OK, "ok".into()),
    }
}

async fn start_receiver() -> (String, Arc<Receiver>) {
    let receiver = Arc::new(Receiver::default());
    let app = Router::new()
        .route("/{path}", post(receive))
        .with_state(Arc::clone(&receiver));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, receiver)
}

fn fast_policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        timeout: Duration::from_millis(500),
        poll_interval: Duration::from_millis(20),
    }
}

fn target(kind: WebhookKind, url: String) -> WebhookTarget {
    WebhookTarget { kind, url }
}

/// Waits until every delivery of `reference` has left `pending`, and returns their states.
async fn settled(fx: &Fixture, reference: &str) -> Vec<kefu_server::store::DeliveryStatus> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let deliveries = fx.store.deliveries_for(reference).await.unwrap();
        if deliveries.iter().all(|d| d.status != "pending") {
            return deliveries;
        }
        assert!(Instant::now() < deadline, "still pending: {deliveries:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn every_format_is_delivered_as_its_receiver_expects() {
    let fx = Fixture::sqlite().await;
    let (base, receiver) = start_receiver().await;
    let hooks = WebhookKind::ALL
        .iter()
        .map(|kind| target(*kind, format!("{base}/{}", kind.as_str())))
        .collect();
    let server = Running::start(fx.state().with_webhooks(hooks, fast_policy(3))).await;
    let body = json!({
        "idempotency_key": "webhook-key-1",
        "name": "<b>李雷</b>",
        "contact": "li@example.com",
        "message": "发票在哪里？<script>alert(1)</script>",
        "locale": "zh-CN",
        "context": { "searches": ["发票"] }
    });
    let created = http(server.addr, "POST", TICKETS_PATH, Some(&body)).await;
    assert_eq!(created.status, 201);
    let reference = created.json()["reference"].as_str().unwrap().to_owned();
    let states = settled(&fx, &reference).await;
    assert!(states.iter().all(|d| d.status == "delivered"), "{states:?}");
    server.stop().await;

    let received = receiver.received.lock().unwrap().clone();
    let by_path = |path: &str| {
        received
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let generic = by_path("json");
    assert_eq!(generic["event"], "ticket.created");
    assert_eq!(generic["ticket"]["reference"], reference.as_str());
    assert_eq!(
        generic["ticket"]["message"],
        "发票在哪里？<script>alert(1)</script>"
    );
    assert_eq!(generic["ticket"]["context"]["searches"], json!(["发票"]));
    for path in ["wecom", "dingtalk"] {
        let message = by_path(path);
        assert_eq!(message["msgtype"], "text");
        let content = message["text"]["content"].as_str().unwrap();
        assert!(
            content.contains(&reference) && content.contains("发票在哪里"),
            "{content}"
        );
    }
    let feishu = by_path("feishu");
    assert_eq!(feishu["msg_type"], "text");
    assert!(
        feishu["content"]["text"]
            .as_str()
            .unwrap()
            .contains(&reference)
    );
    let slack = by_path("slack")["text"].as_str().unwrap().to_owned();
    assert!(
        slack.contains("&lt;script&gt;") && !slack.contains('<'),
        "{slack}"
    );
}

#[tokio::test]
async fn failures_are_retried_then_given_up_on() {
    let fx = Fixture::sqlite().await;
    let (base, receiver) = start_receiver().await;
    receiver
        .fail_first
        .lock()
        .unwrap()
        .push(("flaky".into(), 2));
    let hooks = vec![
        target(WebhookKind::Json, format!("{base}/flaky")),
        target(WebhookKind::Wecom, format!("{base}/wecom-refuses")),
    ];
    let server = Running::start(fx.state().with_webhooks(hooks, fast_policy(3))).await;
    let created = http(
        server.addr,
        "POST",
        TICKETS_PATH,
        Some(&json!({ "idempotency_key": "retry-hook-1", "message": "hi" })),
    )
    .await;
    assert_eq!(created.status, 201);
    let reference = created.json()["reference"].as_str().unwrap().to_owned();
    let states = settled(&fx, &reference).await;
    server.stop().await;
    assert_eq!(states[0].status, "delivered");
    assert_eq!(states[0].attempts, 3, "two failures, then success");
    assert_eq!(states[1].status, "failed");
    assert_eq!(states[1].attempts, 3);
    assert!(
        states[1].last_error.as_deref().unwrap().contains("93000"),
        "{:?}",
        states[1].last_error
    );
    let flaky_hits = receiver
        .received
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| p == "flaky")
        .count();
    assert_eq!(flaky_hits, 3);
}

#[tokio::test]
async fn a_dead_webhook_does_not_delay_the_ticket() {
    let fx = Fixture::sqlite().await;
    // Accepts connections and never answers: the worst kind of receiver.
    let black_hole = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", black_hole.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut connections = Vec::new();
        while let Ok((stream, _)) = black_hole.accept().await {
            connections.push(stream);
        }
    });
    // One attempt that may take 3 s: a ticket that waited for it would take at least that long.
    let policy = RetryPolicy {
        timeout: Duration::from_secs(3),
        ..fast_policy(1)
    };
    let server = Running::start(
        fx.state()
            .with_webhooks(vec![target(WebhookKind::Slack, url)], policy),
    )
    .await;
    for n in 0..3 {
        let started = Instant::now();
        let created = http(
            server.addr,
            "POST",
            TICKETS_PATH,
            Some(&json!({ "idempotency_key": format!("dead-hook-{n}"), "message": "hi" })),
        )
        .await;
        assert_eq!(created.status, 201);
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "took {:?} with a dead webhook",
            started.elapsed()
        );
    }
    let reference = fx
        .store
        .ticket_by_idempotency_key("dead-hook-0")
        .await
        .unwrap()
        .unwrap()
        .reference;
    let states = settled(&fx, &reference).await;
    assert_eq!(states[0].status, "failed");
    assert!(
        states[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("timed out"),
        "{:?}",
        states[0].last_error
    );
    server.stop().await;
    held.abort();
    assert_eq!(fx.count().await, 3);
}

//! Every hardening rule over a real loopback socket: rate limit, CORS preflight, body limit,
//! request timeout, and graceful shutdown finishing a request in flight.

use std::time::{Duration, Instant};

use kefu_protocol::{EVENTS_PATH, TICKETS_PATH};
use kefu_server::rate_limit::RateLimit;
use serde_json::json;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::support::{Fixture, Running, http, http_with, read_response, request_head, ticket};

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after_per_client() {
    let fx = Fixture::sqlite().await;
    let state = fx.state().with_rate_limit(RateLimit {
        per_minute: 2,
        burst: 3,
    });
    let server = Running::start(state).await;
    for n in 0..3 {
        let body = ticket(&format!("limit-key-{n}"), "hi");
        assert_eq!(
            http(server.addr, "POST", TICKETS_PATH, Some(&body))
                .await
                .status,
            201
        );
    }
    let limited = http(
        server.addr,
        "POST",
        TICKETS_PATH,
        Some(&ticket("limit-key-9", "hi")),
    )
    .await;
    assert_eq!(limited.status, 429);
    // Two per minute: the next token comes in 30 seconds.
    assert_eq!(limited.header("retry-after"), Some("30"));
    assert_eq!(limited.json()["error"], "rate_limited");
    // Events share the client's budget; health checks and metrics never spend it.
    let events =
        json!({ "events": [{ "kind": "search", "query": "q", "locale": "en", "hits": 1 }] });
    assert_eq!(
        http(server.addr, "POST", EVENTS_PATH, Some(&events))
            .await
            .status,
        429
    );
    assert_eq!(http(server.addr, "GET", "/healthz", None).await.status, 200);
    let metrics = http(server.addr, "GET", "/metrics", None).await;
    let text = String::from_utf8(metrics.body).unwrap();
    assert!(
        text.contains("kefu_requests_rejected_total{reason=\"rate_limited\"} 2"),
        "{text}"
    );
    server.stop().await;
    assert_eq!(fx.count().await, 3);
}

#[tokio::test]
async fn cors_allows_listed_origins_only() {
    let fx = Fixture::sqlite().await;
    let state = fx
        .state()
        .with_allowed_origins(&["https://shop.example".to_owned()]);
    let server = Running::start(state).await;
    let addr = server.addr;
    let preflight = async |origin: &'static str| {
        let headers = [
            ("Origin", origin),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ];
        http_with(addr, "OPTIONS", TICKETS_PATH, &headers, None).await
    };
    let allowed = preflight("https://shop.example").await;
    assert_eq!(allowed.status, 200);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://shop.example")
    );
    assert!(
        allowed
            .header("access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    assert!(
        allowed
            .header("access-control-allow-headers")
            .unwrap()
            .contains("content-type")
    );
    let refused = preflight("https://evil.example").await;
    assert_eq!(refused.header("access-control-allow-origin"), None);

    // The actual request from an allowed page carries the header too; from others it does not,
    // so the browser withholds the answer from the page.
    let body = serde_json::to_vec(&ticket("cors-key-1", "hi")).unwrap();
    let from_shop = http_with(
        server.addr,
        "POST",
        TICKETS_PATH,
        &[
            ("Content-Type", "application/json"),
            ("Origin", "https://shop.example"),
        ],
        Some(&body),
    )
    .await;
    assert_eq!(from_shop.status, 201);
    assert_eq!(
        from_shop.header("access-control-allow-origin"),
        Some("https://shop.example")
    );
    server.stop().await;

    // Without an allowlist the server answers no cross-origin request at all.
    let server = Running::start(fx.state()).await;
    let preflight = http_with(
        server.addr,
        "OPTIONS",
        TICKETS_PATH,
        &[
            ("Origin", "https://shop.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        None,
    )
    .await;
    assert_eq!(preflight.header("access-control-allow-origin"), None);
    server.stop().await;
}

#[tokio::test]
async fn body_limit_over_a_socket() {
    let fx = Fixture::sqlite().await;
    let server = Running::start(fx.state()).await;
    let body = ticket("socket-big-1", &"x".repeat(kefu_server::MAX_BODY_BYTES + 1));
    let response = http(server.addr, "POST", TICKETS_PATH, Some(&body)).await;
    assert_eq!(response.status, 413);
    assert_eq!(response.json()["error"], "payload_too_large");
    server.stop().await;
    assert_eq!(fx.count().await, 0);
}

#[tokio::test]
async fn slow_body_times_out_with_408() {
    let fx = Fixture::sqlite().await;
    let server = Running::start(fx.state().with_timeout(Duration::from_millis(300))).await;
    let body = serde_json::to_vec(&ticket("slow-key-1", "hi")).unwrap();
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(&request_head(
            server.addr,
            "POST",
            TICKETS_PATH,
            &[("Content-Type", "application/json")],
            body.len(),
        ))
        .await
        .unwrap();
    // Half the body, then silence: the way a slow-loris client holds a connection.
    stream.write_all(&body[..body.len() / 2]).await.unwrap();
    let started = Instant::now();
    let response = read_response(stream).await;
    assert_eq!(response.status, 408);
    assert_eq!(response.json()["error"], "timeout");
    assert!(started.elapsed() < Duration::from_secs(5));
    server.stop().await;
    assert_eq!(fx.count().await, 0);
}

#[tokio::test]
async fn graceful_shutdown_finishes_the_request_in_flight() {
    let fx = Fixture::sqlite().await;
    let server = Running::start(fx.state()).await;
    let addr = server.addr;
    let body = serde_json::to_vec(&ticket("in-flight-1", "finish me")).unwrap();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(&request_head(
            addr,
            "POST",
            TICKETS_PATH,
            &[("Content-Type", "application/json")],
            body.len(),
        ))
        .await
        .unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    // Give the server time to start on the request before it is asked to stop.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopping = tokio::spawn(server.stop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !stopping.is_finished(),
        "must wait for the request in flight"
    );
    stream.write_all(&body[10..]).await.unwrap();
    let response = read_response(stream).await;
    assert_eq!(
        response.status,
        201,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    stopping.await.unwrap();
    assert!(
        fx.store
            .ticket_by_idempotency_key("in-flight-1")
            .await
            .unwrap()
            .is_some()
    );
    // And nothing new is accepted afterwards.
    assert!(TcpStream::connect(addr).await.is_err());
}

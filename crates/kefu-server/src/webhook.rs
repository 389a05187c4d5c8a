//! Webhooks: announcing each new ticket to a generic JSON endpoint or to a group chat bot (WeCom
//! 企业微信, DingTalk 钉钉, Feishu 飞书, Slack), from the durable queue in the database.
//!
//! The ticket handler only queues (in the ticket's own transaction); [`Forwarder`] delivers in the
//! background with exponential backoff, so a slow or dead webhook never delays or loses a ticket.
//! Every payload is plain text or JSON data: nothing a customer typed is sent as HTML or markup
//! the receiver would render: the bots get `text` messages, Slack's `<`, `>` and `&` are escaped,
//! and Feishu's `<` `>` become full-width so `<at user_id="all">` cannot ping a whole group.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::metrics::Metrics;
use crate::store::{Delivery, DeliveryResult, Store, StoredTicket};

/// The longest message excerpt put into a chat message; the full text is in the database.
pub const CHAT_MESSAGE_MAX_CHARS: usize = 1000;

/// The receivers Kefu can format a ticket for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebhookKind {
    /// Kefu's own JSON: `{"event":"ticket.created","ticket":{…}}`.
    Json,
    /// WeCom (企业微信) group bot: `{"msgtype":"text","text":{"content":…}}`.
    Wecom,
    /// DingTalk (钉钉) custom bot: `{"msgtype":"text","text":{"content":…}}`.
    Dingtalk,
    /// Feishu (飞书) custom bot: `{"msg_type":"text","content":{"text":…}}`.
    Feishu,
    /// Slack incoming webhook: `{"text":…}`.
    Slack,
}

impl WebhookKind {
    /// Every kind, in the order `--help` lists them.
    pub const ALL: [Self; 5] = [
        Self::Json,
        Self::Wecom,
        Self::Dingtalk,
        Self::Feishu,
        Self::Slack,
    ];

    /// The name used in `--webhook KIND=URL` and in the queue table.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Wecom => "wecom",
            Self::Dingtalk => "dingtalk",
            Self::Feishu => "feishu",
            Self::Slack => "slack",
        }
    }

    /// The kind named `name`, if any.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// One configured webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    /// How to format the payload.
    pub kind: WebhookKind,
    /// Where to POST it.
    pub url: String,
}

/// A `--webhook` value that cannot be used; the message says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookError {
    /// No `=` between kind and URL.
    Shape(String),
    /// A kind Kefu does not know.
    Kind(String),
    /// The URL is not `http://` or `https://`.
    Url(String),
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kinds = WebhookKind::ALL.map(WebhookKind::as_str).join(", ");
        match self {
            Self::Shape(value) => write!(
                f,
                "`--webhook {value}` is not KIND=URL; write it like \
                 `--webhook slack=https://hooks.slack.com/services/…`"
            ),
            Self::Kind(kind) => {
                write!(f, "unknown webhook kind `{kind}`; the kinds are {kinds}")
            }
            Self::Url(url) => write!(
                f,
                "webhook URL `{url}` must start with https:// (or http:// for a local receiver)"
            ),
        }
    }
}

impl std::error::Error for WebhookError {}

impl std::str::FromStr for WebhookTarget {
    type Err = WebhookError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let (kind, url) = value
            .split_once('=')
            .ok_or_else(|| WebhookError::Shape(value.to_owned()))?;
        let kind = WebhookKind::parse(kind.trim().to_ascii_lowercase().as_str())
            .ok_or_else(|| WebhookError::Kind(kind.to_owned()))?;
        let url = url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() < 10 {
            return Err(WebhookError::Url(url.to_owned()));
        }
        Ok(Self {
            kind,
            url: url.to_owned(),
        })
    }
}

/// The plain-text summary the chat bots receive.
fn chat_text(ticket: &StoredTicket) -> String {
    let mut text = format!("Kefu ticket {} ({})", ticket.reference, ticket.created_at);
    let mut line = |label: &str, value: &Option<String>| {
        if let Some(value) = value {
            text.push_str(&format!("\n{label}: {value}"));
        }
    };
    line("Name", &ticket.name);
    line("Contact", &ticket.contact);
    line("Category", &ticket.category);
    line("Subject", &ticket.subject);
    line("Locale", &ticket.locale);
    line("Page", &ticket.page_url);
    text.push_str("\n\n");
    let mut chars = ticket.message.chars();
    text.extend(chars.by_ref().take(CHAT_MESSAGE_MAX_CHARS));
    if chars.next().is_some() {
        text.push('…');
    }
    text
}

/// Slack reads `<…>` as links and mentions and `&` as entity starts; these three escapes are
/// the whole of what Slack asks for to show text literally.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Feishu's text messages read `<at user_id="all">` as a mention of everyone and have no escape
/// for it, so the angle brackets become their full-width look-alikes, which read the same.
fn feishu_escape(text: &str) -> String {
    text.replace('<', "\u{FF1C}").replace('>', "\u{FF1E}")
}

/// The body POSTed to a webhook of `kind` for `ticket`.
#[must_use]
pub fn payload(kind: WebhookKind, ticket: &StoredTicket) -> Value {
    match kind {
        WebhookKind::Json => {
            let context: Value = ticket
                .context_json
                .as_deref()
                .and_then(|json| serde_json::from_str(json).ok())
                .unwrap_or(Value::Null);
            json!({
                "event": "ticket.created",
                "ticket": {
                    "reference": ticket.reference,
                    "created_at": ticket.created_at,
                    "name": ticket.name,
                    "contact": ticket.contact,
                    "category": ticket.category,
                    "subject": ticket.subject,
                    "message": ticket.message,
                    "locale": ticket.locale,
                    "page_url": ticket.page_url,
                    "context": context,
                }
            })
        }
        WebhookKind::Wecom | WebhookKind::Dingtalk => {
            json!({ "msgtype": "text", "text": { "content": chat_text(ticket) } })
        }
        WebhookKind::Feishu => {
            json!({ "msg_type": "text", "content": { "text": feishu_escape(&chat_text(ticket)) } })
        }
        WebhookKind::Slack => json!({ "text": slack_escape(&chat_text(ticket)) }),
    }
}

/// The bots answer `200` even when they refuse a message, with the refusal in the body:
/// WeCom and DingTalk as a non-zero `errcode`, Feishu as a non-zero `code`.
fn refusal(kind: WebhookKind, body: &str) -> Option<String> {
    let field = match kind {
        WebhookKind::Wecom | WebhookKind::Dingtalk => "errcode",
        WebhookKind::Feishu => "code",
        WebhookKind::Json | WebhookKind::Slack => return None,
    };
    let value: Value = serde_json::from_str(body).ok()?;
    let code = value.get(field)?.as_i64()?;
    (code != 0).then(|| {
        let excerpt: String = body.chars().take(200).collect();
        format!("the receiver refused the message: {excerpt}")
    })
}

/// How hard the forwarder tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total before a delivery is marked failed.
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles after each further one.
    pub base_delay: Duration,
    /// The longest wait between attempts.
    pub max_delay: Duration,
    /// How long one attempt may take, connection included.
    pub timeout: Duration,
    /// How often the queue is checked when nothing wakes the forwarder.
    pub poll_interval: Duration,
}

impl Default for RetryPolicy {
    /// Ten attempts from 2 s doubling up to 10 min: about an hour and a half of retries, enough
    /// to ride out a receiver's deploy or a network blip without retrying forever.
    fn default() -> Self {
        Self {
            max_attempts: 10,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(600),
            timeout: Duration::from_secs(10),
            poll_interval: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// The wait before the next attempt after `failures` failed ones (at least one).
    #[must_use]
    pub fn delay_after(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.base_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay)
    }
}

/// Milliseconds since the Unix epoch, the queue's clock.
#[must_use]
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// How many deliveries one pass claims; more wait for the next pass.
const CLAIM_BATCH: i64 = 32;

/// The background worker that drains the webhook queue.
#[derive(Debug, Clone)]
pub struct Forwarder {
    store: Store,
    policy: RetryPolicy,
    client: reqwest::Client,
    wake: Arc<Notify>,
    metrics: Arc<Metrics>,
}

impl Forwarder {
    /// A forwarder over `store`'s queue.
    pub fn new(
        store: Store,
        policy: RetryPolicy,
        wake: Arc<Notify>,
        metrics: Arc<Metrics>,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(policy.timeout)
            .user_agent(concat!("kefu-server/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            store,
            policy,
            client,
            wake,
            metrics,
        })
    }

    /// Delivers until `stop` turns true. A pass in progress finishes first — attempts already
    /// sent are awaited and their results recorded — so shutting down never forgets whether a
    /// message went out; deliveries not yet claimed stay queued for the next start.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            let handled = match self.pass().await {
                Ok(handled) => handled,
                Err(err) => {
                    eprintln!("kefu-server: webhook queue: {err}");
                    0
                }
            };
            if handled == 0 {
                tokio::select! {
                    () = self.wake.notified() => {},
                    () = tokio::time::sleep(self.policy.poll_interval) => {},
                    _ = stop.changed() => {},
                }
            }
        }
    }

    /// Claims the due deliveries and attempts them all at once; returns how many it handled.
    pub async fn pass(&self) -> Result<usize, crate::store::StoreError> {
        let now = now_ms();
        // The lease outlasts an attempt, so no other instance claims a delivery in flight.
        let lease_until = now + 2 * millis(self.policy.timeout) + 1000;
        let deliveries = self
            .store
            .claim_deliveries(now, lease_until, CLAIM_BATCH)
            .await?;
        let count = deliveries.len();
        let mut attempts = JoinSet::new();
        for delivery in deliveries {
            let forwarder = self.clone();
            attempts.spawn(async move { forwarder.attempt(delivery).await });
        }
        while let Some(joined) = attempts.join_next().await {
            if let Ok(Err(err)) = joined {
                eprintln!("kefu-server: webhook queue: {err}");
            }
        }
        Ok(count)
    }

    async fn attempt(&self, delivery: Delivery) -> Result<(), crate::store::StoreError> {
        let body = payload(delivery.target.kind, &delivery.ticket);
        let outcome = match self
            .client
            .post(&delivery.target.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
        {
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                if !status.is_success() {
                    Err(format!("HTTP {status}"))
                } else if let Some(refused) = refusal(delivery.target.kind, &text) {
                    Err(refused)
                } else {
                    Ok(())
                }
            }
            Err(err) => Err(describe(&err)),
        };
        let failures = delivery.attempts + 1;
        let result = match outcome {
            Ok(()) => {
                self.metrics.webhook_delivered(delivery.target.kind);
                DeliveryResult::Delivered
            }
            Err(error) => {
                self.metrics.webhook_failed(delivery.target.kind);
                if failures >= self.policy.max_attempts {
                    eprintln!(
                        "kefu-server: giving up on the {} webhook for {} after {failures} \
                         attempts: {error}",
                        delivery.target.kind.as_str(),
                        delivery.ticket.reference
                    );
                    DeliveryResult::GaveUp { error }
                } else {
                    DeliveryResult::Retry {
                        next_attempt_ms: now_ms() + millis(self.policy.delay_after(failures)),
                        error,
                    }
                }
            }
        };
        self.store.finish_delivery(delivery.id, result).await
    }
}

/// A transport error with its causes, without the URL (which may carry a bot's secret token).
fn describe(err: &reqwest::Error) -> String {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut text = what.to_owned();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn targets_parse_with_clear_errors() {
        let target: WebhookTarget = "Slack=https://hooks.example/x".parse().unwrap();
        assert_eq!(target.kind, WebhookKind::Slack);
        assert_eq!(target.url, "https://hooks.example/x");
        assert_eq!(
            "teams=https://x.example/".parse::<WebhookTarget>(),
            Err(WebhookError::Kind("teams".into()))
        );
        assert!(
            WebhookError::Kind("teams".into())
                .to_string()
                .contains("json, wecom, dingtalk, feishu, slack")
        );
        assert_eq!(
            "json".parse::<WebhookTarget>(),
            Err(WebhookError::Shape("json".into()))
        );
        assert_eq!(
            "json=ftp://x.example/".parse::<WebhookTarget>(),
            Err(WebhookError::Url("ftp://x.example/".into()))
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let delays: Vec<u64> = (1..=11).map(|n| policy.delay_after(n).as_secs()).collect();
        assert_eq!(delays, [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]);
    }

    #[test]
    fn bots_refusing_in_the_body_count_as_failures() {
        assert!(refusal(WebhookKind::Wecom, r#"{"errcode":93000,"errmsg":"bad"}"#).is_some());
        assert!(refusal(WebhookKind::Wecom, r#"{"errcode":0,"errmsg":"ok"}"#).is_none());
        assert!(refusal(WebhookKind::Feishu, r#"{"code":19021,"msg":"sign"}"#).is_some());
        assert!(refusal(WebhookKind::Slack, "invalid_payload").is_none());
    }

    #[test]
    fn slack_text_cannot_mention_or_link() {
        let ticket = StoredTicket {
            reference: "KF-7Q3M2K".into(),
            idempotency_key: "k".into(),
            created_at: "2025-01-01T00:00:00Z".into(),
            name: Some("<!channel>".into()),
            contact: None,
            category: None,
            subject: None,
            message: "<script>alert(1)</script> & <https://evil.example|click>".into(),
            locale: None,
            page_url: None,
            context_json: None,
        };
        let text = payload(WebhookKind::Slack, &ticket)["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(!text.contains('<') && !text.contains('>'), "{text}");
        assert!(text.contains("&lt;!channel&gt;"), "{text}");
        let feishu = payload(WebhookKind::Feishu, &ticket)["content"]["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            !feishu.contains('<') && feishu.contains("＜!channel＞"),
            "{feishu}"
        );
        let long = StoredTicket {
            message: "长".repeat(CHAT_MESSAGE_MAX_CHARS + 5),
            ..ticket
        };
        let content = payload(WebhookKind::Wecom, &long)["text"]["content"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(content.ends_with('…'));
        assert_eq!(
            content.chars().filter(|c| *c == '长').count(),
            CHAT_MESSAGE_MAX_CHARS
        );
    }
}

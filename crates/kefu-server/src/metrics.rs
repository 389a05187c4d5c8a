//! Prometheus metrics, counted with atomics and written by hand in the text exposition format:
//! a dozen counters and one histogram do not need a metrics crate.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::webhook::WebhookKind;

/// The request-latency histogram's upper bounds, in seconds: from a cached health check to a
/// ticket waiting on a busy disk, and the 10 s request timeout.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Every counter the server exports.
#[derive(Debug, Default)]
pub struct Metrics {
    tickets_created: AtomicU64,
    tickets_duplicate: AtomicU64,
    events: AtomicU64,
    rejected: Mutex<BTreeMap<&'static str, u64>>,
    webhook_delivered: Mutex<BTreeMap<&'static str, u64>>,
    webhook_failed: Mutex<BTreeMap<&'static str, u64>>,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
}

fn bump(map: &Mutex<BTreeMap<&'static str, u64>>, key: &'static str) {
    *map.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(key)
        .or_default() += 1;
}

impl Metrics {
    /// A new ticket was stored.
    pub fn ticket_created(&self) {
        self.tickets_created.fetch_add(1, Ordering::Relaxed);
    }

    /// A repeated idempotency key was answered with its first ticket.
    pub fn ticket_duplicate(&self) {
        self.tickets_duplicate.fetch_add(1, Ordering::Relaxed);
    }

    /// `n` events were stored.
    pub fn events_stored(&self, n: usize) {
        self.events
            .fetch_add(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// A request was refused with the error code `reason`.
    pub fn rejected(&self, reason: &'static str) {
        bump(&self.rejected, reason);
    }

    /// A webhook accepted a delivery.
    pub fn webhook_delivered(&self, kind: WebhookKind) {
        bump(&self.webhook_delivered, kind.as_str());
    }

    /// A webhook delivery attempt failed.
    pub fn webhook_failed(&self, kind: WebhookKind) {
        bump(&self.webhook_failed, kind.as_str());
    }

    /// A request took `elapsed` from its first byte to its response.
    pub fn observe_latency(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.latency_buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// The text format Prometheus scrapes from `/metrics`.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        let labelled = |out: &mut String,
                        name: &str,
                        help: &str,
                        label: &str,
                        map: &Mutex<BTreeMap<&'static str, u64>>| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (key, value) in map.lock().unwrap_or_else(PoisonError::into_inner).iter() {
                let _ = writeln!(out, "{name}{{{label}=\"{key}\"}} {value}");
            }
        };
        counter(
            &mut out,
            "kefu_tickets_created_total",
            "Tickets stored (answered 201).",
            self.tickets_created.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "kefu_tickets_duplicate_total",
            "Repeated idempotency keys answered with their first ticket (200).",
            self.tickets_duplicate.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "kefu_events_total",
            "Widget events stored.",
            self.events.load(Ordering::Relaxed),
        );
        labelled(
            &mut out,
            "kefu_requests_rejected_total",
            "Requests refused, by error code.",
            "reason",
            &self.rejected,
        );
        labelled(
            &mut out,
            "kefu_webhook_deliveries_total",
            "Webhook deliveries accepted by the receiver.",
            "kind",
            &self.webhook_delivered,
        );
        labelled(
            &mut out,
            "kefu_webhook_failures_total",
            "Webhook delivery attempts that failed (each retry counts).",
            "kind",
            &self.webhook_failed,
        );
        let name = "kefu_http_request_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time from request to response.\n# TYPE {name} histogram"
        );
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.latency_buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let sum = self.latency_sum_micros.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {}.{:06}", sum / 1_000_000, sum % 1_000_000);
        let _ = writeln!(out, "{name}_count {count}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_is_prometheus_text() {
        let metrics = Metrics::default();
        metrics.ticket_created();
        metrics.rejected("rate_limited");
        metrics.rejected("rate_limited");
        metrics.webhook_failed(WebhookKind::Slack);
        metrics.observe_latency(Duration::from_millis(3));
        let text = metrics.render();
        for line in [
            "kefu_tickets_created_total 1",
            "kefu_requests_rejected_total{reason=\"rate_limited\"} 2",
            "kefu_webhook_failures_total{kind=\"slack\"} 1",
            "kefu_http_request_duration_seconds_bucket{le=\"0.0025\"} 0",
            "kefu_http_request_duration_seconds_bucket{le=\"0.005\"} 1",
            "kefu_http_request_duration_seconds_bucket{le=\"+Inf\"} 1",
            "kefu_http_request_duration_seconds_sum 0.003000",
            "kefu_http_request_duration_seconds_count 1",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
        }
    }
}

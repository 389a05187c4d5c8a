//! Signals for editors: what customers searched, what did not help, how flows ended. Sent in
//! batches to the endpoint's `/events`, best effort, without personal data, and not at all when
//! the site turns them off (`data-analytics="off"`) or has no endpoint. `kefu report` turns them
//! into "what to write next".

use kefu_protocol::{
    EVENTS_MAX_PER_BATCH, EVENTS_PATH, Event, EventBatch, QUERY_MAX_CHARS, validate_batch,
};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::app::Ui;
use crate::timer::Timer;

/// How long events wait for company before they are sent: one request per burst of activity.
const BATCH_DELAY: std::time::Duration = std::time::Duration::from_secs(4);

/// The events waiting to be sent.
#[derive(Clone, Copy)]
pub struct Signals {
    queue: StoredValue<Vec<Event>>,
    timer: Timer,
}

impl Signals {
    pub fn new() -> Signals {
        Signals {
            queue: StoredValue::new(Vec::new()),
            timer: Timer::new(),
        }
    }

    /// Queues `event` for the next batch, if the site collects signals at all.
    pub fn record(self, ui: Ui, event: Event) {
        if endpoint(ui).is_none() {
            return;
        }
        self.queue.update_value(|queue| queue.push(event));
        if self.queue.with_value(Vec::len) >= EVENTS_MAX_PER_BATCH {
            self.flush(ui);
        } else if !self.timer.is_pending() {
            self.timer.start(BATCH_DELAY, move || self.flush(ui));
        }
    }

    /// Sends what is queued now, with `keepalive` so a batch sent as the page closes still
    /// arrives. Failures are dropped: these are statistics, never worth a customer's bandwidth
    /// twice.
    pub fn flush(self, ui: Ui) {
        self.timer.cancel();
        let events = self
            .queue
            .try_update_value(std::mem::take)
            .unwrap_or_default();
        let Some(base) = endpoint(ui) else {
            return;
        };
        for chunk in events.chunks(EVENTS_MAX_PER_BATCH) {
            let batch = EventBatch {
                events: chunk.to_vec(),
            };
            // The server refuses a batch with one bad event; never send one.
            if validate_batch(&batch).is_err() {
                continue;
            }
            send(&crate::wire::api_url(&base, EVENTS_PATH), &batch);
        }
    }

    /// Sends the queue when the page is hidden or closed (`pagehide`), with a pending deflection.
    pub fn flush_on_exit(self, ui: Ui) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let on_exit = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
            ui.record_deflection();
            self.flush(ui);
        });
        let _ =
            window.add_event_listener_with_callback("pagehide", on_exit.as_ref().unchecked_ref());
        on_exit.forget(); // lives as long as the page
    }
}

/// The events endpoint's base, or `None` when signals are off.
fn endpoint(ui: Ui) -> Option<String> {
    ui.config.with_untracked(|c| {
        let off = c.analytics.as_deref() == Some("off") || c.escalation.as_deref() == Some("off");
        c.endpoint.clone().filter(|_| !off)
    })
}

fn send(url: &str, batch: &EventBatch) {
    let Some(body) = crate::wire::to_json(batch) else {
        return;
    };
    let Some(window) = web_sys::window() else {
        return;
    };
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    // `keepalive` lets a batch sent as the page closes still arrive (not in web-sys's stable API).
    let _ = js_sys::Reflect::set(&init, &"keepalive".into(), &true.into());
    init.set_body(&body.into());
    let Ok(headers) = web_sys::Headers::new() else {
        return;
    };
    let _ = headers.set("content-type", "application/json");
    init.set_headers(&headers);
    // Best effort: the promise's outcome is not awaited (a failed batch is not retried).
    let _ = window.fetch_with_str_and_init(url, &init);
}

/// A query as it may be kept: personal details customers paste into search boxes (phone and
/// order numbers, email addresses) are masked before anything leaves the browser. Runs of 5 or
/// more digits become `#####`; shorter ones ("7 days", a model number) make the query meaningful
/// and stay.
pub fn scrub(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    for word in query.split_inclusive(char::is_whitespace) {
        let trimmed = word.trim_end();
        if trimmed.contains('@') && trimmed.contains('.') {
            out.push_str("[email]");
            out.push_str(&word[trimmed.len()..]);
            continue;
        }
        let mut run = String::new();
        for ch in word.chars() {
            if ch.is_ascii_digit() || ('０'..='９').contains(&ch) {
                run.push(ch);
                continue;
            }
            end_run(&mut out, &mut run);
            out.push(ch);
        }
        end_run(&mut out, &mut run);
    }
    out.chars().take(QUERY_MAX_CHARS).collect()
}

fn end_run(out: &mut String, run: &mut String) {
    if run.chars().count() >= 5 {
        out.push_str("#####");
    } else {
        out.push_str(run);
    }
    run.clear();
}

#[cfg(test)]
mod tests {
    use super::scrub;

    #[test]
    fn personal_details_are_masked_and_the_question_kept() {
        assert_eq!(scrub("订单 2026112300018 没发货"), "订单 ##### 没发货");
        assert_eq!(scrub("退货要 7 天内吗"), "退货要 7 天内吗");
        assert_eq!(
            scrub("my email li.lei@example.com is wrong"),
            "my email [email] is wrong"
        );
        assert_eq!(scrub("电话１３８００１３８０００"), "电话#####");
        assert_eq!(scrub("iPhone15 退货"), "iPhone15 退货");
    }
}

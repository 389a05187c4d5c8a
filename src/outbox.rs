//! The offline outbox: nothing a customer sends is lost.
//!
//! A ticket is written to `localStorage` *before* it is sent, with its idempotency key. It leaves
//! the outbox only when the server has acknowledged it (`201`, or `200` for a retry of a ticket
//! it already has) or refused it for good (a `4xx` other than `408`/`429`). Everything else —
//! offline, a timeout, a `5xx`, a rate limit — is retried with exponential backoff, when the
//! browser comes back online, and on the next page load. Retries reuse the key, so the server
//! never creates a second ticket.

use std::time::Duration;

use kefu_protocol::{ApiError, TICKETS_PATH, TicketRequest, TicketResponse};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

use crate::app::{Ui, event_detail};
use crate::timer::Timer;
use crate::wire::{api_url, to_json};

const STORAGE_KEY: &str = "kefu.outbox.v1";
/// The first retry waits this long; each further one twice as long, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(2);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// A ticket waiting for the server's acknowledgement.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pending {
    /// Base URL of the escalation API, as configured when the ticket was written.
    pub endpoint: String,
    pub request: TicketRequest,
    #[serde(default)]
    pub attempts: u32,
}

/// What became of a ticket the customer sent, for the form to show.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Written to the outbox; sending now or waiting for the network.
    Saved,
    /// Not sent yet: the network or the server failed; it will be retried.
    Waiting,
    Sent(TicketResponse),
    /// The server refused it; the customer can correct the form and send again.
    Refused(ApiError),
}

/// The outbox in `localStorage`, or `None` where storage is unavailable (private modes,
/// sandboxed frames): then tickets are only held in memory, and the console says so once.
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn load() -> Vec<Pending> {
    storage()
        .and_then(|storage| storage.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|text| js_sys::JSON::parse(&text).ok())
        .and_then(|value| serde_wasm_bindgen::from_value(value).ok())
        .unwrap_or_default()
}

fn save(pending: &[Pending]) -> bool {
    let Some(storage) = storage() else {
        return false;
    };
    let Some(text) = to_json(pending) else {
        return false;
    };
    storage.set_item(STORAGE_KEY, &text).is_ok()
}

/// Keeps the outbox in step with the page: `memory` mirrors storage, so a page without storage
/// still retries while it is open.
#[derive(Clone, Copy)]
pub struct Outbox {
    memory: StoredValue<Vec<Pending>>,
    /// The outcome per idempotency key, for the tickets sent from this page.
    pub outcomes: RwSignal<Vec<(String, Outcome)>>,
    timer: Timer,
    sending: StoredValue<bool>,
}

impl Outbox {
    pub fn new() -> Outbox {
        Outbox {
            memory: StoredValue::new(load()),
            outcomes: RwSignal::new(Vec::new()),
            timer: Timer::new(),
            sending: StoredValue::new(false),
        }
    }

    /// The outcome of the ticket with `key`, if it was sent from this page.
    pub fn outcome(self, key: &str) -> Option<Outcome> {
        self.outcomes
            .with(|all| all.iter().find(|(k, _)| k == key).map(|(_, o)| o.clone()))
    }

    fn set_outcome(self, key: &str, outcome: Outcome) {
        self.outcomes.update(|all| {
            all.retain(|(k, _)| k != key);
            all.push((key.to_owned(), outcome));
        });
    }

    /// Writes the ticket to the outbox, then tries to send it. Returns false when it could not be
    /// written to storage (it is still kept in memory and retried while the page is open).
    pub fn submit(self, ui: Ui, endpoint: String, request: TicketRequest) -> bool {
        let key = request.idempotency_key.clone();
        self.memory.update_value(|all| {
            all.retain(|p| p.request.idempotency_key != key);
            all.push(Pending {
                endpoint,
                request,
                attempts: 0,
            });
        });
        let stored = self.memory.with_value(|all| save(all));
        if !stored {
            web_sys::console::warn_1(
                &"[kefu] browser storage is unavailable: a message not yet sent is lost if this page closes".into(),
            );
        }
        self.set_outcome(&key, Outcome::Saved);
        self.flush(ui);
        stored
    }

    /// Sends every waiting ticket, one at a time, oldest first. Called on start (tickets from an
    /// earlier page), on `online`, after a submission and by the backoff timer.
    pub fn flush(self, ui: Ui) {
        if self.sending.get_value() {
            return;
        }
        self.timer.cancel();
        // Another tab may have sent some or added some: storage is the truth when there is one.
        if storage().is_some() {
            self.memory.set_value(load());
        }
        if self.memory.with_value(Vec::is_empty) {
            return;
        }
        self.sending.set_value(true);
        leptos::task::spawn_local(async move {
            let mut backoff = None;
            let queue = self.memory.get_value();
            for pending in queue {
                let key = pending.request.idempotency_key.clone();
                match send(&pending).await {
                    Delivery::Acknowledged(response) => {
                        self.forget(&key);
                        let created = !response.duplicate;
                        let reference = response.reference.clone();
                        self.set_outcome(&key, Outcome::Sent(response));
                        if created {
                            ui.emit(
                                "ticket-created",
                                &event_detail(&[("reference", reference.as_str().into())]),
                            );
                        }
                    }
                    Delivery::Refused(error) => {
                        self.forget(&key);
                        self.set_outcome(&key, Outcome::Refused(error));
                    }
                    Delivery::Retry(reason) => {
                        let attempts = pending.attempts + 1;
                        self.memory.update_value(|all| {
                            if let Some(p) =
                                all.iter_mut().find(|p| p.request.idempotency_key == key)
                            {
                                p.attempts = attempts;
                            }
                        });
                        self.memory.with_value(|all| save(all));
                        self.set_outcome(&key, Outcome::Waiting);
                        web_sys::console::info_1(
                            &format!("[kefu] message not sent yet ({reason}); it will be retried")
                                .into(),
                        );
                        backoff = Some(backoff_after(attempts));
                        break; // the network is down or the server struggling: wait, then resume
                    }
                }
            }
            self.sending.set_value(false);
            if let Some(delay) = backoff {
                self.timer.start(delay, move || self.flush(ui));
            }
        });
    }

    fn forget(self, key: &str) {
        self.memory
            .update_value(|all| all.retain(|p| p.request.idempotency_key != key));
        if storage().is_some() {
            // Re-read first: another tab may have added a ticket since this one loaded.
            let mut stored = load();
            stored.retain(|p| p.request.idempotency_key != key);
            save(&stored);
        }
    }

    /// Retries as soon as the browser says it is back online.
    pub fn watch_online(self, ui: Ui) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let on_online = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || self.flush(ui));
        let _ =
            window.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
        on_online.forget(); // lives as long as the page
    }
}

/// 2 s, 4 s, 8 s … capped at 5 minutes.
fn backoff_after(attempts: u32) -> Duration {
    let factor = 1u32 << attempts.saturating_sub(1).min(16);
    FIRST_BACKOFF.saturating_mul(factor).min(MAX_BACKOFF)
}

enum Delivery {
    Acknowledged(TicketResponse),
    Refused(ApiError),
    Retry(String),
}

async fn send(pending: &Pending) -> Delivery {
    let url = api_url(&pending.endpoint, TICKETS_PATH);
    let Some(body) = to_json(&pending.request) else {
        return Delivery::Retry("the ticket could not be encoded".to_owned());
    };
    let request = gloo_net::http::Request::post(&url)
        .header("content-type", "application/json")
        .body(body);
    let response = match request {
        Ok(request) => request.send().await,
        Err(error) => return Delivery::Retry(error.to_string()),
    };
    let response = match response {
        Ok(response) => response,
        Err(error) => return Delivery::Retry(format!("network: {error}")),
    };
    let status = response.status();
    let json = match response.text().await {
        Ok(text) => js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL),
        Err(error) => return Delivery::Retry(format!("reading the answer: {error}")),
    };
    match status {
        200 | 201 => match serde_wasm_bindgen::from_value::<TicketResponse>(json) {
            Ok(response) => Delivery::Acknowledged(response),
            Err(error) => Delivery::Retry(format!("unexpected answer: {error}")),
        },
        408 | 429 | 500.. => Delivery::Retry(format!("HTTP {status}")),
        _ => Delivery::Refused(serde_wasm_bindgen::from_value(json).unwrap_or_else(|_| {
            ApiError::new("http", None, format!("The server answered HTTP {status}."))
        })),
    }
}

/// A fresh idempotency key: 128 random bits from the browser's CSPRNG, as 26 base-32 letters.
pub fn new_key() -> Option<String> {
    let crypto = web_sys::window()?.crypto().ok()?;
    let mut bytes = [0u8; 16];
    crypto.get_random_values_with_u8_array(&mut bytes).ok()?;
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut bits: u128 = u128::from_be_bytes(bytes);
    let mut key = String::with_capacity(26);
    for _ in 0..26 {
        key.push(char::from(ALPHABET[(bits & 31) as usize]));
        bits >>= 5;
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::STORAGE_KEY;

    /// The loader starts the widget at once when an earlier page left a message in the outbox,
    /// so it reads the same storage key: keep the two equal.
    #[test]
    fn the_loader_looks_for_unsent_messages_under_the_outbox_key() -> Result<(), std::io::Error> {
        let loader = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/kefu.js"))?;
        let declaration = format!("var OUTBOX = \"{STORAGE_KEY}\";");
        assert!(
            loader.contains(&declaration),
            "src/kefu.js lacks {declaration}"
        );
        Ok(())
    }
}

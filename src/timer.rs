//! One pending timeout that can be restarted or cancelled: the debounces of the search box and
//! the contact form, the events batch and the outbox's backoff.

use leptos::prelude::*;

/// At most one pending call; starting a new one cancels the old. `Copy`, so closures and
/// components share it freely.
#[derive(Clone, Copy)]
pub struct Timer(StoredValue<Option<TimeoutHandle>, LocalStorage>);

impl Timer {
    pub fn new() -> Timer {
        Timer(StoredValue::new_local(None))
    }

    /// Calls `work` after `delay`, instead of whatever was pending. If the browser refuses the
    /// timeout, nothing is called (the callers' work is best effort or retried another way).
    pub fn start(self, delay: std::time::Duration, work: impl FnOnce() + 'static) {
        self.cancel();
        if let Ok(handle) = set_timeout_with_handle(work, delay) {
            self.0.set_value(Some(handle));
        }
    }

    /// Drops the pending call, if any. Safe after the owner was disposed.
    pub fn cancel(self) {
        if let Some(handle) = self.0.try_update_value(Option::take).flatten() {
            handle.clear();
        }
    }

    /// Whether a call is pending (or has run without a `cancel` or `start` since).
    pub fn is_pending(self) -> bool {
        self.0.with_value(Option::is_some)
    }
}

//! `Controller`: what `window.Kefu` calls once the widget has loaded.
//!
//! The loader (`kefu.js`) owns `window.Kefu`, queues calls made before the wasm arrives and
//! replays them here. Each method maps to a change of the widget's signals; nothing here draws.

use std::sync::Arc;

use kefu_core::{Index, SearchOptions};
use leptos::prelude::{GetUntracked, Set, Update, WithUntracked};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::app::{Identity, Status, Ui, View, load_bundle};
use crate::config::Config;
use crate::i18n::negotiate;

/// The widget as the page's JavaScript sees it (through `window.Kefu`).
#[wasm_bindgen]
pub struct Controller {
    ui: Ui,
}

/// One search hit as `Kefu.search` resolves it.
#[derive(Serialize)]
struct JsHit {
    id: String,
    kind: &'static str,
    title: String,
    locale: String,
    score: f32,
}

/// What `Kefu.identify` accepts; unknown fields are ignored, wrong types are refused.
#[derive(Deserialize)]
struct Person {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
}

/// Reads the loader's configuration object and reports, once, each part that cannot be used.
pub fn read_config(value: JsValue) -> Result<Config, JsValue> {
    let mut config: Config = serde_wasm_bindgen::from_value(value)
        .map_err(|error| JsValue::from_str(&format!("[kefu] invalid configuration: {error}")))?;
    let mut problems = config.prepare();
    if config.schedule.is_some()
        && let Err(problem) = crate::clock::site_now(config.time_zone.as_deref())
    {
        problems.push(problem);
        config.schedule = None;
    }
    for problem in problems {
        web_sys::console::error_1(&format!("[kefu] {problem}").into());
    }
    Ok(config)
}

impl Controller {
    pub fn new(ui: Ui) -> Controller {
        Controller { ui }
    }
}

#[wasm_bindgen]
impl Controller {
    /// Opens the help dialog (`Kefu.open()`).
    pub fn open(&self) {
        self.ui.open();
    }

    /// Closes it and returns focus to the launcher (`Kefu.close()`).
    pub fn close(&self) {
        self.ui.close();
    }

    /// Opens the dialog on `query` (`Kefu.search(q)`) and resolves with its hits, best first, as
    /// `{ id, kind, title, locale, score }`, once the KB has loaded; rejects if it cannot load.
    pub fn search(&self, query: String) -> js_sys::Promise {
        let ui = self.ui;
        ui.query.set(query.clone());
        ui.view.set(View::Search);
        ui.open();
        let Some((promise, resolve, reject)) = deferred() else {
            return js_sys::Promise::reject(&"[kefu] no Promise support".into());
        };
        ui.when_ready(move |index: Option<Arc<Index>>| match index {
            Some(index) => {
                let options = SearchOptions {
                    locale: Some(ui.strings().locale.to_owned()),
                    limit: 8,
                };
                let hits: Vec<JsHit> = index
                    .rank(&query, &options)
                    .into_iter()
                    .map(|hit| {
                        let entry = index.entry(hit.doc);
                        JsHit {
                            id: entry.id.clone(),
                            kind: entry.kind.as_str(),
                            title: entry.title.clone(),
                            locale: entry.locale.clone(),
                            score: hit.score,
                        }
                    })
                    .collect();
                let value = serde_wasm_bindgen::to_value(&hits).unwrap_or(JsValue::NULL);
                let _ = resolve.call1(&JsValue::NULL, &value);
            }
            None => {
                let error = js_sys::Error::new("[kefu] the help content could not be loaded");
                let _ = reject.call1(&JsValue::NULL, &error);
            }
        });
        promise
    }

    /// Opens the guided flow `id` (`Kefu.startFlow('login-help')`) from its first step, once the
    /// KB has loaded; rejects when the KB has no such flow.
    #[wasm_bindgen(js_name = startFlow)]
    pub fn start_flow(&self, id: String) -> js_sys::Promise {
        let ui = self.ui;
        let Some((promise, resolve, reject)) = deferred() else {
            return js_sys::Promise::reject(&"[kefu] no Promise support".into());
        };
        ui.when_ready(move |index: Option<Arc<Index>>| {
            let started = index.is_some_and(|index| crate::flow::start_flow(ui, &index, &id));
            if started {
                let _ = resolve.call0(&JsValue::NULL);
            } else {
                let error = js_sys::Error::new(&format!(
                    "[kefu] Kefu.startFlow: the knowledge base has no flow with the id `{id}`"
                ));
                let _ = reject.call1(&JsValue::NULL, &error);
            }
        });
        promise
    }

    /// Remembers who the visitor is (`Kefu.identify({name, email, phone})`), to fill in the
    /// contact form for them. Never sent anywhere by itself.
    pub fn identify(&self, person: JsValue) -> Result<(), JsValue> {
        let person: Person = serde_wasm_bindgen::from_value(person).map_err(|error| {
            JsValue::from_str(&format!(
                "[kefu] Kefu.identify expects {{ name, email, phone }} as strings: {error}"
            ))
        })?;
        self.ui.identity.set(Identity {
            name: person.name.filter(|s| !s.trim().is_empty()),
            email: person.email.filter(|s| !s.trim().is_empty()),
            phone: person.phone.filter(|s| !s.trim().is_empty()),
        });
        Ok(())
    }

    /// Switches the UI language (`Kefu.setLocale('en')`); the open panel is redrawn in place.
    #[wasm_bindgen(js_name = setLocale)]
    pub fn set_locale(&self, locale: String) {
        let languages = self.ui.config.with_untracked(|c| c.languages.clone());
        self.ui.config.update(|c| c.locale = Some(locale.clone()));
        self.ui.locale.set(negotiate(Some(&locale), &languages));
    }

    /// Applies new options from `Kefu.init` after the widget has loaded; a new `kb` URL reloads
    /// the content.
    pub fn configure(&self, config: JsValue) -> Result<(), JsValue> {
        let config = read_config(config)?;
        let reload = self
            .ui
            .config
            .with_untracked(|old| old.kb_url != config.kb_url);
        self.ui
            .locale
            .set(negotiate(config.locale.as_deref(), &config.languages));
        self.ui.config.set(config);
        if reload {
            load_bundle(self.ui);
        }
        Ok(())
    }

    /// Whether the dialog is open.
    #[wasm_bindgen(js_name = isOpen)]
    pub fn is_open(&self) -> bool {
        self.ui.open.get_untracked()
    }

    /// Whether the KB has loaded (`"ready"`), is loading, or could not load (`"unavailable"`).
    pub fn status(&self) -> String {
        match self.ui.status.get_untracked() {
            Status::Loading => "loading",
            Status::Ready(_) => "ready",
            Status::Unavailable => "unavailable",
        }
        .to_owned()
    }
}

/// A promise with its resolve and reject functions. The Promise constructor runs its executor
/// synchronously, so the functions are always there.
fn deferred() -> Option<(js_sys::Promise, js_sys::Function, js_sys::Function)> {
    let mut functions = None;
    let promise = js_sys::Promise::new(&mut |resolve, reject| functions = Some((resolve, reject)));
    functions.map(|(resolve, reject)| (promise, resolve, reject))
}

//! The widget's shell: launcher, dialog, bundle loading and the view switch.

use std::sync::Arc;

use kefu_core::Index;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::article::ArticleView;
use crate::config::Config;
use crate::contact::ContactView;
use crate::flow::{ActiveFlow, FlowView};
use crate::i18n::{Strings, negotiate};
use crate::outbox::Outbox;
use crate::search::{SearchView, Unavailable};
use crate::signals::Signals;

/// Where the KB bundle stands.
#[derive(Clone)]
pub enum Status {
    Loading,
    Ready(Arc<Index>),
    /// The bundle could not be fetched or decoded; the reason went to the console once.
    Unavailable,
}

/// What the open dialog shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Search,
    Article(u32),
    /// The contact form.
    Contact,
    /// A guided troubleshooting flow.
    Flow(u32),
}

/// What the customer already tried in this visit, attached to a ticket so they need not repeat it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trail {
    /// Settled searches, oldest first, without repeats.
    pub searches: Vec<String>,
    /// Articles opened: (id, title), oldest first, without repeats.
    pub articles: Vec<(String, String)>,
    /// The guided flow's transcript, when one was followed.
    pub transcript: Option<String>,
    /// Answers marked "not helpful": (id, title, reason, comment).
    pub not_helpful: Vec<(
        String,
        String,
        Option<kefu_protocol::Reason>,
        Option<String>,
    )>,
}

/// How much of the visit a ticket carries at most; older entries give way to newer ones.
const TRAIL_MAX: usize = 20;

impl Trail {
    pub fn add_search(&mut self, query: &str) {
        push_recent(&mut self.searches, query.to_owned(), |q| q == query);
    }

    pub fn add_not_helpful(
        &mut self,
        id: &str,
        title: &str,
        reason: Option<kefu_protocol::Reason>,
        comment: Option<String>,
    ) {
        let entry = (id.to_owned(), title.to_owned(), reason, comment);
        push_recent(&mut self.not_helpful, entry, |(i, ..)| i == id);
    }

    pub fn add_article(&mut self, id: &str, title: &str) {
        let entry = (id.to_owned(), title.to_owned());
        push_recent(&mut self.articles, entry, |(i, _)| i == id);
    }
}

/// Appends `item` as the newest entry, dropping an older entry for the same thing (`same`) and
/// the oldest ones beyond [`TRAIL_MAX`].
fn push_recent<T>(list: &mut Vec<T>, item: T, same: impl Fn(&T) -> bool) {
    list.retain(|entry| !same(entry));
    list.push(item);
    let excess = list.len().saturating_sub(TRAIL_MAX);
    list.drain(..excess);
}

/// UI state shared by the widget's components through context, and by the JavaScript API.
#[derive(Clone, Copy)]
pub struct Ui {
    /// The UI text; `Kefu.setLocale` swaps it, which redraws the open panel.
    pub locale: RwSignal<&'static Strings>,
    pub open: RwSignal<bool>,
    pub query: RwSignal<String>,
    pub view: RwSignal<View>,
    pub status: RwSignal<Status>,
    pub config: RwSignal<Config>,
    /// The loader's launcher button: it exists before the wasm does, so the widget adopts it.
    pub launcher: StoredValue<web_sys::HtmlElement, LocalStorage>,
    pub search_input: NodeRef<html::Input>,
    /// Tells the page about what happens (`Kefu.on`): the loader's `emit(name, detail)`.
    pub events: StoredValue<Option<js_sys::Function>, LocalStorage>,
    /// The last query reported as a search (`Kefu.on('search')`), so that redrawing the search
    /// view does not report it again.
    pub reported_query: StoredValue<String>,
    /// Who the visitor is, when the site said so with `Kefu.identify`.
    pub identity: RwSignal<Identity>,
    /// What the customer tried, for the contact form.
    pub trail: RwSignal<Trail>,
    /// The contact form while it is being written: kept when the customer opens a suggested
    /// article and comes back.
    pub draft: RwSignal<Draft>,
    /// The article last opened from the form's suggestions, with the locale, until a ticket is
    /// sent: leaving the help with it still set is a deflection (see [`Ui::record_deflection`]).
    pub deflection: StoredValue<Option<(String, String)>>,
    /// The article on screen was opened from the contact form: its way back leads to the form.
    pub from_form: RwSignal<bool>,
    pub outbox: Outbox,
    /// Signals for editors, sent in batches to the events endpoint.
    pub signals: Signals,
    /// The last settled search with hits, until the customer opens one of them: (query, locale).
    pub unanswered: StoredValue<Option<(String, String)>>,
    /// The guided flow the customer is in, if any (kept in `sessionStorage`).
    pub flow: RwSignal<Option<ActiveFlow>>,
    /// The bundle's content-hashed file name, sent with tickets.
    pub bundle_version: RwSignal<Option<String>>,
    /// Work waiting for the bundle (`Kefu.search` before it loaded); run once it has, or failed.
    pending: StoredValue<Vec<WhenReady>, LocalStorage>,
}

/// Work to run once the bundle has loaded (with the index) or failed to (with `None`).
type WhenReady = Box<dyn FnOnce(Option<Arc<Index>>)>;

/// The contact form's fields as the customer left them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Draft {
    /// False until the form is first shown: then the name and contact come from `Kefu.identify`.
    pub started: bool,
    pub name: String,
    pub contact: String,
    pub category: String,
    pub subject: String,
    pub message: String,
}

/// The visitor's details from `Kefu.identify`, used to fill in the contact form.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Identity {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl Ui {
    /// A fresh state for `config`, owned by no component: the JavaScript API holds it too.
    pub fn new(
        config: Config,
        launcher: web_sys::HtmlElement,
        events: Option<js_sys::Function>,
    ) -> Ui {
        Ui {
            locale: RwSignal::new(negotiate(config.locale.as_deref(), &config.languages)),
            open: RwSignal::new(false),
            query: RwSignal::new(String::new()),
            view: RwSignal::new(View::Search),
            status: RwSignal::new(Status::Loading),
            config: RwSignal::new(config),
            launcher: StoredValue::new_local(launcher),
            search_input: NodeRef::new(),
            events: StoredValue::new_local(events),
            identity: RwSignal::new(Identity::default()),
            trail: RwSignal::new(Trail::default()),
            draft: RwSignal::new(Draft::default()),
            deflection: StoredValue::new(None),
            from_form: RwSignal::new(false),
            outbox: Outbox::new(),
            signals: Signals::new(),
            unanswered: StoredValue::new(None),
            flow: RwSignal::new(None),
            bundle_version: RwSignal::new(None),
            reported_query: StoredValue::new(String::new()),
            pending: StoredValue::new_local(Vec::new()),
        }
    }

    /// Runs `work` with the index once the bundle has loaded (now, if it has), or with `None`
    /// if it could not be loaded.
    pub fn when_ready(self, work: impl FnOnce(Option<Arc<Index>>) + 'static) {
        match self.status.get_untracked() {
            Status::Ready(index) => work(Some(index)),
            Status::Unavailable => work(None),
            Status::Loading => self
                .pending
                .update_value(|pending| pending.push(Box::new(work))),
        }
    }

    fn set_status(self, status: Status) {
        self.status.set(status.clone());
        let ready = match status {
            Status::Loading => return,
            Status::Ready(index) => Some(index),
            Status::Unavailable => None,
        };
        let pending = self
            .pending
            .try_update_value(std::mem::take)
            .unwrap_or_default();
        for work in pending {
            work(ready.clone());
        }
    }

    /// The current UI text, read without subscribing: components are redrawn as a whole when
    /// the locale changes (see [`Widget`]).
    pub fn strings(self) -> &'static Strings {
        self.locale.get_untracked()
    }

    /// Opens the dialog; the search box takes focus once it is drawn.
    pub fn open(self) {
        if !self.open.get_untracked() {
            self.open.set(true);
            self.emit("open", &JsValue::UNDEFINED);
        }
    }

    /// Closes the dialog and gives focus back to the launcher, as the dialog pattern requires.
    pub fn close(self) {
        self.record_miss();
        self.record_deflection();
        if self.open.get_untracked() {
            self.open.set(false);
            self.emit("close", &JsValue::UNDEFINED);
        }
        self.launcher.with_value(|launcher| {
            let _ = launcher.focus();
        });
    }

    /// The last search had hits and the customer left it (closed the help, or went to a person)
    /// without opening one: tell editors, once.
    pub fn record_miss(self) {
        if let Some((query, locale)) = self.unanswered.try_update_value(Option::take).flatten() {
            self.signals
                .record(self, kefu_protocol::Event::SearchMiss { query, locale });
        }
    }

    /// The customer opened an article the contact form suggested and is leaving the help (closing
    /// it, or leaving the page) without having sent the form: a ticket that did not need writing.
    /// Told to editors once, for the last article opened.
    pub fn record_deflection(self) {
        if let Some((article_id, locale)) = self.deflection.try_update_value(Option::take).flatten()
        {
            self.signals.record(
                self,
                kefu_protocol::Event::Deflection { article_id, locale },
            );
        }
    }

    /// Whether customers can write to a person from the widget: an endpoint is configured and
    /// escalation is not switched off (`data-escalation="off"`).
    pub fn can_escalate(self) -> bool {
        self.config
            .with_untracked(|c| c.endpoint.is_some() && c.escalation.as_deref() != Some("off"))
    }

    /// Tells the page's `Kefu.on(name, …)` listeners; a listener's failure is the loader's to log.
    pub fn emit(self, name: &str, detail: &JsValue) {
        self.events.with_value(|events| {
            if let Some(emit) = events {
                let _ = emit.call2(&JsValue::NULL, &JsValue::from_str(name), detail);
            }
        });
    }
}

/// Fetches and decodes the bundle, reporting a failure once in the console with how to fix it.
pub fn load_bundle(ui: Ui) {
    ui.status.set(Status::Loading);
    let url = ui.config.with_untracked(|config| config.kb_url.clone());
    let file_name = url.rsplit('/').next().unwrap_or_default().to_owned();
    ui.bundle_version.set(Some(file_name));
    leptos::task::spawn_local(async move {
        match fetch_index(&url).await {
            Ok(index) => {
                let index = Arc::new(index);
                crate::flow::resume(ui, &index);
                ui.set_status(Status::Ready(index));
            }
            Err(reason) => {
                web_sys::console::error_1(
                    &format!("[kefu] help content unavailable: {reason}").into(),
                );
                ui.set_status(Status::Unavailable);
            }
        }
    });
}

async fn fetch_index(url: &str) -> Result<Index, String> {
    let response = gloo_net::http::Request::get(url)
        .send()
        .await
        .map_err(|error| format!("could not download the bundle from {url} ({error}); check the data-kb URL and that the server is reachable"))?;
    if !response.ok() {
        return Err(format!(
            "the bundle URL {url} answered HTTP {}; check data-kb points at the kb-*.bin file from `cargo xtask dist`",
            response.status()
        ));
    }
    let bytes = response
        .binary()
        .await
        .map_err(|error| format!("the bundle download from {url} broke off ({error})"))?;
    Index::from_bytes(bytes).map_err(|error| format!("{url}: {error}"))
}

/// The help dialog. The launcher that opens it belongs to the loader (`kefu.js`), which draws
/// it before the wasm arrives; the widget keeps its `aria-expanded` true to the dialog.
#[component]
pub fn Widget(ui: Ui) -> impl IntoView {
    provide_context(ui);
    load_bundle(ui);
    // Tickets written on an earlier page but never acknowledged go out now, and again whenever
    // the browser comes back online.
    ui.outbox.watch_online(ui);
    ui.outbox.flush(ui);
    ui.signals.flush_on_exit(ui);
    // The flow in progress survives a reload and the next page of the site (sessionStorage).
    Effect::new(move |_| {
        ui.flow.track();
        ui.open.track();
        ui.view.track();
        if let Status::Ready(index) = ui.status.get_untracked() {
            crate::flow::persist(ui, &index);
        }
    });
    // The way back to the form belongs to articles opened from it, and ends with them.
    Effect::new(move |_| {
        if !matches!(ui.view.get(), View::Article(_)) {
            ui.from_form.set(false);
        }
    });
    Effect::new(move |_| {
        let expanded = ui.open.get().to_string();
        ui.launcher.with_value(|launcher| {
            let _ = launcher.set_attribute("aria-expanded", &expanded);
        });
    });

    let on_keydown = move |event: web_sys::KeyboardEvent| {
        // During an IME composition Escape and Tab belong to the input method, not to the dialog.
        if crate::search::ime_key(&event) {
            return;
        }
        match event.key().as_str() {
            "Escape" => {
                event.prevent_default();
                ui.close();
            }
            "Tab" => trap_focus(&event),
            _ => {}
        }
    };

    // Everything inside reads the strings once; a new locale draws the panel afresh, keeping the
    // query and the view, which live in `Ui`.
    move || {
        let strings = ui.locale.get();
        ui.open.get().then(|| {
            view! {
                <div
                    class="kefu-panel"
                    role="dialog"
                    aria-modal="true"
                    aria-labelledby="kefu-dialog-title"
                    lang=strings.locale
                    on:keydown=on_keydown
                >
                    <div class="kefu-header">
                        <h2 id="kefu-dialog-title">{strings.dialog_title}</h2>
                        <button class="kefu-close" type="button" aria-label=strings.close on:click=move |_| ui.close()>
                            <span aria-hidden="true">"×"</span>
                        </button>
                    </div>
                    <div class="kefu-body">{move || body(ui)}</div>
                </div>
            }
        })
    }
}

/// Keeps Tab and Shift+Tab inside the open dialog (`aria-modal`): from the last focusable element
/// to the first and back, as the WAI-ARIA dialog pattern asks.
fn trap_focus(event: &web_sys::KeyboardEvent) {
    let Some(panel) = event
        .current_target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
    else {
        return;
    };
    let Ok(nodes) = panel.query_selector_all(
        "button:not([disabled]), a[href], input:not([disabled]), select, textarea, [tabindex]:not([tabindex='-1'])",
    ) else {
        return;
    };
    let focusable: Vec<web_sys::HtmlElement> = (0..nodes.length())
        .filter_map(|i| nodes.item(i))
        .filter_map(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
        .collect();
    let (Some(first), Some(last)) = (focusable.first(), focusable.last()) else {
        return;
    };
    let active = panel
        .get_root_node()
        .dyn_into::<web_sys::ShadowRoot>()
        .ok()
        .and_then(|root| root.active_element());
    let at = |element: &web_sys::HtmlElement| {
        active
            .as_ref()
            .is_some_and(|active| active == element.unchecked_ref::<web_sys::Element>())
    };
    let wrap_to = if event.shift_key() && at(first) {
        Some(last)
    } else if !event.shift_key() && at(last) {
        Some(first)
    } else {
        None
    };
    if let Some(target) = wrap_to {
        event.prevent_default();
        let _ = target.focus();
    }
}

fn body(ui: Ui) -> AnyView {
    match ui.status.get() {
        Status::Loading => {
            view! { <p class="kefu-loading" role="status">{ui.strings().loading}</p> }.into_any()
        }
        Status::Unavailable if ui.view.get() == View::Contact => {
            view! { <ContactView/> }.into_any()
        }
        Status::Unavailable => view! { <Unavailable/> }.into_any(),
        Status::Ready(index) => match ui.view.get() {
            View::Search => view! { <SearchView index=index/> }.into_any(),
            View::Article(doc) => view! { <ArticleView index=index doc=doc/> }.into_any(),
            View::Contact => view! { <ContactView/> }.into_any(),
            View::Flow(doc) => view! { <FlowView index=index doc=doc/> }.into_any(),
        },
    }
}

/// A plain object for `Kefu.on` listeners.
pub fn event_detail(fields: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    for (key, value) in fields {
        let _ = js_sys::Reflect::set(&object, &(*key).into(), value);
    }
    object.into()
}

/// Focuses an element once it is in the document (after the view that holds it rendered).
pub fn focus_when_mounted<E>(node: NodeRef<E>)
where
    E: leptos::html::ElementType,
    E::Output: JsCast + Clone + 'static,
{
    Effect::new(move |_| {
        if let Some(element) = node.get()
            && let Some(element) = element.dyn_ref::<web_sys::HtmlElement>()
        {
            let _ = element.focus();
        }
    });
}

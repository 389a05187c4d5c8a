//! The widget's shell: launcher, dialog, bundle loading and the view switch.

use std::sync::Arc;

use kefu_core::Index;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::article::ArticleView;
use crate::config::Config;
use crate::i18n::{Strings, negotiate};
use crate::search::{SearchView, Unavailable};

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
}

/// UI state shared by the widget's components through context.
#[derive(Clone, Copy)]
pub struct Ui {
    pub strings: &'static Strings,
    pub open: RwSignal<bool>,
    pub query: RwSignal<String>,
    pub view: RwSignal<View>,
    pub status: RwSignal<Status>,
    pub config: StoredValue<Config>,
    pub launcher: NodeRef<html::Button>,
    pub search_input: NodeRef<html::Input>,
}

impl Ui {
    /// Closes the dialog and gives focus back to the launcher, as the dialog pattern requires.
    pub fn close(self) {
        self.open.set(false);
        if let Some(launcher) = self.launcher.get_untracked() {
            let _ = launcher.focus();
        }
    }
}

/// Fetches and decodes the bundle, reporting a failure once in the console with how to fix it.
pub fn load_bundle(ui: Ui) {
    ui.status.set(Status::Loading);
    let url = ui.config.with_value(|config| config.kb_url.clone());
    leptos::task::spawn_local(async move {
        match fetch_index(&url).await {
            Ok(index) => ui.status.set(Status::Ready(Arc::new(index))),
            Err(reason) => {
                web_sys::console::error_1(
                    &format!("[kefu] help content unavailable: {reason}").into(),
                );
                ui.status.set(Status::Unavailable);
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

/// The whole widget: a launcher button and, when open, the help dialog.
#[component]
pub fn Widget(config: Config) -> impl IntoView {
    let strings = negotiate(config.locale.as_deref(), &config.languages);
    let ui = Ui {
        strings,
        open: RwSignal::new(false),
        query: RwSignal::new(String::new()),
        view: RwSignal::new(View::Search),
        status: RwSignal::new(Status::Loading),
        config: StoredValue::new(config),
        launcher: NodeRef::new(),
        search_input: NodeRef::new(),
    };
    provide_context(ui);
    load_bundle(ui);

    let toggle = move |_| {
        if ui.open.get_untracked() {
            ui.close();
        } else {
            ui.open.set(true);
        }
    };
    let on_keydown = move |event: web_sys::KeyboardEvent| {
        // During an IME composition Escape belongs to the input method, not to the dialog.
        if event.key() == "Escape" && !event.is_composing() {
            event.prevent_default();
            ui.close();
        }
    };

    view! {
        <div class="kefu" lang=strings.locale>
            <Show when=move || ui.open.get()>
                <div
                    class="kefu-panel"
                    role="dialog"
                    aria-modal="true"
                    aria-labelledby="kefu-dialog-title"
                    on:keydown=on_keydown
                >
                    <header class="kefu-header">
                        <h2 id="kefu-dialog-title">{strings.dialog_title}</h2>
                        <button class="kefu-close" type="button" aria-label=strings.close on:click=move |_| ui.close()>
                            <span aria-hidden="true">"×"</span>
                        </button>
                    </header>
                    <div class="kefu-body">{move || body(ui)}</div>
                </div>
            </Show>
            <button
                class="kefu-launcher"
                type="button"
                aria-haspopup="dialog"
                aria-expanded=move || ui.open.get().to_string()
                node_ref=ui.launcher
                on:click=toggle
            >
                <span class="kefu-launcher-icon" aria-hidden="true">"?"</span>
                <span>{strings.launcher}</span>
            </button>
        </div>
    }
}

fn body(ui: Ui) -> AnyView {
    match ui.status.get() {
        Status::Loading => {
            view! { <p class="kefu-loading" role="status">{ui.strings.loading}</p> }.into_any()
        }
        Status::Unavailable => view! { <Unavailable/> }.into_any(),
        Status::Ready(index) => match ui.view.get() {
            View::Search => view! { <SearchView index=index/> }.into_any(),
            View::Article(doc) => view! { <ArticleView index=index doc=doc/> }.into_any(),
        },
    }
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

//! The search view (an ARIA combobox with a listbox of results) and the "help unavailable" state.

use std::sync::Arc;

use kefu_core::{DocKind, Hit, Index, SearchOptions, Snippet};
use leptos::prelude::*;

use crate::app::{Ui, View, focus_when_mounted, load_bundle};

const RESULTS_ID: &str = "kefu-results";
const MAX_RESULTS: usize = 8;

fn option_id(doc: u32) -> String {
    format!("kefu-option-{doc}")
}

/// The search box and its results, updated on every keystroke.
#[component]
pub fn SearchView(index: Arc<Index>) -> impl IntoView {
    let ui = use_context::<Ui>().unwrap_or_else(|| unreachable!("Widget provides Ui"));
    let strings = ui.strings;
    let search_index = Arc::clone(&index);
    let suggest_index = Arc::clone(&index);
    let hits = Memo::new(move |_| {
        let options = SearchOptions {
            locale: Some(strings.locale.to_owned()),
            limit: MAX_RESULTS,
        };
        ui.query.with(|query| search_index.search(query, &options))
    });
    // The option the arrow keys point at; reset whenever the results change.
    let active = RwSignal::new(None::<usize>);
    Effect::new(move |_| {
        hits.track();
        active.set(None);
    });
    focus_when_mounted(ui.search_input);

    let open_doc = move |doc: u32| ui.view.set(View::Article(doc));
    let on_keydown = move |event: web_sys::KeyboardEvent| {
        if event.is_composing() {
            return;
        }
        let n_hits = hits.with(Vec::len);
        match event.key().as_str() {
            "ArrowDown" if n_hits > 0 => {
                event.prevent_default();
                active.update(|a| *a = Some(a.map_or(0, |i| (i + 1) % n_hits)));
            }
            "ArrowUp" if n_hits > 0 => {
                event.prevent_default();
                active.update(|a| *a = Some(a.map_or(n_hits - 1, |i| (i + n_hits - 1) % n_hits)));
            }
            "Enter" => {
                // Enter opens the highlighted result, or the best one when none is highlighted.
                let chosen = hits.with(|h| {
                    h.get(active.get_untracked().unwrap_or(0))
                        .map(|hit| hit.doc)
                });
                if let Some(doc) = chosen {
                    event.prevent_default();
                    open_doc(doc);
                }
            }
            _ => {}
        }
    };
    let has_query = move || ui.query.with(|q| !q.trim().is_empty());
    let expanded = move || (has_query() && hits.with(|h| !h.is_empty())).to_string();
    let active_descendant = move || {
        active
            .get()
            .and_then(|i| hits.with(|h| h.get(i).map(|hit| option_id(hit.doc))))
    };

    view! {
        <div class="kefu-search">
            <input
                class="kefu-search-input"
                type="text"
                role="combobox"
                autocomplete="off"
                aria-autocomplete="list"
                aria-controls=RESULTS_ID
                aria-expanded=expanded
                aria-activedescendant=active_descendant
                aria-label=strings.search_label
                placeholder=strings.search_placeholder
                node_ref=ui.search_input
                prop:value=move || ui.query.get()
                on:input=move |event| ui.query.set(event_target_value(&event))
                on:keydown=on_keydown
            />
            <p class="kefu-visually-hidden" role="status" aria-live="polite">
                {move || if has_query() { strings.count(hits.with(Vec::len)) } else { String::new() }}
            </p>
            <ul class="kefu-results" id=RESULTS_ID role="listbox" aria-label=strings.results_label>
                <For
                    each=move || hits.get()
                    // A row shows the document and its snippet, highlights included: the same
                    // text can carry other highlights after another keystroke.
                    key=|hit: &Hit| (hit.doc, hit.snippet.text.clone(), hit.snippet.highlights.clone())
                    children=move |hit: Hit| {
                        let doc = hit.doc;
                        let entry = index.entry(doc).clone();
                        let position = move || hits.with(|h| h.iter().position(|x| x.doc == doc));
                        let selected = move || (active.get().is_some() && active.get() == position()).to_string();
                        let kind = match entry.kind {
                            DocKind::Article => strings.kind_article,
                            DocKind::Faq => strings.kind_faq,
                            DocKind::Flow => strings.kind_flow,
                        };
                        view! {
                            <li
                                class="kefu-result"
                                role="option"
                                id=option_id(doc)
                                aria-selected=selected
                                aria-labelledby=format!("kefu-title-{doc}")
                                aria-describedby=format!("kefu-snippet-{doc}")
                                on:click=move |_| open_doc(doc)
                                on:mousemove=move |_| active.set(position())
                            >
                                <span class="kefu-result-title" id=format!("kefu-title-{doc}")>{entry.title}</span>
                                <span class="kefu-result-kind">{kind}</span>
                                <span class="kefu-result-snippet" id=format!("kefu-snippet-{doc}")>
                                    {highlighted(&hit.snippet)}
                                </span>
                            </li>
                        }
                    }
                />
            </ul>
            <Show when=move || has_query() && hits.with(Vec::is_empty)>
                <NoResults index=Arc::clone(&suggest_index)/>
            </Show>
        </div>
    }
}

/// Nothing matched: say so plainly, offer a corrected query, and the way to a person.
#[component]
fn NoResults(index: Arc<Index>) -> impl IntoView {
    let ui = use_context::<Ui>().unwrap_or_else(|| unreachable!("Widget provides Ui"));
    let strings = ui.strings;
    let suggest_index = Arc::clone(&index);
    let suggestion = move || {
        ui.query
            .with(|query| suggest_index.suggest(query, Some(strings.locale)))
    };
    // The closest articles, as buttons that open them: what the customer most likely meant.
    let closest = move || {
        let options = SearchOptions {
            locale: Some(strings.locale.to_owned()),
            limit: 3,
        };
        let docs = ui.query.with(|query| index.closest(query, &options));
        (!docs.is_empty()).then(|| {
            let items: Vec<AnyView> = docs
                .into_iter()
                .map(|ranked| {
                    let doc = ranked.doc;
                    let title = index.entry(doc).title.clone();
                    view! {
                        <li>
                            <button type="button" class="kefu-link-button" on:click=move |_| ui.view.set(View::Article(doc))>
                                {title}
                            </button>
                        </li>
                    }
                    .into_any()
                })
                .collect();
            view! {
                <p id="kefu-closest-label">{strings.closest_articles}</p>
                <ul class="kefu-channels" aria-labelledby="kefu-closest-label">{items}</ul>
            }
        })
    };
    view! {
        <div class="kefu-empty">
            <p>{strings.no_results}</p>
            {move || match suggestion() {
                Some(corrected) => {
                    let label = corrected.clone();
                    view! {
                        <p>
                            {strings.did_you_mean}" "
                            <button type="button" class="kefu-link-button" on:click=move |_| ui.query.set(corrected.clone())>
                                {label}
                            </button>
                        </p>
                    }
                    .into_any()
                }
                None => view! { <p class="kefu-muted">{strings.no_results_hint}</p> }.into_any(),
            }}
            {closest}
            <ContactChannels heading=strings.still_need_help/>
        </div>
    }
}

/// The site's contact channels from its configuration, or a generic line when it has none.
#[component]
fn ContactChannels(heading: &'static str) -> impl IntoView {
    let ui = use_context::<Ui>().unwrap_or_else(|| unreachable!("Widget provides Ui"));
    let strings = ui.strings;
    let (email, phone) = ui
        .config
        .with_value(|c| (c.contact_email.clone(), c.contact_phone.clone()));
    let has_channel = email.is_some() || phone.is_some();
    view! {
        <p>{heading}</p>
        <ul class="kefu-channels">
            {email.map(|email| {
                let href = format!("mailto:{email}");
                view! { <li>{strings.contact_email}": "<a href=href>{email}</a></li> }
            })}
            {phone.map(|phone| {
                let href = format!("tel:{}", phone.replace(' ', ""));
                view! { <li>{strings.contact_phone}": "<a href=href>{phone}</a></li> }
            })}
            {(!has_channel).then(|| view! { <li>{strings.contact_generic}</li> })}
        </ul>
    }
}

/// The snippet as text nodes with `<mark>` around the matched words: never parsed as HTML.
fn highlighted(snippet: &Snippet) -> Vec<AnyView> {
    let text = &snippet.text;
    let mut parts = Vec::new();
    let mut at = 0usize;
    for &(start, end) in &snippet.highlights {
        let (start, end) = (start as usize, end as usize);
        let (Some(before), Some(marked)) = (text.get(at..start), text.get(start..end)) else {
            continue;
        };
        parts.push(before.to_owned().into_any());
        parts.push(view! { <mark>{marked.to_owned()}</mark> }.into_any());
        at = end;
    }
    parts.push(text.get(at..).unwrap_or_default().to_owned().into_any());
    parts
}

/// Shown when the bundle could not be loaded: never a blank panel. Offers a retry and the site's
/// contact channels.
#[component]
pub fn Unavailable() -> impl IntoView {
    let ui = use_context::<Ui>().unwrap_or_else(|| unreachable!("Widget provides Ui"));
    let strings = ui.strings;
    view! {
        <div class="kefu-unavailable" role="alert">
            <h3>{strings.unavailable_title}</h3>
            <ContactChannels heading=strings.unavailable_body/>
            <button type="button" class="kefu-button" on:click=move |_| load_bundle(ui)>{strings.retry}</button>
        </div>
    }
}

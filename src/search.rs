//! The search view (an ARIA combobox with a listbox of results) and the "help unavailable" state.

use std::sync::Arc;

use kefu_core::{DocKind, Hit, Index, SearchOptions};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::app::{Ui, View, event_detail, focus_when_mounted, load_bundle};
use crate::clock;
use crate::signals::scrub;
use crate::timer::Timer;
use kefu_protocol::Event;

const RESULTS_ID: &str = "kefu-results";
const MAX_RESULTS: usize = 8;

fn option_id(doc: u32) -> String {
    format!("kefu-option-{doc}")
}

/// The search box and its results, updated on every keystroke.
#[component]
pub fn SearchView(index: Arc<Index>) -> impl IntoView {
    let ui = use_context::<Ui>().unwrap_or_else(|| unreachable!("Widget provides Ui"));
    let strings = ui.strings();
    let search_index = Arc::clone(&index);
    let suggest_index = Arc::clone(&index);
    let suggestions_index = Arc::clone(&index);
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
    report_searches(ui, hits);

    let kinds_index = StoredValue::new(Arc::clone(&index));
    let open_doc = move |doc: u32| {
        ui.view
            .set(kinds_index.with_value(|index| view_for(index, doc)))
    };
    let composing = StoredValue::new(false);
    let on_keydown = move |event: web_sys::KeyboardEvent| {
        if ime_key(&event) {
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
                // Pinyin typed through an input method is not the query: search when the
                // composition ends, on the characters chosen (issue 10).
                on:compositionstart=move |_| composing.set_value(true)
                on:compositionend=move |event| {
                    composing.set_value(false);
                    ui.query.set(event_target_value(&event));
                }
                on:input=move |event| {
                    if !composing.get_value() && !is_composing(&event) {
                        ui.query.set(event_target_value(&event));
                    }
                }
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
                    key=|hit: &Hit| (hit.doc, hit.title_highlights.clone(), hit.snippet.text.clone(), hit.snippet.highlights.clone())
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
                        // The option's accessible name is all of its visible text (title, kind,
                        // snippet): a name that left some out would fail WCAG 2.5.3, "label in name".
                        view! {
                            <li
                                class="kefu-result"
                                role="option"
                                id=option_id(doc)
                                aria-selected=selected
                                on:click=move |_| open_doc(doc)
                                on:mousemove=move |_| active.set(position())
                            >
                                <span class="kefu-result-title">
                                    {highlighted(&entry.title, &hit.title_highlights)}
                                </span>
                                <span class="kefu-result-kind">{kind}</span>
                                <span class="kefu-result-snippet">
                                    {highlighted(&hit.snippet.text, &hit.snippet.highlights)}
                                </span>
                            </li>
                        }
                    }
                />
            </ul>
            <Show when=move || !has_query()>
                <Suggestions index=Arc::clone(&suggestions_index)/>
            </Show>
            <Show when=move || has_query() && hits.with(Vec::is_empty)>
                <NoResults index=Arc::clone(&suggest_index)/>
            </Show>
        </div>
    }
}

/// Whether a keystroke belongs to an input method's composition (choosing characters): then
/// Enter, Escape and the arrows are the IME's, not ours. Browsers say so with `isComposing`, and
/// some only with the legacy key code 229.
pub fn ime_key(event: &web_sys::KeyboardEvent) -> bool {
    event.is_composing() || event.key_code() == 229
}

/// Whether an `input` event is part of a composition (the half-typed pinyin shown in the field).
fn is_composing(event: &web_sys::Event) -> bool {
    event
        .dyn_ref::<web_sys::InputEvent>()
        .is_some_and(web_sys::InputEvent::is_composing)
}

/// How long the query must rest before it counts as a search (`Kefu.on('search')`), so that a
/// word typed letter by letter is one search, not one per letter.
const SEARCH_SETTLE: std::time::Duration = std::time::Duration::from_millis(700);

/// Tells the page about each settled search: the query, the locale and how many hits it found.
/// A query the customer leaves for the contact form before it settled counts at once: it is what
/// they tried last, for the ticket's context and for editors (most often a search that found
/// nothing).
fn report_searches(ui: Ui, hits: Memo<Vec<Hit>>) {
    let timer = Timer::new();
    // The query waiting to settle and its number of hits. Not a reactive value: the view's
    // cleanup reads it after the view's own values are gone.
    let pending: Arc<std::sync::Mutex<Option<(String, usize)>>> = Arc::default();
    let take_pending = {
        let pending = Arc::clone(&pending);
        move || pending.lock().ok().and_then(|mut pending| pending.take())
    };
    let settle = take_pending.clone();
    Effect::new(move |_| {
        let query = ui.query.with(|query| query.trim().to_owned());
        timer.cancel();
        if let Ok(mut pending) = pending.lock() {
            *pending = None;
        }
        // Coming back from an article redraws this view with the same query: not a new search.
        if query.is_empty() || ui.reported_query.with_value(|last| *last == query) {
            return;
        }
        let n_hits = hits.with_untracked(Vec::len);
        if let Ok(mut pending) = pending.lock() {
            *pending = Some((query, n_hits));
        }
        let settle = settle.clone();
        timer.start(SEARCH_SETTLE, move || {
            if let Some((query, n_hits)) = settle() {
                report_search(ui, query, n_hits);
            }
        });
    });
    // Leaving the view: for the contact form, the query in the box counts now; otherwise (an
    // article opened before the query settled) it is not a search to report. Either way the
    // timer must not outlive the view.
    on_cleanup(move || {
        timer.cancel();
        let pending = take_pending();
        if ui.view.try_get_untracked() == Some(View::Contact)
            && let Some((query, n_hits)) = pending
        {
            report_search(ui, query, n_hits);
        }
    });
}

/// Reports one search: to the page (`Kefu.on('search')`), to the trail the contact form
/// attaches, and to editors' signals.
fn report_search(ui: Ui, query: String, n_hits: usize) {
    let detail = event_detail(&[
        ("query", query.as_str().into()),
        ("locale", ui.strings().locale.into()),
        ("hits", (n_hits as f64).into()),
    ]);
    ui.trail.update(|trail| trail.add_search(&query));
    let locale = ui.strings().locale.to_owned();
    // A search with hits that the customer leaves without opening one is a miss.
    ui.unanswered
        .set_value((n_hits > 0).then(|| (scrub(&query), locale.clone())));
    ui.signals.record(
        ui,
        Event::Search {
            query: scrub(&query),
            locale,
            hits: n_hits as u32,
        },
    );
    ui.reported_query.set_value(query);
    ui.emit("search", &detail);
}

/// What opening `doc` shows: a flow is walked, anything else read.
pub fn view_for(index: &Index, doc: u32) -> View {
    match index.entry(doc).kind {
        DocKind::Flow => View::Flow(doc),
        DocKind::Article | DocKind::Faq => View::Article(doc),
    }
}

/// A labelled list of answers by title, each a button that calls `open` with its document:
/// the closest articles when nothing matched, other answers under an article, and the contact
/// form's suggestions. `None` when there are no answers, so no empty label is left on screen.
pub fn answer_list(
    label_id: &'static str,
    label: &'static str,
    answers: Vec<(u32, String)>,
    open: impl Fn(u32) + Clone + Send + Sync + 'static,
) -> Option<AnyView> {
    (!answers.is_empty()).then(|| {
        let items: Vec<AnyView> = answers
            .into_iter()
            .map(|(doc, title)| {
                let open = open.clone();
                view! {
                    <li><button type="button" class="kefu-link-button" on:click=move |_| open(doc)>{title}</button></li>
                }
                .into_any()
            })
            .collect();
        view! {
            <p id=label_id>{label}</p>
            <ul class="kefu-channels" aria-labelledby=label_id>{items}</ul>
        }
        .into_any()
    })
}

/// Before the customer types: help for the page they are on, then the common problems (flows).
#[component]
fn Suggestions(index: Arc<Index>) -> impl IntoView {
    let ui = use_context::<Ui>().unwrap_or_else(|| unreachable!("Widget provides Ui"));
    let strings = ui.strings();
    let page = ui.config.with_untracked(|c| c.page.clone());
    let for_page: Vec<u32> = index
        .for_page(&page, strings.locale)
        .into_iter()
        .take(4)
        .collect();
    let flows: Vec<u32> = index
        .flows(strings.locale)
        .into_iter()
        .filter(|doc| !for_page.contains(doc))
        .take(6)
        .collect();
    let list = |docs: Vec<u32>, label_id: &'static str, label: &'static str| {
        (!docs.is_empty()).then(|| {
            let items: Vec<AnyView> = docs
                .into_iter()
                .map(|doc| {
                    let entry = index.entry(doc);
                    let title = entry.title.clone();
                    let target = view_for(&index, doc);
                    let kind = match entry.kind {
                        DocKind::Flow => strings.kind_flow,
                        DocKind::Article => strings.kind_article,
                        DocKind::Faq => strings.kind_faq,
                    };
                    view! {
                        <li>
                            <button type="button" class="kefu-suggestion" on:click=move |_| ui.view.set(target)>
                                <span>{title}</span>
                                <span class="kefu-result-kind">{kind}</span>
                            </button>
                        </li>
                    }
                    .into_any()
                })
                .collect();
            view! {
                <p class="kefu-suggestions-label" id=label_id>{label}</p>
                <ul class="kefu-suggestions" aria-labelledby=label_id>{items}</ul>
            }
        })
    };
    view! {
        {list(for_page, "kefu-page-help", strings.page_help)}
        {list(flows, "kefu-common-problems", strings.common_problems)}
    }
}

/// Nothing matched: say so plainly, offer a corrected query, and the way to a person.
#[component]
fn NoResults(index: Arc<Index>) -> impl IntoView {
    let ui = use_context::<Ui>().unwrap_or_else(|| unreachable!("Widget provides Ui"));
    let strings = ui.strings();
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
        let answers = docs
            .into_iter()
            .map(|ranked| (ranked.doc, index.entry(ranked.doc).title.clone()))
            .collect();
        let open_index = Arc::clone(&index);
        answer_list(
            "kefu-closest-label",
            strings.closest_articles,
            answers,
            move |doc| ui.view.set(view_for(&open_index, doc)),
        )
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
            <EscalationButton/>
            <ContactChannels heading=strings.still_need_help/>
        </div>
    }
}

/// The site's contact channels from its configuration, or a generic line when it has none, with
/// the service hours and when a reply can be expected.
#[component]
pub fn ContactChannels(heading: &'static str) -> impl IntoView {
    let ui = use_context::<Ui>().unwrap_or_else(|| unreachable!("Widget provides Ui"));
    let strings = ui.strings();
    let config = ui.config.get_untracked();
    let has_channel =
        config.contact_email.is_some() || config.contact_phone.is_some() || config.wechat.is_some();
    let hours = config.schedule.map(|hours| {
        let expected = clock::site_now(config.time_zone.as_deref())
            .map(|now| strings.availability(&hours, now))
            .unwrap_or_default();
        view! {
            <p class="kefu-hours">{strings.hours_label}": "{strings.schedule(&hours)}</p>
            {(!expected.is_empty()).then(|| view! { <p class="kefu-hours">{expected}</p> })}
        }
    });
    view! {
        <p>{heading}</p>
        <ul class="kefu-channels">
            {config.contact_email.map(|email| {
                let href = format!("mailto:{email}");
                view! { <li>{strings.contact_email}": "<a href=href>{email}</a></li> }
            })}
            {config.contact_phone.map(|phone| {
                let href = format!("tel:{}", phone.replace(' ', ""));
                view! { <li>{strings.contact_phone}": "<a href=href>{phone}</a></li> }
            })}
            {config.wechat.map(|wechat| view! {
                <li>
                    {strings.contact_wechat}": "{wechat}
                    {config.wechat_qr.map(|src| view! {
                        <img class="kefu-qr" src=src alt=strings.wechat_qr_alt width="120" height="120" loading="lazy"/>
                    })}
                </li>
            })}
            {(!has_channel).then(|| view! { <li>{strings.contact_generic}</li> })}
        </ul>
        {hours}
    }
}

/// "Contact support": opens the contact form, where the site has one.
#[component]
pub fn EscalationButton() -> impl IntoView {
    let ui = use_context::<Ui>().unwrap_or_else(|| unreachable!("Widget provides Ui"));
    ui.can_escalate().then(|| {
        view! {
            <button type="button" class="kefu-button kefu-escalate" on:click=move |_| ui.view.set(View::Contact)>
                {ui.strings().contact_support}
            </button>
        }
    })
}

/// A title or snippet as text nodes with `<mark>` around the matched words: never parsed as
/// HTML.
fn highlighted(text: &str, highlights: &[(u32, u32)]) -> Vec<AnyView> {
    let mut parts = Vec::new();
    let mut at = 0usize;
    for &(start, end) in highlights {
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
    let strings = ui.strings();
    view! {
        <div class="kefu-unavailable" role="alert">
            <h3>{strings.unavailable_title}</h3>
            <ContactChannels heading=strings.unavailable_body/>
            <button type="button" class="kefu-button" on:click=move |_| load_bundle(ui)>{strings.retry}</button>
            <EscalationButton/>
        </div>
    }
}

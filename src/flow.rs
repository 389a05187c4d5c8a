//! Guided troubleshooting in the widget: one node of a flow at a time, over `kefu_core::flow`.
//!
//! The state machine (what a reply does, back, restart, restore, the transcript) is the
//! engine's and tested natively; this draws the current node, turns clicks into replies, keeps
//! the state in `sessionStorage` so a reload or the next page of the site resumes it, and hands
//! the transcript to the contact form on escalation.

use std::sync::Arc;

use kefu_core::flow::{Flow, FlowState, NodeKind, Outcome, TranscriptLabels, render_transcript};
use kefu_core::{Block, Index};
use kefu_protocol::{Event, FlowOutcome};
use leptos::html;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::app::{Ui, View, event_detail, focus_when_mounted};
use crate::article::render_blocks;
use crate::search::{ContactChannels, EscalationButton, ime_key};

const STORAGE_KEY: &str = "kefu.flow.v1";

/// The flow a customer is in: which document, and where in it.
#[derive(Clone, Debug, PartialEq)]
pub struct ActiveFlow {
    pub doc: u32,
    pub state: FlowState,
    /// The customer's 1–5 rating after a solved flow, once given.
    pub rating: Option<u8>,
}

/// What survives a reload in `sessionStorage`: ids, not document numbers, so a newer bundle can
/// be checked against it.
#[derive(Serialize, Deserialize)]
struct Saved {
    id: String,
    locale: String,
    state: FlowState,
    open: bool,
}

/// Starts `flow_id` (`Kefu.startFlow`) in the customer's locale; false when there is no such flow.
pub fn start_flow(ui: Ui, index: &Index, flow_id: &str) -> bool {
    let Some(doc) = index.find(flow_id, ui.strings().locale) else {
        return false;
    };
    let Ok(Some(flow)) = index.flow(doc) else {
        return false;
    };
    ui.flow.set(Some(ActiveFlow {
        doc,
        state: FlowState::new(&flow),
        rating: None,
    }));
    ui.view.set(View::Flow(doc));
    ui.open();
    true
}

/// Writes the current flow (and whether the dialog is open on it) to `sessionStorage`.
pub fn persist(ui: Ui, index: &Index) {
    let Some(storage) = session_storage() else {
        return;
    };
    let Some(active) = ui.flow.get_untracked() else {
        let _ = storage.remove_item(STORAGE_KEY);
        return;
    };
    let entry = index.entry(active.doc);
    let saved = Saved {
        id: entry.id.clone(),
        locale: entry.locale.clone(),
        state: active.state,
        open: ui.open.get_untracked() && ui.view.get_untracked() == View::Flow(active.doc),
    };
    if let Some(text) = crate::wire::to_json(&saved) {
        let _ = storage.set_item(STORAGE_KEY, &text);
    }
}

/// Resumes a flow saved by an earlier page, if it still fits today's bundle; a stale one is
/// dropped quietly (the customer simply starts afresh).
pub fn resume(ui: Ui, index: &Index) {
    let Some(storage) = session_storage() else {
        return;
    };
    let saved: Option<Saved> = storage
        .get_item(STORAGE_KEY)
        .ok()
        .flatten()
        .and_then(|text| js_sys::JSON::parse(&text).ok())
        .and_then(|value| serde_wasm_bindgen::from_value(value).ok());
    let Some(saved) = saved else {
        let _ = storage.remove_item(STORAGE_KEY);
        return;
    };
    let restored = index.find(&saved.id, &saved.locale).and_then(|doc| {
        let flow = index.flow(doc).ok().flatten()?;
        let state = FlowState::restore(saved.state, &flow).ok()?;
        Some(ActiveFlow {
            doc,
            state,
            rating: None,
        })
    });
    match restored {
        Some(active) => {
            let doc = active.doc;
            ui.flow.set(Some(active));
            if saved.open {
                ui.view.set(View::Flow(doc));
                ui.open();
            }
        }
        None => {
            let _ = storage.remove_item(STORAGE_KEY);
        }
    }
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The transcript and collected values in the customer's language, for the contact form.
fn transcript(ui: Ui, flow: &Flow, state: &FlowState, title: &str) -> String {
    let s = ui.strings();
    let labels = TranscriptLabels {
        question: s.tr_question,
        answer: s.tr_answer,
        step: s.tr_step,
        article: s.tr_article,
        fix: s.tr_fix,
        solved: s.tr_solved,
        not_solved: s.tr_not_solved,
        escalated: s.tr_escalated,
        ended: s.tr_ended,
    };
    let mut text = format!(
        "{title}: {}",
        render_transcript(&state.transcript(flow), &labels)
    );
    for (name, value) in state.values(flow) {
        text.push_str(&format!("\n{name}: {value}"));
    }
    text
}

/// The flow `doc`, one node at a time.
#[component]
pub fn FlowView(index: Arc<Index>, doc: u32) -> impl IntoView {
    let ui = use_context::<Ui>().unwrap_or_else(|| unreachable!("Widget provides Ui"));
    let strings = ui.strings();
    let title = index.entry(doc).title.clone();
    let flow = match index.flow(doc) {
        Ok(Some(flow)) => Arc::new(flow),
        _ => {
            web_sys::console::error_1(
                &format!("[kefu] document {doc} is not a readable flow").into(),
            );
            return view! { <p role="alert">{strings.unavailable_title}</p> }.into_any();
        }
    };
    // Opening a flow from the results starts it, unless the customer is already in it.
    if ui
        .flow
        .with_untracked(|f| f.as_ref().is_none_or(|f| f.doc != doc))
    {
        ui.flow.set(Some(ActiveFlow {
            doc,
            state: FlowState::new(&flow),
            rating: None,
        }));
    }
    let heading = NodeRef::<html::H3>::new();
    focus_when_mounted(heading);
    ui.unanswered.set_value(None);

    // Every change of state moves focus to the flow's heading, so keyboard and screen-reader users
    // land on the new node (read out through the live region below it).
    Effect::new(move |_| {
        ui.flow.track();
        if let Some(heading) = heading.get_untracked() {
            let _ = heading.focus();
        }
    });

    // Applies a reply (or back, restart) to the state; when it ends the flow, tells the page.
    let update = {
        let flow = Arc::clone(&flow);
        let id = index.entry(doc).id.clone();
        move |change: &dyn Fn(&mut FlowState, &Flow) -> bool| {
            let mut changed = false;
            let mut ended = None;
            // A refused reply changes nothing: the node stays drawn, with its error message.
            ui.flow.maybe_update(|active| {
                if let Some(active) = active.as_mut().filter(|a| a.doc == doc) {
                    let before = active.state.outcome(&flow).ok().flatten();
                    changed = change(&mut active.state, &flow);
                    let after = active.state.outcome(&flow).ok().flatten();
                    if before.is_none() {
                        let last_node = active.state.path.last().map(|(node, _)| node.clone());
                        ended = after.map(|outcome| (outcome, last_node.unwrap_or_default()));
                    }
                }
                changed
            });
            if let Some((outcome, last_node)) = ended {
                report_outcome(ui, &id, outcome, None, &last_node);
            }
            changed
        }
    };

    let leave = {
        let flow = Arc::clone(&flow);
        let id = index.entry(doc).id.clone();
        move || {
            if let Some(active) = ui.flow.get_untracked() {
                let outcome = active.state.leave(&flow);
                if outcome == Outcome::Abandoned {
                    let last_node = match active.state.current(&flow) {
                        Ok(Some(node)) => node.id.clone(),
                        _ => String::new(),
                    };
                    report_outcome(ui, &id, outcome, None, &last_node);
                }
            }
            ui.flow.set(None);
            ui.view.set(View::Search);
        }
    };

    let body = {
        let flow = Arc::clone(&flow);
        let index = Arc::clone(&index);
        let title = title.clone();
        let update = update.clone();
        move || {
            let active = ui.flow.get().filter(|a| a.doc == doc)?;
            Some(node_view(
                ui,
                &index,
                doc,
                &flow,
                &active,
                &title,
                update.clone(),
            ))
        }
    };
    let progress = {
        let flow = Arc::clone(&flow);
        move || {
            let active = ui.flow.get().filter(|a| a.doc == doc)?;
            let progress = active.state.progress(&flow).ok()?;
            (progress.most_remaining > 0).then(|| {
                let total_low = progress.step + progress.fewest_remaining;
                let total_high = progress.step + progress.most_remaining;
                strings.flow_progress(progress.step, total_low, total_high)
            })
        }
    };
    let can_go_back = move || {
        ui.flow
            .with(|f| f.as_ref().is_some_and(|a| !a.state.path.is_empty()))
    };
    let back = update.clone();
    let restart = update;

    view! {
        <div class="kefu-flow">
            <button type="button" class="kefu-back" on:click=move |_| leave()>
                <span aria-hidden="true">"← "</span>{strings.flow_leave}
            </button>
            <p class="kefu-flow-kicker">{strings.kind_flow}" · "{title.clone()}</p>
            <h3 class="kefu-visually-hidden" tabindex="-1" node_ref=heading>{title.clone()}</h3>
            <p class="kefu-muted kefu-flow-progress">{progress}</p>
            <div class="kefu-flow-node" aria-live="polite">{body}</div>
            <div class="kefu-flow-nav">
                <Show when=can_go_back>
                    <button type="button" class="kefu-button-secondary" on:click={
                        let back = back.clone();
                        move |_| { back(&|state, _| state.back()); }
                    }>{strings.flow_back}</button>
                    <button type="button" class="kefu-button-secondary" on:click={
                        let restart = restart.clone();
                        move |_| { restart(&|state, _| { state.restart(); true }); }
                    }>{strings.flow_restart}</button>
                </Show>
            </div>
        </div>
    }
    .into_any()
}

fn node_view<U>(
    ui: Ui,
    index: &Arc<Index>,
    doc: u32,
    flow: &Arc<Flow>,
    active: &ActiveFlow,
    title: &str,
    update: U,
) -> AnyView
where
    U: Fn(&dyn Fn(&mut FlowState, &Flow) -> bool) -> bool + Clone + Send + Sync + 'static,
{
    let strings = ui.strings();
    let id = index.entry(doc).id.clone();
    let link_index = Arc::clone(index);
    let locale = strings.locale;
    let open_link = move |target: &str| {
        if let Some(target) = link_index.find(target, locale) {
            ui.view.set(View::Article(target));
        }
    };
    let flow_locale = index.entry(doc).locale.clone();
    let blocks = |blocks: &[Block]| render_blocks(blocks, ui, &flow_locale, &open_link);
    let node = match active.state.current(flow) {
        Ok(Some(node)) => node,
        Ok(None) => return solved_view(ui, doc, id, active.rating),
        Err(_) => {
            return view! { <p role="alert">{strings.unavailable_title}</p> }.into_any();
        }
    };
    match &node.kind {
        NodeKind::Question { prompt, answers } => {
            let buttons: Vec<AnyView> = answers
                .iter()
                .enumerate()
                .map(|(number, answer)| {
                    let update = update.clone();
                    let label = answer.label.clone();
                    let note = answer.note.clone();
                    view! {
                        <li>
                            <button type="button" class="kefu-answer" on:click=move |_| {
                                update(&|state, flow| state.choose(flow, number as u32).is_ok());
                            }>
                                <span class="kefu-answer-label">{label}</span>
                                {note.map(|note| view! { <span class="kefu-answer-note">{note}</span> })}
                            </button>
                        </li>
                    }
                    .into_any()
                })
                .collect();
            view! {
                <p class="kefu-flow-prompt" id="kefu-flow-prompt">{prompt.clone()}</p>
                <ul class="kefu-answers" aria-labelledby="kefu-flow-prompt">{buttons}</ul>
            }
            .into_any()
        }
        NodeKind::Collect { prompt, pattern_hint, .. } => {
            let value = RwSignal::new(String::new());
            let problem = RwSignal::new(None::<String>);
            let hint = pattern_hint.clone();
            let submit = move |event: web_sys::SubmitEvent| {
                event.prevent_default();
                let given = value.get_untracked();
                let error = std::cell::Cell::new(None);
                update(&|state, flow| match state.submit(flow, &given) {
                    Ok(()) => true,
                    Err(kefu_core::flow::FlowError::Value { error: e, .. }) => {
                        error.set(Some(matches!(e, kefu_core::flow::CollectError::Empty)));
                        false
                    }
                    Err(_) => false,
                });
                // Not accepted: say why, in the customer's language or the editor's own hint.
                problem.set(error.get().map(|empty| {
                    if empty {
                        strings.value_empty.to_owned()
                    } else {
                        hint.clone().unwrap_or_else(|| strings.value_invalid.to_owned())
                    }
                }));
            };
            view! {
                <form class="kefu-form" novalidate on:submit=submit>
                    <div class="kefu-field">
                        <label for="kefu-flow-value" class="kefu-flow-prompt">{prompt.clone()}</label>
                        <input id="kefu-flow-value" type="text" autocomplete="off"
                            aria-invalid=move || problem.with(Option::is_some).to_string()
                            aria-describedby="kefu-flow-value-error"
                            prop:value=move || value.get()
                            on:input=move |e| value.set(event_target_value(&e))
                            on:keydown=move |e: web_sys::KeyboardEvent| {
                                // Enter that commits an IME composition is not "continue".
                                if ime_key(&e) { e.stop_propagation(); }
                            }/>
                        <span class="kefu-error" id="kefu-flow-value-error">{move || problem.get()}</span>
                    </div>
                    <button type="submit" class="kefu-button">{strings.continue_label}</button>
                </form>
            }
            .into_any()
        }
        NodeKind::Step { text, image, .. } => view! {
            <div class="kefu-flow-text">{blocks(text)}</div>
            {image.clone().map(|image| view! { <img class="kefu-flow-image" src=image.src alt=image.alt loading="lazy"/> })}
            <button type="button" class="kefu-button" on:click=move |_| { update(&|state, flow| state.next(flow).is_ok()); }>
                {strings.step_done}
            </button>
        }
        .into_any(),
        NodeKind::Solution { text, image, .. } => {
            let no = update.clone();
            view! {
                <div class="kefu-flow-text">{blocks(text)}</div>
                {image.clone().map(|image| view! { <img class="kefu-flow-image" src=image.src alt=image.alt loading="lazy"/> })}
                <div class="kefu-helpful" role="group" aria-labelledby="kefu-flow-solved">
                    <p id="kefu-flow-solved">{strings.did_it_solve}</p>
                    <div class="kefu-helpful-buttons">
                        <button type="button" class="kefu-button-secondary" on:click=move |_| { update(&|state, flow| state.solved(flow, true).is_ok()); }>{strings.solved_yes}</button>
                        <button type="button" class="kefu-button-secondary" on:click=move |_| { no(&|state, flow| state.solved(flow, false).is_ok()); }>{strings.solved_no}</button>
                    </div>
                </div>
            }
            .into_any()
        }
        NodeKind::Article { article, .. } => {
            let shown = index
                .find(article, locale)
                .and_then(|target| index.document(target).ok());
            view! {
                {shown.map(|document| view! {
                    <article class="kefu-article" aria-labelledby="kefu-flow-article-title" lang=document.locale.clone()>
                        <h4 id="kefu-flow-article-title">{document.title.clone()}</h4>
                        {blocks(&document.body)}
                    </article>
                })}
                <button type="button" class="kefu-button" on:click=move |_| { update(&|state, flow| state.next(flow).is_ok()); }>
                    {strings.continue_label}
                </button>
            }
            .into_any()
        }
        NodeKind::Escalate { text } => {
            // Hand over what the customer did, so the agent sees it and they need not repeat it.
            let handover = transcript(ui, flow, &active.state, title);
            ui.trail.update(|trail| trail.transcript = Some(handover));
            view! {
                <div class="kefu-flow-text">{blocks(text)}</div>
                <EscalationButton/>
                <ContactChannels heading=strings.other_channels/>
            }
            .into_any()
        }
        NodeKind::End { text } => {
            view! {
                <div class="kefu-flow-text">{blocks(text)}</div>
                <button type="button" class="kefu-button" on:click=move |_| { ui.flow.set(None); ui.view.set(View::Search); }>
                    {strings.back_to_help}
                </button>
            }
            .into_any()
        }
    }
}

/// After "yes, solved": thanks, and an optional 1–5 rating.
fn solved_view(ui: Ui, doc: u32, id: String, rating: Option<u8>) -> AnyView {
    let strings = ui.strings();
    let stars: Vec<AnyView> = (1..=5u8)
        .map(|stars| {
            let id = id.clone();
            let label = strings.rate_label.replace("{n}", &stars.to_string());
            view! {
                <button type="button" class="kefu-star" aria-label=label
                    aria-pressed=move || (rating == Some(stars)).to_string()
                    on:click=move |_| {
                        ui.flow.update(|f| if let Some(f) = f.as_mut().filter(|f| f.doc == doc) { f.rating = Some(stars); });
                        report_outcome(ui, &id, Outcome::Solved, Some(stars), "");
                    }>
                    {stars.to_string()}
                </button>
            }
            .into_any()
        })
        .collect();
    view! {
        <p class="kefu-sent" role="status">{strings.flow_solved}</p>
        {match rating {
            None => view! {
                <div class="kefu-rating" role="group" aria-labelledby="kefu-rate-prompt">
                    <p id="kefu-rate-prompt">{strings.rate_prompt}</p>
                    <div class="kefu-helpful-buttons">{stars}</div>
                </div>
            }
            .into_any(),
            Some(_) => view! { <p role="status">{strings.rated_thanks}</p> }.into_any(),
        }}
        <button type="button" class="kefu-button" on:click=move |_| { ui.flow.set(None); ui.view.set(View::Search); }>
            {strings.back_to_help}
        </button>
    }
    .into_any()
}

/// `Kefu.on('flow-complete')`: `{ id, outcome, rating? }`; and, once per flow, the outcome for
/// editors (`kefu report`: where people abandon or escalate).
fn report_outcome(ui: Ui, id: &str, outcome: Outcome, rating: Option<u8>, last_node: &str) {
    let mut fields = vec![("id", id.into()), ("outcome", outcome.as_str().into())];
    if let Some(rating) = rating {
        fields.push(("rating", f64::from(rating).into()));
    }
    ui.emit("flow-complete", &event_detail(&fields));
    let wire = match outcome {
        Outcome::Solved => Some(FlowOutcome::Solved),
        Outcome::Escalated => Some(FlowOutcome::Escalated),
        Outcome::Abandoned => Some(FlowOutcome::Abandoned),
        Outcome::Ended => None,
    };
    if let Some(outcome) = wire.filter(|_| rating.is_none()) {
        ui.signals.record(
            ui,
            Event::FlowOutcome {
                flow_id: id.to_owned(),
                outcome,
                last_node: last_node.to_owned(),
            },
        );
    }
}

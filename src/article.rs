//! Reading an article inside the widget: the block tree from the bundle rendered as DOM nodes.

use std::sync::Arc;

use kefu_core::{Align, Block, CalloutKind, Index, Inline};
use leptos::html;
use leptos::prelude::*;

use crate::app::{Ui, View, event_detail, focus_when_mounted};
use crate::search::EscalationButton;
use kefu_core::SearchOptions;
use kefu_protocol::{COMMENT_MAX_CHARS, Event, Reason, VoteTarget};

/// One article with a way back to the results.
#[component]
pub fn ArticleView(index: Arc<Index>, doc: u32) -> impl IntoView {
    let ui = use_context::<Ui>().unwrap_or_else(|| unreachable!("Widget provides Ui"));
    let heading = NodeRef::<html::H3>::new();
    focus_when_mounted(heading);
    let document = index.document(doc);
    let locale = ui.strings().locale;
    // Opened from the contact form's suggestions: back leads to the form, kept as it was left.
    let from_form = ui.from_form.get_untracked();
    let back = move |_| {
        ui.view.set(if from_form {
            View::Contact
        } else {
            View::Search
        });
    };
    let back_label = if from_form {
        ui.strings().back_to_form
    } else {
        ui.strings().back
    };

    let content = match document {
        Ok(document) => {
            ui.trail
                .update(|trail| trail.add_article(&document.id, &document.title));
            ui.unanswered.set_value(None);
            ui.emit(
                "article-view",
                &event_detail(&[
                    ("id", document.id.as_str().into()),
                    ("kind", document.kind.as_str().into()),
                    ("locale", document.locale.as_str().into()),
                    ("title", document.title.as_str().into()),
                ]),
            );
            let link_index = Arc::clone(&index);
            let open_link = move |id: &str| {
                if let Some(target) = link_index.find(id, locale) {
                    ui.view.set(View::Article(target));
                }
            };
            let context = BlockContext {
                asset_base: ui
                    .config
                    .with_untracked(|config| asset_base(&config.kb_url)),
                locale: document.locale.clone(),
            };
            let blocks: Vec<AnyView> = document
                .body
                .iter()
                .map(|b| render_block(b, &context, &open_link))
                .collect();
            view! {
                <article class="kefu-article" aria-labelledby="kefu-article-title" lang=document.locale.clone()>
                    <h3 id="kefu-article-title" tabindex="-1" node_ref=heading>{document.title.clone()}</h3>
                    {blocks}
                </article>
            }
            .into_any()
        }
        Err(error) => {
            web_sys::console::error_1(
                &format!("[kefu] could not read this article: {error}").into(),
            );
            view! { <p role="alert">{ui.strings().unavailable_title}</p> }.into_any()
        }
    };
    view! {
        <div class="kefu-article-view">
            <button type="button" class="kefu-back" on:click=back>
                <span aria-hidden="true">"← "</span>{back_label}
            </button>
            {content}
            <Helpful index=Arc::clone(&index) doc=doc/>
        </div>
    }
}

/// "Did this answer your question?" after every article: yes → thanks; no → one tap on a reason
/// and an optional line, then other answers that may help and the way to a person. The reason goes
/// to editors (`kefu report`) and with any ticket that follows.
#[component]
fn Helpful(index: Arc<Index>, doc: u32) -> impl IntoView {
    let ui = use_context::<Ui>().unwrap_or_else(|| unreachable!("Widget provides Ui"));
    let strings = ui.strings();
    let entry = index.entry(doc).clone();
    let id = entry.id.clone();
    // None: not answered; Some(true): helpful; Some(false): not, reason being chosen; then sent.
    let answer = RwSignal::new(None::<bool>);
    let reason = RwSignal::new(None::<Reason>);
    let comment = RwSignal::new(String::new());
    let sent = RwSignal::new(false);
    let record = {
        let id = id.clone();
        move |helpful: bool, reason: Option<Reason>, comment: Option<String>| {
            ui.signals.record(
                ui,
                Event::Helpful {
                    target: VoteTarget::Article,
                    id: id.clone(),
                    locale: strings.locale.to_owned(),
                    helpful,
                    reason,
                    comment,
                },
            );
        }
    };
    let yes = {
        let record = record.clone();
        move |_| {
            answer.set(Some(true));
            record(true, None, None);
        }
    };
    let send_reason = {
        let id = id.clone();
        let title = entry.title.clone();
        move |event: web_sys::SubmitEvent| {
            event.prevent_default();
            let chosen = reason.get_untracked();
            let text = Some(comment.get_untracked().trim().to_owned()).filter(|c| !c.is_empty());
            record(false, chosen, text.clone());
            ui.trail
                .update(|trail| trail.add_not_helpful(&id, &title, chosen, text));
            sent.set(true);
        }
    };
    let others_index = Arc::clone(&index);
    let others_title = entry.title.clone();
    let reasons: [(Reason, &'static str); 4] = [
        (Reason::DidntAnswer, strings.reason_didnt_answer),
        (Reason::StepsFailed, strings.reason_steps_failed),
        (Reason::HardToUnderstand, strings.reason_hard),
        (Reason::OutOfDate, strings.reason_out_of_date),
    ];
    view! {
        <div class="kefu-helpful" role="group" aria-labelledby="kefu-helpful-question">
            {move || match (answer.get(), sent.get()) {
                (None, _) => view! {
                    <p id="kefu-helpful-question">{strings.was_helpful}</p>
                    <div class="kefu-helpful-buttons">
                        <button type="button" class="kefu-button-secondary" on:click=yes.clone()>{strings.yes}</button>
                        <button type="button" class="kefu-button-secondary" on:click=move |_| answer.set(Some(false))>{strings.no}</button>
                    </div>
                }
                .into_any(),
                (Some(true), _) => view! { <p id="kefu-helpful-question" role="status">{strings.thanks_helpful}</p> }.into_any(),
                (Some(false), false) => {
                    let buttons: Vec<AnyView> = reasons
                        .iter()
                        .map(|&(code, label)| view! {
                            <button type="button" class="kefu-button-secondary"
                                aria-pressed=move || (reason.get() == Some(code)).to_string()
                                on:click=move |_| reason.set(Some(code))>{label}</button>
                        }.into_any())
                        .collect();
                    view! {
                        <form class="kefu-form" on:submit=send_reason.clone()>
                            <p id="kefu-helpful-question">{strings.why_not_helpful}</p>
                            <div class="kefu-helpful-buttons kefu-reasons">{buttons}</div>
                            <div class="kefu-field">
                                <label for="kefu-helpful-comment">{strings.comment_label}</label>
                                <input id="kefu-helpful-comment" type="text" maxlength=COMMENT_MAX_CHARS.to_string()
                                    prop:value=move || comment.get() on:input=move |e| comment.set(event_target_value(&e))/>
                            </div>
                            <button type="submit" class="kefu-button">{strings.send_feedback}</button>
                        </form>
                        // Feedback is a favour, never a toll: the way to a person is right here.
                        <EscalationButton/>
                    }
                    .into_any()
                }
                (Some(false), true) => view! {
                    <p id="kefu-helpful-question" role="status">{strings.sorry_not_helpful}</p>
                    {other_answers(ui, &others_index, doc, &others_title)}
                    <EscalationButton/>
                }
                .into_any(),
            }}
        </div>
    }
}

/// Other answers to the question an unhelpful article was about: its title searched, itself left
/// out; at most three, as buttons that open them.
fn other_answers(ui: Ui, index: &Arc<Index>, doc: u32, title: &str) -> Option<AnyView> {
    let strings = ui.strings();
    let options = SearchOptions {
        locale: Some(strings.locale.to_owned()),
        limit: 4,
    };
    let answers = index
        .rank(title, &options)
        .into_iter()
        .filter(|hit| hit.doc != doc)
        .take(3)
        .map(|hit| (hit.doc, index.entry(hit.doc).title.clone()))
        .collect();
    let open_index = Arc::clone(index);
    crate::search::answer_list(
        "kefu-other-answers",
        strings.other_answers,
        answers,
        move |doc| ui.view.set(crate::search::view_for(&open_index, doc)),
    )
}

/// What rendering a block needs beyond the block: where images live and the article's locale.
struct BlockContext {
    /// The bundle's URL up to its last `/`: image URLs in the bundle are relative to it.
    asset_base: String,
    /// The article's locale, for callout labels in the language of the text around them.
    locale: String,
}

/// The directory of the bundle's absolute URL, which relative image URLs (`kb-assets/<hash>.svg`)
/// are resolved against, exactly as a browser resolves them against the bundle's URL. The
/// compiler only ever writes `kb-assets/<name>` (no `..`, no leading `/`, no scheme), so
/// appending to the directory is the whole of URL resolution here.
fn asset_base(kb_url: &str) -> String {
    let without_query = kb_url.split(['?', '#']).next().unwrap_or_default();
    match without_query.rfind('/') {
        Some(slash) => without_query[..=slash].to_owned(),
        None => String::new(),
    }
}

/// The label of a callout, read out by screen readers and shown above it, in the language of
/// the article around it.
fn callout_label(kind: CalloutKind, locale: &str) -> &'static str {
    let strings = crate::i18n::negotiate(Some(locale), &[]);
    match kind {
        CalloutKind::Tip => strings.callout_tip,
        CalloutKind::Note => strings.callout_note,
        CalloutKind::Warning => strings.callout_warning,
        CalloutKind::Important => strings.callout_important,
    }
}

/// The class that aligns a table column: classes rather than `style=`, which strict CSPs block.
fn align_class(align: Option<&Align>) -> &'static str {
    match align {
        Some(Align::Center) => "kefu-align-center",
        Some(Align::Right) => "kefu-align-right",
        Some(Align::Left | Align::None) | None => "",
    }
}

/// A block tree as DOM nodes, for the text of flow steps and fixes (`locale` is the flow's).
pub(crate) fn render_blocks<F>(
    blocks: &[Block],
    ui: Ui,
    locale: &str,
    open_link: &F,
) -> Vec<AnyView>
where
    F: Fn(&str) + Clone + Send + Sync + 'static,
{
    let context = BlockContext {
        asset_base: ui
            .config
            .with_untracked(|config| asset_base(&config.kb_url)),
        locale: locale.to_owned(),
    };
    blocks
        .iter()
        .map(|b| render_block(b, &context, open_link))
        .collect()
}

fn render_block<F>(block: &Block, context: &BlockContext, open_link: &F) -> AnyView
where
    F: Fn(&str) + Clone + Send + Sync + 'static,
{
    match block {
        // Article headings sit below the article title (h3), so `##` becomes h4 and so on.
        Block::Heading { level, text } => {
            let inlines = render_inlines(text, open_link);
            match level {
                0..=2 => view! { <h4>{inlines}</h4> }.into_any(),
                3 => view! { <h5>{inlines}</h5> }.into_any(),
                _ => view! { <h6>{inlines}</h6> }.into_any(),
            }
        }
        Block::Paragraph(text) => view! { <p>{render_inlines(text, open_link)}</p> }.into_any(),
        Block::List { ordered, items } => {
            let items: Vec<AnyView> = items
                .iter()
                .map(|item| {
                    let blocks: Vec<AnyView> = item
                        .iter()
                        .map(|b| render_block(b, context, open_link))
                        .collect();
                    view! { <li>{blocks}</li> }.into_any()
                })
                .collect();
            if *ordered {
                view! { <ol>{items}</ol> }.into_any()
            } else {
                view! { <ul>{items}</ul> }.into_any()
            }
        }
        Block::Quote(blocks) => {
            let blocks: Vec<AnyView> = blocks
                .iter()
                .map(|b| render_block(b, context, open_link))
                .collect();
            view! { <blockquote>{blocks}</blockquote> }.into_any()
        }
        Block::Code(code) => view! { <pre><code>{code.clone()}</code></pre> }.into_any(),
        Block::Table { head, rows, align } => {
            let head: Vec<AnyView> = head
                .iter()
                .enumerate()
                .map(|(column, cell)| {
                    view! {
                        <th scope="col" class=align_class(align.get(column))>
                            {render_inlines(cell, open_link)}
                        </th>
                    }
                    .into_any()
                })
                .collect();
            let rows: Vec<AnyView> = rows
                .iter()
                .map(|row| {
                    let cells: Vec<AnyView> = row
                        .iter()
                        .enumerate()
                        .map(|(column, cell)| {
                            view! {
                                <td class=align_class(align.get(column))>
                                    {render_inlines(cell, open_link)}
                                </td>
                            }
                            .into_any()
                        })
                        .collect();
                    view! { <tr>{cells}</tr> }.into_any()
                })
                .collect();
            // The wrapper scrolls a wide table sideways on a phone instead of widening the panel.
            view! {
                <div class="kefu-table-scroll">
                    <table class="kefu-table">
                        <thead><tr>{head}</tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }
            .into_any()
        }
        Block::Callout { kind, blocks } => {
            let label = callout_label(*kind, &context.locale);
            let class = match kind {
                CalloutKind::Tip => "kefu-callout kefu-callout-tip",
                CalloutKind::Note => "kefu-callout kefu-callout-note",
                CalloutKind::Warning => "kefu-callout kefu-callout-warning",
                CalloutKind::Important => "kefu-callout kefu-callout-important",
            };
            let blocks: Vec<AnyView> = blocks
                .iter()
                .map(|b| render_block(b, context, open_link))
                .collect();
            // The aside is named by its label; the visible label repeats it, so it is hidden
            // from screen readers rather than read twice.
            view! {
                <aside class=class role="note" aria-label=label>
                    <p class="kefu-callout-label" aria-hidden="true">{label}</p>
                    {blocks}
                </aside>
            }
            .into_any()
        }
        Block::Image {
            src,
            alt,
            width,
            height,
        } => {
            let url = format!("{}{src}", context.asset_base);
            // Explicit width and height reserve the space before the picture arrives, so the text
            // does not jump; CSS scales it down to the panel's width keeping the ratio.
            view! {
                <img
                    class="kefu-image"
                    src=url
                    alt=alt.clone()
                    width=width.to_string()
                    height=height.to_string()
                    loading="lazy"
                    decoding="async"
                />
            }
            .into_any()
        }
    }
}

fn render_inlines<F>(inlines: &[Inline], open_link: &F) -> Vec<AnyView>
where
    F: Fn(&str) + Clone + Send + Sync + 'static,
{
    inlines
        .iter()
        .map(|inline| match inline {
            Inline::Text(text) => text.clone().into_any(),
            Inline::Strong(inner) => view! { <strong>{render_inlines(inner, open_link)}</strong> }.into_any(),
            Inline::Emphasis(inner) => view! { <em>{render_inlines(inner, open_link)}</em> }.into_any(),
            Inline::Code(code) => view! { <code>{code.clone()}</code> }.into_any(),
            Inline::LineBreak => view! { <br/> }.into_any(),
            Inline::ArticleLink { text, id } => {
                let open_link = open_link.clone();
                let id = id.clone();
                let href = format!("#kefu-article-{id}");
                view! {
                    <a
                        href=href
                        on:click=move |event| {
                            event.prevent_default();
                            open_link(&id);
                        }
                    >
                        {render_inlines(text, &open_link.clone())}
                    </a>
                }
                .into_any()
            }
            Inline::Link { text, url } => view! {
                <a href=url.clone() target="_blank" rel="noopener noreferrer">{render_inlines(text, open_link)}</a>
            }
            .into_any(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_resolve_against_the_bundle_url() {
        assert_eq!(
            asset_base("https://shop.example/kefu/kb-0e01c79d03.bin"),
            "https://shop.example/kefu/"
        );
        assert_eq!(
            asset_base("http://127.0.0.1:8081/kb.bin?v=2#x"),
            "http://127.0.0.1:8081/"
        );
    }

    #[test]
    fn callout_labels_follow_the_article() {
        assert_eq!(callout_label(CalloutKind::Warning, "zh-TW"), "警告");
        assert_eq!(callout_label(CalloutKind::Tip, "en"), "Tip");
    }
}

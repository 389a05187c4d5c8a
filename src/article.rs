//! Reading an article inside the widget: the block tree from the bundle rendered as DOM nodes.

use std::sync::Arc;

use kefu_core::{Block, Index, Inline};
use leptos::html;
use leptos::prelude::*;

use crate::app::{Ui, View, event_detail, focus_when_mounted};
use crate::search::EscalationButton;
use kefu_protocol::{Event, VoteTarget};

/// One article with a way back to the results.
#[component]
pub fn ArticleView(index: Arc<Index>, doc: u32) -> impl IntoView {
    let ui = use_context::<Ui>().unwrap_or_else(|| unreachable!("Widget provides Ui"));
    let heading = NodeRef::<html::H3>::new();
    focus_when_mounted(heading);
    let document = index.document(doc);
    let locale = ui.strings().locale;
    let back = move |_| ui.view.set(View::Search);

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
            let blocks: Vec<AnyView> = document
                .body
                .iter()
                .map(|b| render_block(b, &open_link))
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
                <span aria-hidden="true">"← "</span>{ui.strings().back}
            </button>
            {content}
            <Helpful id=index.entry(doc).id.clone()/>
        </div>
    }
}

/// "Did this answer your question?" after every article: yes → thanks; no → the way to a person.
#[component]
fn Helpful(id: String) -> impl IntoView {
    let ui = use_context::<Ui>().unwrap_or_else(|| unreachable!("Widget provides Ui"));
    let strings = ui.strings();
    let answer = RwSignal::new(None::<bool>);
    let vote = move |helpful: bool| {
        answer.set(Some(helpful));
        ui.signals.record(
            ui,
            Event::Helpful {
                target: VoteTarget::Article,
                id: id.clone(),
                locale: strings.locale.to_owned(),
                helpful,
                reason: None,
                comment: None,
            },
        );
    };
    let vote_no = vote.clone();
    view! {
        <div class="kefu-helpful" role="group" aria-labelledby="kefu-helpful-question">
            {move || match answer.get() {
                None => view! {
                    <p id="kefu-helpful-question">{strings.was_helpful}</p>
                    <div class="kefu-helpful-buttons">
                        <button type="button" class="kefu-button-secondary" on:click={let vote = vote.clone(); move |_| vote(true)}>{strings.yes}</button>
                        <button type="button" class="kefu-button-secondary" on:click={let vote = vote_no.clone(); move |_| vote(false)}>{strings.no}</button>
                    </div>
                }
                .into_any(),
                Some(true) => view! { <p id="kefu-helpful-question" role="status">{strings.thanks_helpful}</p> }.into_any(),
                Some(false) => view! {
                    <p id="kefu-helpful-question" role="status">{strings.sorry_not_helpful}</p>
                    <EscalationButton/>
                }
                .into_any(),
            }}
        </div>
    }
}

/// A block tree as DOM nodes; `open_link` follows `article:` links. Also used for the text of
/// flow steps and fixes.
pub(crate) fn render_blocks<F>(blocks: &[Block], open_link: &F) -> Vec<AnyView>
where
    F: Fn(&str) + Clone + Send + Sync + 'static,
{
    blocks.iter().map(|b| render_block(b, open_link)).collect()
}

fn render_block<F>(block: &Block, open_link: &F) -> AnyView
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
                    let blocks: Vec<AnyView> =
                        item.iter().map(|b| render_block(b, open_link)).collect();
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
            let blocks: Vec<AnyView> = blocks.iter().map(|b| render_block(b, open_link)).collect();
            view! { <blockquote>{blocks}</blockquote> }.into_any()
        }
        Block::Code(code) => view! { <pre><code>{code.clone()}</code></pre> }.into_any(),
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

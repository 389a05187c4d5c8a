//! The contact form: when self-service did not help, the customer writes to a person, with what
//! they already tried attached (and shown to them first, each item removable), so they never have
//! to repeat themselves. Sending goes through the offline outbox.

use kefu_core::SearchOptions;
use kefu_protocol::{
    MESSAGE_MAX_CHARS, NAME_MAX_CHARS, SUBJECT_MAX_CHARS, TicketContext, TicketRequest,
};
use leptos::html;
use leptos::prelude::*;

use crate::app::{Draft, Ui, View, focus_when_mounted};
use crate::outbox::{Outcome, new_key};
use crate::search::ContactChannels;
use crate::timer::Timer;

/// One piece of context the customer can see and remove before sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Item {
    Searches,
    Articles,
    NotHelpful,
    Flow,
    Page,
    Technical,
}

/// The form's fields, validated together on submit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Problems {
    contact: Option<&'static str>,
    message: Option<&'static str>,
    consent: Option<&'static str>,
}

impl Problems {
    fn any(&self) -> bool {
        self.contact.is_some() || self.message.is_some() || self.consent.is_some()
    }
}

#[component]
pub fn ContactView() -> impl IntoView {
    let ui = use_context::<Ui>().unwrap_or_else(|| unreachable!("Widget provides Ui"));
    let strings = ui.strings();
    let config = ui.config.get_untracked();
    let identity = ui.identity.get_untracked();
    let heading = NodeRef::<html::H3>::new();
    focus_when_mounted(heading);
    ui.record_miss();

    // The form as the customer left it (after reading a suggested article), or a fresh one with
    // what the site told us about them.
    let mut draft = ui.draft.get_untracked();
    if !draft.started {
        draft = Draft {
            started: true,
            name: identity.name.clone().unwrap_or_default(),
            contact: identity
                .email
                .clone()
                .or(identity.phone.clone())
                .unwrap_or_default(),
            ..draft
        };
    }
    let name = RwSignal::new(draft.name);
    let contact = RwSignal::new(draft.contact);
    let category = RwSignal::new(draft.category);
    let subject = RwSignal::new(draft.subject);
    let message = RwSignal::new(draft.message);
    let consent = RwSignal::new(false);
    let honeypot = RwSignal::new(String::new());
    let removed = RwSignal::new(Vec::<Item>::new());
    let problems = RwSignal::new(Problems::default());
    // The idempotency key of the ticket sent from this form, once it is sent.
    let sent_key = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        ui.draft.set(Draft {
            started: true,
            name: name.get(),
            contact: contact.get(),
            category: category.get(),
            subject: subject.get(),
            message: message.get(),
        })
    });

    let contact_input = NodeRef::<html::Input>::new();
    let message_input = NodeRef::<html::Textarea>::new();
    let consent_input = NodeRef::<html::Input>::new();

    let trail = ui.trail.get_untracked();
    let items: Vec<(Item, String, String)> = [
        (!trail.searches.is_empty()).then(|| {
            (
                Item::Searches,
                strings.context_searches,
                trail.searches.join(" · "),
            )
        }),
        (!trail.articles.is_empty()).then(|| {
            let titles: Vec<&str> = trail
                .articles
                .iter()
                .map(|(_, title)| title.as_str())
                .collect();
            (Item::Articles, strings.context_articles, titles.join(" · "))
        }),
        (!trail.not_helpful.is_empty()).then(|| {
            let lines: Vec<String> = trail
                .not_helpful
                .iter()
                .map(|(_, title, reason, comment)| {
                    let mut line = title.clone();
                    if let Some(reason) = reason {
                        line.push_str(&format!(" — {}", strings.reason_label(*reason)));
                    }
                    if let Some(comment) = comment {
                        line.push_str(&format!(": “{comment}”"));
                    }
                    line
                })
                .collect();
            (
                Item::NotHelpful,
                strings.context_not_helpful,
                lines.join(" · "),
            )
        }),
        trail
            .transcript
            .clone()
            .map(|transcript| (Item::Flow, strings.context_flow, transcript)),
        Some((Item::Page, strings.context_page, page_url())),
        Some((
            Item::Technical,
            strings.context_technical,
            format!("{} · Kefu {}", user_agent(), config.version),
        )),
    ]
    .into_iter()
    .flatten()
    .map(|(item, label, value)| (item, label.to_owned(), value))
    .collect();

    let requires_consent = config
        .consent
        .clone()
        .filter(|text| !text.trim().is_empty());
    let needs_consent = requires_consent.is_some();
    let submit = move |event: web_sys::SubmitEvent| {
        event.prevent_default();
        let found = check(
            &contact.get_untracked(),
            &message.get_untracked(),
            needs_consent && !consent.get_untracked(),
            strings,
        );
        problems.set(found.clone());
        if found.any() {
            // Focus the first field to fix, as the error summary would.
            if found.contact.is_some() {
                if let Some(input) = contact_input.get_untracked() {
                    let _ = input.focus();
                }
            } else if found.message.is_some() {
                if let Some(input) = message_input.get_untracked() {
                    let _ = input.focus();
                }
            } else if let Some(input) = consent_input.get_untracked() {
                let _ = input.focus();
            }
            return;
        }
        let Some(key) = new_key() else {
            problems.set(Problems {
                message: Some(strings.form_failed),
                ..Problems::default()
            });
            return;
        };
        let removed = removed.get_untracked();
        let keep = |item: Item| !removed.contains(&item);
        let trail = ui.trail.get_untracked();
        let config = ui.config.get_untracked();
        let technical = keep(Item::Technical);
        let request = TicketRequest {
            idempotency_key: key.clone(),
            name: Some(name.get_untracked().trim().to_owned()).filter(|s| !s.is_empty()),
            contact: Some(contact.get_untracked().trim().to_owned()),
            category: Some(category.get_untracked()).filter(|s| !s.is_empty()),
            subject: Some(subject.get_untracked().trim().to_owned()).filter(|s| !s.is_empty()),
            message: message.get_untracked().trim().to_owned(),
            locale: Some(ui.strings().locale.to_owned()),
            page_url: keep(Item::Page).then(page_url),
            context: Some(TicketContext {
                searches: if keep(Item::Searches) {
                    trail.searches.clone()
                } else {
                    Vec::new()
                },
                articles: if keep(Item::Articles) {
                    trail.articles.iter().map(|(id, _)| id.clone()).collect()
                } else {
                    Vec::new()
                },
                transcript: trail.transcript.clone().filter(|_| keep(Item::Flow)),
                not_helpful: if keep(Item::NotHelpful) {
                    trail
                        .not_helpful
                        .iter()
                        .map(|(id, _, reason, comment)| kefu_protocol::NotHelpful {
                            id: id.clone(),
                            reason: *reason,
                            comment: comment.clone(),
                        })
                        .collect()
                } else {
                    Vec::new()
                },
                user_agent: technical.then(user_agent),
                widget_version: technical.then(|| config.version.clone()),
                bundle_version: technical
                    .then(|| ui.bundle_version.get_untracked())
                    .flatten(),
            }),
            website: Some(honeypot.get_untracked()).filter(|s| !s.is_empty()),
        };
        let endpoint = config.endpoint.clone().unwrap_or_default();
        ui.outbox.submit(ui, endpoint, request);
        // Sent: whatever the customer read on the way was not enough, so no deflection.
        ui.deflection.set_value(None);
        ui.draft.set(Draft::default());
        sent_key.set(Some(key));
    };

    let outcome = move || sent_key.get().and_then(|key| ui.outbox.outcome(&key));
    let form = move || {
        let refused = match outcome() {
            None => None,
            Some(Outcome::Refused(error)) => Some(error.message),
            Some(_) => return None,
        };
        Some(view! {
            <form class="kefu-form" novalidate on:submit=submit>
                <p class="kefu-muted">{strings.form_intro}</p>
                {refused.map(|message| view! { <p class="kefu-error" role="alert">{message}</p> })}
                <div class="kefu-field">
                    <label for="kefu-name">{strings.form_name}" "<span class="kefu-muted">{strings.form_optional}</span></label>
                    <input id="kefu-name" type="text" autocomplete="name" maxlength=NAME_MAX_CHARS.to_string()
                        prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e))/>
                </div>
                <div class="kefu-field">
                    <label for="kefu-contact">{strings.form_contact}</label>
                    <input id="kefu-contact" type="text" autocomplete="email" inputmode="email" required
                        node_ref=contact_input
                        aria-invalid=move || problems.with(|p| p.contact.is_some()).to_string()
                        aria-describedby="kefu-contact-hint kefu-contact-error"
                        prop:value=move || contact.get() on:input=move |e| contact.set(event_target_value(&e))/>
                    <span class="kefu-muted kefu-hint" id="kefu-contact-hint">{strings.form_contact_hint}</span>
                    <span class="kefu-error" id="kefu-contact-error">{move || problems.with(|p| p.contact)}</span>
                </div>
                {(!config.categories.is_empty()).then(|| {
                    let options: Vec<AnyView> = config
                        .categories
                        .iter()
                        .map(|c| view! { <option value=c.clone()>{c.clone()}</option> }.into_any())
                        .collect();
                    view! {
                        <div class="kefu-field">
                            <label for="kefu-category">{strings.form_category}</label>
                            <select id="kefu-category" on:change=move |e| category.set(event_target_value(&e))>
                                <option value="">{strings.form_category_none}</option>
                                {options}
                            </select>
                        </div>
                    }
                })}
                <div class="kefu-field">
                    <label for="kefu-subject">{strings.form_subject}" "<span class="kefu-muted">{strings.form_optional}</span></label>
                    <input id="kefu-subject" type="text" autocomplete="off" maxlength=SUBJECT_MAX_CHARS.to_string()
                        prop:value=move || subject.get() on:input=move |e| subject.set(event_target_value(&e))/>
                </div>
                <div class="kefu-field">
                    <label for="kefu-message">{strings.form_message}</label>
                    <textarea id="kefu-message" rows="5" required maxlength=MESSAGE_MAX_CHARS.to_string()
                        node_ref=message_input
                        aria-invalid=move || problems.with(|p| p.message.is_some()).to_string()
                        aria-describedby="kefu-message-count kefu-message-error"
                        prop:value=move || message.get() on:input=move |e| message.set(event_target_value(&e))></textarea>
                    <span class="kefu-muted kefu-hint" id="kefu-message-count">
                        {move || strings.counter(message.with(|m| m.chars().count()), MESSAGE_MAX_CHARS)}
                    </span>
                    <span class="kefu-error" id="kefu-message-error">{move || problems.with(|p| p.message)}</span>
                </div>
                <FormSuggestions subject=subject message=message/>
                {requires_consent.clone().map(|text| view! {
                    <label class="kefu-check">
                        <input type="checkbox" node_ref=consent_input
                            aria-invalid=move || problems.with(|p| p.consent.is_some()).to_string()
                            aria-describedby="kefu-consent-error"
                            prop:checked=move || consent.get()
                            on:change=move |e| consent.set(event_target_checked(&e))/>
                        <span>{text}</span>
                    </label>
                    <span class="kefu-error" id="kefu-consent-error">{move || problems.with(|p| p.consent)}</span>
                })}
                // A field people never see or reach: only bots fill it in.
                <div class="kefu-hp" aria-hidden="true">
                    <label>"Website"<input type="text" name="website" tabindex="-1" autocomplete="off"
                        prop:value=move || honeypot.get() on:input=move |e| honeypot.set(event_target_value(&e))/></label>
                </div>
                <fieldset class="kefu-context">
                    <legend>{strings.context_title}</legend>
                    <ul>
                        {items.clone().into_iter().map(|(item, label, value)| {
                            let remove_label = strings.remove_item.replace("{item}", &label);
                            view! {
                                <Show when=move || !removed.with(|r| r.contains(&item))>
                                    <li>
                                        <span class="kefu-context-label">{label.clone()}</span>
                                        <span class="kefu-context-value">{value.clone()}</span>
                                        <button type="button" class="kefu-link-button" aria-label=remove_label.clone()
                                            on:click=move |_| removed.update(|r| r.push(item))>
                                            {strings.remove}
                                        </button>
                                    </li>
                                </Show>
                            }
                        }).collect::<Vec<_>>()}
                    </ul>
                </fieldset>
                <button type="submit" class="kefu-button">{strings.send}</button>
            </form>
        })
    };
    let status = move || {
        let text = match outcome()? {
            Outcome::Saved => strings.sending.to_owned(),
            Outcome::Waiting => strings.saved_offline.to_owned(),
            Outcome::Sent(response) => strings.sent.replace("{reference}", &response.reference),
            Outcome::Refused(_) => return None,
        };
        Some(view! {
            <p class="kefu-sent" role="status">{text}</p>
            <button type="button" class="kefu-button" on:click=move |_| ui.view.set(View::Search)>{strings.back_to_help}</button>
        })
    };

    view! {
        <div class="kefu-contact">
            <button type="button" class="kefu-back" on:click=move |_| ui.view.set(View::Search)>
                <span aria-hidden="true">"← "</span>{strings.back}
            </button>
            <h3 tabindex="-1" node_ref=heading>{strings.form_title}</h3>
            {form}
            {status}
            <ContactChannels heading=strings.other_channels/>
        </div>
    }
}

/// How long typing must pause before the form looks for answers: searching on every keystroke of
/// a long message would cost time for suggestions that change under the customer's eyes.
const SUGGEST_DELAY: std::time::Duration = std::time::Duration::from_millis(400);

/// The most answers suggested in the form.
const SUGGESTIONS_MAX: usize = 3;

/// Articles that may answer what the customer is writing, found by the same engine once typing
/// pauses, each a button that opens it (with the way back to the form). Nothing blocks the form:
/// the search runs in a timer after the pause, and the form works the same if the help content
/// never loaded.
#[component]
fn FormSuggestions(subject: RwSignal<String>, message: RwSignal<String>) -> impl IntoView {
    let ui = use_context::<Ui>().unwrap_or_else(|| unreachable!("Widget provides Ui"));
    let strings = ui.strings();
    // (document, title) of the answers on screen.
    let found = RwSignal::new(Vec::<(u32, String)>::new());
    let timer = Timer::new();
    let look_up = move || {
        let crate::app::Status::Ready(index) = ui.status.get_untracked() else {
            return;
        };
        let trail = ui.trail.get_untracked();
        // Articles the customer already read, or said did not help, are not offered again.
        let read: Vec<&str> = trail
            .articles
            .iter()
            .map(|(id, _)| id.as_str())
            .chain(trail.not_helpful.iter().map(|(id, ..)| id.as_str()))
            .collect();
        let options = SearchOptions {
            locale: Some(strings.locale.to_owned()),
            limit: SUGGESTIONS_MAX,
        };
        let answers = subject.with_untracked(|subject| {
            message.with_untracked(|message| {
                index.answers_for_message(subject, message, &options, &read)
            })
        });
        let answers: Vec<(u32, String)> = answers
            .into_iter()
            .map(|hit| (hit.doc, index.entry(hit.doc).title.clone()))
            .collect();
        found.maybe_update(|found| {
            let changed = *found != answers;
            *found = answers;
            changed
        });
    };
    Effect::new(move |_| {
        subject.track();
        message.track();
        timer.start(SUGGEST_DELAY, look_up);
    });
    on_cleanup(move || timer.cancel());
    let open = move |doc: u32| {
        let crate::app::Status::Ready(index) = ui.status.get_untracked() else {
            return;
        };
        let entry = index.entry(doc);
        ui.deflection
            .set_value(Some((entry.id.clone(), strings.locale.to_owned())));
        ui.from_form.set(true);
        ui.view.set(View::Article(doc));
    };
    // A polite live region, present from the start, so screen readers hear suggestions arrive.
    view! {
        <div class="kefu-form-suggestions" aria-live="polite">
            {move || crate::search::answer_list("kefu-form-suggestions", strings.form_suggestions, found.get(), open)}
        </div>
    }
}

/// The rules the form checks before sending; the server checks them again (kefu-protocol).
fn check(
    contact: &str,
    message: &str,
    missing_consent: bool,
    strings: &'static crate::i18n::Strings,
) -> Problems {
    let contact = contact.trim();
    Problems {
        contact: (!kefu_protocol::is_email(contact) && !kefu_protocol::is_phone_number(contact))
            .then_some(strings.error_contact),
        message: if message.trim().is_empty() {
            Some(strings.error_message)
        } else if message.chars().count() > MESSAGE_MAX_CHARS {
            Some(strings.error_message_long)
        } else {
            None
        },
        consent: missing_consent.then_some(strings.error_consent),
    }
}

fn page_url() -> String {
    web_sys::window()
        .and_then(|window| window.location().href().ok())
        .unwrap_or_default()
}

fn user_agent() -> String {
    web_sys::window()
        .and_then(|window| window.navigator().user_agent().ok())
        .unwrap_or_default()
}

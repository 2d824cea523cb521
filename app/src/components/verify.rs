//! Checking a read against its images (R15): the plate patch enlarged beside the overview and
//! the recorded vehicle, the read's verification history (R16), and one key per outcome so a
//! run of reads is quick to work through — C confirm, M misread, X suspected clone, U
//! unreadable; J / K (or the arrow keys) move to the next / previous read.

use crate::api;
use crate::components::outcome::Interactive;
use crate::components::time::utc as when;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::endpoints::{path, SEARCH_READ, SEARCH_READ_VERIFICATIONS};
use shared::verification::{NewVerification, Verdict, VerifiedRead};
use shared::{Plate, ReadView};

/// A read's image (`plate` or `overview`) if it has one, reached through the search (or watch)
/// `search_id` that returned it, with the class `<prefix>-<kind>`. The server audits each fetch
/// under the search's request (R21).
pub fn read_image(search_id: i64, id: i64, kind: &'static str, present: bool, prefix: &str) -> Option<impl IntoView> {
    present.then(|| {
        let src = api::url(&shared::endpoints::path(shared::endpoints::SEARCH_READ_IMAGE, &[&search_id, &id, &kind]));
        view! { <img class=format!("{prefix}-{kind}") src=src alt=format!("{kind} image of read {id}")/> }
    })
}

/// The verification panel for `selected`, one of the reads of search (or watch) `search_id`.
/// `step` moves through the list (+1 / −1); `recorded` receives the read as it stands after a
/// verification.
#[component]
pub fn VerifyPanel(
    #[prop(into)] search_id: Signal<Option<i64>>,
    selected: RwSignal<Option<ReadView>>,
    step: Callback<i64>,
    recorded: Callback<ReadView>,
) -> impl IntoView {
    let detail = RwSignal::new(None::<Result<VerifiedRead, String>>);
    Effect::new(move |_| {
        let (Some(sid), Some(id)) = (search_id.get(), selected.with(|s| s.as_ref().map(|r| r.id))) else {
            return detail.set(None);
        };
        spawn_local(async move {
            detail.set(Some(api::get::<VerifiedRead>(&path(SEARCH_READ, &[&sid, &id])).await));
        });
    });
    // The outcome being written up (misread, clone), with its corrected plate and reason.
    let writing = RwSignal::new(None::<Verdict>);
    let corrected = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let plate_input = NodeRef::<leptos::html::Input>::new();
    let reason_input = NodeRef::<leptos::html::Input>::new();

    let record = move |verdict: Verdict| {
        let (Some(sid), Some(id)) = (search_id.get_untracked(), selected.with_untracked(|s| s.as_ref().map(|r| r.id)))
        else {
            return;
        };
        let corrected_plate = match verdict {
            Verdict::Misread => match Plate::parse(&corrected.get_untracked()) {
                Ok(p) => Some(p),
                Err(e) => return error.set(Some(format!("corrected plate: {e}"))),
            },
            _ => None,
        };
        // A reason belongs to the verdict it was written up for, never to the next one.
        let why =
            Some(reason.get_untracked()).filter(|r| !r.trim().is_empty() && writing.get_untracked() == Some(verdict));
        // A correction already made is not replaced unseen (R14, R15): its author and plate are
        // named, and the user asked.
        let earlier = detail.with_untracked(|d| {
            d.as_ref().and_then(|d| d.as_ref().ok()).and_then(|d| {
                d.history
                    .iter()
                    .rev()
                    .find(|h| h.corrected_plate.is_some())
                    .map(|h| format!("{} by {}", h.corrected_plate.clone().unwrap_or_default(), h.verified_by))
            })
        });
        if let Some(earlier) = earlier {
            if !crate::confirm(&format!(
                "This read was corrected to {earlier}. Record \"{}\" in its place? The history keeps both.",
                verdict.label()
            )) {
                return;
            }
        }
        let body = NewVerification { verdict, corrected_plate, reason: why };
        // Checked as the server checks it: a refusal there is an audited event.
        let read_plate = selected.with_untracked(|s| s.as_ref().map(|r| r.plate.clone())).unwrap_or_default();
        if let Err(e) = body.check(&read_plate) {
            return error.set(Some(format!("Not sent: {e}.")));
        }
        spawn_local(async move {
            match api::post::<_, VerifiedRead>(&path(SEARCH_READ_VERIFICATIONS, &[&sid, &id]), &body).await {
                Ok(v) => {
                    error.set(None);
                    writing.set(None);
                    reason.set(String::new());
                    corrected.set(String::new());
                    recorded.run(v.read.clone());
                    detail.set(Some(Ok(v)));
                    step.run(1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let write_up = move |verdict: Verdict| {
        corrected.set(String::new());
        reason.set(String::new());
        writing.set(Some(verdict));
        let target = if verdict == Verdict::Misread { plate_input } else { reason_input };
        request_animation_frame(move || {
            if let Some(input) = target.get_untracked() {
                let _ = input.focus();
            }
        });
    };

    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if selected.with_untracked(|s| s.is_none()) || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        // Typing in a field is typing, not a shortcut.
        let typing = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
        if typing {
            if ev.key() == "Escape" {
                writing.set(None);
            }
            return;
        }
        let handled = match ev.key().as_str() {
            "c" | "C" => {
                record(Verdict::Confirmed);
                true
            }
            "u" | "U" => {
                record(Verdict::Unreadable);
                true
            }
            "m" | "M" => {
                write_up(Verdict::Misread);
                true
            }
            "x" | "X" => {
                write_up(Verdict::Cloned);
                true
            }
            "j" | "J" | "ArrowDown" => {
                step.run(1);
                true
            }
            "k" | "K" | "ArrowUp" => {
                step.run(-1);
                true
            }
            _ => false,
        };
        if handled {
            ev.prevent_default();
        }
    });
    // Leaving the page takes the shortcuts with it.
    on_cleanup(move || keys.remove());

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Some(v) = writing.get_untracked() {
            record(v);
        }
    };

    // A newly chosen read's evidence is brought into view, images and verdicts together.
    let panel = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        detail.track();
        request_animation_frame(move || {
            if let Some(el) = panel.get_untracked() {
                scroll_into_view_nearest(&el);
            }
        });
    });
    let body = move || {
        detail.get().map(|answer| match answer {
            Err(e) => view! { <p class="error">{e}</p> }.into_any(),
            Ok(VerifiedRead { read: r, history }) => {
                let vehicle = r.vehicle();
                let status = match (r.verdict, &r.corrected_plate) {
                    (Some(v), Some(p)) => format!("{}: {p}", v.label()),
                    (Some(v), None) => v.label().to_owned(),
                    (None, _) => "Not yet checked".to_owned(),
                };
                view! {
                    <div class="verify" data-testid="verify-panel">
                        <div class="verify-evidence" node_ref=panel>
                        <div class="verify-images">
                            {search_id.get_untracked().and_then(|sid| read_image(sid, r.id, "plate", r.has_plate_image, "verify"))}
                            {search_id.get_untracked().and_then(|sid| read_image(sid, r.id, "overview", r.has_overview_image, "verify"))}
                        </div>
                        // The verdicts sit with the images: both in view together (R14).
                        <div class="verify-actions">
                            <button type="button" on:click=move |_| record(Verdict::Confirmed)><kbd>"C"</kbd>" Confirmed"</button>
                            <button type="button" on:click=move |_| write_up(Verdict::Misread)><kbd>"M"</kbd>" Misread"</button>
                            <button type="button" on:click=move |_| write_up(Verdict::Cloned)><kbd>"X"</kbd>" Suspected clone"</button>
                            <button type="button" on:click=move |_| record(Verdict::Unreadable)><kbd>"U"</kbd>" Unreadable"</button>
                            <span class="notice">"J / K: next / previous"</span>
                        </div>
                        </div>
                        <p class="plate big">{r.plate.clone()}</p>
                        <dl>
                            <dt>"Vehicle recorded"</dt><dd>{if vehicle.is_empty() { "—".to_owned() } else { vehicle }}</dd>
                            <dt>"Captured"</dt><dd>{when(r.captured_at)}</dd>
                            <dt>"Camera"</dt><dd>{r.camera_name.clone()}</dd>
                            <dt>"Confidence"</dt><dd>{format!("{:.0}%", r.confidence * 100.0)}</dd>
                            <dt>"Check"</dt><dd data-testid="verdict">{status}</dd>
                        </dl>
                        <ol class="history">
                            {history.into_iter().map(|h| view! {
                                <li>{format!(
                                    "{} — {} by {}{}{}",
                                    when(h.verified_at),
                                    h.verdict.label(),
                                    h.verified_by,
                                    h.corrected_plate.map(|p| format!(": {} → {p}", h.plate_before.unwrap_or_default())).unwrap_or_default(),
                                    h.reason.map(|r| format!(" ({r})")).unwrap_or_default(),
                                )}</li>
                            }).collect_view()}
                        </ol>
                    </div>
                }
                .into_any()
            }
        })
    };

    view! {
        <Show when=move || selected.get().is_some() fallback=|| view! { <p class="notice">"Choose a read to check it against its images."</p> }>
            {body}
            <Show when=move || writing.get().is_some()>
                <form class="stack panel" on:submit=submit data-testid="verify-form"><Interactive>
                    <Show when=move || writing.get() == Some(Verdict::Misread)>
                        <label>"Corrected plate" <input name="corrected" node_ref=plate_input bind:value=corrected/></label>
                    </Show>
                    <label>"Why (what the images show)" <input name="reason" node_ref=reason_input bind:value=reason/></label>
                    <button type="submit">"Record"</button>
                </Interactive></form>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </Show>
    }
}

/// `element.scrollIntoView({block: "nearest"})`: as little scrolling as shows it whole.
fn scroll_into_view_nearest(element: &web_sys::Element) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"block".into(), &"nearest".into());
        if let Ok(f) = js_sys::Reflect::get(element, &"scrollIntoView".into()) {
            if let Some(f) = f.dyn_ref::<js_sys::Function>() {
                let _ = f.call1(element, &options);
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = element;
}

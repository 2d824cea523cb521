//! How every action answers (issue: a professional tool): success or failure shown where the
//! user acted, in the server's words; a form's problems beside their fields, all at once, with
//! the typed input kept; the form cleared only after success.

use leptos::prelude::*;
use shared::{ErrorBody, FieldProblem, Validate};
use std::future::Future;

/// The outcome of a page's last action: what was done, or what went wrong, in the server's words.
pub type Message = RwSignal<Option<Result<String, String>>>;

/// Shows a [`Message`]: a status line, or an alert.
#[component]
pub fn Outcome(message: Message) -> impl IntoView {
    move || {
        message.get().map(|m| match m {
            Ok(text) => view! { <p class="ok" role="status">{text}</p> }.into_any(),
            Err(text) => view! { <p class="error" role="alert">{text}</p> }.into_any(),
        })
    }
}

/// A form's answer: its [`Message`], each field's problem, and whether it is being sent.
#[derive(Clone, Copy)]
pub struct FormState {
    pub message: Message,
    problems: RwSignal<Vec<FieldProblem>>,
    busy: RwSignal<bool>,
}

impl Default for FormState {
    fn default() -> Self {
        FormState { message: RwSignal::new(None), problems: RwSignal::new(Vec::new()), busy: RwSignal::new(false) }
    }
}

impl FormState {
    /// A form that answers in a message the page shows elsewhere (shared with other actions).
    pub fn answering_in(message: Message) -> Self {
        FormState { message, ..FormState::default() }
    }

    /// Shows `problems` beside their fields, and says how many there are where the form is sent.
    pub fn refuse(&self, problems: Vec<FieldProblem>) {
        let n = problems.len();
        self.message.set(Some(Err(if n == 1 {
            format!("Not sent: {}.", problems[0].message)
        } else {
            format!("Not sent: {n} fields need attention (marked below them).")
        })));
        self.problems.set(problems);
    }

    /// Refuses the form if `value` has problems (as the server would), before it is sent, with
    /// the fields that could not even be read (`parse_problems`): those fields' stand-ins in
    /// `value` are not checked again.
    pub fn checked<T: Validate>(&self, value: T, mut parse_problems: Vec<FieldProblem>) -> Option<T> {
        let unread: Vec<String> = parse_problems.iter().map(|p| p.field.clone()).collect();
        parse_problems.extend(value.field_problems().into_iter().filter(|p| !unread.contains(&p.field)));
        if parse_problems.is_empty() {
            Some(value)
        } else {
            self.refuse(parse_problems);
            None
        }
    }

    /// Sends the form: while it is out the submit button is disabled; on success the message
    /// says what was done and `done` clears the form; on refusal each field's problem is shown and
    /// the input stays.
    pub fn send<T: 'static>(
        self,
        call: impl Future<Output = Result<T, ErrorBody>> + 'static,
        done: impl FnOnce(T) -> String + 'static,
    ) {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        leptos::task::spawn_local(async move {
            match call.await {
                Ok(value) => {
                    self.problems.set(Vec::new());
                    self.message.set(Some(Ok(done(value))));
                }
                Err(e) if !e.fields.is_empty() => self.refuse(e.fields),
                Err(e) => {
                    self.problems.set(Vec::new());
                    self.message.set(Some(Err(e.error)));
                }
            }
            self.busy.set(false);
        });
    }

    /// The problem of `field`, if it has one (tracked).
    pub fn problem(&self, field: &str) -> Option<String> {
        self.problems.with(|p| p.iter().find(|p| p.field == field).map(|p| p.message.clone()))
    }

    pub fn busy(&self) -> bool {
        self.busy.get()
    }
}

/// Whether a form may be sent under `checked`, the rule the server applies to it; if not, the
/// form says so ("Not sent: …") and nothing goes out — no refusal for the audit log to hold
/// that was only a forgotten field.
pub fn sendable<E: std::fmt::Display>(message: Message, checked: Result<(), E>) -> bool {
    match checked {
        Ok(()) => true,
        Err(e) => {
            message.set(Some(Err(format!("Not sent: {e}."))));
            false
        }
    }
}

/// A problem to show beside a field.
pub fn problem(field: &str, message: impl ToString) -> FieldProblem {
    FieldProblem { field: field.into(), message: message.to_string() }
}

/// Takes a parsed field's value, or records its problem against the field.
pub fn parsed<T>(problems: &mut Vec<FieldProblem>, field: &str, value: Result<T, String>) -> Option<T> {
    value.map_err(|e| problems.push(problem(field, e))).ok()
}

/// The problem of one field, shown under it.
#[component]
pub fn FieldError(form: FormState, field: &'static str) -> impl IntoView {
    move || form.problem(field).map(|text| view! { <span class="field-error" data-field=field>{text}</span> })
}

/// A form's submit button (disabled while the form is out) and its outcome.
#[component]
pub fn Submit(form: FormState, label: &'static str) -> impl IntoView {
    view! {
        <button type="submit" prop:disabled=move || form.busy()>{label}</button>
        <Outcome message=form.message/>
    }
}

/// A form's controls, disabled until the page can handle the form: one sent before then would
/// go to the server as a plain GET, its fields in the URL.
#[component]
pub fn Interactive(children: Children) -> impl IntoView {
    let ready = RwSignal::new(false);
    // Effects run only in the browser, once the page is hydrated.
    Effect::new(move |_| ready.set(true));
    view! { <fieldset class="interactive" disabled=move || !ready.get()>{children()}</fieldset> }
}

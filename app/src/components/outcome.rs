use leptos::prelude::*;

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

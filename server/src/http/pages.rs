//! Server-side rendering of the UI shell. The page is rendered with the signed-in user (or
//! none) in context; pages other than the login page need a session. Everything a page shows
//! beyond the shell comes from the API, which decides on its own what the user may see.

use crate::error::AppError;
use crate::http::extract::session_user;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use leptos::prelude::provide_context;
use shared::ShellData;
use tower_sessions::Session;

pub async fn render(State(state): State<AppState>, session: Session, request: Request<Body>) -> Response {
    let user = match session_user(&state, &session).await {
        Ok(user) => user,
        Err(e) => return e.into_response(),
    };
    let on_login_page = request.uri().path() == app::LOGIN_PATH;
    match (&user, on_login_page) {
        (None, false) => return Redirect::to(app::LOGIN_PATH).into_response(),
        (Some(_), true) => return Redirect::to("/").into_response(),
        _ => {}
    }
    let shell = ShellData { user, map: state.config.map.clone() };
    let options = state.leptos.clone();
    let handler = leptos_axum::render_app_to_stream_with_context(
        move || provide_context(shell.clone()),
        move || app::shell(options.clone()),
    );
    handler(request).await.into_response()
}

pub async fn api_not_found() -> AppError {
    AppError::NotFound("no such API endpoint".into())
}

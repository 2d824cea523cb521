use crate::helpers::{error_of, Backend, TestApp, PASSWORD};
use crate::on_every_backend;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::clock::Clock;
use shared::Role;

on_every_backend!(
    sign_in_sets_a_strict_http_only_session_cookie_and_sign_out_ends_it,
    wrong_password_and_unknown_user_are_refused_alike_and_audited,
    fifth_failure_locks_the_username_until_the_lockout_ends,
    failures_outside_the_window_do_not_add_up,
    disabling_an_account_ends_its_sessions_and_refuses_sign_in,
    a_role_change_takes_effect_in_the_current_session,
    stale_throttling_records_are_forgotten_but_lockouts_kept,
    parallel_sign_ins_count_only_failures,
    the_sign_in_page_form_signs_in_without_a_script,
);

/// The sign-in page's own form, posted before the page is interactive: a redirect home with a
/// session, or back to the page with a code for what went wrong (never the server's words);
/// another site's form refused; failures audited and counted like the API's.
async fn the_sign_in_page_form_signs_in_without_a_script(app: TestApp) {
    app.create_user("gail", &[Role::Investigator]).await;
    let post = |client: &reqwest::Client, password: &str, site: &str| {
        client
            .post(app.url("/login"))
            .header("sec-fetch-site", site)
            .form(&[("username", "gail"), ("password", password)])
            .send()
    };
    let client = app.client();
    let r = post(&client, "not the password", "same-origin").await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?error=refused");
    assert_eq!(app.audit_rows("login_failed").await.len(), 1);
    let r = post(&client, PASSWORD, "cross-site").await.unwrap();
    assert_eq!(r.headers()["location"], "/login?error=cross_site");
    let failed = app.audit_rows("login_failed").await;
    assert_eq!(failed.len(), 2, "the cross-site refusal is on the record");
    assert!(failed[1].details["reason"].as_str().unwrap().contains("cross-site"), "{:?}", failed[1].details);
    assert!(!failed[1].details.to_string().contains("gail"), "not the name typed");
    assert_eq!(client.get(app.api("/auth/me")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let r = post(&client, PASSWORD, "same-origin").await.unwrap();
    assert_eq!((r.status(), r.headers()["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/"));
    let me: Value = client.get(app.api("/auth/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["username"], "gail");
    // Wrong guesses through the form lock the username like the API's.
    let other = app.client();
    for _ in 0..5 {
        post(&other, "wrong again", "same-origin").await.unwrap();
    }
    let r = post(&other, PASSWORD, "same-origin").await.unwrap();
    assert_eq!(r.headers()["location"], "/login?error=busy");
    // Anything but the page's form is sent back to it, without the parser's words.
    let r = client.post(app.url("/login")).header("sec-fetch-site", "same-origin").form(&[("user", "x")]).send();
    assert_eq!(r.await.unwrap().headers()["location"], "/login?error=failed");
    // A method the page does not take is answered in JSON, naming what it takes.
    let r = client.delete(app.url("/login")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.headers()["allow"].to_str().unwrap().contains("POST"), "{:?}", r.headers());
    assert!(error_of(r).await.contains("does not take DELETE"));
}

/// Eight correct sign-ins at once never lock the user out; ten wrong guesses at once get
/// exactly five answers and five refusals (only failures count, and each sees the last).
async fn parallel_sign_ins_count_only_failures(app: TestApp) {
    app.create_user("erin", &[Role::Investigator]).await;
    let attempts = (0..8).map(|_| async { app.login(&app.client(), "erin", PASSWORD).await.status() });
    let statuses = futures_util::future::join_all(attempts).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    assert_eq!(app.audit_rows("login_succeeded").await.len(), 8);

    app.create_user("fred", &[Role::Investigator]).await;
    let guesses = (0..10).map(|_| async { app.login(&app.client(), "fred", "wrong wrong wrong").await.status() });
    let statuses = futures_util::future::join_all(guesses).await;
    let count = |s: StatusCode| statuses.iter().filter(|x| **x == s).count();
    assert_eq!((count(StatusCode::UNAUTHORIZED), count(StatusCode::TOO_MANY_REQUESTS)), (5, 5), "{statuses:?}");
    assert_eq!(app.login(&app.client(), "fred", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_configured() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.cookie_secure = true).await.unwrap();
    app.create_user("ann", &[Role::Auditor]).await;
    let response = app.login(&app.client(), "ann", PASSWORD).await;
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
async fn empty_and_oversize_credentials_are_refused_before_any_check() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let client = app.client();
    let r = app.login(&client, "", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(r).await, "username and password are required");
    let r = app.login(&client, "ann", &"p".repeat(257)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(r).await, "username or password is too long");
    assert!(app.audit_rows("login_failed").await.is_empty());
}

async fn sign_in_sets_a_strict_http_only_session_cookie_and_sign_out_ends_it(app: TestApp) {
    app.create_user("ann", &[Role::Auditor]).await;
    let client = app.client();
    assert_eq!(app.get(&client, "/auth/me").await.status(), StatusCode::UNAUTHORIZED);

    let response = app.login(&client, "ann", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("anpr_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(!cookie.contains("Secure"), "not configured secure: {cookie}");
    let me: Value = app.get_json(&client, "/auth/me").await;
    assert_eq!(me["username"], "ann");
    assert_eq!(me["roles"], json!(["auditor"]));
    assert!(me.get("password_hash").is_none());

    assert_eq!(app.audit_rows("login_succeeded").await.len(), 1);
    let out = client.post(app.api("/auth/logout")).send().await.unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get(&client, "/auth/me").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.audit_rows("logout").await[0].actor, "ann");
}

async fn wrong_password_and_unknown_user_are_refused_alike_and_audited(app: TestApp) {
    app.create_user("bob", &[Role::Investigator]).await;
    let client = app.client();
    let wrong = app.login(&client, "bob", "not the password at all").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let unknown = app.login(&client, "nobody", PASSWORD).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(wrong).await, error_of(unknown).await);

    let failures = app.audit_rows("login_failed").await;
    assert_eq!(failures.len(), 2);
    assert_eq!((failures[0].actor.as_str(), &failures[0].details["reason"]), ("bob", &json!("wrong password")));
    assert_eq!(
        (failures[1].actor.as_str(), &failures[1].details["reason"]),
        ("(unknown username)", &json!("unknown username"))
    );
}

async fn fifth_failure_locks_the_username_until_the_lockout_ends(app: TestApp) {
    app.create_user("carol", &[Role::Investigator]).await;
    let client = app.client();
    for attempt in 1..=4 {
        let r = app.login(&client, "carol", "wrong wrong wrong").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
        app.clock.advance(Duration::seconds(10));
    }
    // The fifth failure still answers 401 but locks the username.
    assert_eq!(app.login(&client, "carol", "wrong wrong wrong").await.status(), StatusCode::UNAUTHORIZED);
    let locked_at = app.clock.now();

    let refused = app.login(&client, "carol", PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS, "even the right password is refused");
    let retry_after: i64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((899..=901).contains(&retry_after), "retry after {retry_after}s");
    assert!(error_of(refused).await.contains("too many failed sign-ins"));

    // Another username is not affected.
    app.create_user("dave", &[Role::Investigator]).await;
    assert_eq!(app.login(&client, "dave", PASSWORD).await.status(), StatusCode::OK);

    // One second before the lockout ends: still refused. At its end: admitted.
    app.clock.set(locked_at + Duration::minutes(15) - Duration::seconds(1));
    assert_eq!(app.login(&app.client(), "carol", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
    app.clock.set(locked_at + Duration::minutes(15));
    assert_eq!(app.login(&app.client(), "carol", PASSWORD).await.status(), StatusCode::OK);
    assert_eq!(app.audit_rows("login_throttled").await.len(), 2);
}

async fn failures_outside_the_window_do_not_add_up(app: TestApp) {
    app.create_user("erin", &[Role::Investigator]).await;
    let client = app.client();
    for _ in 0..4 {
        assert_eq!(app.login(&client, "erin", "wrong wrong wrong").await.status(), StatusCode::UNAUTHORIZED);
    }
    app.clock.advance(Duration::minutes(15));
    for _ in 0..4 {
        assert_eq!(app.login(&client, "erin", "wrong wrong wrong").await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.login(&client, "erin", PASSWORD).await.status(), StatusCode::OK);
    // A success clears the count: four more failures still do not lock.
    for _ in 0..4 {
        assert_eq!(app.login(&client, "erin", "wrong wrong wrong").await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.login(&client, "erin", PASSWORD).await.status(), StatusCode::OK);
}

async fn disabling_an_account_ends_its_sessions_and_refuses_sign_in(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let user = app.signed_in("frank", &[Role::Investigator]).await;
    assert_eq!(app.get(&user, "/auth/me").await.status(), StatusCode::OK);

    let id = app.user_id(&admin, "frank").await;
    let r = admin.patch(app.api(&format!("/users/{id}"))).json(&json!({ "disabled": true })).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    assert_eq!(app.get(&user, "/auth/me").await.status(), StatusCode::UNAUTHORIZED);
    let again = app.login(&app.client(), "frank", PASSWORD).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED, "a disabled account answers like a wrong password");
    assert_eq!(error_of(again).await, "username or password is incorrect");
    let update = &app.audit_rows("user_updated").await[0];
    assert_eq!(update.subject.as_deref(), Some("frank"));
    assert_eq!(update.details["disabled"], json!(true));
    assert_eq!(update.details["sessions_ended"], json!(1));
}

async fn a_role_change_takes_effect_in_the_current_session(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let user = app.signed_in("gina", &[Role::Auditor]).await;
    assert_eq!(app.get(&user, "/hotlists").await.status(), StatusCode::FORBIDDEN);
    let me: Value = app.get_json(&user, "/auth/me").await;
    let r = admin
        .patch(app.api(&format!("/users/{}", me["id"])))
        .json(&json!({ "roles": ["hotlist_admin"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.get(&user, "/hotlists").await.status(), StatusCode::OK);
    assert_eq!(app.get(&user, "/audit/entries").await.status(), StatusCode::FORBIDDEN, "and no longer an auditor");
}

async fn stale_throttling_records_are_forgotten_but_lockouts_kept(app: TestApp) {
    let client = app.client();
    app.login(&client, "ghost", "guess guess guess").await;
    for _ in 0..5 {
        app.login(&client, "locked", "guess guess guess").await;
    }
    let limits = server::config::Config::default().login;
    let forget = || server::access::login::forget_stale(&app.db, app.clock.now(), &limits);
    assert_eq!(forget().await.unwrap(), 0, "nothing is stale yet");
    app.clock.advance(Duration::minutes(15) - Duration::seconds(1));
    assert_eq!(forget().await.unwrap(), 0, "the window and the lockout still run");
    app.clock.advance(Duration::seconds(2));
    assert_eq!(forget().await.unwrap(), 2, "both have run out");
}

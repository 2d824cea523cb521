use crate::helpers::{error_of, TestApp, PASSWORD};
use crate::on_every_backend;
use reqwest::StatusCode;
use serde_json::{json, Value};
use shared::Role;

on_every_backend!(
    an_admin_creates_a_user_who_can_then_sign_in,
    a_taken_username_is_a_conflict,
    account_rules_are_enforced_with_a_reason,
    admins_cannot_lock_themselves_out,
    a_password_reset_ends_the_users_sessions,
    the_first_admin_is_created_from_the_command_line,
);

async fn an_admin_creates_a_user_who_can_then_sign_in(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let r = admin
        .post(app.api("/users"))
        .json(&json!({
            "username": "pc.hill", "display_name": "PC Hill", "password": "a long enough password",
            "roles": ["investigator", "supervisor"], "tier": "central", "rank": "inspector"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let held = r.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["roles"], json!(["investigator", "supervisor"]));
    assert_eq!((created["tier"].as_str(), created["rank"].as_str()), (Some("central"), Some("inspector")));
    // Supervisor, inspector and the central tier take a second system admin: until then the
    // account is disabled, and its creator cannot approve it.
    assert_eq!(created["disabled"], true);
    let client = app.client();
    assert_eq!(app.login(&client, "pc.hill", "a long enough password").await.status(), StatusCode::UNAUTHORIZED);
    let change = held.trim_start_matches("/api/v1");
    let own = admin.post(app.api(&format!("{change}/approve"))).send().await.unwrap();
    assert_eq!(own.status(), StatusCode::FORBIDDEN);
    // Nor can its creator simply switch it on: enabling it grants all it holds.
    let id = created["id"].as_i64().unwrap();
    let r = admin.patch(app.api(&format!("/users/{id}"))).json(&json!({ "disabled": false })).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(app.login(&client, "pc.hill", "a long enough password").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.audit_rows("user_change_refused").await[0].details["asked"]["change_id"], json!(1));
    let second = app.signed_in("root2", &[Role::SystemAdmin]).await;
    let pending: Vec<Value> = app.get_json(&second, "/users/changes").await;
    assert_eq!(pending.len(), 2, "the creation's and the enabling's");
    assert_eq!(pending[0]["elevations"], json!(["the supervisor role", "inspector rank", "the central tier"]));
    let approved = second.post(app.api(&format!("{change}/approve"))).send().await.unwrap();
    assert_eq!(approved.status(), StatusCode::OK);
    assert_eq!(app.login(&client, "pc.hill", "a long enough password").await.status(), StatusCode::OK);
    // A second system admin is itself held for a second admin.
    let body = json!({ "username": "root3", "display_name": "R", "password": PASSWORD, "roles": ["system_admin"] });
    let r = admin.post(app.api("/users")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(r.headers().contains_key("location"));
    assert_eq!(r.json::<Value>().await.unwrap()["disabled"], true);
    let listed: Vec<Value> = app.get_json(&admin, "/users").await;
    assert!(listed.iter().any(|u| u["username"] == "pc.hill"));

    let audit = app.audit_rows("user_created").await;
    let row = audit.iter().find(|e| e.subject.as_deref() == Some("pc.hill")).expect("audited");
    assert_eq!(row.actor, "root");
    assert_eq!(row.details["roles"], json!(["investigator", "supervisor"]));
    assert!(!row.details.to_string().contains("a long enough password"), "no password in the log");
}

async fn a_taken_username_is_a_conflict(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let body = json!({ "username": "root", "display_name": "Again", "password": PASSWORD, "roles": ["auditor"] });
    let r = admin.post(app.api("/users")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(error_of(r).await, "username `root` is already taken");
}

async fn account_rules_are_enforced_with_a_reason(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let cases = [
        (
            json!({ "username": "x1", "display_name": "X", "password": PASSWORD, "roles": ["auditor"] }),
            "username must be",
        ),
        (
            json!({ "username": "inv1", "display_name": "X", "password": PASSWORD, "roles": ["investigator"] }),
            "needs a tier",
        ),
        (
            json!({ "username": "sup", "display_name": "X", "password": PASSWORD, "roles": ["supervisor"] }),
            "needs a rank",
        ),
        (
            json!({ "username": "aud", "display_name": "X", "password": PASSWORD, "roles": ["auditor"], "tier": "local" }),
            "only for investigators",
        ),
        (
            json!({ "username": "pwd", "display_name": "X", "password": "short", "roles": ["auditor"] }),
            "password must be",
        ),
        (json!({ "username": "none", "display_name": "X", "password": PASSWORD, "roles": [] }), "at least one role"),
        (
            json!({ "username": "god", "display_name": "X", "password": PASSWORD, "roles": ["god"] }),
            "unknown variant `god`",
        ),
    ];
    for (body, expected) in cases {
        let r = admin.post(app.api("/users")).json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let message = error_of(r).await;
        assert!(message.contains(expected), "{body}: {message}");
    }
    let listed: Vec<Value> = app.get_json(&admin, "/users").await;
    assert_eq!(listed.len(), 1, "nothing was created");
}

async fn admins_cannot_lock_themselves_out(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let me: Value = app.get_json(&admin, "/auth/me").await;
    let path = app.api(&format!("/users/{}", me["id"]));
    let r = admin.patch(&path).json(&json!({ "disabled": true })).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(error_of(r).await, "you cannot disable your own account");
    let r = admin.patch(&path).json(&json!({ "roles": ["hotlist_admin"] })).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no one changes their own roles");
    let r = admin.patch(app.api("/users/999999")).json(&json!({ "disabled": true })).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

async fn a_password_reset_ends_the_users_sessions(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let user = app.signed_in("hal", &[Role::Auditor]).await;
    let me: Value = app.get_json(&user, "/auth/me").await;
    let id = me["id"].as_i64().unwrap();
    // Held for a second admin: until then the old password and the session stand.
    let r = admin.patch(app.api(&format!("/users/{id}"))).json(&json!({ "password": "a brand new passphrase" })).send();
    let r = r.await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let held: Value = app.get_json(&admin, "/users/changes").await;
    assert!(!held.to_string().contains("passphrase") && !held.to_string().contains("argon2"), "{held}");
    assert_eq!(app.get(&user, "/auth/me").await.status(), StatusCode::OK);
    let change = r.headers()["location"].to_str().unwrap().trim_start_matches("/api/v1").to_owned();
    let second = app.signed_in("root2", &[Role::SystemAdmin]).await;
    assert_eq!(second.post(app.api(&format!("{change}/approve"))).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(app.get(&user, "/auth/me").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.login(&app.client(), "hal", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.login(&app.client(), "hal", "a brand new passphrase").await.status(), StatusCode::OK);
}

async fn the_first_admin_is_created_from_the_command_line(app: TestApp) {
    let args = ["user", "create-admin", "--username", "chief", "--display-name", "Chief Admin"];
    let weak = app.run_cli(&args, &[("ANPR_ADMIN_PASSWORD", "short")]);
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password must be"));

    let made = app.run_cli(&args, &[("ANPR_ADMIN_PASSWORD", "the chief's passphrase")]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert!(String::from_utf8_lossy(&made.stdout).contains("created system admin `chief`"));

    let client = app.client();
    let r = app.login(&client, "chief", "the chief's passphrase").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.get(&client, "/users").await.status(), StatusCode::OK);
    let created = &app.audit_rows("user_created").await[0];
    assert_eq!((created.actor.as_str(), created.subject.as_deref()), ("system", Some("chief")));
}

//! The server-rendered shell: pages need a session, and the page carries the signed-in user.

use crate::helpers::TestApp;
use crate::on_both_backends;
use reqwest::StatusCode;
use shared::Role;

on_both_backends!(pages_need_a_session_and_render_the_signed_in_user);

async fn pages_need_a_session_and_render_the_signed_in_user(app: TestApp) {
    let anonymous = app.client();
    for page in ["/", "/map", "/admin/users", "/audit"] {
        let r = anonymous.get(app.url(page)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{page}");
        assert_eq!(r.headers()["location"], "/login");
    }
    let login = anonymous.get(app.url("/login")).send().await.unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let html = login.text().await.unwrap();
    assert!(html.contains("Sign in"));
    assert!(html.contains("/vendor/leaflet/leaflet.js"), "Leaflet is served locally");

    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    assert_eq!(admin.get(app.url("/login")).send().await.unwrap().status(), StatusCode::SEE_OTHER);
    let html = admin.get(app.url("/admin/users")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Test root"), "the shell names the signed-in user");
    assert!(html.contains("href=\"/admin/users\""), "an admin's navigation offers Users");
    assert!(!html.contains("href=\"/audit\""), "and not the auditors' page");
}

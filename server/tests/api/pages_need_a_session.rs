//! The server-rendered shell: pages need a session, and the page carries the signed-in user.

use crate::helpers::TestApp;
use crate::on_every_backend;
use reqwest::StatusCode;
use shared::Role;

on_every_backend!(pages_need_a_session_and_render_the_signed_in_user);

/// The site's files go compressed when the browser accepts it, and are revalidated (a 304 for
/// an unchanged file) unless named by their hash, without a session; a missing file is a plain 404.
#[tokio::test]
async fn site_files_are_compressed_and_revalidated() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await.unwrap();
    let pkg = app.site_root().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let script = "function hydrate() { return 'the same text, again and again'; }\n".repeat(200);
    std::fs::write(pkg.join("anpr.js"), &script).unwrap();
    let client = app.client();
    let r = client.get(app.url("/pkg/anpr.js")).header("accept-encoding", "br, gzip").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-encoding"], "br");
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let modified = r.headers()["last-modified"].clone();
    let body = r.bytes().await.unwrap();
    assert!(body.len() < script.len() / 10, "{} bytes for {}", body.len(), script.len());
    let r = client.get(app.url("/pkg/anpr.js")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let r = client.get(app.url("/pkg/anpr.js")).header("if-modified-since", modified).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let r = client.get(app.url("/pkg/anpr.js")).send().await.unwrap();
    assert!(r.headers().get("content-encoding").is_none(), "plain when nothing else is accepted");
    assert_eq!(r.text().await.unwrap(), script);
    assert_eq!(client.get(app.url("/pkg/missing.wasm")).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    // A copy the build compressed is sent as it is, not compressed again (the stand-in bytes
    // show which was sent).
    std::fs::write(pkg.join("anpr.css"), "body { color: black; }\n".repeat(100)).unwrap();
    std::fs::write(pkg.join("anpr.css.br"), b"built-brotli").unwrap();
    let r = client.get(app.url("/pkg/anpr.css")).header("accept-encoding", "br, gzip").send().await.unwrap();
    assert_eq!(r.headers()["content-encoding"], "br");
    assert_eq!(r.headers()["content-type"], "text/css");
    assert_eq!(&r.bytes().await.unwrap()[..], b"built-brotli");

    // A file named by its content's hash never changes: browsers keep it for a year.
    std::fs::write(pkg.join("anpr.AbCdEfGhIjKlMnOpQrSt_-.wasm"), b"\0asm").unwrap();
    let r = client.get(app.url("/pkg/anpr.AbCdEfGhIjKlMnOpQrSt_-.wasm")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "public, max-age=31536000, immutable");
    let r = client.get(app.url("/pkg/anpr.AbCdEfGhIjKlMnOpQrSt_x.wasm")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.headers()["cache-control"], "no-cache", "a miss is not kept");
}

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

/// The sample page states the rates this deployment draws at, not fixed figures (R22).
#[tokio::test]
async fn the_sample_page_states_the_configured_rates() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |c| {
        c.audit_sample.beyond_standard_percent = 7.5;
        c.audit_sample.other_percent = 1.0;
        c.access.standard_days = 60;
    })
    .await
    .unwrap();
    let auditor = app.signed_in("audra", &[Role::Auditor]).await;
    let html = auditor.get(app.url("/audit/sample")).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("7.5% of searches reaching beyond 60 days and 1% of the others are drawn at random"),
        "{html}"
    );
}

/// API answers go compressed to a client that accepts it (the camera list of a force runs to
/// hundreds of kilobytes); an event stream does not, so that each event leaves at once.
#[tokio::test]
async fn api_answers_are_compressed_and_streams_are_not() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await.unwrap();
    let sysadmin = app.signed_in("root", &[Role::SystemAdmin]).await;
    app.network(&sysadmin, "tfl").await;
    let r = sysadmin.get(app.api("/cameras")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let r = sysadmin.get(app.api("/cameras")).send().await.unwrap();
    assert!(r.headers().get("content-encoding").is_none(), "plain when nothing else is accepted");

    let officer = app.signed_in("otto", &[Role::Investigator]).await;
    let stream = officer.get(app.api("/alerts/live")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    assert!(stream.headers().get("content-encoding").is_none());
}

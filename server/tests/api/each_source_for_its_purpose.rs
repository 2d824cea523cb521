//! Each source for its own purpose (R3, R10): a feed (or a zone of it) limited by its legal basis
//! to some purposes is left out of searches under any other — and the answer says so — from the
//! act's date, not before; hotlists match only reads their purpose may use; the act is a
//! governance act, audited, and a refused one too.

use crate::helpers::{plate, plates_scope, read, refused, request, ts, Desk, TestApp};
use crate::on_every_backend;
use chrono::{DateTime, Duration, Utc};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use server::clock::Clock;
use shared::{AccessTier, Role};
use sqlx::Row;

on_every_backend!(
    a_national_security_feed_is_left_out_of_a_crime_search_and_named,
    a_change_of_purposes_applies_from_its_date,
    a_hotlist_matches_only_reads_its_purpose_may_use,
);

/// A second feed, `partner`, with three approved cameras; its key and camera ids.
async fn partner(app: &TestApp, admin: &Client) -> (i64, String, Vec<i64>) {
    let created: Value = app.post_json(admin, "/feeds", &json!({ "name": "partner" })).await;
    let feed_id = created["feed"]["id"].as_i64().unwrap();
    let mut ids = Vec::new();
    for (i, zone) in ["core", "core", "lez"].iter().enumerate() {
        let camera = app
            .post_json(
                admin,
                "/cameras",
                &json!({ "feed_id": feed_id, "external_id": format!("P{i}"), "name": format!("Partner {i}"),
                         "lat": 51.51, "lon": -0.09, "zone": zone }),
            )
            .await;
        let r = admin
            .patch(app.api(&format!("/cameras/{}/status", camera["id"])))
            .json(&json!({ "status": "approved", "reason": "governance board decision 14" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        ids.push(camera["id"].as_i64().unwrap());
    }
    (feed_id, created["api_key"].as_str().unwrap().to_owned(), ids)
}

async fn limit(app: &TestApp, admin: &Client, feed_id: i64, body: Value) -> reqwest::Response {
    admin.put(app.api(&format!("/feeds/{feed_id}/purposes"))).json(&body).send().await.unwrap()
}

fn national_security_only(from: DateTime<Utc>) -> Value {
    json!({
        "purposes": ["national_security"],
        "legal_basis": "NSC-2019-04",
        "reason": "Transferred solely for the purposes of safeguarding national security",
        "effective_from": ts(from),
    })
}

fn of_purpose(purpose: &str, scope: Value) -> Value {
    let mut body = request("serious", scope);
    body["purpose"] = json!(purpose);
    body
}

async fn page(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

fn cameras_of(page: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> =
        page["results"].as_array().unwrap().iter().map(|r| r["camera_id"].as_i64().unwrap()).collect();
    ids.sort_unstable();
    ids
}

async fn a_national_security_feed_is_left_out_of_a_crime_search_and_named(app: TestApp) {
    let Desk { admin, key, n1, .. } = app.desk().await;
    let (partner_id, partner_key, partner_cams) = partner(&app, &admin).await;
    let now = app.clock.now();
    let act_at = now - Duration::days(10);

    // Refused acts name what is wrong, and are audited.
    let inv = app.investigator("inv", AccessTier::Central).await;
    refused(limit(&app, &inv, partner_id, national_security_only(act_at)).await, StatusCode::FORBIDDEN, "System admin")
        .await;
    let mut empty = national_security_only(act_at);
    empty["purposes"] = json!([]);
    refused(limit(&app, &admin, partner_id, empty).await, StatusCode::UNPROCESSABLE_ENTITY, "purposes").await;
    let mut no_basis = national_security_only(act_at);
    no_basis["legal_basis"] = json!(" ");
    refused(limit(&app, &admin, partner_id, no_basis).await, StatusCode::UNPROCESSABLE_ENTITY, "legal_basis").await;
    let mut unknown_zone = national_security_only(act_at);
    unknown_zone["zone"] = json!("nowhere");
    refused(limit(&app, &admin, partner_id, unknown_zone).await, StatusCode::UNPROCESSABLE_ENTITY, "nowhere").await;
    refused(limit(&app, &admin, 9999, national_security_only(act_at)).await, StatusCode::NOT_FOUND, "no feed").await;
    let far_ahead = national_security_only(now + Duration::days(400));
    refused(limit(&app, &admin, partner_id, far_ahead).await, StatusCode::UNPROCESSABLE_ENTITY, "effective_from").await;
    assert_eq!(app.audit_rows("source_purposes_refused").await.len(), 5, "each refusal by an admin is audited");

    let r = limit(&app, &admin, partner_id, national_security_only(act_at)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let rows = app.audit_rows("source_purposes_changed").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].details["legal_basis"], "NSC-2019-04");
    assert_eq!(rows[0].details["purposes"], json!(["national_security"]));
    assert_eq!(rows[0].details["dated_back"], true);
    let feeds: Vec<Value> = app.get_json(&admin, "/feeds").await;
    let shown = feeds.iter().find(|f| f["id"] == partner_id).unwrap();
    assert_eq!(shown["purposes"], json!(["national_security"]));
    assert_eq!(shown["legal_basis"], "NSC-2019-04");
    assert_eq!(shown["bases"][0]["reason"], "Transferred solely for the purposes of safeguarding national security");
    let tfl = feeds.iter().find(|f| f["id"] != partner_id).unwrap();
    assert_eq!(tfl["purposes"].as_array().unwrap().len(), 4, "a feed with no act serves every purpose");

    let at = ts(now - Duration::days(1));
    app.ingest(&key, vec![read("AB12CDE", "N1", &at)]).await;
    let partner_reads = ["P0", "P1", "P2"].map(|c| read("AB12CDE", c, &at)).to_vec();
    app.ingest(&partner_key, partner_reads).await;

    let scope = plates_scope(&["AB12CDE"], now - Duration::days(30), now);
    let crime = app.approved(&inv, of_purpose("crime_investigation", scope.clone())).await;
    let found = page(app.search(&inv, crime, plate("AB12CDE", "exact"), now - Duration::days(30), now).await).await;
    assert_eq!(cameras_of(&found), vec![n1], "the partner's reads are not for crime investigation");
    assert_eq!(found["total"], 1);
    let left = found["left_out"].as_array().unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["feed"], "partner");
    assert_eq!(left[0]["cameras"], 3);
    let reason = left[0]["reason"].as_str().unwrap();
    assert!(reason.contains("national security only") && reason.contains("3 cameras left out"), "{reason}");
    // Not reachable through the search either.
    let partner_read = {
        let mut conn = app.raw_conn().await;
        let row = sqlx::query("SELECT id FROM reads WHERE camera_id = $1")
            .bind(partner_cams[0])
            .fetch_one(&mut conn)
            .await
            .unwrap();
        row.try_get::<i64, _>("id").unwrap()
    };
    let sid = found["search_id"].as_i64().unwrap();
    let r = app.get(&inv, &format!("/searches/{sid}/reads/{partner_read}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let run = app.audit_rows("search_run").await;
    assert_eq!(run[0].details["left_out"][0]["cameras"], 3, "the audit row names what was left out");

    // An area search over the partner's cameras says the same.
    let ns = app.approved(&inv, of_purpose("national_security", scope)).await;
    let found = page(app.search(&inv, ns, plate("AB12CDE", "exact"), now - Duration::days(30), now).await).await;
    let mut all = vec![n1];
    all.extend(&partner_cams);
    all.sort_unstable();
    assert_eq!(cameras_of(&found), all, "a national security request sees the partner's reads");
    assert_eq!(found["left_out"], json!([]));
    let sid = found["search_id"].as_i64().unwrap();
    let r = app.get(&inv, &format!("/searches/{sid}/reads/{partner_read}")).await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// The act holds for reads captured from its instant: one second before, the earlier basis
/// (none: every purpose); a later act lifting the limit holds from its own instant, and reads
/// captured between the two keep the limit they were collected under.
async fn a_change_of_purposes_applies_from_its_date(app: TestApp) {
    let Desk { admin, .. } = app.desk().await;
    let (partner_id, partner_key, _) = partner(&app, &admin).await;
    let now = app.clock.now();
    let (t1, t2) = (now - Duration::days(20), now - Duration::days(5));
    for (at, camera) in [(t1 - Duration::seconds(1), "P0"), (t1, "P1"), (t2 - Duration::seconds(1), "P0"), (t2, "P1")] {
        app.ingest(&partner_key, vec![read("AB12CDE", camera, &ts(at))]).await;
    }
    assert_eq!(limit(&app, &admin, partner_id, national_security_only(t1)).await.status(), StatusCode::OK);
    let mut lifted = national_security_only(t2);
    lifted["purposes"] = json!(["crime_investigation", "national_security"]);
    lifted["legal_basis"] = json!("Ministerial decision MD-2026-11");
    lifted["reason"] = json!("Extension to crime investigation approved");
    // Reads collected for national security only stay so (R3): a wider basis cannot be dated
    // back over them, even by a second; it is recorded from its own day on.
    let back_a_second = {
        let mut b = lifted.clone();
        b["effective_from"] = json!(ts(now - Duration::seconds(1)));
        b
    };
    refused(limit(&app, &admin, partner_id, back_a_second).await, StatusCode::UNPROCESSABLE_ENTITY, "only narrow")
        .await;
    app.clock.set(t2);
    assert_eq!(limit(&app, &admin, partner_id, lifted).await.status(), StatusCode::OK);
    app.clock.set(now);

    let inv = app.investigator("inv", AccessTier::Central).await;
    let scope = plates_scope(&["AB12CDE"], now - Duration::days(30), now);
    let crime = app.approved(&inv, of_purpose("crime_investigation", scope)).await;
    let found = page(app.search(&inv, crime, plate("AB12CDE", "exact"), now - Duration::days(30), now).await).await;
    let times: Vec<&str> =
        found["results"].as_array().unwrap().iter().map(|r| r["captured_at"].as_str().unwrap()).collect();
    let shown = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    assert_eq!(times.len(), 2, "{times:?}");
    assert_eq!(
        found["results"].as_array().unwrap().iter().map(|r| r["captured_at"].clone()).collect::<Vec<_>>(),
        vec![json!(shown(t1 - Duration::seconds(1))), json!(shown(t2))],
        "a second before the limit, and from its lifting on"
    );
    let left = &found["left_out"][0];
    assert_eq!(left["from"], json!(shown(t1)));
    assert_eq!(left["until"], json!(shown(t2)));
    assert_eq!(left["cameras"], 3);
    let reason = left["reason"].as_str().unwrap();
    assert!(reason.contains("captured from") && reason.contains("until"), "{reason}");

    // A search wholly before the first act leaves nothing out.
    let found = page(
        app.search(&inv, crime, plate("AB12CDE", "exact"), now - Duration::days(30), t1 - Duration::seconds(1)).await,
    )
    .await;
    assert_eq!(found["left_out"], json!([]));
    assert_eq!(found["total"], 1);
}

async fn alerts_of(app: &TestApp, list: i64) -> i64 {
    let mut conn = app.raw_conn().await;
    let row = sqlx::query("SELECT COUNT(*) AS n FROM alerts WHERE hotlist_id = $1")
        .bind(list)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    row.try_get("n").unwrap()
}

async fn a_hotlist_matches_only_reads_its_purpose_may_use(app: TestApp) {
    let Desk { admin, key, .. } = app.desk().await;
    let (partner_id, partner_key, _) = partner(&app, &admin).await;
    let now = app.clock.now();
    let act = national_security_only(now - Duration::days(1));
    assert_eq!(limit(&app, &admin, partner_id, act).await.status(), StatusCode::OK);
    let hotlister = app.signed_in("hot", &[Role::HotlistAdmin]).await;
    let audience = json!({ "type": "role", "role": "investigator" });
    let crime: Value =
        app.post_json(&hotlister, "/hotlists", &json!({ "name": "VOI", "kind": "voi", "audience": audience })).await;
    assert_eq!(crime["purpose"], "crime_investigation", "a list serves crime investigation unless it says otherwise");
    let ns: Value = app
        .post_json(
            &hotlister,
            "/hotlists",
            &json!({ "name": "CT", "kind": "operation", "audience": audience, "purpose": "national_security" }),
        )
        .await;
    assert_eq!(ns["purpose"], "national_security");
    let (crime, ns) = (crime["id"].as_i64().unwrap(), ns["id"].as_i64().unwrap());
    app.new_entry(&hotlister, crime, "AB12CDE").await;
    app.new_entry(&hotlister, ns, "AB12CDE").await;

    let at = ts(now - Duration::hours(1));
    app.ingest(&partner_key, vec![read("AB12CDE", "P0", &at)]).await;
    assert_eq!((alerts_of(&app, crime).await, alerts_of(&app, ns).await), (0, 1), "the partner's read: NS list only");
    app.ingest(&key, vec![read("AB12CDE", "N1", &at)]).await;
    assert_eq!((alerts_of(&app, crime).await, alerts_of(&app, ns).await), (1, 2), "an unlimited feed: both lists");
    let refused_list = json!({ "name": "X", "kind": "voi", "audience": audience, "purpose": "curiosity" });
    let r = hotlister.post(app.api("/hotlists")).json(&refused_list).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

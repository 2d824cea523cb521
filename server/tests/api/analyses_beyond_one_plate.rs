//! Pattern analyses, each under a request made for it (R10–R13): convoy, several places,
//! vehicle description and pattern of life; their results reached only through the read gate
//! under the analysis that found them, audited and sampled like searches (R21, R22).

use crate::helpers::{approval, read, refused, request, ts, TestApp};
use crate::on_every_backend;
use chrono::{DateTime, Duration, Utc};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use server::clock::Clock;
use shared::{AccessTier, Rank, Role};

on_every_backend!(
    the_simulators_convoy_partners_are_found_first,
    convoy_partners_rank_above_a_vehicle_beside_the_target_once,
    an_analysis_needs_a_request_made_for_it_and_an_inspector,
    several_places_finds_vehicles_in_at_least_k_windows,
    descriptions_match_as_people_say_them_within_the_area,
    a_pattern_of_life_counts_cameras_hours_and_days with |c: &mut server::config::Config| {
        c.audit_sample.beyond_standard_percent = 100.0;
        c.audit_sample.other_percent = 100.0;
    },
);

/// Six approved cameras along a street, S0 … S5, 1 km apart; S5 lies outside [`street_area`].
struct Street {
    admin: Client,
    key: String,
    cameras: Vec<i64>,
}

fn street_area() -> Value {
    json!({ "south": 51.495, "west": -0.11, "north": 51.545, "east": -0.09 })
}

async fn street(app: &TestApp) -> Street {
    let admin = app.signed_in("admin", &[Role::SystemAdmin]).await;
    let created: Value = app.post_json(&admin, "/feeds", &json!({ "name": "street" })).await;
    let feed_id = created["feed"]["id"].as_i64().unwrap();
    let mut cameras = Vec::new();
    for i in 0..6 {
        let lat = if i == 5 { 51.60 } else { 51.50 + 0.009 * f64::from(i) };
        let camera = app
            .post_json(
                &admin,
                "/cameras",
                &json!({ "feed_id": feed_id, "external_id": format!("S{i}"), "name": format!("S{i}"), "lat": lat,
                         "lon": -0.10, "zone": "ccz" }),
            )
            .await;
        let r = admin
            .patch(app.api(&format!("/cameras/{}/status", camera["id"])))
            .json(&json!({ "status": "approved", "reason": "governance board decision 12" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        cameras.push(camera["id"].as_i64().unwrap());
    }
    Street { admin, key: created["api_key"].as_str().unwrap().to_owned(), cameras }
}

/// A read of `plate` at camera `S{camera}` at `at`, of a vehicle described as given.
fn seen(plate: &str, camera: usize, at: DateTime<Utc>, (make, model, colour): (&str, &str, &str)) -> Value {
    let mut r = read(plate, &format!("S{camera}"), &ts(at));
    r["make"] = json!(make);
    r["model"] = json!(model);
    r["colour"] = json!(colour);
    r
}

const FOCUS: (&str, &str, &str) = ("Ford", "Focus", "blue");

/// A request for `analysis` with `scope`, answering the surveillance question.
fn analysis_request(analysis: &str, mut scope: Value) -> Value {
    scope["analysis"] = json!(analysis);
    let mut body = request("serious", scope);
    body["surveillance"] = json!(false);
    body
}

async fn run(app: &TestApp, client: &Client, request_id: i64, query: Value, from: DateTime<Utc>) -> Value {
    let r = app.search(client, request_id, query, from, app.clock.now()).await;
    let status = r.status();
    let page: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{page}");
    page
}

/// A plate search (`mode` exact, partial or misread) under `request_id` over the last 30 days.
async fn history(app: &TestApp, client: &Client, request_id: i64, plate: &str, mode: &str) -> reqwest::Response {
    let now = app.clock.now();
    let query = json!({ "kind": "plate", "plate": plate, "mode": mode });
    app.search(client, request_id, query, now - Duration::days(30), now).await
}

async fn convoy_partners_rank_above_a_vehicle_beside_the_target_once(app: TestApp) {
    let s = street(&app).await;
    let now = app.clock.now();
    let t0 = now - Duration::hours(6);
    let mut reads = Vec::new();
    // The target passes S0 … S4 and S5 (outside the area: a convoy follows the target anywhere).
    for i in 0..6 {
        let at = t0 + Duration::minutes(10 * i as i64);
        reads.push(seen("AB12CDE", i, at, FOCUS));
        // Its partner, 20 s behind it, at S0 … S3.
        if i < 4 {
            reads.push(seen("PA12RTN", i, at + Duration::seconds(20), FOCUS));
        }
        // A second partner, at S1 and S2 only.
        if i == 1 || i == 2 {
            reads.push(seen("SE12CND", i, at - Duration::seconds(45), FOCUS));
        }
        // A misread of the target beside itself is not a companion (R5).
        if i == 2 {
            reads.push(seen("AB12C0E", i, at + Duration::seconds(1), FOCUS));
        }
    }
    // S0 is a busy road: twelve cars pass within a minute of the target, once.
    for n in 0..12 {
        reads.push(seen(&format!("BU{n:02}SYR"), 0, t0 + Duration::seconds(5 * n - 30), FOCUS));
    }
    // Just outside the window: 61 s after the target at S3.
    reads.push(seen("LA73CAR", 3, t0 + Duration::minutes(30) + Duration::seconds(61), FOCUS));
    // The partner elsewhere, away from the target: never part of the result.
    reads.push(seen("PA12RTN", 4, t0 - Duration::hours(2), FOCUS));
    let report = app.ingest(&s.key, reads).await;
    assert_eq!(report["refused"], json!([]), "{report}");

    let inv = app.investigator("ivy", AccessTier::Local).await;
    let ahead = now + Duration::hours(1);
    let scope = json!({ "plates": ["AB12CDE"], "from": ts(now - Duration::days(30)), "to": ts(ahead) });
    let req = app.approved(&inv, analysis_request("convoy", scope)).await;
    let page = run(&app, &inv, req, json!({ "kind": "convoy", "plate": "AB12CDE" }), now - Duration::days(30)).await;
    let convoy = &page["analysis"];
    assert_eq!(convoy["kind"], "convoy");
    assert_eq!(convoy["window_seconds"], 60, "the default window");
    let ranked: Vec<&str> =
        convoy["associates"].as_array().unwrap().iter().map(|a| a["plate"].as_str().unwrap()).collect();
    assert_eq!(&ranked[..2], ["PA12RTN", "SE12CND"], "{convoy}");
    assert!(!ranked.contains(&"AB12C0E") && !ranked.contains(&"LA73CAR") && !ranked.contains(&"AB12CDE"));
    let first = &convoy["associates"][0];
    assert_eq!((first["places"].as_i64(), first["sightings"].as_i64()), (Some(4), Some(4)));
    // A car beside the target once on the busy road ranks below both partners, and its one
    // place is worth less than a quiet one: the crowd there says why.
    let busy = convoy["associates"].as_array().unwrap().iter().find(|a| a["plate"] == "BU00SYR").unwrap();
    assert_eq!(busy["places"], 1);
    assert_eq!(busy["shared"][0]["crowd"], 13, "twelve cars and the partner beside the target at S0");
    assert!(busy["score"].as_f64().unwrap() < convoy["associates"][1]["score"].as_f64().unwrap());
    let quiet = first["shared"].as_array().unwrap().iter().find(|p| p["crowd"] == 2).expect("a quiet place");
    assert!(quiet["weight"].as_f64().unwrap() > busy["shared"][0]["weight"].as_f64().unwrap());

    // Its reads: the target's six and the associates' beside it, each through the gate under it.
    let search_id = page["search_id"].as_i64().unwrap();
    let results = page["results"].as_array().unwrap();
    let partner_read = first["shared"][0]["pairs"][0]["other"].as_i64().unwrap();
    assert!(results.iter().any(|r| r["id"] == partner_read));
    assert!(!results.iter().any(|r| r["plate"] == "LA73CAR"));
    assert_eq!(app.get(&inv, &format!("/searches/{search_id}/reads/{partner_read}")).await.status(), StatusCode::OK);
    let elsewhere = app
        .stored_reads()
        .await
        .into_iter()
        .find(|r| r["plate"] == "PA12RTN" && r["camera_id"] == s.cameras[4])
        .expect("the partner's lone read")["id"]
        .as_i64()
        .unwrap();
    assert!(!results.iter().any(|r| r["id"] == elsewhere));
    let r = app.get(&inv, &format!("/searches/{search_id}/reads/{elsewhere}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "a read outside the analysis that found it");

    // An associate's history under the same request, though the request names only the target;
    // a vehicle the analysis did not name has none.
    let named = history(&app, &inv, req, "PA12RTN", "exact").await;
    assert_eq!(named.status(), StatusCode::CREATED);
    let named: Value = named.json().await.unwrap();
    assert_eq!(named["total"], 4, "its reads at the four places it shared with the target, not the one elsewhere");
    // Named, it may not be watched live: a watch follows the plates the request names.
    let r = app.open_watch(&inv, req, json!({ "kind": "plate", "plate": "PA12RTN", "mode": "exact" })).await;
    refused(r, StatusCode::FORBIDDEN, "a live-time watch follows only plates the request names").await;
    assert!(app
        .audit_rows("search_refused")
        .await
        .iter()
        .any(|e| e.details["asked"]["watch"]["query"]["plate"] == "PA12RTN"));
    // A correction is the user's word, not a camera's: correcting a read to another plate does
    // not make an analysis name that plate (R16).
    let verified = inv
        .post(app.api(&format!("/searches/{search_id}/reads/{partner_read}/verifications")))
        .json(&json!({ "verdict": "misread", "corrected_plate": "SE12CRT", "reason": "patch shows another plate" }))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), StatusCode::CREATED);
    let rerun = run(&app, &inv, req, json!({ "kind": "convoy", "plate": "AB12CDE" }), now - Duration::days(30)).await;
    assert_eq!(rerun["analysis"]["associates"][0]["plate"], "PA12RTN");
    let r = history(&app, &inv, req, "SE12CRT", "exact").await;
    refused(r, StatusCode::FORBIDDEN, "does not cover the plate SE12CRT").await;
    refused(
        history(&app, &inv, req, "LA73CAR", "exact").await,
        StatusCode::FORBIDDEN,
        "does not cover the plate LA73CAR",
    )
    .await;
    let partial = history(&app, &inv, req, "PA12*", "partial").await;
    assert_eq!(partial.status(), StatusCode::FORBIDDEN, "a named vehicle's plate, not a pattern around it");
    let misread = history(&app, &inv, req, "PA12RTN", "misread").await;
    assert_eq!(misread.status(), StatusCode::FORBIDDEN, "its plate, not its misreads");

    // Reopened, the result is the same; restricted from S1 and S2 (R13), the second partner
    // shared nothing with the target that the user may see, and drops out.
    let again: Value = app.get_json(&inv, &format!("/searches/{search_id}")).await;
    assert_eq!(again["analysis"]["associates"][1]["plate"], "SE12CND");
    app.restrict_cameras(&s.admin, "ivy", &[s.cameras[1], s.cameras[2]]).await;
    let again: Value = app.get_json(&inv, &format!("/searches/{search_id}")).await;
    let plates: Vec<&str> =
        again["analysis"]["associates"].as_array().unwrap().iter().map(|a| a["plate"].as_str().unwrap()).collect();
    assert!(!plates.contains(&"SE12CND"), "{plates:?}");
    assert_eq!(again["analysis"]["associates"][0]["places"], 2, "S0 and S3 left of the partner's four");
    assert!(again["results"].as_array().unwrap().iter().all(|r| r["camera_id"] != s.cameras[1]));

    // Audited with what it returned (R21).
    let runs = app.audit_rows("search_run").await;
    let run = runs.iter().find(|e| e.details["search_id"] == search_id).expect("the run on the record");
    assert_eq!(run.details["query"]["kind"], "convoy");
    assert_eq!(run.details["vehicles"][0], "PA12RTN");

    // Barred from convoy analysis (R13), the user reaches no named vehicle's history either.
    let id = app.user_id(&s.admin, "ivy").await;
    let r = s
        .admin
        .put(app.api(&format!("/users/{id}/restrictions")))
        .json(&json!({ "denied_capabilities": ["convoy"], "denied_cameras": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = history(&app, &inv, req, "PA12RTN", "exact").await;
    refused(r, StatusCode::FORBIDDEN, "does not cover the plate PA12RTN").await;
}

async fn an_analysis_needs_a_request_made_for_it_and_an_inspector(app: TestApp) {
    let s = street(&app).await;
    let now = app.clock.now();
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let month = now - Duration::days(30);
    let plates = json!({ "plates": ["AB12CDE"], "from": ts(month), "to": ts(now) });
    let convoy = json!({ "kind": "convoy", "plate": "AB12CDE" });

    // Under a plain request for the same plate: refused, and the refusal on the record.
    let plain = app.approved(&inv, request("serious", plates.clone())).await;
    let r = app.search(&inv, plain, convoy.clone(), month, now).await;
    refused(r, StatusCode::FORBIDDEN, "is not a request for a convoy analysis").await;
    assert_eq!(app.audit_rows("search_refused").await.len(), 1);

    // A request for an analysis answers the surveillance question.
    let mut unanswered = analysis_request("convoy", plates.clone());
    unanswered.as_object_mut().unwrap().remove("surveillance");
    let r = inv.post(app.api("/requests")).json(&unanswered).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["fields"][0]["field"], "surveillance");
    let mut untargeted = analysis_request("pattern", json!({ "plates": ["AB12*"], "from": ts(month), "to": ts(now) }));
    untargeted["surveillance"] = json!(true);
    untargeted["dsa_reference"] = json!("DSA/2026/7");
    let r = inv.post(app.api("/requests")).json(&untargeted).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a pattern of life needs a whole plate");

    // A sergeant may not approve a convoy, serious crime or not; an inspector may. A vehicle
    // description of serious crime a sergeant may approve.
    let sergeant = app.supervisor("sid", Rank::Sergeant).await;
    let inspector = app.supervisor("ian", Rank::Inspector).await;
    let submitted = app.submit_request(&inv, &analysis_request("convoy", plates.clone())).await;
    let r = app.decide_request(&sergeant, &submitted["id"], approval()).await;
    refused(r, StatusCode::FORBIDDEN, "only an inspector may decide it, whatever the crime").await;
    let r = app.decide_request(&inspector, &submitted["id"], approval()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let convoy_req = submitted["id"].as_i64().unwrap();
    let area = json!({ "area": street_area(), "from": ts(month), "to": ts(now) });
    let withdrawn = app.submit_request(&inv, &analysis_request("convoy", plates.clone())).await;
    let r = inv.post(app.api(&format!("/requests/{}/withdraw", withdrawn["id"]))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.decide_request(&inspector, &withdrawn["id"], approval()).await;
    refused(r, StatusCode::CONFLICT, "withdrawn by its requester").await;
    let described = app.submit_request(&inv, &analysis_request("description", area.clone())).await;
    assert_eq!(app.decide_request(&sergeant, &described["id"], approval()).await.status(), StatusCode::OK);

    // Under the convoy request: not a several-places analysis, nor beyond the local reach (R12).
    let r = app.search(&inv, convoy_req, convoy.clone(), month, now).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let places = json!({ "kind": "places", "min_windows": 2, "windows": [
        { "cameras": [s.cameras[0]], "from": ts(now - Duration::hours(3)), "to": ts(now - Duration::hours(2)) },
        { "cameras": [s.cameras[1]], "from": ts(now - Duration::hours(2)), "to": ts(now - Duration::hours(1)) } ] });
    let r = app.search(&inv, convoy_req, places.clone(), now - Duration::hours(3), now).await;
    refused(r, StatusCode::FORBIDDEN, "is not a request for a places analysis").await;
    let long = json!({ "plates": ["AB12CDE"], "from": ts(now - Duration::days(120)), "to": ts(now) });
    let long_req = app.approved(&inv, analysis_request("convoy", long)).await;
    let r = app.search(&inv, long_req, convoy.clone(), now - Duration::days(91), now).await;
    refused(r, StatusCode::FORBIDDEN, "may reach back to").await;
    assert_eq!(
        app.search(&inv, long_req, convoy.clone(), now - Duration::days(90), now).await.status(),
        StatusCode::CREATED
    );

    // A places request naming a restricted camera is refused; the capability restricted, none run (R13).
    let places_req = app.approved(&inv, analysis_request("places", area)).await;
    app.restrict_cameras(&s.admin, "ivy", &[s.cameras[1]]).await;
    let r = app.search(&inv, places_req, places.clone(), now - Duration::hours(3), now).await;
    refused(r, StatusCode::FORBIDDEN, "restricted from camera").await;
    let id = app.user_id(&s.admin, "ivy").await;
    let r = s
        .admin
        .put(app.api(&format!("/users/{id}/restrictions")))
        .json(&json!({ "denied_capabilities": ["convoy"], "denied_cameras": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.search(&inv, convoy_req, convoy.clone(), month, now).await;
    refused(r, StatusCode::FORBIDDEN, "restricted from convoy").await;
    assert_eq!(app.search(&inv, places_req, places, now - Duration::hours(3), now).await.status(), StatusCode::CREATED);

    // No analysis is a live-time watch.
    let r = app.open_watch(&inv, places_req, json!({ "kind": "description", "colour": "red" })).await;
    refused(r, StatusCode::UNPROCESSABLE_ENTITY, "runs over stored reads").await;
}

async fn several_places_finds_vehicles_in_at_least_k_windows(app: TestApp) {
    let s = street(&app).await;
    let now = app.clock.now();
    let hour = |h: i64| now - Duration::hours(h);
    // Three incidents: S0 six hours ago, S2 four hours ago, S4 two hours ago.
    let reads = vec![
        seen("ALL3AAA", 0, hour(6) + Duration::minutes(10), FOCUS),
        seen("ALL3AAA", 2, hour(4) + Duration::minutes(10), FOCUS),
        seen("ALL3AAA", 4, hour(2) + Duration::minutes(10), FOCUS),
        seen("TWO2BBB", 0, hour(6) + Duration::minutes(20), FOCUS),
        seen("TWO2BBB", 0, hour(6) + Duration::minutes(25), FOCUS),
        seen("TWO2BBB", 4, hour(2) + Duration::minutes(20), FOCUS),
        seen("ONE1CCC", 2, hour(4) + Duration::minutes(30), FOCUS),
        // At S2, but an hour after its window closed.
        seen("LATE4DD", 0, hour(6) + Duration::minutes(5), FOCUS),
        seen("LATE4DD", 2, hour(2) + Duration::minutes(30), FOCUS),
    ];
    app.ingest(&s.key, reads).await;
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let scope = json!({ "area": street_area(), "from": ts(now - Duration::days(1)), "to": ts(now) });
    let req = app.approved(&inv, analysis_request("places", scope)).await;
    let window = |camera: usize, h: i64| json!({ "cameras": [s.cameras[camera]], "from": ts(hour(h)), "to": ts(hour(h) + Duration::hours(1)) });
    let windows = json!([window(0, 6), window(2, 4), window(4, 2)]);
    let places = |k: i64| json!({ "kind": "places", "windows": windows, "min_windows": k });
    let vehicles = |page: &Value| -> Vec<(String, i64)> {
        page["analysis"]["vehicles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v["plate"].as_str().unwrap().to_owned(), v["windows"].as_i64().unwrap()))
            .collect()
    };
    let from = hour(6);
    let all3 = run(&app, &inv, req, places(3), from).await;
    assert_eq!(vehicles(&all3), [("ALL3AAA".to_owned(), 3)]);
    assert_eq!(all3["total"], 3, "its three reads");
    let two = run(&app, &inv, req, places(2), from).await;
    assert_eq!(vehicles(&two), [("ALL3AAA".to_owned(), 3), ("TWO2BBB".to_owned(), 2)]);
    assert_eq!(two["analysis"]["vehicles"][1]["reads"][0].as_array().unwrap().len(), 2, "both its reads in window 1");
    assert_eq!(two["analysis"]["vehicles"][1]["reads"][1], json!([]));
    for k in [1, 4] {
        let r = app.search(&inv, req, places(k), from, now).await;
        refused(r, StatusCode::UNPROCESSABLE_ENTITY, "min_windows must be at least 2").await;
    }
    // Windows that overlap list a read in both once; the same window twice is refused.
    let shifted = json!({ "cameras": [s.cameras[0]], "from": ts(hour(6) + Duration::minutes(1)), "to": ts(hour(4)) });
    let twice = json!({ "kind": "places", "windows": [window(0, 6), shifted], "min_windows": 2 });
    let both = run(&app, &inv, req, twice, from).await;
    let repeated = json!({ "kind": "places", "windows": [window(0, 6), window(2, 4), window(0, 6)], "min_windows": 2 });
    refused(
        app.search(&inv, req, repeated, from, now).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "window 3 repeats window 1",
    )
    .await;
    let in_both: Vec<(String, i64)> = vehicles(&both);
    assert!(
        in_both.contains(&("TWO2BBB".to_owned(), 2)) && in_both.contains(&("LATE4DD".to_owned(), 2)),
        "{in_both:?}"
    );
    // A window outside the request's area, or outside the search's time range, is refused.
    let outside = json!({ "kind": "places", "min_windows": 2, "windows": [window(0, 6), window(5, 4)] });
    refused(app.search(&inv, req, outside, from, now).await, StatusCode::FORBIDDEN, "does not cover camera").await;
    refused(app.search(&inv, req, places(2), hour(5), now).await, StatusCode::UNPROCESSABLE_ENTITY, "window 1").await;

    // Each vehicle's reads through the gate under the analysis; TWO2BBB's history under it too.
    let search_id = two["search_id"].as_i64().unwrap();
    let read = two["analysis"]["vehicles"][1]["reads"][2][0].as_i64().unwrap();
    assert_eq!(app.get(&inv, &format!("/searches/{search_id}/reads/{read}")).await.status(), StatusCode::OK);
    let all3_id = all3["search_id"].as_i64().unwrap();
    let r = app.get(&inv, &format!("/searches/{all3_id}/reads/{read}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "not among what the K = 3 analysis found");
    let named = app.search(&inv, req, json!({ "kind": "plate", "plate": "TWO2BBB", "mode": "exact" }), from, now).await;
    assert_eq!(named.status(), StatusCode::CREATED);

    // Exported through the marked export (R14): the reads it found, and no others.
    let r = inv
        .post(app.api(&format!("/searches/{search_id}/export")))
        .json(&json!({ "format": "csv", "recipient": "DS Rowe, Robbery Squad" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("\"OFFICIAL-SENSITIVE\""));
    assert_eq!((csv.matches("TWO2BBB").count(), csv.matches("ALL3AAA").count()), (3, 3), "{csv}");
    assert!(!csv.contains("ONE1CCC") && !csv.contains("LATE4DD"));
}

async fn descriptions_match_as_people_say_them_within_the_area(app: TestApp) {
    let s = street(&app).await;
    let now = app.clock.now();
    let at = now - Duration::hours(3);
    let reads = vec![
        seen("GOLF1AA", 0, at, ("Volkswagen", "Golf", "silver")),
        seen("GOLF2BB", 1, at, ("VW", "golf", "Grey")),
        seen("GOLF3CC", 2, at, ("Volkswagen", "Golf", "blue")),
        seen("FOCUS4D", 3, at, ("Ford", "Focus", "silver")),
        seen("AB12GLF", 4, at, ("VOLKSWAGEN", "GOLF", "gray")),
        // The same car outside the area.
        seen("GOLF6FF", 5, at, ("Volkswagen", "Golf", "silver")),
    ];
    app.ingest(&s.key, reads).await;
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let scope = json!({ "area": street_area(), "from": ts(now - Duration::days(1)), "to": ts(now) });
    let req = app.approved(&inv, analysis_request("description", scope)).await;
    let plates = |page: &Value| -> Vec<String> {
        let mut p: Vec<String> =
            page["results"].as_array().unwrap().iter().map(|r| r["plate"].as_str().unwrap().to_owned()).collect();
        p.sort();
        p
    };
    let grey_vw = json!({ "kind": "description", "make": "VW", "model": "Golf", "colour": "grey" });
    let page = run(&app, &inv, req, grey_vw, now - Duration::days(1)).await;
    assert_eq!(plates(&page), ["AB12GLF", "GOLF1AA", "GOLF2BB"]);
    let with_plate = json!({ "kind": "description", "make": "volkswagen", "colour": "silver", "plate": "AB*" });
    assert_eq!(plates(&run(&app, &inv, req, with_plate, now - Duration::days(1)).await), ["AB12GLF"]);
    let in_part = json!({ "kind": "description", "colour": "silver", "cameras": [s.cameras[0], s.cameras[3]] });
    assert_eq!(plates(&run(&app, &inv, req, in_part, now - Duration::days(1)).await), ["FOCUS4D", "GOLF1AA"]);
    let r = app.search(&inv, req, json!({ "kind": "description", "plate": "AB*" }), now - Duration::days(1), now).await;
    refused(r, StatusCode::UNPROCESSABLE_ENTITY, "a description needs a make, a model or a colour").await;
}

async fn a_pattern_of_life_counts_cameras_hours_and_days(app: TestApp) {
    let s = street(&app).await;
    let now = app.clock.now(); // Monday 2 March 2026, 09:00 UTC (GMT, as London).
                               // A commuter: S0 at 07:45 and S3 at 17:30 on each of the ten working days before now,
                               // and S4 once on a Saturday at 11:00.
    let mut reads = Vec::new();
    let midnight = now - Duration::hours(9);
    for day in 1..=14 {
        let date = midnight - Duration::days(day);
        let weekday = chrono::Datelike::weekday(&date).num_days_from_monday();
        if weekday < 5 {
            reads.push(seen("CO12MMT", 0, date + Duration::minutes(7 * 60 + 45), FOCUS));
            reads.push(seen("CO12MMT", 3, date + Duration::minutes(17 * 60 + 30), FOCUS));
        } else if weekday == 5 && day < 7 {
            reads.push(seen("CO12MMT", 4, date + Duration::hours(11), FOCUS));
        }
    }
    // To be seen, reads arrive within the ingest's window: send them as of their day.
    for r in reads {
        let at: DateTime<Utc> = r["captured_at"].as_str().unwrap().parse().unwrap();
        app.clock.set(at + Duration::minutes(1));
        app.ingest(&s.key, vec![r]).await;
    }
    app.clock.set(now);
    let inv = app.investigator("cen", AccessTier::Central).await;
    let scope = json!({ "plates": ["CO12MMT"], "from": ts(now - Duration::days(365)), "to": ts(now) });
    let req = app.approved(&inv, analysis_request("pattern", scope)).await;
    let page = run(&app, &inv, req, json!({ "kind": "pattern", "plate": "CO12MMT" }), now - Duration::days(365)).await;
    let p = &page["analysis"];
    assert_eq!(p["kind"], "pattern");
    assert_eq!(p["sightings"], 21);
    assert_eq!(p["time_zone"], "Europe/London");
    let hours = p["hours"].as_array().unwrap();
    assert_eq!(
        (hours[7].as_i64(), hours[17].as_i64(), hours[11].as_i64(), hours[8].as_i64()),
        (Some(10), Some(10), Some(1), Some(0))
    );
    assert_eq!(p["weekdays"], json!([4, 4, 4, 4, 4, 1, 0]));
    assert_eq!(p["cameras"][2]["camera_id"], s.cameras[4], "the busiest cameras first");
    assert_eq!(p["cameras"][0]["reads"], 10);
    assert_eq!(p["first"], page["results"][0]["captured_at"]);

    // Sampled for the audit unit like a search (R22), shown as what it was.
    let auditor = app.signed_in("aud", &[Role::Auditor]).await;
    let samples: Vec<Value> = app.get_json(&auditor, "/audit/samples").await;
    assert!(samples.iter().any(|s| s["search_id"] == page["search_id"] && s["query"]["kind"] == "pattern"));

    // Under a request for a convoy of the same plate: not a pattern of life.
    let convoy_scope = json!({ "plates": ["CO12MMT"], "from": ts(now - Duration::days(30)), "to": ts(now) });
    let convoy_req = app.approved(&inv, analysis_request("convoy", convoy_scope)).await;
    let r = app
        .search(&inv, convoy_req, json!({ "kind": "pattern", "plate": "CO12MMT" }), now - Duration::days(30), now)
        .await;
    refused(r, StatusCode::FORBIDDEN, "is not a request for a pattern analysis").await;
}

/// Ground truth from the simulator: a day of London traffic, and for each pair that always
/// travels together, the follower is the leader's first associate.
async fn the_simulators_convoy_partners_are_found_first(app: TestApp) {
    use rand::SeedableRng;
    use server::sim::{self, traffic::Traffic};
    let now = app.clock.now();
    let sites = sim::sites();
    let key = sim::setup(&app.db, now, sim::FEED_NAME, &sites).await.unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(26);
    let mut traffic = Traffic::new(sites, 300, 0, rand::rngs::StdRng::seed_from_u64(27));
    let start = now - Duration::hours(12);
    for hour in 0..12 {
        for _ in 0..150 {
            traffic.start_journey(start + Duration::hours(hour), Duration::hours(1));
        }
    }
    let due = traffic.sightings_until(now);
    let reads: Vec<shared::NativeRead> = due.iter().map(|s| sim::to_read(&traffic, s, false, &mut rng)).collect();
    for batch in reads.chunks(shared::reads::MAX_BATCH) {
        let r = app.send_reads(&key, "/ingest/reads", &json!({ "reads": batch })).await;
        assert!(r.status().is_success(), "{}", r.status());
    }
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let mut checked = 0;
    for &(leader, follower) in &traffic.pairs {
        let (leader, follower) = (&traffic.vehicles[leader].plate, &traffic.vehicles[follower].plate);
        let scope = json!({ "plates": [leader], "from": ts(now - Duration::days(1)), "to": ts(now) });
        let req = app.approved(&inv, analysis_request("convoy", scope)).await;
        let page = run(&app, &inv, req, json!({ "kind": "convoy", "plate": leader }), now - Duration::days(1)).await;
        let associates = page["analysis"]["associates"].as_array().unwrap();
        // A pair whose journeys all ran through cameras not yet approved left no reads.
        let Some(first) = associates.first() else { continue };
        assert_eq!(first["plate"], json!(follower), "{leader}: {}", page["analysis"]);
        if let Some(second) = associates.get(1) {
            assert!(
                first["places"].as_i64() > second["places"].as_i64()
                    || first["score"].as_f64() > second["score"].as_f64()
            );
        }
        checked += 1;
    }
    assert!(checked >= 2, "only {checked} pairs were seen");
}

//! The annual report's figures for oversight bodies (R23) withhold counts small enough to point at one
//! investigation: a count from 1 to k − 1 (k = `oversight.min_count`, 5 by default) is shown
//! only as "fewer than k", in JSON and in the CSV; 0 and counts of k or more are exact.

use crate::helpers::{plate, plates_scope, request, TestApp};
use crate::on_every_backend;
use chrono::Months;
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::clock::Clock;
use shared::{AccessTier, Role};

on_every_backend!(
    figures_cover_the_years_from_2000_to_this_one,
    counts_below_five_are_shown_as_fewer_than_five,
    the_smallest_count_shown_is_configured with |c: &mut server::config::Config| {
        c.oversight.min_count = 4;
    },
);

/// The clock stands in 2026: 1999 and 2027 are refused with the range named, as are years no
/// calendar holds; 2000 and 2026 answer.
async fn figures_cover_the_years_from_2000_to_this_one(app: TestApp) {
    app.create_user("aud", &[Role::Auditor]).await;
    let aud = app.sign_in("aud").await;
    for year in ["2000", "2026"] {
        assert_eq!(app.get(&aud, &format!("/oversight/report?year={year}")).await.status(), StatusCode::OK, "{year}");
    }
    for year in ["1999", "2027", "0", "-5", "99999"] {
        let r = app.get(&aud, &format!("/oversight/report?year={year}&format=csv")).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{year}");
        assert!(crate::helpers::error_of(r).await.contains("from 2000 to 2026"), "{year}");
    }
}

/// Runs `n` searches under a request for `crime_type`.
async fn searches(app: &TestApp, client: &reqwest::Client, crime_type: &str, n: usize) {
    let now = app.clock.now();
    let mut body = request("serious", plates_scope(&["AB12CDE"], now - Months::new(11), now));
    body["crime_type"] = json!(crime_type);
    let req = app.approved(client, body).await;
    for _ in 0..n {
        let r = app.search(client, req, plate("AB12CDE", "exact"), now - Months::new(11), now).await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
}

/// 3 thefts, 4 burglaries and 5 robberies searched for; the figures as JSON, and the CSV.
async fn figures(app: &TestApp) -> (Value, String) {
    let inv = app.investigator("cen", AccessTier::Central).await;
    searches(app, &inv, "Theft", 3).await;
    searches(app, &inv, "Burglary", 4).await;
    searches(app, &inv, "Robbery", 5).await;
    app.create_user("aud", &[Role::Auditor]).await;
    let aud = app.sign_in("aud").await;
    let json: Value = app.get_json(&aud, "/oversight/report?year=2026").await;
    let r = app.get(&aud, "/oversight/report?year=2026&format=csv").await;
    assert_eq!(r.status(), StatusCode::OK);
    (json, r.text().await.unwrap())
}

fn count(figures: &Value, section: &str, item: &str) -> Value {
    figures["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["section"] == section && f["item"] == item)
        .unwrap_or_else(|| panic!("{section} / {item}"))["count"]
        .clone()
}

fn csv_line(section: &str, item: &str, count: &str) -> String {
    format!("\"{section}\",\"{item}\",\"{count}\"\n")
}

async fn counts_below_five_are_shown_as_fewer_than_five(app: TestApp) {
    let (figures, csv) = figures(&app).await;
    let by_crime = |crime: &str| count(&figures, "Summary of use", &format!("Crime type: {crime}"));
    // A crime type is text a user typed: one searched fewer than 5 times is not named, but
    // counted with the others like it (3 thefts and 4 burglaries).
    assert!(!figures.to_string().contains("Theft") && !figures.to_string().contains("Burglary"), "{figures}");
    assert_eq!(by_crime("others, each fewer than 5"), json!(7));
    assert_eq!(by_crime("Robbery"), json!(5), "5 is shown");
    assert_eq!(count(&figures, "Summary of use", "All searches"), json!(12));
    assert_eq!(count(&figures, "Summary of use", "Purpose: Safeguarding (missing or vulnerable person)"), json!(0));
    assert_eq!(count(&figures, "Requests", "Approved"), json!("fewer than 5"), "3 requests");
    // No figure anywhere gives away a count from 1 to 4.
    for f in figures["figures"].as_array().unwrap() {
        let n = f["count"].as_i64();
        assert!(n.is_none_or(|n| n == 0 || n >= 5), "{f}");
        assert!(n.is_some() || f["count"] == "fewer than 5", "{f}");
    }
    assert!(csv.contains(&csv_line("Summary of use", "Crime type: others, each fewer than 5", "7")), "{csv}");
    assert!(csv.contains(&csv_line("Summary of use", "Crime type: Robbery", "5")), "{csv}");
    assert!(csv.contains(&csv_line("Summary of use", "All searches", "12")), "{csv}");
    for n in 1..5 {
        assert!(!csv.contains(&format!(",\"{n}\"\n")), "{csv}");
    }
}

async fn the_smallest_count_shown_is_configured(app: TestApp) {
    let (figures, csv) = figures(&app).await;
    let by_crime = |crime: &str| count(&figures, "Summary of use", &format!("Crime type: {crime}"));
    assert_eq!(by_crime("others, each fewer than 4"), json!("fewer than 4"), "the 3 thefts");
    assert_eq!(by_crime("Burglary"), json!(4));
    assert_eq!(by_crime("Robbery"), json!(5));
    assert!(
        csv.contains(&csv_line("Summary of use", "Crime type: others, each fewer than 4", "fewer than 4")),
        "{csv}"
    );
    assert!(csv.contains(&csv_line("Summary of use", "Crime type: Burglary", "4")), "{csv}");
}

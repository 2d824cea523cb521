//! Who lists evidential statements (R14, R21): their own only for investigators, who alone ask
//! for them; the queue only for supervisors. Every refused listing is recorded as a refusal.

use crate::helpers::{refused, TestApp};
use crate::on_every_backend;
use reqwest::StatusCode;
use serde_json::Value;
use shared::{AccessTier, Rank, Role};

on_every_backend!(only_investigators_list_their_own_statements);

async fn only_investigators_list_their_own_statements(app: TestApp) {
    let sup = app.supervisor("sup", Rank::Sergeant).await;
    let aud = app.signed_in("aud", &[Role::Auditor]).await;
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let duo = app.investigating_inspector("duo").await;

    // Not an investigator: their own statements are refused, asked for by name or by default.
    let refusals = [
        (&sup, "sup", "/statements?which=mine"),
        (&sup, "sup", "/statements"),
        (&aud, "aud", "/statements?which=mine"),
        (&admin, "root", "/statements?which=mine"),
    ];
    for (client, _, path) in refusals {
        refused(app.get(client, path).await, StatusCode::FORBIDDEN, "Investigator").await;
    }
    // Not a supervisor: the queue is refused.
    refused(app.get(&inv, "/statements?which=queue").await, StatusCode::FORBIDDEN, "Supervisor").await;

    // Investigators list theirs; one who is a supervisor too lists both.
    assert!(app.get_json::<Vec<Value>>(&inv, "/statements?which=mine").await.is_empty());
    assert!(app.get_json::<Vec<Value>>(&inv, "/statements").await.is_empty());
    assert!(app.get_json::<Vec<Value>>(&duo, "/statements?which=mine").await.is_empty());
    assert!(app.get_json::<Vec<Value>>(&duo, "/statements?which=queue").await.is_empty());
    assert!(app.get_json::<Vec<Value>>(&sup, "/statements?which=queue").await.is_empty());

    // Each refusal is recorded, with who asked for what and why (R21).
    let rows = app.audit_rows("statement_refused").await;
    assert_eq!(rows.len(), 5, "{rows:?}");
    for (row, (_, who, _)) in rows.iter().zip(refusals) {
        assert_eq!(row.actor, who);
        assert_eq!(row.details["asked"]["which"], "mine");
        assert!(row.details["reason"].as_str().unwrap().contains("Investigator"), "{:?}", row.details);
    }
    assert_eq!((rows[4].actor.as_str(), &rows[4].details["asked"]["which"]), ("ivy", &Value::from("queue")));
}

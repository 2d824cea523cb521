//! Every CSV the server writes (a search's results, R14, R20; the yearly figures, R23) comes
//! from one writer: every cell quoted, and no text that a spreadsheet could take for a formula
//! where a cell could begin, even after a character it might split cells on.

use crate::helpers::{plate, plates_scope, read, request, ts, TestApp};
use crate::on_every_backend;
use chrono::{Duration, Months};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::clock::Clock;
use shared::{AccessTier, Role};

on_every_backend!(every_csv_quotes_every_cell_and_begins_no_cell_with_a_formula);

const OPENERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];
const SPLITS: [char; 6] = [',', ';', '\t', '|', '\r', '\n'];

/// The rows of `raw`, read strictly: every cell must open and close with a quote.
fn quoted_rows(raw: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row) = (Vec::new(), Vec::new());
    let mut chars = raw.chars().peekable();
    while let Some(first) = chars.next() {
        assert_eq!(first, '"', "every cell is quoted; one starts with {first:?} after {row:?}");
        let mut cell = String::new();
        loop {
            match chars.next() {
                Some('"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                Some('"') => break,
                Some(c) => cell.push(c),
                None => panic!("a cell is never closed: {cell:?}"),
            }
        }
        row.push(cell);
        match chars.next() {
            Some(',') => {}
            Some('\n') => rows.push(std::mem::take(&mut row)),
            other => panic!("a cell is followed by {other:?}"),
        }
    }
    assert!(row.is_empty(), "the last row ends with a newline");
    rows
}

/// Whether a spreadsheet could find a formula where a cell of `cell` could begin: at its start
/// or after a splitting character, spaces skipped. A number the server wrote is a number.
fn opens_a_formula(cell: &str) -> bool {
    if cell.parse::<f64>().is_ok() {
        return false;
    }
    let starts = std::iter::once(0)
        .chain(cell.char_indices().filter(|(_, c)| SPLITS.contains(c)).map(|(i, c)| i + c.len_utf8()));
    starts.into_iter().any(|at| cell[at..].trim_start_matches(' ').starts_with(OPENERS))
}

fn assert_safe(rows: &[Vec<String>]) {
    for cell in rows.iter().flatten() {
        assert!(!opens_a_formula(cell), "{cell:?} could start a formula");
    }
}

async fn every_csv_quotes_every_cell_and_begins_no_cell_with_a_formula(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    // Text from a feed that a spreadsheet would take for formulas: at the start of a cell, and
    // after a newline, a comma, a semicolon or a tab inside one.
    let mut risky = read("CSV1", "N1", &ts(now - Duration::hours(3)));
    risky["make"] = json!("Ford\n=HYPERLINK(\"http://e.vil\",\"x\")");
    risky["model"] = json!("-2+3+cmd|' /C calc'!A0");
    risky["colour"] = json!("blue,=1+1;@SUM(A1)\t+1");
    risky["direction"] = json!("  =1");
    app.ingest(&d.key, vec![risky]).await;
    let inv = app.investigator("cen", AccessTier::Central).await;
    let mut body = request("serious", plates_scope(&["CSV1"], now - Months::new(11), now));
    body["crime_type"] = json!("=HYPERLINK(\"http://evil.example\")");
    let req = app.approved(&inv, body).await;
    let r = app.search(&inv, req, plate("CSV1", "exact"), now - Months::new(11), now).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let search_id = r.json::<Value>().await.unwrap()["search_id"].as_i64().unwrap();

    // The search's results.
    let r = inv
        .post(app.api(&format!("/searches/{search_id}/export")))
        .json(&json!({ "format": "csv", "recipient": "=cmd|' /C calc'!A0, DC Hale" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let raw = r.text().await.unwrap();
    let rows = quoted_rows(&raw);
    assert_safe(&rows);
    assert_eq!(rows[0], ["OFFICIAL-SENSITIVE", ""]);
    assert_eq!(rows[6], ["Recipient", "'=cmd|' /C calc'!A0, DC Hale"]);
    let header = rows.iter().position(|r| r[0] == "Read id").expect("the column names");
    let read = &rows[header + 1];
    let column = |name: &str| &read[rows[header].iter().position(|c| c == name).unwrap()];
    assert_eq!(column("Plate as read"), "CSV1");
    assert_eq!(column("Make"), "Ford\n'=HYPERLINK(\"http://e.vil\",\"x\")");
    assert_eq!(column("Model"), "'-2+3+cmd|' /C calc'!A0");
    assert_eq!(column("Colour"), "blue,'=1+1;'@SUM(A1)\t'+1");
    assert_eq!(column("Direction"), "'  =1");
    // Numbers the server wrote stay numbers: the camera's longitude is west of Greenwich.
    assert_eq!(column("Longitude"), "-0.100000");
    assert!(raw.contains("\"Ford\n'=HYPERLINK(\"\"http://e.vil\"\",\"\"x\"\")\""), "{raw}");

    // The annual report: a crime type is text a user typed (named once searched 5 times).
    for _ in 0..4 {
        let r = app.search(&inv, req, plate("CSV1", "exact"), now - Months::new(11), now).await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    app.create_user("aud", &[Role::Auditor]).await;
    let aud = app.sign_in("aud").await;
    let r = app.get(&aud, "/oversight/report?year=2026&format=csv").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let raw = r.text().await.unwrap();
    let rows = quoted_rows(&raw);
    assert_safe(&rows);
    assert_eq!(rows[0], ["section", "item", "value"]);
    let crime =
        rows.iter().find(|r| r[0] == "Summary of use" && r[1].starts_with("Crime type")).expect("the crime type's row");
    assert_eq!(crime[1], "Crime type: =HYPERLINK(\"http://evil.example\")", "never at a cell's start");
    assert!(raw.starts_with("\"section\",\"item\",\"value\"\n"), "{raw}");
}

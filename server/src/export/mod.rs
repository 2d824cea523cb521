//! Exports of search results (R14, R20): the intelligence product as CSV or XLSX, marked
//! OFFICIAL-SENSITIVE with the request reference and the handling conditions; and the
//! evidential statement (PDF), which a supervisor must approve on its own. Every export is
//! recorded as a disclosure with its recipient (R21) and counted for the yearly figures (R23),
//! and kept track of until its keeper says it was deleted ([`lifecycle`], R20): its marking
//! names its review date.

pub mod csv;
pub mod lifecycle;
pub(crate) mod pdf;
pub mod statements;

use crate::access::Investigator;
use crate::audit::{self, Actor, Event};
use crate::clock::to_millis;
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::requests;
use crate::search::{self, Permitted};
use crate::store::{Db, Tx};
use chrono::{DateTime, SecondsFormat, Utc};
use csv::Cell;
use serde_json::json;
use shared::export::{ExportFormat, ExportKind, NewExport, HANDLING, MARKING, REVIEW_BY};
use shared::{AuditAction, ReadView, UserView};
use sqlx::Row;

/// A file ready to send.
#[derive(Debug)]
pub struct ExportFile {
    pub format: ExportFormat,
    pub filename: String,
    pub bytes: Vec<u8>,
}

const COLUMNS: [&str; 15] = [
    "Read id",
    "Captured (UTC)",
    "Plate as read",
    "Corrected plate",
    "Verification",
    "Camera id",
    "Camera",
    "Latitude",
    "Longitude",
    "Direction",
    "Lane",
    "Confidence",
    "Make",
    "Model",
    "Colour",
];

pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A read as one row of cells, in [`COLUMNS`] order: numbers as numbers, everything else as
/// text, made safe for a spreadsheet where it is written ([`csv::neutral`], R14).
fn cells(r: &ReadView) -> [Cell<'_>; 15] {
    let text = |v: &Option<String>| Cell::from(v.clone().unwrap_or_default());
    [
        r.id.into(),
        time(r.captured_at).into(),
        r.plate.as_str().into(),
        text(&r.corrected_plate),
        r.verdict.map(|v| v.label()).unwrap_or_default().into(),
        r.camera_id.into(),
        r.camera_name.as_str().into(),
        Cell::Decimal(r.lat, 6),
        Cell::Decimal(r.lon, 6),
        text(&r.direction),
        r.lane.map_or(Cell::from(""), Cell::Integer),
        Cell::Decimal(r.confidence, 2),
        text(&r.make),
        text(&r.model),
        text(&r.colour),
    ]
}

/// The lines above the table: marking, reference, handling conditions, who it is for, and when
/// its keeper is asked whether it is still needed (R20).
fn preamble(
    reference: &str,
    request_handling: &str,
    by: &UserView,
    at: DateTime<Utc>,
    to: &NewExport,
    review_by: DateTime<Utc>,
) -> Vec<[String; 2]> {
    vec![
        [MARKING.to_owned(), String::new()],
        ["Request reference".into(), reference.to_owned()],
        ["Handling conditions".into(), HANDLING.to_owned()],
        ["Handling agreed in the request".into(), request_handling.to_owned()],
        ["Exported by".into(), format!("{} ({})", by.display_name, by.username)],
        ["Exported at (UTC)".into(), time(at)],
        ["Recipient".into(), to.recipient.trim().to_owned()],
        ["Transfer to another agency".into(), if to.transfer { "yes" } else { "no" }.into()],
        [REVIEW_BY.into(), time(review_by)],
    ]
}

/// The intelligence product as CSV, through the one CSV writer ([`csv::Writer`]).
fn csv(preamble: &[[String; 2]], reads: &[ReadView]) -> Vec<u8> {
    let mut w = csv::Writer::new();
    for line in preamble {
        w.row(line);
    }
    w.row([""]);
    w.row(COLUMNS);
    for read in reads {
        w.row(cells(read));
    }
    w.row([""]);
    w.row([MARKING]);
    w.finish()
}

fn xlsx(preamble: &[[String; 2]], reads: &[ReadView]) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{DocProperties, Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::internal(e);
    let mut book = Workbook::new();
    book.set_properties(&DocProperties::new().set_category(MARKING).set_keywords(MARKING).set_title(&preamble[1][1]));
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("Reads").map_err(fail)?;
    // Printed pages carry the marking at the top and bottom of every page.
    sheet.set_header(format!("&C&\"-,Bold\"{MARKING}"));
    sheet.set_footer(format!("&L{MARKING}&RPage &P of &N"));
    let mut row = 0u32;
    for [label, value] in preamble {
        sheet.write_string_with_format(row, 0, csv::neutral(label), &bold).map_err(fail)?;
        sheet.write_string(row, 1, csv::neutral(value)).map_err(fail)?;
        row += 1;
    }
    row += 1;
    for (col, name) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(row, col as u16, *name, &bold).map_err(fail)?;
    }
    sheet.set_freeze_panes(row + 1, 0).map_err(fail)?;
    for read in reads {
        row += 1;
        for (col, cell) in cells(read).iter().enumerate() {
            sheet.write_string(row, col as u16, cell.shown()).map_err(fail)?;
        }
    }
    sheet.write_string_with_format(row + 2, 0, MARKING, &bold).map_err(fail)?;
    sheet.set_column_width(0, 24).map_err(fail)?;
    sheet.set_column_width(1, 22).map_err(fail)?;
    book.save_to_buffer().map_err(fail)
}

/// One export as a disclosure (R20, R21): what went, to whom, under which request (a subject
/// access disclosure is under none), and when its keeper is asked about it.
pub(crate) struct Disclosure<'a> {
    pub kind: ExportKind,
    pub search_id: Option<i64>,
    pub request_id: Option<i64>,
    pub reference: &'a str,
    /// `csv`, `xlsx`, `pdf` or `json`.
    pub format: &'static str,
    pub recipient: &'a str,
    pub transfer: bool,
    pub rows: usize,
    pub statement_id: Option<i64>,
    pub review_by: DateTime<Utc>,
}

/// Records an export in `tx` with its keeper, `keeper_id`, and review date (R20); it escalates,
/// unanswered, to the supervisor who approved its request (none: the audit unit). Returns its
/// id.
pub(crate) async fn keep(tx: &mut Tx, now: DateTime<Utc>, keeper_id: i64, d: &Disclosure<'_>) -> AppResult<i64> {
    // Asked first: Citus takes no subquery in an INSERT's values.
    let approver: Option<i64> = sqlx::query_scalar("SELECT decided_by FROM requests WHERE id = $1")
        .bind(d.request_id)
        .fetch_optional(tx.conn())
        .await?
        .flatten();
    let id = sqlx::query(
        "INSERT INTO exports (user_id, search_id, format, recipient, transfer, row_count, at, kind, request_id, \
         reference, review_at, escalate_to, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'out') \
         RETURNING id",
    )
    .bind(keeper_id)
    .bind(d.search_id)
    .bind(d.format)
    .bind(d.recipient.trim())
    .bind(i64::from(d.transfer))
    .bind(d.rows as i64)
    .bind(to_millis(now))
    .bind(d.kind.as_str())
    .bind(d.request_id)
    .bind(d.reference)
    .bind(to_millis(d.review_by))
    .bind(approver)
    .fetch_one(tx.conn())
    .await?
    .try_get("id")?;
    Ok(id)
}

/// When an export made at `now` is due for review (R20), as its marking names it.
pub(crate) fn review_by(config: &Config, now: DateTime<Utc>) -> DateTime<Utc> {
    now + chrono::Duration::days(config.exports.review_days)
}

/// Records an export, counted for the yearly figures (R23), kept until its keeper says it was
/// deleted (R20), and audited with its recipient and review date.
pub(crate) async fn record(db: &Db, now: DateTime<Utc>, user: &UserView, d: Disclosure<'_>) -> AppResult<()> {
    let recipient = d.recipient.trim();
    let mut tx = db.begin().await?;
    let export_id = keep(&mut tx, now, user.id, &d).await?;
    let details = json!({
        "export_id": export_id,
        "kind": d.kind,
        "search_id": d.search_id,
        "statement_id": d.statement_id,
        "format": d.format,
        "recipient": recipient,
        "transfer": d.transfer,
        "rows": d.rows,
        "review_by": time(d.review_by),
    });
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(user), AuditAction::Exported).subject(d.reference).details(details),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn request_handling(db: &Db, p: &Permitted) -> AppResult<String> {
    let mut conn = db.pool().acquire().await?;
    let request = requests::find(&mut conn, p.request_id)
        .await?
        .ok_or_else(|| AppError::internal("a permitted search's request vanished"))?;
    Ok(request.request.handling)
}

/// Exports every result of a search `user` ran (up to the count cap) as an intelligence
/// product.
pub async fn search_results(
    db: &Db,
    now: DateTime<Utc>,
    config: &Config,
    user: &Investigator,
    search_id: i64,
    new: NewExport,
) -> AppResult<ExportFile> {
    new.check()?;
    let (permitted, _) = search::reopen(db, now, &config.access, user, search_id).await?;
    let reads = search::all(db, &permitted).await?;
    let handling = request_handling(db, &permitted).await?;
    let review_by = review_by(config, now);
    let lines = preamble(permitted.reference(), &handling, user, now, &new, review_by);
    let bytes = match new.format {
        ExportFormat::Csv => csv(&lines, &reads),
        ExportFormat::Xlsx => xlsx(&lines, &reads)?,
        ExportFormat::Pdf => unreachable!("refused by NewExport::check"),
    };
    let disclosure = Disclosure {
        kind: ExportKind::Spreadsheet,
        search_id: Some(search_id),
        request_id: Some(permitted.request_id),
        reference: permitted.reference(),
        format: new.format.as_str(),
        recipient: &new.recipient,
        transfer: new.transfer,
        rows: reads.len(),
        statement_id: None,
        review_by,
    };
    record(db, now, user, disclosure).await?;
    Ok(ExportFile {
        format: new.format,
        filename: format!("{}-search-{search_id}.{}", permitted.reference(), new.format.as_str()),
        bytes,
    })
}

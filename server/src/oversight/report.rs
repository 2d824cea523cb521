//! The report's figures, section by section as the annual report to the Home Secretary has them
//! (R23), each counted from the rows it summarises for the period; the audit chains' heads and
//! their verification at drawing time; the PDF and the CSV beside it.

use super::Period;
use crate::audit::{self, Actor, Event};
use crate::clock::to_millis;
use crate::error::AppResult;
use crate::export::csv::{Cell, Writer};
use crate::export::pdf::{self, Block};
use crate::store::Db;
use chrono::{DateTime, Utc};
use serde_json::json;
use shared::flags::FlagKind;
use shared::oversight::{self as o, ChainHead, Count, Figure, Report, ReportFormat};
use shared::registers::Answer;
use shared::requests::{Outcome, Purpose};
use shared::verification::Verdict;
use shared::{AuditAction, UserView};
use sqlx::Row;

/// Counts rows for one period, withholding those from 1 to k − 1.
struct Counter<'a> {
    db: &'a Db,
    period: Period,
    min_count: i64,
    figures: Vec<Figure>,
}

impl Counter<'_> {
    fn push(&mut self, section: &str, item: impl Into<String>, n: i64) {
        let count = Count::shown(n, self.min_count);
        self.figures.push(Figure { section: section.to_owned(), item: item.into(), count });
    }

    /// `sql`'s `n`, with the period's bounds as `$1` and `$2`.
    async fn single(&self, sql: &str) -> Result<i64, sqlx::Error> {
        sqlx::query(sql).bind(self.period.start).bind(self.period.end).fetch_one(self.db.pool()).await?.try_get("n")
    }

    /// `sql`'s `(label, n)` rows, with the period's bounds as `$1` and `$2`.
    async fn grouped(&self, sql: &str) -> Result<Vec<(String, i64)>, sqlx::Error> {
        let rows = sqlx::query(sql).bind(self.period.start).bind(self.period.end).fetch_all(self.db.pool()).await?;
        rows.iter().map(|r| Ok((r.try_get::<String, _>("label")?, r.try_get::<i64, _>("n")?))).collect()
    }

    async fn count(&mut self, section: &str, item: &str, sql: &str) -> Result<(), sqlx::Error> {
        let n = self.single(sql).await?;
        self.push(section, item, n);
        Ok(())
    }

    /// One figure per `(item, key)`, from `sql`'s rows labelled by key (0 where none).
    async fn each<'k>(
        &mut self,
        section: &str,
        items: impl IntoIterator<Item = (String, &'k str)>,
        sql: &str,
    ) -> Result<(), sqlx::Error> {
        let rows = self.grouped(sql).await?;
        for (item, key) in items {
            let n = rows.iter().find(|(label, _)| label == key).map_or(0, |(_, n)| *n);
            self.push(section, item, n);
        }
        Ok(())
    }

    /// One figure per row of `sql`, its item `prefix` and the row's label.
    async fn listed(&mut self, section: &str, prefix: &str, sql: &str) -> Result<(), sqlx::Error> {
        for (label, n) in self.grouped(sql).await? {
            self.push(section, format!("{prefix}{label}"), n);
        }
        Ok(())
    }

    /// [`listed`](Self::listed) for text a user typed (a crime type, a recipient): a label
    /// counted fewer than k times is not named — it could name a person or an investigation —
    /// but counted with the others like it, under "other".
    async fn named_if_common(&mut self, section: &str, prefix: &str, sql: &str) -> Result<(), sqlx::Error> {
        let (common, rare) = self.folded(self.grouped(sql).await?);
        for (label, n) in common {
            self.push(section, format!("{prefix}{label}"), n);
        }
        if rare > 0 {
            let k = self.min_count;
            self.push(section, format!("{prefix}others, each fewer than {k}"), rare);
        }
        Ok(())
    }

    /// The rows counted at least k times, and the sum of the others.
    fn folded(&self, rows: Vec<(String, i64)>) -> (Vec<(String, i64)>, i64) {
        let (common, rare): (Vec<_>, Vec<_>) = rows.into_iter().partition(|(_, n)| *n >= self.min_count);
        (common, rare.iter().map(|(_, n)| n).sum())
    }
}

/// The figures for `period`, each from the rows it summarises.
pub async fn figures(db: &Db, now: DateTime<Utc>, period: Period, min_count: i64) -> Result<Vec<Figure>, sqlx::Error> {
    let mut c = Counter { db, period, min_count, figures: Vec::new() };

    // Summary of use: searches (analyses included) by purpose, crime type and kind.
    let s = o::SUMMARY_OF_USE;
    let searches = "FROM searches s JOIN requests q ON q.id = s.request_id WHERE s.at >= $1 AND s.at < $2";
    c.count(s, "All searches", &format!("SELECT COUNT(*) AS n {searches}")).await?;
    c.count(
        s,
        "Reaching beyond the standard window",
        &format!("SELECT COUNT(*) AS n {searches} AND s.beyond_standard = 1"),
    )
    .await?;
    let purposes = Purpose::ALL.map(|p| (format!("Purpose: {}", p.label()), p.as_str()));
    c.each(s, purposes, &format!("SELECT q.purpose AS label, COUNT(*) AS n {searches} GROUP BY q.purpose")).await?;
    let by_crime =
        format!("SELECT q.crime_type AS label, COUNT(*) AS n {searches} GROUP BY q.crime_type ORDER BY q.crime_type");
    c.named_if_common(s, "Crime type: ", &by_crime).await?;
    let by_kind =
        format!("SELECT s.capability AS label, COUNT(*) AS n {searches} GROUP BY s.capability ORDER BY s.capability");
    c.listed(s, "Kind: ", &by_kind).await?;

    // Difficulties: the breach register.
    let s = o::DIFFICULTIES;
    let breaches = "FROM register_entries WHERE register = 'breach' AND recorded_at >= $1 AND recorded_at < $2";
    c.count(s, "Breaches recorded", &format!("SELECT COUNT(*) AS n {breaches}")).await?;
    c.count(s, "Breaches closed", &format!("SELECT COUNT(*) AS n {breaches} AND closed_at IS NOT NULL")).await?;
    c.count(s, "Breaches still open", &format!("SELECT COUNT(*) AS n {breaches} AND closed_at IS NULL")).await?;

    // Technical difficulties: outages begun in the period, by feed and by length.
    let s = o::TECHNICAL_DIFFICULTIES;
    let outages = "FROM camera_outages o JOIN cameras c ON c.id = o.camera_id JOIN feeds f ON f.id = c.feed_id \
                   WHERE o.started_at >= $1 AND o.started_at < $2";
    c.count(s, "Camera outages", &format!("SELECT COUNT(*) AS n {outages}")).await?;
    let kinds = [("Silent for longer than usual".to_owned(), "silent"), ("Refusing reads".to_owned(), "refusing")];
    c.each(s, kinds, &format!("SELECT o.kind AS label, COUNT(*) AS n {outages} GROUP BY o.kind")).await?;
    c.listed(s, "Feed: ", &format!("SELECT f.name AS label, COUNT(*) AS n {outages} GROUP BY f.name ORDER BY f.name"))
        .await?;
    let hour = 3_600_000;
    let lengths = [
        ("Under 1 hour", format!("o.ended_at - o.started_at < {hour}")),
        ("1 to 6 hours", format!("o.ended_at - o.started_at >= {hour} AND o.ended_at - o.started_at < {}", 6 * hour)),
        (
            "6 to 24 hours",
            format!("o.ended_at - o.started_at >= {} AND o.ended_at - o.started_at < {}", 6 * hour, 24 * hour),
        ),
        ("24 hours or more", format!("o.ended_at - o.started_at >= {}", 24 * hour)),
    ];
    for (item, cond) in lengths {
        c.count(s, item, &format!("SELECT COUNT(*) AS n {outages} AND o.ended_at IS NOT NULL AND {cond}")).await?;
    }
    c.count(s, "Still out when drawn", &format!("SELECT COUNT(*) AS n {outages} AND o.ended_at IS NULL")).await?;
    let now_ms = to_millis(now);
    let hours_out = format!(
        "SELECT CAST(COALESCE(SUM(COALESCE(o.ended_at, {now_ms}) - o.started_at), 0) / {hour} AS BIGINT) AS n {outages}"
    );
    c.count(s, "Hours out, all cameras (whole hours)", &hours_out).await?;

    // Audit: the random sample's findings (R22).
    let s = o::AUDIT;
    let sampled = "FROM audit_samples WHERE sampled_at >= $1 AND sampled_at < $2";
    c.count(s, "Searches sampled", &format!("SELECT COUNT(*) AS n {sampled}")).await?;
    c.count(
        s,
        "Found necessary and proportionate",
        &format!("SELECT COUNT(*) AS n {sampled} AND necessary = 1 AND proportionate = 1"),
    )
    .await?;
    c.count(
        s,
        "Found not necessary or not proportionate",
        &format!("SELECT COUNT(*) AS n {sampled} AND (necessary = 0 OR proportionate = 0)"),
    )
    .await?;
    c.count(s, "Awaiting review", &format!("SELECT COUNT(*) AS n {sampled} AND reviewed_at IS NULL")).await?;
    // Unusual use flagged for the audit unit in the period, by kind, and how many of those
    // flags an auditor has reviewed (R21, R22).
    let flagged = "FROM usage_flags WHERE flagged_at >= $1 AND flagged_at < $2";
    c.count(s, "Unusual use flagged", &format!("SELECT COUNT(*) AS n {flagged}")).await?;
    let kinds = FlagKind::ALL.map(|k| (format!("Flagged: {}", k.label()), k.as_str()));
    c.each(s, kinds, &format!("SELECT kind AS label, COUNT(*) AS n {flagged} GROUP BY kind")).await?;
    c.count(s, "Flags reviewed", &format!("SELECT COUNT(*) AS n {flagged} AND reviewed_at IS NOT NULL")).await?;
    c.count(
        s,
        "Accesses refused",
        "SELECT COUNT(*) AS n FROM audit_log WHERE at >= $1 AND at < $2 AND action LIKE '%_refused'",
    )
    .await?;

    // Challenges: verifications (R15) and cloned-plate indicators (R17).
    let s = o::CHALLENGES;
    let verdicts = Verdict::ALL.map(|v| (format!("Verified: {}", v.label()), v.as_str()));
    c.each(
        s,
        verdicts,
        "SELECT verdict AS label, COUNT(*) AS n FROM verifications WHERE verified_at >= $1 AND verified_at < $2 GROUP BY verdict",
    )
    .await?;
    let pairs = "FROM clone_pairs p WHERE p.flagged_at >= $1 AND p.flagged_at < $2";
    c.count(s, "Cloned-plate indicators flagged", &format!("SELECT COUNT(*) AS n {pairs}")).await?;
    c.count(
        s,
        "Cloned-plate indicators confirmed by verification",
        // A read's verdict is its latest verification's (R15): asked of the verifications, kept
        // beside the pairs (on Citus both on the coordinator, where `reads` is not).
        &format!(
            "SELECT COUNT(*) AS n {pairs} AND EXISTS (SELECT 1 FROM verifications v \
             WHERE v.read_id IN (p.first_read_id, p.second_read_id) AND v.verdict = 'cloned' \
             AND NOT EXISTS (SELECT 1 FROM verifications later WHERE later.read_id = v.read_id AND later.id > v.id))"
        ),
    )
    .await?;

    // Transfers: exports, and those to other agencies by recipient (R14, R20, R21).
    let s = o::TRANSFERS;
    let exports = "FROM exports WHERE at >= $1 AND at < $2";
    let formats = [("Spreadsheets (CSV)", "csv"), ("Spreadsheets (XLSX)", "xlsx"), ("Evidential statements", "pdf")]
        .map(|(item, key)| (item.to_owned(), key));
    c.each(s, formats, &format!("SELECT format AS label, COUNT(*) AS n {exports} GROUP BY format")).await?;
    c.count(s, "Transfers to other agencies", &format!("SELECT COUNT(*) AS n {exports} AND transfer = 1")).await?;
    let recipients = format!(
        "SELECT recipient AS label, COUNT(*) AS n {exports} AND transfer = 1 GROUP BY recipient ORDER BY recipient"
    );
    c.named_if_common(s, "Recipient: ", &recipients).await?;

    // Requests: search requests by seriousness (R10, R11), and subject access requests.
    let s = o::REQUESTS;
    let seriousness = [("serious", "serious crime"), ("volume", "volume crime")];
    let submitted = "FROM requests WHERE submitted_at >= $1 AND submitted_at < $2";
    c.count(s, "Search requests submitted", &format!("SELECT COUNT(*) AS n {submitted}")).await?;
    let items = seriousness.map(|(key, label)| (format!("Submitted, {label}"), key));
    c.each(s, items, &format!("SELECT seriousness AS label, COUNT(*) AS n {submitted} GROUP BY seriousness")).await?;
    for (status, word) in [("approved", "Approved"), ("rejected", "Rejected")] {
        let decided = format!("FROM requests WHERE decided_at >= $1 AND decided_at < $2 AND status = '{status}'");
        c.count(s, word, &format!("SELECT COUNT(*) AS n {decided}")).await?;
        let items = seriousness.map(|(key, label)| (format!("{word}, {label}"), key));
        c.each(s, items, &format!("SELECT seriousness AS label, COUNT(*) AS n {decided} GROUP BY seriousness")).await?;
    }
    let sars = "FROM register_entries WHERE register = 'subject_access' AND recorded_at >= $1 AND recorded_at < $2";
    c.count(s, "Subject access requests received", &format!("SELECT COUNT(*) AS n {sars}")).await?;
    let answers = Answer::ALL.map(|a| (format!("Subject access answered: {}", a.label()), a.as_str()));
    c.each(
        s,
        answers,
        &format!("SELECT answer AS label, COUNT(*) AS n {sars} AND closed_at IS NOT NULL GROUP BY answer"),
    )
    .await?;
    c.count(s, "Subject access requests still open", &format!("SELECT COUNT(*) AS n {sars} AND closed_at IS NULL"))
        .await?;

    // General privacy issues: what is held for investigations, and anything held too long.
    let s = o::GENERAL_PRIVACY;
    c.count(
        s,
        "Reads preserved in the evidence locker",
        "SELECT COUNT(*) AS n FROM locker_items WHERE preserved_at >= $1 AND preserved_at < $2",
    )
    .await?;
    c.count(
        s,
        "Live-time watches opened",
        "SELECT COUNT(*) AS n FROM searches WHERE at >= $1 AND at < $2 AND live = 1",
    )
    .await?;

    // Deletions: the retention purge (R18) and the evidence locker (R19).
    let s = o::DELETIONS;
    let purges = "FROM purge_runs WHERE at >= $1 AND at < $2";
    c.count(s, "Purge runs", &format!("SELECT COUNT(*) AS n {purges}")).await?;
    c.count(
        s,
        "Reads deleted by the retention purge",
        &format!("SELECT CAST(COALESCE(SUM(reads), 0) AS BIGINT) AS n {purges}"),
    )
    .await?;
    c.count(
        s,
        "Images deleted by the retention purge",
        &format!("SELECT CAST(COALESCE(SUM(images), 0) AS BIGINT) AS n {purges}"),
    )
    .await?;
    let locker = [
        ("Locker items deleted as no longer needed".to_owned(), "not_needed"),
        ("Locker items deleted after unanswered reviews".to_owned(), "unanswered"),
    ];
    c.each(
        s,
        locker,
        "SELECT deleted_why AS label, COUNT(*) AS n FROM locker_items WHERE deleted_at >= $1 AND deleted_at < $2 \
         GROUP BY deleted_why",
    )
    .await?;

    // Usefulness: what the requests closed in the period were worth, by purpose and crime type.
    let s = o::USEFULNESS;
    let closed = "FROM requests WHERE closed_at >= $1 AND closed_at < $2 AND outcome IS NOT NULL";
    c.count(s, "Requests closed with an outcome", &format!("SELECT COUNT(*) AS n {closed}")).await?;
    let outcomes = Outcome::ALL.map(|x| (x.label().to_owned(), x.as_str()));
    c.each(s, outcomes, &format!("SELECT outcome AS label, COUNT(*) AS n {closed} GROUP BY outcome")).await?;
    let by_purpose = c
        .grouped(&format!(
            "SELECT purpose || '/' || outcome AS label, COUNT(*) AS n {closed} GROUP BY purpose, outcome"
        ))
        .await?;
    for purpose in Purpose::ALL {
        for outcome in Outcome::ALL {
            let key = format!("{}/{}", purpose.as_str(), outcome.as_str());
            if let Some((_, n)) = by_purpose.iter().find(|(k, _)| *k == key) {
                c.push(s, format!("{}: {}", purpose.label(), outcome.label()), *n);
            }
        }
    }
    let by_crime = c
        .grouped(&format!(
            "SELECT crime_type || ': ' || outcome AS label, COUNT(*) AS n {closed} GROUP BY crime_type, outcome \
             ORDER BY crime_type, outcome"
        ))
        .await?;
    // A crime type closed fewer than k times with one outcome is counted with the others.
    let (common, rare) = c.folded(by_crime.clone());
    let label = |label: &str| {
        let (crime, outcome) = label.rsplit_once(": ").unwrap_or((label, ""));
        (crime.to_owned(), Outcome::parse(outcome).map_or_else(|| outcome.to_owned(), |o| o.label().to_owned()))
    };
    for (row, n) in common {
        let (crime, outcome) = label(&row);
        c.push(s, format!("Crime type: {crime}: {outcome}"), n);
    }
    if rare > 0 {
        let k = c.min_count;
        c.push(s, format!("Crime types each closed fewer than {k} times with one outcome"), rare);
    }
    c.count(
        s,
        "Approved requests ended in the period without an outcome",
        "SELECT COUNT(*) AS n FROM requests WHERE status = 'approved' AND closed_at IS NULL \
         AND expires_at >= $1 AND expires_at < $2",
    )
    .await?;
    Ok(c.figures)
}

/// The audit chains' heads as they stand.
async fn heads(tx: &mut crate::store::Tx) -> Result<Vec<ChainHead>, sqlx::Error> {
    let rows = sqlx::query("SELECT chain, seq, hash FROM audit_chains ORDER BY chain").fetch_all(tx.conn()).await?;
    rows.iter()
        .map(|r| Ok(ChainHead { chain: r.try_get("chain")?, seq: r.try_get("seq")?, hash: r.try_get("hash")? }))
        .collect()
}

/// Draws the report for `period` at `now`: the chains verified, the figures, and the chains'
/// heads as they stood when the drawing was recorded (R21) — the heads and the record in one
/// transaction, so the document names exactly the log its figures were drawn from.
pub async fn draw(
    db: &Db,
    now: DateTime<Utc>,
    by: &UserView,
    period: Period,
    min_count: i64,
    format: ReportFormat,
) -> AppResult<Report> {
    let chains = audit::verify(db).await?;
    let figures = figures(db, now, period, min_count).await?;
    let mut tx = db.begin().await?;
    let heads = heads(&mut tx).await?;
    let event = Event::new(Actor::user(by), AuditAction::ReportDrawn).details(json!({
        "from": period.from,
        "to": period.to,
        "format": format,
        "heads": heads,
        "chains_intact": chains.intact(),
    }));
    audit::record(&mut tx, now, event).await?;
    tx.commit().await?;
    Ok(Report { from: period.from, to: period.to, drawn_at: now, min_count, heads, chains, figures })
}

/// The lines that say what the report is and how to check it.
fn about(report: &Report) -> Vec<(String, String)> {
    let mut lines = vec![
        ("Period".to_owned(), format!("{} to {} (UTC, both days included)", report.from, report.to)),
        ("Drawn at".to_owned(), crate::search::grant::stamp(report.drawn_at)),
        (
            "Smallest count shown".to_owned(),
            format!("{} (smaller counts read \"fewer than {}\")", report.min_count, report.min_count),
        ),
    ];
    let chains = &report.chains;
    let verified = match chains.first_broken {
        None => format!("intact: {} rows in {} chains checked", chains.rows_checked, chains.chains_checked),
        Some(at) => format!("BROKEN at row {at}: {}", chains.reason.clone().unwrap_or_default()),
    };
    lines.push(("Audit log verified".to_owned(), verified));
    for head in &report.heads {
        lines.push((format!("Audit chain {} head", head.chain), format!("row {} hash {}", head.seq, head.hash)));
    }
    lines
}

/// The report as a PDF: every section, with its figures or "Nothing recorded".
pub fn pdf(report: &Report) -> Vec<u8> {
    let title = format!("ANPR annual report, {} to {}", report.from, report.to);
    let mut blocks = vec![Block::Title(title.clone()), Block::Heading("About this report".into())];
    for (what, value) in about(report) {
        blocks.push(Block::Row(format!("{what}: {value}")));
    }
    for (n, section) in o::SECTIONS.iter().enumerate() {
        blocks.push(Block::Gap);
        blocks.push(Block::Heading(format!("{}. {section}", n + 1)));
        let mut any = false;
        for f in report.figures.iter().filter(|f| f.section == *section) {
            blocks.push(Block::Row(format!("{}: {}", f.item, f.count)));
            any = true;
        }
        if !any {
            blocks.push(Block::Text("Nothing recorded.".into()));
        }
    }
    pdf::render(&title, "OFFICIAL - figures only, no personal data", &blocks)
}

/// The report as CSV (`section,item,value`), through the one CSV writer: a crime type or a
/// recipient is text a user typed, made inert for a spreadsheet like any other (R14, R23).
pub fn csv(report: &Report) -> Vec<u8> {
    let mut w = Writer::new();
    w.row(["section", "item", "value"]);
    for (what, value) in about(report) {
        w.row([Cell::from("About this report"), Cell::from(what), Cell::from(value)]);
    }
    for f in &report.figures {
        let value = match f.count {
            Count::Exact(n) => Cell::Integer(n),
            withheld => Cell::from(withheld.to_string()),
        };
        w.row([Cell::from(&f.section), Cell::from(&f.item), value]);
    }
    w.finish()
}

//! The annual report to oversight bodies (R23), for auditors: a period (a year or any days), a
//! preview of every section, the PDF and the CSV beside it, how evenly the network watches (a
//! map layer and a table of zones), and the de-identified extract for independent analysis.

use crate::api;
use crate::components::loaded::Loaded;
use crate::components::map::LeafletMap;
use chrono::{Datelike, NaiveDate};
use leptos::prelude::*;
use shared::endpoints::{with_query, OVERSIGHT_EXTRACT, OVERSIGHT_INTENSITY, OVERSIGHT_REPORT};
use shared::oversight::{Intensity, PeriodQuery, Report, ReportFormat, SECTIONS};

fn query(from: NaiveDate, to: NaiveDate, format: Option<ReportFormat>) -> PeriodQuery {
    PeriodQuery { year: None, from: Some(from), to: Some(to), format }
}

#[component]
pub fn OversightPage() -> impl IntoView {
    if let Err(refused) = crate::session::page_user("/oversight") {
        return refused;
    }
    let today = crate::now().date_naive();
    let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let from = RwSignal::new(year_start);
    let to = RwSignal::new(today);
    let report = LocalResource::new(move || {
        let q = query(from.get(), to.get(), None);
        async move { api::get::<Report>(&with_query(OVERSIGHT_REPORT, &q)).await }
    });
    let intensity = LocalResource::new(move || {
        let q = query(from.get(), to.get(), None);
        async move { api::get::<Intensity>(&with_query(OVERSIGHT_INTENSITY, &q)).await }
    });
    let link = move |path: &'static str, format: Option<ReportFormat>| {
        move || api::url(&with_query(path, &query(from.get(), to.get(), format)))
    };
    let set_day = move |signal: RwSignal<NaiveDate>| {
        move |ev| {
            if let Ok(day) = NaiveDate::parse_from_str(&event_target_value(&ev), "%Y-%m-%d") {
                signal.set(day)
            }
        }
    };
    let set_year = move |ev| {
        if let Ok(y) = event_target_value(&ev).parse::<i32>() {
            if let Some(first) = NaiveDate::from_ymd_opt(y, 1, 1) {
                from.set(first);
                to.set(NaiveDate::from_ymd_opt(y, 12, 31).unwrap_or(first).min(today));
            }
        }
    };
    view! {
        <section class="page">
            <h1>"Annual report"</h1>
            <div class="row">
                <label>"Year" <input type="number" name="year" min="2000" max=today.year() value=today.year() on:change=set_year/></label>
                <label>"From" <input type="date" name="from" prop:value=move || from.get().to_string() on:change=set_day(from)/></label>
                <label>"To" <input type="date" name="to" prop:value=move || to.get().to_string() on:change=set_day(to)/></label>
                <a class="button" data-testid="download-pdf" href=link(OVERSIGHT_REPORT, Some(ReportFormat::Pdf)) download="">"Download PDF"</a>
                <a class="button" data-testid="download-csv" href=link(OVERSIGHT_REPORT, Some(ReportFormat::Csv)) download="">"Download CSV"</a>
                <a class="button secondary" data-testid="download-extract" href=link(OVERSIGHT_EXTRACT, None) download="">"Extract for independent analysis"</a>
            </div>
            <p class="notice">"Every figure is drawn from the records as they stand; counts small enough to point at one investigation read \"fewer than k\". Drawing the report is audited, and the document names the audit log's heads at that moment."</p>
            <Loaded what=report let:r>
                <ReportPreview report=r/>
            </Loaded>
            <h2>"How evenly the network watches"</h2>
            <Loaded what=intensity let:i>
                <IntensityView intensity=i/>
            </Loaded>
        </section>
    }
    .into_any()
}

#[component]
fn ReportPreview(report: Report) -> impl IntoView {
    let chains = if report.chains.intact() {
        format!(
            "Audit log intact: {} rows in {} chains checked.",
            report.chains.rows_checked, report.chains.chains_checked
        )
    } else {
        format!(
            "Audit log BROKEN at row {}: {}",
            report.chains.first_broken.unwrap_or(0),
            report.chains.reason.clone().unwrap_or_default()
        )
    };
    view! {
        <p data-testid="report-about">
            {format!("{} to {}, drawn at {}. ", report.from, report.to, report.drawn_at.format("%Y-%m-%d %H:%M:%S UTC"))}
            {chains}
        </p>
        <div class="report-sections" data-testid="report-sections">
            {SECTIONS.iter().enumerate().map(|(n, section)| {
                let rows: Vec<_> = report.figures.iter().filter(|f| f.section == *section).cloned().collect();
                view! {
                    <details open=n < 3>
                        <summary>{format!("{}. {section}", n + 1)}</summary>
                        {if rows.is_empty() {
                            view! { <p class="muted">"Nothing recorded."</p> }.into_any()
                        } else {
                            view! {
                                <table class="grid">
                                    <tbody>{rows.into_iter().map(|f| view! {
                                        <tr><td>{f.item}</td><td class="number">{f.count.to_string()}</td></tr>
                                    }).collect_view()}</tbody>
                                </table>
                            }.into_any()
                        }}
                    </details>
                }
            }).collect_view()}
        </div>
    }
}

#[component]
fn IntensityView(intensity: Intensity) -> impl IntoView {
    let settings = crate::session::map_settings();
    #[cfg(feature = "hydrate")]
    let on_ready = {
        let shown = intensity.clone();
        Callback::new(move |handle: crate::components::map::MapHandle| {
            crate::components::live::show_intensity(&handle, &shown);
        })
    };
    #[cfg(not(feature = "hydrate"))]
    let on_ready = Callback::new(|_: crate::components::map::MapHandle| {});
    let cells = intensity.cells.len();
    let cameras = intensity.cameras.len();
    view! {
        <p>{format!("{cameras} cameras in {cells} cells of about 1 km; circles grow with the reads in each cell.")}</p>
        <div class="intensity-map" data-testid="intensity-map"><LeafletMap settings=settings on_ready=on_ready/></div>
        <table class="grid" data-testid="intensity-zones">
            <thead><tr><th>"Zone"</th><th>"Cameras"</th><th>"Reads"</th></tr></thead>
            <tbody>{intensity.zones.into_iter().map(|z| view! {
                <tr><td>{z.zone}</td><td class="number">{z.cameras}</td><td class="number">{z.reads.to_string()}</td></tr>
            }).collect_view()}</tbody>
        </table>
    }
}

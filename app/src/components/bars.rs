//! A small bar chart in SVG: counts by hour, weekday or camera.

use leptos::prelude::*;

/// A bar chart of counts, each bar labelled and titled with its count.
#[component]
pub fn Bars(title: String, labels: Vec<String>, values: Vec<i64>, testid: &'static str) -> impl IntoView {
    let top = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let width = 100.0 / values.len().max(1) as f64;
    view! {
        <figure class="bars" data-testid=testid>
            <figcaption>{title}</figcaption>
            <svg viewBox="0 0 100 44" role="img" preserveAspectRatio="none">
                {values.iter().zip(&labels).enumerate().map(|(i, (v, label))| {
                    let h = 36.0 * *v as f64 / top;
                    view! {
                        <rect x=format!("{:.2}", i as f64 * width + width * 0.1) y=format!("{:.2}", 36.0 - h)
                            width=format!("{:.2}", width * 0.8) height=format!("{h:.2}")>
                            <title>{format!("{label}: {v}")}</title>
                        </rect>
                    }
                }).collect_view()}
                {labels.iter().enumerate().filter(|(i, _)| i % labels.len().div_ceil(8).max(1) == 0).map(|(i, label)| view! {
                    <text x=format!("{:.2}", i as f64 * width + width / 2.0) y="43" text-anchor="middle">{label.clone()}</text>
                }).collect_view()}
            </svg>
        </figure>
    }
}

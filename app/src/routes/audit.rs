//! The audit log for auditors: recent entries and a check of the hash chain (R21).

use crate::api;
use crate::routes::NotPermitted;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{AuditEntry, ChainReport, Role};

#[component]
pub fn AuditPage() -> impl IntoView {
    if !crate::signed_in_user().is_some_and(|u| u.has(Role::Auditor)) {
        return view! { <NotPermitted role=Role::Auditor/> }.into_any();
    }
    let entries = LocalResource::new(|| api::get::<Vec<AuditEntry>>("/audit/entries?limit=200"));
    let report = RwSignal::new(None::<Result<ChainReport, String>>);
    let verify = move |_| {
        spawn_local(async move {
            report.set(Some(api::get::<ChainReport>("/audit/verify").await));
            entries.refetch();
        });
    };
    let report_view = move || {
        report.get().map(|r| match r {
            Ok(r) if r.intact() => {
                view! { <p class="ok" role="status">"Chain intact: " {r.rows_checked} " rows checked."</p> }.into_any()
            }
            Ok(r) => view! {
                <p class="error" role="alert">
                    "Chain broken at row " {r.first_broken} ": " {r.reason}
                </p>
            }
            .into_any(),
            Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
        })
    };
    let rows = move || {
        entries.get().map(|answer| match answer {
            Err(e) => view! { <p class="error">{e}</p> }.into_any(),
            Ok(list) => view! {
                <table class="grid" data-testid="audit-entries">
                    <thead><tr><th>"#"</th><th>"When (UTC)"</th><th>"Who"</th><th>"Act"</th><th>"Subject"</th><th>"Details"</th></tr></thead>
                    <tbody>
                        {list.into_iter().map(|e| view! {
                            <tr>
                                <td>{e.seq}</td>
                                <td>{e.at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                <td>{e.actor}</td>
                                <td>{e.action}</td>
                                <td>{e.subject}</td>
                                <td><code>{e.details.to_string()}</code></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }
            .into_any(),
        })
    };
    view! {
        <section class="page">
            <h1>"Audit log"</h1>
            <div class="row">
                <button on:click=verify>"Verify the chain"</button>
                {report_view}
            </div>
            <Transition fallback=|| view! { <p>"Loading entries…"</p> }>{rows}</Transition>
        </section>
    }
    .into_any()
}

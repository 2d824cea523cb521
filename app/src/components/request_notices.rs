//! Notices in the page when a request changes: an investigator hears that theirs was decided
//! or revoked, a supervisor that a new one awaits them — whatever page they are on. The lists
//! are asked for again every [`EVERY_SECONDS`]; the first answer is what the page already knew.

use crate::api;
use leptos::prelude::*;
use shared::endpoints::{with_query, REQUESTS};
use shared::requests::{RequestList, RequestsQuery};
use shared::requests::{RequestStatus, RequestView};
use std::collections::HashMap;

/// How often the requests are asked for again.
pub const EVERY_SECONDS: u64 = 15;

/// What a notice remembers of a request: enough to tell that it changed.
#[derive(Clone, Copy, PartialEq, Debug)]
struct Seen {
    status: RequestStatus,
    revoked: bool,
}

fn seen(r: &RequestView) -> Seen {
    Seen { status: r.status, revoked: r.revoked_at.is_some() }
}

/// What changed in the user's own requests since `before`, in words.
fn decided(before: &HashMap<i64, Seen>, now: &[RequestView]) -> Vec<String> {
    let by = |r: &RequestView| r.decided_by.clone().unwrap_or_else(|| "a supervisor".into());
    now.iter()
        .filter_map(|r| {
            let was = before.get(&r.id)?;
            let is = seen(r);
            if is == *was {
                return None;
            }
            Some(match (is.revoked, r.status) {
                (true, _) => format!("{}: its approval was revoked.", r.reference),
                (false, RequestStatus::Approved) => match r.expires_at {
                    Some(until) => {
                        format!("{} approved by {}, until {}.", r.reference, by(r), crate::components::time::utc(until))
                    }
                    None => format!("{} approved by {}.", r.reference, by(r)),
                },
                (false, RequestStatus::Rejected) => format!("{} rejected by {}.", r.reference, by(r)),
                (false, RequestStatus::Pending) => return None,
            })
        })
        .collect()
}

/// Requests in a supervisor's queue that were not in it `before`, in words.
fn arrived(before: &HashMap<i64, Seen>, now: &[RequestView]) -> Vec<String> {
    now.iter()
        .filter(|r| !before.contains_key(&r.id))
        .map(|r| format!("{} from {} awaits your decision.", r.reference, r.requester))
        .collect()
}

/// The notices of a signed-in investigator (`mine`) and/or supervisor (`queue`).
#[component]
pub fn RequestNotices(mine: bool, queue: bool) -> impl IntoView {
    let notices = RwSignal::new(Vec::<(u32, String)>::new());
    let known = StoredValue::new(None::<(HashMap<i64, Seen>, HashMap<i64, Seen>)>);
    let next_id = StoredValue::new(0u32);
    let check = move || {
        leptos::task::spawn_local(async move {
            let fetch = |which: RequestList, wanted: bool| async move {
                if wanted {
                    api::get::<Vec<RequestView>>(&with_query(REQUESTS, &RequestsQuery::of(which))).await.ok()
                } else {
                    Some(Vec::new())
                }
            };
            let (Some(own), Some(waiting)) =
                (fetch(RequestList::Mine, mine).await, fetch(RequestList::Queue, queue).await)
            else {
                return;
            };
            let index = |list: &[RequestView]| list.iter().map(|r| (r.id, seen(r))).collect::<HashMap<_, _>>();
            let news = known.with_value(|k| match k {
                Some((own_before, queue_before)) => {
                    let mut news = decided(own_before, &own);
                    news.extend(arrived(queue_before, &waiting));
                    news
                }
                None => Vec::new(),
            });
            known.set_value(Some((index(&own), index(&waiting))));
            for text in news {
                let id = next_id.get_value();
                next_id.set_value(id + 1);
                notices.update(|n| n.push((id, text)));
            }
        });
    };
    api::poll(EVERY_SECONDS, check);
    view! {
        <div class="request-notices" role="status" aria-live="polite" data-testid="request-notices">
            <For each=move || notices.get() key=|(id, _)| *id let:notice>
                <p class="notice toast">
                    <a href="/requests">{notice.1.clone()}</a>
                    <button type="button" class="link" aria-label="Dismiss"
                        on:click=move |_| notices.update(|n| n.retain(|(id, _)| *id != notice.0))>"×"</button>
                </p>
            </For>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::requests::{NewRequest, Purpose, RequestScope, Seriousness};

    fn request(id: i64, status: RequestStatus) -> RequestView {
        let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        RequestView {
            id,
            reference: format!("REQ-{id}"),
            requester_id: 1,
            requester: "DC Ivy".into(),
            requester_tier: None,
            reach_from: None,
            submitted_at: at,
            request: NewRequest {
                purpose: Purpose::CrimeInvestigation,
                reason: "reason".into(),
                crime_type: "burglary".into(),
                seriousness: Seriousness::Serious,
                scope: RequestScope {
                    plates: vec![],
                    area: None,
                    cameras: Default::default(),
                    from: at,
                    to: at,
                    analysis: None,
                },
                handling: "h".into(),
                surveillance: None,
                dsa_reference: None,
            },
            status,
            decided_by: (status != RequestStatus::Pending).then(|| "Sgt Sam".into()),
            decided_at: None,
            rationale: None,
            expires_at: None,
            withdrawn_at: None,
            revoked_at: None,
            revoke_rationale: None,
            outcome: None,
            outcome_note: None,
            closed_at: None,
        }
    }

    #[test]
    fn a_decision_and_an_arrival_are_told_once() {
        let before: HashMap<i64, Seen> = [request(1, RequestStatus::Pending), request(2, RequestStatus::Pending)]
            .iter()
            .map(|r| (r.id, seen(r)))
            .collect();
        let now = [
            request(1, RequestStatus::Approved),
            request(2, RequestStatus::Pending),
            request(3, RequestStatus::Pending),
        ];
        assert_eq!(decided(&before, &now), ["REQ-1 approved by Sgt Sam."]);
        assert_eq!(arrived(&before, &now), ["REQ-3 from DC Ivy awaits your decision."]);
        let mut revoked = request(1, RequestStatus::Approved);
        revoked.revoked_at = Some(revoked.submitted_at);
        let approved: HashMap<i64, Seen> = [(1, seen(&now[0]))].into();
        assert_eq!(decided(&approved, &[revoked]), ["REQ-1: its approval was revoked."]);
        assert!(decided(&approved, &now[..1]).is_empty(), "nothing new, nothing told");
    }
}

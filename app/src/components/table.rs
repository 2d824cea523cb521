//! Tables people can work with: a column header that sorts, and a filter over the rows' text.

use leptos::prelude::*;
use std::cmp::Ordering;

/// The column a table is sorted by, and which way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: &'static str,
    pub descending: bool,
}

impl Sort {
    pub fn by(column: &'static str, descending: bool) -> RwSignal<Sort> {
        RwSignal::new(Sort { column, descending })
    }

    /// Sorts `rows` by this column (`compare` orders two rows by a column, ascending).
    pub fn apply<T>(self, rows: &mut [T], compare: impl Fn(&T, &T, &'static str) -> Ordering) {
        rows.sort_by(|a, b| {
            let order = compare(a, b, self.column);
            if self.descending {
                order.reverse()
            } else {
                order
            }
        });
    }
}

/// A header cell that sorts the table by its column; a second click turns the order round.
#[component]
pub fn SortHeader(sort: RwSignal<Sort>, column: &'static str, label: &'static str) -> impl IntoView {
    let state = move || {
        let s = sort.get();
        match (s.column == column, s.descending) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    };
    let toggle = move |_| sort.update(|s| *s = Sort { column, descending: s.column == column && !s.descending });
    view! {
        <th aria-sort=state>
            <button type="button" class="link sort" data-column=column on:click=toggle>
                {label}
                {move || match state() { "ascending" => " ▲", "descending" => " ▼", _ => "" }}
            </button>
        </th>
    }
}

/// Whether any of `texts` holds `filter` (case-insensitively); an empty filter holds everything.
pub fn holds(filter: &str, texts: &[&str]) -> bool {
    let filter = filter.trim().to_lowercase();
    filter.is_empty() || texts.iter().any(|t| t.to_lowercase().contains(&filter))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_sort_both_ways_and_filter_on_any_text() {
        let mut rows = vec![(2, "b"), (1, "a"), (3, "c")];
        let by_number = |a: &(i32, &str), b: &(i32, &str), _: &'static str| a.0.cmp(&b.0);
        Sort { column: "n", descending: false }.apply(&mut rows, by_number);
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 3]);
        Sort { column: "n", descending: true }.apply(&mut rows, by_number);
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [3, 2, 1]);
        assert!(holds(" ab1 ", &["x", "XAB12"]));
        assert!(!holds("zz", &["x", "XAB12"]));
        assert!(holds("", &[]));
    }
}

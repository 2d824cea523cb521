//! The figures behind the annual report to oversight bodies (R23).

use serde::{Deserialize, Serialize};

/// One line of the figures: a section, what is counted, and how many.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub section: String,
    pub item: String,
    pub count: i64,
}

/// A calendar year's figures, in report order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub year: i32,
    pub figures: Vec<Figure>,
}

impl Figures {
    /// The count of `item` in `section`, or 0.
    pub fn get(&self, section: &str, item: &str) -> i64 {
        self.figures.iter().find(|f| f.section == section && f.item == item).map_or(0, |f| f.count)
    }
}

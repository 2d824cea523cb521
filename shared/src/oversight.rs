//! The figures behind the annual report to oversight bodies (R23).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A count as the figures show it (R23). A count from 1 to k − 1 is small enough to point at
/// one investigation, so it is shown only as "fewer than k", where k is the deployment's
/// smallest shown count (`oversight.min_count`, 5 unless configured); 0 and counts of k or more
/// are shown exactly.
///
/// In JSON an exact count is a number and a withheld one the string `"fewer than k"`, e.g.
/// `{"count": 12}`, `{"count": 0}`, `{"count": "fewer than 5"}`; the CSV shows the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Exact(i64),
    /// Between 1 and this bound less one.
    FewerThan(i64),
}

impl Count {
    /// `n` as shown when counts below `min_count` are withheld.
    pub fn shown(n: i64, min_count: i64) -> Count {
        if n > 0 && n < min_count {
            Count::FewerThan(min_count)
        } else {
            Count::Exact(n)
        }
    }

    /// The exact count, unless it is withheld.
    pub fn exact(self) -> Option<i64> {
        match self {
            Count::Exact(n) => Some(n),
            Count::FewerThan(_) => None,
        }
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Count::Exact(n) => write!(f, "{n}"),
            Count::FewerThan(k) => write!(f, "fewer than {k}"),
        }
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Count::Exact(n) => serializer.serialize_i64(*n),
            Count::FewerThan(_) => serializer.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(i64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(n) => Ok(Count::Exact(n)),
            Raw::Text(text) => text
                .strip_prefix("fewer than ")
                .and_then(|k| k.parse().ok())
                .map(Count::FewerThan)
                .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a count"))),
        }
    }
}

/// One line of the figures: a section, what is counted, and how many.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub section: String,
    pub item: String,
    pub count: Count,
}

/// A calendar year's figures, in report order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub year: i32,
    pub figures: Vec<Figure>,
}

impl Figures {
    /// The count of `item` in `section`, or 0.
    pub fn get(&self, section: &str, item: &str) -> Count {
        self.figures.iter().find(|f| f.section == section && f.item == item).map_or(Count::Exact(0), |f| f.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_below_k_are_withheld_and_zero_is_not() {
        assert_eq!(Count::shown(0, 5), Count::Exact(0));
        assert_eq!(Count::shown(1, 5), Count::FewerThan(5));
        assert_eq!(Count::shown(4, 5), Count::FewerThan(5));
        assert_eq!(Count::shown(5, 5), Count::Exact(5));
        assert_eq!(Count::shown(3, 1), Count::Exact(3), "k = 1 withholds nothing");
    }

    #[test]
    fn a_count_is_a_number_or_says_what_it_is_fewer_than() {
        assert_eq!(serde_json::to_value(Count::Exact(12)).unwrap(), serde_json::json!(12));
        assert_eq!(serde_json::to_value(Count::FewerThan(5)).unwrap(), serde_json::json!("fewer than 5"));
        for count in [Count::Exact(0), Count::Exact(7), Count::FewerThan(10)] {
            let back: Count = serde_json::from_value(serde_json::to_value(count).unwrap()).unwrap();
            assert_eq!(back, count);
        }
        assert!(serde_json::from_value::<Count>(serde_json::json!("many")).is_err());
    }
}

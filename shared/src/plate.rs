//! Vehicle registration marks as read by cameras (R1), and the misread-tolerant form (R5).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest plate accepted: UK marks are at most 7 characters; foreign ones run longer.
pub const MAX_PLATE_LEN: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlateError {
    #[error("plate is empty")]
    Empty,
    #[error("plate is longer than {MAX_PLATE_LEN} characters")]
    TooLong,
    #[error("plate may hold only letters A–Z and digits 0–9 (found `{0}`)")]
    BadCharacter(char),
}

/// A normalised VRM: upper-case letters and digits, no spaces or dashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Plate(String);

impl Plate {
    /// Normalises `raw` (case, spaces, dashes) and checks what is left.
    pub fn parse(raw: &str) -> Result<Plate, PlateError> {
        let mut out = String::with_capacity(raw.len());
        for c in raw.chars() {
            match c {
                ' ' | '-' => {}
                c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_uppercase()),
                other => return Err(PlateError::BadCharacter(other)),
            }
        }
        if out.is_empty() {
            Err(PlateError::Empty)
        } else if out.len() > MAX_PLATE_LEN {
            Err(PlateError::TooLong)
        } else {
            Ok(Plate(out))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The plate with every character replaced by its confusion class (R5), so two plates that
    /// differ only by typical misreads share a skeleton.
    pub fn skeleton(&self) -> String {
        skeleton(&self.0)
    }
}

/// The confusion class of one character (R5: 0/O/D/Q, 1/I/L, 2/Z, 5/S, 8/B, 6/G).
pub fn confusion_class(c: char) -> char {
    match c {
        'O' | 'D' | 'Q' => '0',
        'I' | 'L' => '1',
        'Z' => '2',
        'S' => '5',
        'B' => '8',
        'G' => '6',
        other => other,
    }
}

pub fn skeleton(plate: &str) -> String {
    plate.chars().map(confusion_class).collect()
}

impl TryFrom<String> for Plate {
    type Error = PlateError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Plate::parse(&value)
    }
}

impl From<Plate> for String {
    fn from(p: Plate) -> String {
        p.0
    }
}

impl fmt::Display for Plate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plates_are_normalised() {
        assert_eq!(Plate::parse("ab12 cde").unwrap().as_str(), "AB12CDE");
        assert_eq!(Plate::parse(" AB-12-CDE ").unwrap().as_str(), "AB12CDE");
        assert_eq!(Plate::parse("   "), Err(PlateError::Empty));
        assert_eq!(Plate::parse("AB12_CDE"), Err(PlateError::BadCharacter('_')));
        assert_eq!(Plate::parse("ÄB12CDE"), Err(PlateError::BadCharacter('Ä')));
        assert!(Plate::parse(&"A".repeat(MAX_PLATE_LEN)).is_ok());
        assert_eq!(Plate::parse(&"A".repeat(MAX_PLATE_LEN + 1)), Err(PlateError::TooLong));
    }

    #[test]
    fn typical_misreads_share_a_skeleton() {
        let real = Plate::parse("BD51SMR").unwrap();
        for misread in ["8D51SMR", "B051SMR", "BD5ISMR", "BD515MR", "BQ51SMR", "8O5L5MR"] {
            assert_eq!(Plate::parse(misread).unwrap().skeleton(), real.skeleton(), "{misread}");
        }
        for different in ["BD51SMX", "BD52SMR", "AD51SMR"] {
            assert_ne!(Plate::parse(different).unwrap().skeleton(), real.skeleton(), "{different}");
        }
        assert_eq!(skeleton("GZ26"), "6226");
    }

    mod fuzzed {
        use super::super::*;
        use crate::hotlists::EntryPattern;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

            /// Any text is a plate or a named refusal (R1); a plate is upper-case letters and
            /// digits within the length, parses to itself, and keeps its length in its skeleton.
            #[test]
            fn any_text_is_a_plate_or_a_named_refusal(raw in "\\PC{0,20}|[a-zA-Z0-9 -]{0,16}") {
                match Plate::parse(&raw) {
                    Ok(plate) => {
                        let text = plate.as_str();
                        prop_assert!(!text.is_empty() && text.len() <= MAX_PLATE_LEN);
                        prop_assert!(text.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()), "{text}");
                        prop_assert_eq!(Plate::parse(text), Ok(plate.clone()));
                        prop_assert_eq!(plate.skeleton().len(), text.len());
                    }
                    Err(e) => prop_assert!(!e.to_string().is_empty()),
                }
            }

            /// A hotlist pattern is a whole plate, or a wildcard with at least two letters or
            /// digits (R10); whatever it is given, it answers without panicking.
            #[test]
            fn any_text_is_a_pattern_or_a_named_refusal(raw in "\\PC{0,20}|[a-zA-Z0-9?* -]{0,16}") {
                match EntryPattern::parse(&raw) {
                    Ok(pattern) => {
                        let text = pattern.as_str().to_owned();
                        prop_assert!(text.chars().filter(|c| c.is_ascii_alphanumeric()).count() >= 1);
                        prop_assert_eq!(EntryPattern::parse(&text).map(|p| p.as_str().to_owned()), Ok(text));
                    }
                    Err(e) => prop_assert!(!e.to_string().is_empty()),
                }
            }

            /// Arbitrary bytes as a JSON string never panic the plate's deserialiser.
            #[test]
            fn any_json_string_deserialises_or_is_refused(raw in "\\PC{0,24}") {
                let json = serde_json::to_string(&raw).unwrap();
                let _ = serde_json::from_str::<Plate>(&json);
                let _ = serde_json::from_str::<EntryPattern>(&json);
            }
        }
    }
}

string_schema!(Plate, "A VRM: letters A-Z and digits 0-9 (spaces and dashes are dropped, case is ignored).");

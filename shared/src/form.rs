//! What is wrong with a submitted form, field by field and all at once: the UI shows each problem
//! beside its field before sending, and the API answers a refused form with the same list.

use serde::{Deserialize, Serialize};
use std::fmt::Display;

/// One field's problem. `field` is the name the form and the JSON body give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// A submission whose every problem can be named at once.
pub trait Validate {
    type Error: Display;

    /// Every problem, in the order the form shows its fields; empty when it may be sent.
    fn problems(&self) -> Vec<(&'static str, Self::Error)>;

    /// The first problem, for callers that stop at one.
    fn check(&self) -> Result<(), Self::Error> {
        self.problems().into_iter().next().map_or(Ok(()), |(_, e)| Err(e))
    }

    /// The problems as the API and the UI show them.
    fn field_problems(&self) -> Vec<FieldProblem> {
        self.problems()
            .into_iter()
            .map(|(field, e)| FieldProblem { field: field.into(), message: e.to_string() })
            .collect()
    }
}

/// Whether `text` is plain text a person typed: no control characters but line breaks and
/// tabs, and none of the invisible format characters (direction marks and overrides, zero-width
/// characters, separators, tags, noncharacters) that make a record read other than it is stored.
pub fn plain_text(text: &str) -> bool {
    !text.chars().any(|c| {
        (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            || matches!(
                c,
                '\u{00ad}'
                    | '\u{061c}'
                    | '\u{180e}'
                    | '\u{200b}'..='\u{200f}'
                    | '\u{2028}'..='\u{202e}'
                    | '\u{2060}'..='\u{206f}'
                    | '\u{feff}'
                    | '\u{fff9}'..='\u{ffff}'
                    | '\u{e0000}'..='\u{e007f}'
            )
    })
}

/// [`required`], and plain text ([`plain_text`]).
pub fn plain_required(text: &str, max: usize, message: &str) -> Result<(), String> {
    required(text, max, message)?;
    if plain_text(text) {
        Ok(())
    } else {
        Err(format!("{message}, plain text (no control or invisible characters)"))
    }
}

/// Collects problems as a form's fields are checked one after another.
pub struct Problems<E>(Vec<(&'static str, E)>);

impl<E> Default for Problems<E> {
    fn default() -> Self {
        Problems(Vec::new())
    }
}

impl<E> Problems<E> {
    /// Records `error` against `field` unless `ok`.
    pub fn require(&mut self, ok: bool, field: &'static str, error: E) -> &mut Self {
        if !ok {
            self.0.push((field, error));
        }
        self
    }

    /// Records the outcome of a check that can fail.
    pub fn result(&mut self, field: &'static str, outcome: Result<(), E>) -> &mut Self {
        if let Err(e) = outcome {
            self.0.push((field, e));
        }
        self
    }

    /// Takes in another part's problems (a form within a form).
    pub fn extend(&mut self, more: Vec<(&'static str, E)>) -> &mut Self {
        self.0.extend(more);
        self
    }

    pub fn into_vec(self) -> Vec<(&'static str, E)> {
        self.0
    }
}

/// `text`, trimmed, of 1 to `max` characters; or `message`: a reason, rationale or name the
/// server refuses without, checked alike before a form is sent.
pub fn required(text: &str, max: usize, message: &str) -> Result<(), String> {
    let n = text.trim().chars().count();
    if n == 0 || n > max {
        Err(message.to_owned())
    } else {
        Ok(())
    }
}

/// The message a refused form gets as a whole: every problem, in field order.
pub fn summary(problems: &[FieldProblem]) -> String {
    problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_has_no_control_or_invisible_characters() {
        assert!(plain_text("Theft from motor vehicle\n\tline two, £5 café"));
        for bad in [
            "a\u{0}b",
            "a\u{1b}[31m",
            "a\u{202e}b",
            "a\u{200e}b",
            "a\u{200b}b",
            "a\u{feff}",
            "a\u{2028}b",
            "a\u{e0041}",
            "a\u{fffe}",
        ] {
            assert!(!plain_text(bad), "{bad:?}");
        }
    }

    struct Pair(&'static str, &'static str);

    impl Validate for Pair {
        type Error = String;
        fn problems(&self) -> Vec<(&'static str, String)> {
            let mut p = Problems::default();
            p.require(!self.0.is_empty(), "a", "a is empty".to_owned()).require(
                !self.1.is_empty(),
                "b",
                "b is empty".to_owned(),
            );
            p.into_vec()
        }
    }

    #[test]
    fn every_problem_is_named_and_check_stops_at_the_first() {
        let both = Pair("", "");
        assert_eq!(both.field_problems().iter().map(|p| p.field.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(both.check(), Err("a is empty".to_owned()));
        assert_eq!(summary(&both.field_problems()), "a is empty; b is empty");
        assert_eq!(Pair("x", "y").check(), Ok(()));
        assert!(Pair("x", "").field_problems().iter().all(|p| p.field == "b"));
    }
}

//! The one CSV writer of the server: every CSV it hands out (a search's results, R14, R20; the
//! yearly figures, R23) is written here, the same way.
//!
//! - Every cell is quoted, and a `"` inside one is doubled (RFC 4180), so no text ends a cell or
//!   a row early.
//! - Text is made safe for a spreadsheet (OWASP, "CSV injection"): where a cell could begin — at
//!   its start, and after any character a spreadsheet may split cells or rows on (`,` `;` tab
//!   `|` CR LF), should it ignore the quotes — text that begins, after any spaces, with a formula
//!   opener (`=` `+` `-` `@` tab CR) gets a leading `'`, and is shown as the text it is.
//! - Numbers are cells of their own kind, formatted here from numeric values: a number written
//!   by the server is never text that could hold a formula, so `-0.1` stays a number.

use std::borrow::Cow;

/// What a spreadsheet may take for the start of a formula (or a DDE call) at a cell's start.
const OPENERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];
/// What a spreadsheet may split cells or rows on, whatever the quotes say.
const SPLITS: [char; 6] = [',', ';', '\t', '|', '\r', '\n'];

/// One cell: text (from a feed, a user, or the server), or a number.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Text(Cow<'a, str>),
    Integer(i64),
    /// A decimal number with this many places.
    Decimal(f64, usize),
}

impl Cell<'_> {
    /// The cell as it is shown: text made safe for a spreadsheet (see [`neutral`]), numbers as
    /// numbers. The XLSX export writes this too.
    pub fn shown(&self) -> String {
        match self {
            Cell::Text(text) => neutral(text),
            Cell::Integer(n) => n.to_string(),
            Cell::Decimal(x, places) => format!("{x:.places$}"),
        }
    }
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(text: &'a str) -> Self {
        Cell::Text(Cow::Borrowed(text))
    }
}

impl<'a> From<&'a String> for Cell<'a> {
    fn from(text: &'a String) -> Self {
        Cell::Text(Cow::Borrowed(text))
    }
}

impl From<String> for Cell<'_> {
    fn from(text: String) -> Self {
        Cell::Text(Cow::Owned(text))
    }
}

impl From<i64> for Cell<'_> {
    fn from(n: i64) -> Self {
        Cell::Integer(n)
    }
}

impl From<i32> for Cell<'_> {
    fn from(n: i32) -> Self {
        Cell::Integer(n.into())
    }
}

/// Text made safe for a spreadsheet: a `'` goes before every place a cell could begin with a
/// formula opener — the start of the text, and just after each splitting character — spaces
/// before the opener included. Nothing else changes.
pub fn neutral(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    let mut cell_starts = true;
    for (at, c) in text.char_indices() {
        if cell_starts && text[at..].trim_start_matches(' ').starts_with(OPENERS) {
            out.push('\'');
        }
        out.push(c);
        cell_starts = SPLITS.contains(&c);
    }
    out
}

/// A CSV being written: rows of cells, each quoted.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    pub fn new() -> Writer {
        Writer::default()
    }

    /// Adds a row of `cells`; rows may differ in length.
    pub fn row<'a, I, C>(&mut self, cells: I)
    where
        I: IntoIterator<Item = C>,
        C: Into<Cell<'a>>,
    {
        for (n, cell) in cells.into_iter().enumerate() {
            if n > 0 {
                self.out.push(',');
            }
            self.out.push('"');
            self.out.push_str(&cell.into().shown().replace('"', "\"\""));
            self.out.push('"');
        }
        self.out.push('\n');
    }

    /// The CSV as UTF-8 bytes.
    pub fn finish(self) -> Vec<u8> {
        self.out.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(cell: Cell) -> String {
        let mut w = Writer::new();
        w.row([cell]);
        String::from_utf8(w.finish()).unwrap()
    }

    #[test]
    fn each_formula_opener_gets_a_leading_quote() {
        for risky in ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "=1", "-", "  =1+1"] {
            assert_eq!(neutral(risky), format!("'{risky}"), "{risky:?}");
        }
        assert_eq!(one("=1+2".into()), "\"'=1+2\"\n");
        assert_eq!(one("-2+3+cmd|' /C calc'!A0".into()), "\"'-2+3+cmd|' /C calc'!A0\"\n");
    }

    #[test]
    fn plain_text_is_quoted_and_otherwise_untouched() {
        for plain in ["Ford", "blue", "AB12CDE", "", "1+2", "a=b", "x-y", "me@example.org", "'quoted"] {
            assert_eq!(neutral(plain), plain);
        }
        assert_eq!(one("Ford".into()), "\"Ford\"\n");
        assert_eq!(one("".into()), "\"\"\n");
    }

    #[test]
    fn quotes_are_doubled_inside_the_cell() {
        assert_eq!(one("a \"b\" c".into()), "\"a \"\"b\"\" c\"\n");
        // A quote cannot end the cell early and leave a formula at the start of the next.
        assert_eq!(one("x\",=1+1".into()), "\"x\"\",'=1+1\"\n");
    }

    #[test]
    fn an_opener_after_a_splitting_character_is_neutralised_too() {
        assert_eq!(neutral("Ford\n=cmd"), "Ford\n'=cmd");
        assert_eq!(one("Ford\n=cmd".into()), "\"Ford\n'=cmd\"\n");
        assert_eq!(neutral("a,=1"), "a,'=1");
        assert_eq!(neutral("a;@SUM(A1)"), "a;'@SUM(A1)");
        assert_eq!(neutral("a\t+1"), "a\t'+1");
        assert_eq!(neutral("a|-1"), "a|'-1");
        assert_eq!(neutral("a\r\n=1"), "a\r\n'=1");
        assert_eq!(neutral("a, -1"), "a,' -1");
        // A split followed by anything else is left alone.
        assert_eq!(neutral("DC Hale, Burglary Squad"), "DC Hale, Burglary Squad");
        assert_eq!(neutral("line one\nline two"), "line one\nline two");
    }

    #[test]
    fn numbers_are_numbers() {
        assert_eq!(one(Cell::Integer(-4)), "\"-4\"\n");
        assert_eq!(one(Cell::Decimal(-0.1, 6)), "\"-0.100000\"\n");
        let mut w = Writer::new();
        w.row([Cell::from("year"), Cell::from("count")]);
        w.row([Cell::from(2026), Cell::from(5_i64)]);
        assert_eq!(String::from_utf8(w.finish()).unwrap(), "\"year\",\"count\"\n\"2026\",\"5\"\n");
    }
}

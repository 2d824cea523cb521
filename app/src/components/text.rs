//! Text that somebody typed (a camera's name, a hotlist's name, a plate as read), made safe
//! for the places that take HTML: Leaflet's tooltips and popups read a string as HTML.

/// `text` with the characters HTML gives meaning to written as entities, so that it is shown
/// as the text it is.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape_html;

    #[test]
    fn names_are_shown_as_text_not_html() {
        assert_eq!(
            escape_html("<img src=x onerror=alert(1)> & \"Op\" 'Larch'"),
            "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;Op&quot; &#39;Larch&#39;"
        );
        assert_eq!(escape_html("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(escape_html("Camden Rd · N1 · approved"), "Camden Rd · N1 · approved");
        assert_eq!(escape_html("&lt;"), "&amp;lt;", "an entity in a name is shown as typed");
        assert_eq!(escape_html(""), "");
    }
}

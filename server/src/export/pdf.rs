//! A plain, paginated text document in PDF, with the marking on every page: enough for an
//! evidential statement, with the standard Helvetica fonts so nothing is embedded.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const LEADING: f32 = 14.0;
/// Characters per line of body text (10 pt Helvetica across the text width).
const WRAP: usize = 92;

/// One block of the document.
pub enum Block {
    Title(String),
    Heading(String),
    Text(String),
    /// Monospaced-looking rows are not available in Helvetica; rows are kept short instead.
    Row(String),
    Gap,
}

/// WinAnsi text: anything outside printable ASCII becomes its nearest plain form.
fn plain(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '–' | '—' | '−' => b'-',
            '×' => b'x',
            '‘' | '’' => b'\'',
            '“' | '”' => b'"',
            _ => b'?',
        })
        .collect()
}

fn wrap(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > WRAP {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// Lays out `blocks` on A4 pages headed and footed with `marking`.
pub fn render(title: &str, marking: &str, blocks: &[Block]) -> Vec<u8> {
    // (font, size, text) per line, split into pages.
    let mut pages: Vec<Vec<(&[u8], f32, String)>> = vec![Vec::new()];
    let mut y = HEIGHT - MARGIN - 2.0 * LEADING;
    let mut put = |font: &'static [u8], size: f32, text: String, pages: &mut Vec<Vec<(&[u8], f32, String)>>| {
        if y < MARGIN + 2.0 * LEADING {
            pages.push(Vec::new());
            y = HEIGHT - MARGIN - 2.0 * LEADING;
        }
        pages.last_mut().expect("a page").push((font, size, text));
        y -= LEADING * size / 10.0;
    };
    for block in blocks {
        match block {
            Block::Title(t) => put(b"F2", 14.0, t.clone(), &mut pages),
            Block::Heading(t) => put(b"F2", 10.0, t.clone(), &mut pages),
            Block::Text(t) => wrap(t).into_iter().for_each(|l| put(b"F1", 10.0, l, &mut pages)),
            Block::Row(t) => put(b"F1", 9.0, t.clone(), &mut pages),
            Block::Gap => put(b"F1", 10.0, String::new(), &mut pages),
        }
    }

    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let (regular, bold, info) = (Ref::new(3), Ref::new(4), Ref::new(5));
    let page_ids: Vec<Ref> = (0..pages.len()).map(|i| Ref::new(6 + 2 * i as i32)).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(pages.len() as i32);
    pdf.document_info(info).title(TextStr(title)).subject(TextStr(marking));
    pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    let count = pages.len();
    for (n, (lines, id)) in pages.into_iter().zip(&page_ids).enumerate() {
        let content_id = Ref::new(id.get() + 1);
        let mut page = pdf.page(*id);
        page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT)).parent(tree).contents(content_id);
        page.resources().fonts().pair(Name(b"F1"), regular).pair(Name(b"F2"), bold);
        page.finish();
        let mut c = Content::new();
        let text = |c: &mut Content, font: &[u8], size: f32, x: f32, y: f32, s: &str| {
            c.begin_text().set_font(Name(font), size).next_line(x, y).show(Str(&plain(s))).end_text();
        };
        text(&mut c, b"F2", 10.0, WIDTH / 2.0 - 50.0, HEIGHT - MARGIN / 2.0 - 6.0, marking);
        let mut y = HEIGHT - MARGIN - 2.0 * LEADING;
        for (font, size, line) in lines {
            text(&mut c, font, size, MARGIN, y, &line);
            y -= LEADING * size / 10.0;
        }
        text(&mut c, b"F2", 10.0, WIDTH / 2.0 - 50.0, MARGIN / 2.0, marking);
        text(&mut c, b"F1", 9.0, WIDTH - MARGIN - 60.0, MARGIN / 2.0, &format!("Page {} of {count}", n + 1));
        pdf.stream(content_id, &c.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_documents_run_onto_further_pages_each_marked() {
        let blocks: Vec<Block> = (0..120).map(|i| Block::Row(format!("row {i}"))).collect();
        let bytes = render("T", "OFFICIAL-SENSITIVE", &blocks);
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("%PDF-"));
        // About 53 rows of 9 pt fit a page: three pages, each marked at its top and bottom.
        assert!(text.contains("/Count 3"), "three pages");
        assert_eq!(text.matches("(OFFICIAL-SENSITIVE) Tj").count(), 6);
        assert!(text.contains("(row 119) Tj"));
    }
}

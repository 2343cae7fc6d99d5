//! HTML fragments: tables and notes with every piece of text escaped, for pages that embed
//! them (the report bundle's index.html).

use super::{Align, Exporter, Table};
use std::io::{self, Write};

/// Writes tables as `<table>` elements and notes as paragraphs; no page around them.
pub struct HtmlExporter;

impl Exporter for HtmlExporter {
    fn export(&self, tables: &[Table], notes: &[String], out: &mut dyn Write) -> io::Result<()> {
        for table in tables {
            out.write_all(table_html(table).as_bytes())?;
        }
        for note in notes {
            writeln!(out, "<p class=\"note\">{}</p>", escape(note))?;
        }
        Ok(())
    }
}

/// Makes text inert in HTML, in element content and in quoted attribute values alike.
/// Control characters become spaces, so that log text cannot break the layout.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text with each pair of backticks made a `<code>` element, as Markdown would show
/// it: problem reasons quote formats and log lines that way. An unpaired backtick stays.
fn code_spans(escaped: &str) -> String {
    let parts: Vec<&str> = escaped.split('`').collect();
    if parts.len() < 3 {
        return escaped.to_owned();
    }
    let mut out = String::with_capacity(escaped.len() + 16);
    let pairs = (parts.len() - 1) / 2;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            let closing = i % 2 == 0;
            if i <= 2 * pairs {
                out.push_str(if closing { "</code>" } else { "<code>" });
            } else {
                out.push('`');
            }
        }
        out.push_str(part);
    }
    out
}

fn align_class(align: Align) -> &'static str {
    match align {
        Align::Left => "",
        Align::Right => " class=\"num\"",
    }
}

/// One table, its columns for people: its title as the caption, right-aligned columns
/// marked `num`, the total row in `<tfoot>`.
pub fn table_html(table: &Table) -> String {
    let table = &table.for_people();
    let mut html = String::from("<div class=\"table-wrap\"><table>\n");
    if !table.title.is_empty() {
        html.push_str(&format!("<caption>{}</caption>\n", escape(&table.title)));
    }
    html.push_str("<thead><tr>");
    for column in &table.columns {
        html.push_str(&format!(
            "<th scope=\"col\"{}>{}</th>",
            align_class(column.align),
            escape(column.heading)
        ));
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    let row_html = |cells: &[super::Cell]| {
        let mut row = String::from("<tr>");
        for (i, cell) in cells.iter().enumerate() {
            let align = table.columns.get(i).map_or(Align::Left, |c| c.align);
            // Paths and endpoints may break after a slash rather than anywhere.
            row.push_str(&format!(
                "<td{}>{}</td>",
                align_class(align),
                code_spans(&escape(&cell.human()).replace('/', "/<wbr>"))
            ));
        }
        row.push_str("</tr>\n");
        row
    };
    for row in &table.rows {
        html.push_str(&row_html(row));
    }
    html.push_str("</tbody>\n");
    if let Some(total) = &table.total {
        html.push_str("<tfoot>\n");
        html.push_str(&row_html(total));
        html.push_str("</tfoot>\n");
    }
    html.push_str("</table></div>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{Cell, Column};

    #[test]
    fn log_text_cannot_become_markup() {
        assert_eq!(escape("<b>x</b>"), "&lt;b&gt;x&lt;/b&gt;");
        assert_eq!(escape("a\"b'c&d"), "a&quot;b&#39;c&amp;d");
        assert_eq!(escape("line\nbreak\u{7}"), "line break ");
    }

    #[test]
    fn tables_escape_every_cell_and_mark_numbers() {
        let table = Table {
            title: "Users <all>".into(),
            columns: vec![
                Column::text("user", "user"),
                Column::figure("calls", "calls"),
            ],
            rows: vec![
                vec![Cell::Text("<script>".into()), Cell::Count(1234)],
                vec![Cell::Text("GET /dc/x".into()), Cell::Count(1)],
            ],
            total: Some(vec![Cell::Text("total".into()), Cell::Count(1234)]),
        };
        let html = table_html(&table);
        assert!(html.contains("<caption>Users &lt;all&gt;</caption>"));
        assert!(html.contains("<td>&lt;script&gt;</td><td class=\"num\">1,234</td>"));
        assert!(html.contains("<td>GET /<wbr>dc/<wbr>x</td>"));
        assert!(html.contains("<tfoot>"));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn backticks_become_code() {
        assert_eq!(
            code_spans("does not start with a `YYYY-MM-DD` stamp"),
            "does not start with a <code>YYYY-MM-DD</code> stamp"
        );
        assert_eq!(code_spans("`a` and `b"), "<code>a</code> and `b");
        assert_eq!(code_spans("no code"), "no code");
        let table = Table {
            title: String::new(),
            columns: vec![Column::text("reason", "reason")],
            rows: vec![vec![Cell::Text("a `<b>` tag".into())]],
            total: None,
        };
        assert!(table_html(&table).contains("<td>a <code>&lt;b&gt;</code> tag</td>"));
    }
}

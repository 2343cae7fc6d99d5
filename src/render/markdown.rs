//! GitHub-flavoured Markdown tables, with log-derived text escaped.

use super::{Align, Exporter, Table};
use std::io::{self, Write};

pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn export(&self, tables: &[Table], notes: &[String], out: &mut dyn Write) -> io::Result<()> {
        for (i, table) in tables.iter().map(Table::for_people).enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            if !table.title.is_empty() {
                writeln!(out, "## {}\n", escape(&table.title))?;
            }
            let header: Vec<String> = table.columns.iter().map(|c| escape(c.heading)).collect();
            writeln!(out, "| {} |", header.join(" | "))?;
            let rule: Vec<&str> = table
                .columns
                .iter()
                .map(|c| {
                    if c.align == Align::Right {
                        "---:"
                    } else {
                        "---"
                    }
                })
                .collect();
            writeln!(out, "| {} |", rule.join(" | "))?;
            for row in &table.rows {
                let cells: Vec<String> = row.iter().map(|c| escape(&c.human())).collect();
                writeln!(out, "| {} |", cells.join(" | "))?;
            }
            if let Some(total) = &table.total {
                let cells: Vec<String> = total
                    .iter()
                    .map(|c| match c.human() {
                        s if s.is_empty() => s,
                        s => format!("**{}**", escape(&s)),
                    })
                    .collect();
                writeln!(out, "| {} |", cells.join(" | "))?;
            }
        }
        if !notes.is_empty() {
            writeln!(out)?;
            for note in notes {
                writeln!(out, "{}\n", escape(note))?;
            }
        }
        Ok(())
    }
}

/// Makes text inert in Markdown: table pipes, emphasis, links, HTML and line breaks.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn log_text_cannot_break_a_table() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("<script>"), "&lt;script&gt;");
        assert_eq!(escape("x\ny"), "x y");
        assert_eq!(escape("[click](http://x)"), "\\[click\\](http://x)");
    }
}

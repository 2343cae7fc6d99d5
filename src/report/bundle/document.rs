//! The bundle's document as a list of blocks, written once and rendered twice: a
//! self-contained HTML page (inline CSS and SVG, no script, nothing fetched) and Markdown
//! that links the chart files. Every piece of text is redacted and escaped for its format
//! here, so the text built elsewhere may carry user names, paths and log lines as they are.

use crate::redact::redact;
use crate::render::html::{escape as html_escape, table_html};
use crate::render::markdown::{escape as md_escape, MarkdownExporter};
use crate::render::{Exporter, Table};

/// A run of text inside a paragraph.
#[derive(Debug, Clone, PartialEq)]
pub enum Span {
    Text(String),
    Strong(String),
    /// A flag or a setting name. Static, because Markdown shows code spans verbatim and so
    /// cannot escape log text inside them.
    Code(&'static str),
    /// A link to a file of the bundle.
    Link {
        text: String,
        href: String,
    },
}

/// Shorthand for a plain text span.
pub fn text(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}

/// Shorthand for a strong span.
pub fn strong(s: impl Into<String>) -> Span {
    Span::Strong(s.into())
}

/// One headline figure: what it is, the figure, and how to read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// What the figure is.
    pub label: String,
    /// The figure, as the tables show it.
    pub value: String,
    /// How to read it, in a sentence.
    pub detail: String,
}

/// A piece of the document.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading(String),
    Subheading(String),
    Paragraph(Vec<Span>),
    Figures(Vec<Figure>),
    List(Vec<Vec<Span>>),
    /// A table; its title becomes the caption.
    Table(Table),
    /// Small print under a table.
    Notes(Vec<String>),
    /// An SVG chart: inline in HTML, linked from `charts/` in Markdown.
    Chart {
        file: String,
        title: String,
        svg: String,
    },
}

/// The whole document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The page title and first heading.
    pub title: String,
    /// The content, in order.
    pub blocks: Vec<Block>,
}

fn clean(text: &str) -> String {
    redact(text).into_owned()
}

fn redacted_table(table: &Table) -> Table {
    crate::render::redacted_table(table.clone())
}

const STYLE: &str = "\
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;background:#eef1f4;color:#1f2328;font:16px/1.55 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif}
main{max-width:1000px;margin:0 auto;padding:36px 40px 56px;background:#fff;min-height:100vh}
h1{font-size:1.95rem;line-height:1.25;margin:0 0 .4rem}
h2{font-size:1.35rem;margin:2.6rem 0 .6rem;padding-top:.9rem;border-top:1px solid #d8dee4}
h3{font-size:1.08rem;margin:1.6rem 0 .4rem}
p{margin:.6rem 0}
a{color:#0b5cad}
.headline{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:14px;margin:1.4rem 0 1.8rem}
.headline-figure{border:1px solid #d0d7de;border-left:5px solid #0072b2;border-radius:6px;padding:12px 16px;background:#f8fafc}
.headline-figure .label{font-size:.82rem;color:#57606a;font-weight:600;letter-spacing:.01em}
.headline-figure .value{font-size:1.55rem;font-weight:700;font-variant-numeric:tabular-nums;margin:.15rem 0 .2rem;line-height:1.25}
.headline-figure .detail{font-size:.84rem;color:#4a535c;line-height:1.4}
figure{margin:1.2rem 0 1.4rem}
figure svg{display:block;width:100%;max-width:900px;height:auto;border:1px solid #e3e7eb;border-radius:4px}
.table-wrap{overflow-x:auto;margin:.8rem 0}
table{border-collapse:collapse;font-size:.86rem;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.2rem 0 .4rem;font-size:.92rem}
th,td{padding:.3rem .65rem;border-bottom:1px solid #e3e7eb;vertical-align:top;text-align:left}
th{background:#f3f5f7;font-weight:600}
td{overflow-wrap:anywhere}
td code{overflow-wrap:anywhere}
th.num,td.num{text-align:right}
td.num{white-space:nowrap}
tbody tr:nth-child(even){background:#fafbfc}
tfoot td{font-weight:600;border-top:2px solid #c9d1d9}
.note{font-size:.86rem;color:#57606a}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em;background:#f1f3f5;padding:.05em .3em;border-radius:3px}
ul{padding-left:1.3rem}
li{margin:.25rem 0}
footer{margin-top:3rem;font-size:.8rem;color:#6e7781}
@media print{body{background:#fff}main{padding:0;max-width:none}h2{break-after:avoid}figure,.table-wrap,.headline-figure{break-inside:avoid}}
";

fn spans_html(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|span| match span {
            Span::Text(t) => html_escape(&clean(t)),
            Span::Strong(t) => format!("<strong>{}</strong>", html_escape(&clean(t))),
            Span::Code(t) => format!("<code>{}</code>", html_escape(t)),
            Span::Link { text, href } => format!(
                "<a href=\"{}\">{}</a>",
                html_escape(href),
                html_escape(&clean(text))
            ),
        })
        .collect()
}

fn spans_markdown(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|span| match span {
            Span::Text(t) => md_escape(&clean(t)),
            Span::Strong(t) => format!("**{}**", md_escape(&clean(t))),
            Span::Code(t) => format!("`{t}`"),
            Span::Link { text, href } => format!("[{}]({href})", md_escape(&clean(text))),
        })
        .collect()
}

/// A heading's fragment name, so that a section can be linked: `Who calls` → `who-calls`.
fn anchor(heading: &str) -> String {
    let mut id = String::new();
    for c in heading.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.is_empty() && !id.ends_with('-') {
            id.push('-');
        }
    }
    id.trim_end_matches('-').to_string()
}

/// The chart's SVG with its title for screen readers, ready to sit inside the page.
fn inline_svg(svg: &str, title: &str) -> String {
    let label = format!("<svg role=\"img\" aria-label=\"{}\" ", html_escape(title));
    svg.trim().replacen("<svg ", &label, 1)
}

impl Document {
    /// The page: one file that opens from disk with no network and no script.
    pub fn html(&self) -> String {
        let mut html = String::new();
        html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        // Nothing may load or run: the page is forwarded by mail and opened from disk.
        html.push_str(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
        );
        html.push_str(&format!(
            "<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n",
            html_escape(&clean(&self.title)),
            html_escape(&clean(&self.title))
        ));
        for block in &self.blocks {
            match block {
                Block::Heading(t) => html.push_str(&format!(
                    "<h2 id=\"{}\">{}</h2>\n",
                    anchor(t),
                    html_escape(&clean(t))
                )),
                Block::Subheading(t) => {
                    html.push_str(&format!("<h3>{}</h3>\n", html_escape(&clean(t))))
                }
                Block::Paragraph(spans) => {
                    html.push_str(&format!("<p>{}</p>\n", spans_html(spans)))
                }
                Block::Figures(figures) => {
                    html.push_str("<div class=\"headline\">\n");
                    for f in figures {
                        html.push_str(&format!(
                            "<div class=\"headline-figure\"><div class=\"label\">{}</div><div class=\"value\">{}</div><div class=\"detail\">{}</div></div>\n",
                            html_escape(&clean(&f.label)),
                            html_escape(&clean(&f.value)),
                            html_escape(&clean(&f.detail))
                        ));
                    }
                    html.push_str("</div>\n");
                }
                Block::List(items) => {
                    html.push_str("<ul>\n");
                    for item in items {
                        html.push_str(&format!("<li>{}</li>\n", spans_html(item)));
                    }
                    html.push_str("</ul>\n");
                }
                Block::Table(table) => html.push_str(&table_html(&redacted_table(table))),
                Block::Notes(notes) => {
                    for note in notes {
                        html.push_str(&format!(
                            "<p class=\"note\">{}</p>\n",
                            html_escape(&clean(note))
                        ));
                    }
                }
                Block::Chart { title, svg, .. } => {
                    html.push_str(&format!(
                        "<figure>\n{}\n</figure>\n",
                        inline_svg(svg, title)
                    ));
                }
            }
        }
        html.push_str(&format!(
            "<footer>Made by esmlog {}.</footer>\n</main>\n</body>\n</html>\n",
            env!("CARGO_PKG_VERSION")
        ));
        html
    }

    /// The Markdown document; charts are images linked from `charts/`.
    pub fn markdown(&self) -> String {
        let mut md = format!("# {}\n\n", md_escape(&clean(&self.title)));
        for block in &self.blocks {
            match block {
                Block::Heading(t) => md.push_str(&format!("## {}\n\n", md_escape(&clean(t)))),
                Block::Subheading(t) => md.push_str(&format!("### {}\n\n", md_escape(&clean(t)))),
                Block::Paragraph(spans) => {
                    md.push_str(&spans_markdown(spans));
                    md.push_str("\n\n");
                }
                Block::Figures(figures) => {
                    for f in figures {
                        md.push_str(&format!(
                            "- **{}: {}**. {}\n",
                            md_escape(&clean(&f.label)),
                            md_escape(&clean(&f.value)),
                            md_escape(&clean(&f.detail))
                        ));
                    }
                    md.push('\n');
                }
                Block::List(items) => {
                    for item in items {
                        md.push_str(&format!("- {}\n", spans_markdown(item)));
                    }
                    md.push('\n');
                }
                Block::Table(table) => {
                    let mut table = redacted_table(table);
                    if !table.title.is_empty() {
                        md.push_str(&format!("**{}**\n\n", md_escape(&table.title)));
                        table.title.clear();
                    }
                    let mut out = Vec::new();
                    MarkdownExporter
                        .export(&[table], &[], &mut out)
                        .expect("writing to memory cannot fail");
                    md.push_str(&String::from_utf8_lossy(&out));
                    md.push('\n');
                }
                Block::Notes(notes) => {
                    for note in notes {
                        md.push_str(&format!("_{}_\n\n", md_escape(&clean(note))));
                    }
                }
                Block::Chart { file, title, .. } => {
                    md.push_str(&format!(
                        "![{}](charts/{file})\n\n",
                        md_escape(&clean(title))
                    ));
                }
            }
        }
        md.push_str(&format!(
            "---\n\nMade by esmlog {}.\n",
            env!("CARGO_PKG_VERSION")
        ));
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{Cell, Column};

    fn document() -> Document {
        Document {
            title: "Report <x>".into(),
            blocks: vec![
                Block::Paragraph(vec![
                    text("user "),
                    strong("<b>x</b>"),
                    text(" sent password=hunter2 | *"),
                    Span::Code("--quota"),
                ]),
                Block::Table(Table {
                    title: String::new(),
                    columns: vec![
                        Column::text("user", "user"),
                        Column::figure("calls", "calls"),
                    ],
                    rows: vec![vec![Cell::Text("a|b <i>".into()), Cell::Count(5)]],
                    total: None,
                }),
                Block::Chart {
                    file: "w.svg".into(),
                    title: "Weeks".into(),
                    svg: "<svg width=\"10\" height=\"10\" xmlns=\"http://www.w3.org/2000/svg\"></svg>"
                        .into(),
                },
            ],
        }
    }

    #[test]
    fn html_escapes_and_redacts_log_text() {
        let html = document().html();
        assert!(html.contains("<strong>&lt;b&gt;x&lt;/b&gt;</strong>"));
        assert!(html.contains("<td>a|b &lt;i&gt;</td>"));
        assert!(!html.contains("hunter2"));
        assert!(html.contains("<svg role=\"img\" aria-label=\"Weeks\" width="));
        assert!(!html.contains("<script"));
    }

    #[test]
    fn markdown_escapes_and_links_charts() {
        let md = document().markdown();
        assert!(md.starts_with("# Report &lt;x&gt;\n"));
        assert!(md.contains("**&lt;b&gt;x&lt;/b&gt;**"));
        assert!(md.contains("\\| \\*`--quota`"));
        assert!(md.contains("| a\\|b &lt;i&gt; | 5 |"));
        assert!(md.contains("![Weeks](charts/w.svg)"));
        assert!(!md.contains("hunter2"));
    }
}

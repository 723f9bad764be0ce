//! `report.html`: one self-contained, printable file — tables and inline SVG charts, the
//! font embedded, nothing loaded from the network. Every text from input files is escaped.

use base64::Engine as _;

use super::labels::Lang;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
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

/// A table cell: text and a CSS class (`num`, `flagged`, `up`, `down`, or empty).
#[derive(Debug, Clone)]
pub struct Cell {
    pub text: String,
    pub class: &'static str,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell {
            text: s.into(),
            class: "",
        }
    }
    pub fn num(s: impl Into<String>) -> Cell {
        Cell {
            text: s.into(),
            class: "num",
        }
    }
    pub fn with(s: impl Into<String>, class: &'static str) -> Cell {
        Cell {
            text: s.into(),
            class,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Block {
    Paragraph(String),
    Table {
        id: String,
        caption: String,
        headers: Vec<String>,
        rows: Vec<Vec<Cell>>,
    },
    /// A chart: its title and the SVG text.
    Chart {
        id: String,
        title: String,
        svg: String,
    },
}

#[derive(Debug, Clone)]
pub struct Section {
    pub id: String,
    pub heading: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub title: String,
    pub subtitle: String,
    pub lang: Lang,
    pub sections: Vec<Section>,
    pub notes: Vec<String>,
}

const CSS: &str = r#"
body { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; color: #212529; margin: 0 auto; max-width: 1180px; padding: 24px; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.1em; } h2 { border-bottom: 2px solid #2166ac; padding-bottom: 4px; margin-top: 2em; }
h3 { margin-top: 1.4em; } .sub { color: #606870; margin-top: 0; }
nav ol { columns: 2; } table { border-collapse: collapse; width: 100%; margin: 0.6em 0 1.4em; font-size: 0.86em; }
caption { text-align: left; font-weight: bold; padding: 4px 0; } th, td { border: 1px solid #dee2e6; padding: 3px 6px; vertical-align: top; }
th { background: #ddebf7; text-align: left; } td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.flagged { color: #9c0006; background: #fff1f0; } td.up { color: #1a7f37; font-weight: bold; } td.down { color: #b42318; font-weight: bold; }
figure { margin: 1em 0 2em; break-inside: avoid; page-break-inside: avoid; } figure svg { width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #606870; } .notes li { margin-bottom: 0.3em; } .flagkey { color: #9c0006; }
@media print { body { max-width: none; padding: 0; font-size: 10pt; } nav { display: none; } h2 { break-before: page; } table { font-size: 8pt; } @page { size: A4; margin: 14mm; } }
"#;

/// An SVG written by plotters, ready to sit inside HTML: no XML prolog or namespace, sized
/// by its container.
fn inline_svg(svg: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    svg[start..]
        .replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
        .replacen(
            "<svg width=\"1600\" height=\"1000\"",
            "<svg role=\"img\"",
            1,
        )
}

pub fn html(r: &Report) -> String {
    let vi = r.lang == Lang::Vi;
    let font = base64::engine::general_purpose::STANDARD.encode(dejavu::sans::regular());
    let bold = base64::engine::general_purpose::STANDARD.encode(dejavu::sans::bold());
    let mut h = String::new();
    h.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n@font-face {{ font-family: \"DejaVu Sans\"; font-weight: normal; src: url(data:font/ttf;base64,{font}) format(\"truetype\"); }}\n@font-face {{ font-family: \"DejaVu Sans\"; font-weight: bold; src: url(data:font/ttf;base64,{bold}) format(\"truetype\"); }}\n{CSS}</style>\n</head>\n<body>\n",
        if vi { "vi" } else { "en" },
        escape(&r.title)
    ));
    h.push_str(&format!(
        "<header>\n<h1>{}</h1>\n<p class=\"sub\">{}</p>\n</header>\n",
        escape(&r.title),
        escape(&r.subtitle)
    ));
    h.push_str(&format!(
        "<nav>\n<h2>{}</h2>\n<ol>\n",
        if vi { "Mục lục" } else { "Contents" }
    ));
    for s in &r.sections {
        h.push_str(&format!(
            "<li><a href=\"#{}\">{}</a></li>\n",
            escape(&s.id),
            escape(&s.heading)
        ));
    }
    h.push_str("</ol>\n</nav>\n<main>\n");
    for s in &r.sections {
        h.push_str(&format!(
            "<section id=\"{}\">\n<h2>{}</h2>\n",
            escape(&s.id),
            escape(&s.heading)
        ));
        for b in &s.blocks {
            match b {
                Block::Paragraph(t) => h.push_str(&format!("<p>{}</p>\n", escape(t))),
                Block::Table {
                    id,
                    caption,
                    headers,
                    rows,
                } => {
                    h.push_str(&format!(
                        "<table id=\"{}\">\n<caption>{}</caption>\n<thead><tr>",
                        escape(id),
                        escape(caption)
                    ));
                    for c in headers {
                        h.push_str(&format!("<th>{}</th>", escape(c)));
                    }
                    h.push_str("</tr></thead>\n<tbody>\n");
                    for row in rows {
                        h.push_str("<tr>");
                        for c in row {
                            if c.class.is_empty() {
                                h.push_str(&format!("<td>{}</td>", escape(&c.text)));
                            } else {
                                h.push_str(&format!(
                                    "<td class=\"{}\">{}</td>",
                                    c.class,
                                    escape(&c.text)
                                ));
                            }
                        }
                        h.push_str("</tr>\n");
                    }
                    h.push_str("</tbody>\n</table>\n");
                }
                Block::Chart { id, title, svg } => {
                    h.push_str(&format!(
                        "<figure id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
                        escape(id),
                        inline_svg(svg),
                        escape(title)
                    ));
                }
            }
        }
        h.push_str("</section>\n");
    }
    h.push_str(&format!(
        "<section id=\"notes\">\n<h2>{}</h2>\n<ul class=\"notes\">\n",
        if vi {
            "Ghi chú phương pháp"
        } else {
            "Notes on method"
        }
    ));
    for n in &r.notes {
        h.push_str(&format!("<li>{}</li>\n", escape(n)));
    }
    h.push_str("</ul>\n</section>\n</main>\n</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_input_files_is_escaped() {
        assert_eq!(
            escape(r#"<script>alert("x&y")</script> 'Na Rì'"#),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt; &#39;Na Rì&#39;"
        );
        let r = Report {
            title: "T <b>".into(),
            subtitle: String::new(),
            lang: Lang::Vi,
            sections: vec![Section {
                id: "s".into(),
                heading: "<h>".into(),
                blocks: vec![Block::Table {
                    id: "t".into(),
                    caption: "c".into(),
                    headers: vec!["<u>".into()],
                    rows: vec![vec![Cell::text("Xã <img src=x onerror=alert(1)>")]],
                }],
            }],
            notes: vec![],
        };
        let out = html(&r);
        assert!(!out.contains("<img"));
        assert!(!out.contains("<u>") && !out.contains("<b>"));
        assert!(out.contains("Xã &lt;img src=x onerror=alert(1)&gt;"));
    }
}

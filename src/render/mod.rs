//! Writing results: tables (CSV, XLSX, JSON), charts and the report. Renders what it is given:
//! it arranges figures, chooses words and the form of numbers, and computes no figure (sums,
//! bands, ranks and verdicts come from `estimate`, `par`, `compare` and `annual`).

pub mod charts;
pub mod compare;
pub mod figures;
pub mod labels;
pub mod par;
pub mod qd766;
pub mod report;
pub mod sample_size;
pub mod scores;
pub mod tasks;
pub mod template;

use std::path::Path;

use anyhow::Context as _;

/// A number for a CSV cell: full precision, shortest round-trip form; empty when missing.
/// Zero is written `0` whatever its sign, and so is a number too small to be anything but a
/// rounding error (below 1e-12 in size: subnormals such as `1e-320` would otherwise print as
/// hundreds of digits).
pub(crate) fn num(x: f64) -> String {
    if !x.is_finite() {
        String::new()
    } else if x.abs() < 1e-12 {
        "0".to_string()
    } else {
        format!("{x}")
    }
}

/// A CSV table being written, in memory until [`save_csv`].
pub(crate) fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::new())
}

/// Writes a finished CSV table to `path` (a new file, synced).
pub(crate) fn save_csv(path: &Path, w: csv::Writer<Vec<u8>>) -> anyhow::Result<()> {
    let bytes = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", path.display(), e.error()))?;
    save_bytes(path, &bytes)
}

/// Writes bytes to `path` (a new file, synced).
pub(crate) fn save_bytes(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    crate::files::create_synced(path, bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Writes a workbook to `path` (a new file, synced).
pub(crate) fn save_workbook(path: &Path, wb: &mut rust_xlsxwriter::Workbook) -> anyhow::Result<()> {
    let bytes = wb
        .save_to_buffer()
        .with_context(|| format!("cannot write {}", path.display()))?;
    save_bytes(path, &bytes)
}

/// Makes a sheet ready to print: A4, portrait or landscape, fit to the page's width (as many
/// pages down as needed), the first `header_rows` rows repeated on every page, page numbers in
/// the footer, and column widths fitted to the content (at most `max_width` pixels; Vietnamese
/// letters counted as Excel counts them).
pub(crate) fn print_ready(
    sheet: &mut rust_xlsxwriter::Worksheet,
    landscape: bool,
    header_rows: u32,
    max_width: u32,
    lang: crate::lang::Lang,
) -> anyhow::Result<()> {
    sheet.set_paper_size(9);
    if landscape {
        sheet.set_landscape();
    } else {
        sheet.set_portrait();
    }
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_margins(0.5, 0.5, 0.6, 0.6, 0.3, 0.3);
    if header_rows > 0 {
        sheet.set_repeat_rows(0, header_rows - 1)?;
    }
    sheet.set_footer(lang.pick("&C&8Trang &P / &N", "&C&8Page &P of &N"));
    // Widths from the first rows are enough, and keep a national table quick to save.
    sheet.set_autofit_max_row(5_000);
    sheet.set_autofit_max_width(max_width);
    sheet.autofit();
    Ok(())
}

/// The header cells of every workbook: bold, wrapped, pale blue.
pub(crate) fn header_format() -> rust_xlsxwriter::Format {
    rust_xlsxwriter::Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color("DDEBF7")
}

/// As [`num`], for an optional number.
pub(crate) fn opt(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
}

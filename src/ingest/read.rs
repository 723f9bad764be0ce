//! Reading a batch file as a table, whatever its encoding, delimiter or extension.
//!
//! The format is recognised from the content, never the file name: Excel saves "Unicode text"
//! as `.txt` (UTF-16 LE, tab-separated), and a `.csv` may really be a workbook. Every record
//! comes out as a [`csv::ByteRecord`] of UTF-8 fields with the line (or sheet row) it started on.

use std::borrow::Cow;
use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader};
use csv::ByteRecord;

use super::error::Refusal;

/// How a file was read, for the summary and the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    Text {
        encoding: &'static str,
        delimiter: u8,
    },
    Workbook {
        sheet: String,
        /// The sheet row (1-based) the header was found on.
        header_row: u64,
    },
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Format::Text {
                encoding,
                delimiter,
            } => {
                let d = match delimiter {
                    b',' => crate::msg!("format.comma"),
                    b';' => crate::msg!("format.semicolon"),
                    b'\t' => crate::msg!("format.tab"),
                    _ => crate::msg!("format.other"),
                };
                f.write_str(&crate::msg!(
                    "format.text",
                    encoding = encoding,
                    delimiter = d
                ))
            }
            Format::Workbook { sheet, header_row } => {
                if *header_row > 1 {
                    f.write_str(&crate::msg!(
                        "format.workbook_row",
                        sheet = sheet,
                        row = header_row
                    ))
                } else {
                    f.write_str(&crate::msg!("format.workbook", sheet = sheet))
                }
            }
        }
    }
}

/// Options that change how a file is read.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Sheet of a workbook (default: the first).
    pub sheet: Option<String>,
    /// Legacy text encoding label (e.g. `windows-1258`) for files that are not UTF-8/UTF-16.
    pub encoding: Option<String>,
    /// The headers the questionnaire reads, as [`normalise_header`] has them: a workbook's
    /// data sheet and header row are the first whose cells hold some of them (empty: the
    /// first sheet's first row).
    ///
    /// [`normalise_header`]: super::validate::normalise_header
    pub expect: std::collections::HashSet<String>,
}

impl ReadOptions {
    /// Default options, the data sheet and header row found by `headers` (as written in a
    /// layout: normalised here).
    pub fn expecting<'a>(headers: impl IntoIterator<Item = &'a String>) -> ReadOptions {
        ReadOptions {
            expect: headers
                .into_iter()
                .map(|h| super::validate::normalise_header(h))
                .collect(),
            ..ReadOptions::default()
        }
    }
}

/// The hidden sheet of a `chiso template` workbook (see `render::template`).
const TEMPLATE_SHEET: &str = "_chiso";

/// Rows searched for a workbook's header (title rows above it).
pub const HEADER_SEARCH_ROWS: usize = 30;

/// A file opened as a table: its header and a source of records.
pub struct Table {
    pub format: Format,
    pub header: Vec<String>,
    /// The questionnaire id and version a `chiso template` workbook was made for.
    pub template: Option<(String, String)>,
    body: Body,
    /// Size of the input, for the progress bar.
    pub len: u64,
}

enum Body {
    Text {
        text: Vec<u8>,
        delimiter: u8,
    },
    /// UTF-8 text without quotes, left on disk: each part's lines are read when it is checked,
    /// so memory holds the parts being checked, not the file.
    File {
        file: std::fs::File,
        parts: Vec<Part>,
        delimiter: u8,
    },
    Rows(Vec<(u64, ByteRecord)>),
}

impl Table {
    /// The parts this table can be checked in, each a range of whole lines: several for a
    /// text file without quotes (a newline then always ends a record), else one.
    pub fn parts(&self) -> Vec<Part> {
        match &self.body {
            Body::File { parts, .. } => parts.clone(),
            Body::Text { text, .. } if memchr::memchr(b'"', text).is_none() => {
                let mut cut = Cutter::new(0);
                cut.feed(text, 0);
                cut.finish(text.len())
            }
            Body::Text { text, .. } => vec![Part {
                bytes: 0..text.len(),
                first_line: 1,
                lines: memchr::memchr_iter(b'\n', text).count() as u64 + 1,
                header: true,
                quoted: true,
            }],
            Body::Rows(rows) => vec![Part {
                bytes: 0..rows.len(),
                first_line: 1,
                lines: rows.len() as u64,
                header: false,
                quoted: false,
            }],
        }
    }

    /// Calls `each(line, record, bytes_done)` for every data record of `part`, in order.
    pub fn for_each_record(
        &self,
        file: &str,
        part: &Part,
        mut each: impl FnMut(u64, &Fields<'_>, u64),
    ) -> Result<u64, Refusal> {
        let mut ends = Vec::new();
        match &self.body {
            Body::Rows(rows) => {
                for (line, rec) in &rows[part.bytes.clone()] {
                    with_fields(rec, &mut ends, |f| each(*line, f, 0));
                }
                Ok(rows.len() as u64)
            }
            Body::Text {
                text: whole,
                delimiter,
            } if !part.quoted => Ok(split_lines(
                &whole[part.bytes.clone()],
                part,
                *delimiter,
                &mut ends,
                each,
            )),
            Body::File {
                file: f, delimiter, ..
            } => {
                let mut text = vec![0u8; part.bytes.len()];
                read_exact_at(f, &mut text, part.bytes.start as u64).map_err(|e| Refusal::Io {
                    file: file.to_string(),
                    message: e.to_string(),
                })?;
                Ok(split_lines(&text, part, *delimiter, &mut ends, each))
            }
            Body::Text {
                text: whole,
                delimiter,
            } => {
                let text = &whole[part.bytes.clone()];
                let mut rdr = csv_reader(text, *delimiter);
                let mut rec = ByteRecord::new();
                let mut header_seen = !part.header;
                let mut count = 0u64;
                let mut last_start = 0usize;
                // Lines are counted here from byte offsets: the reader's own count drifts with CRLF.
                let mut line = part.first_line;
                loop {
                    let more = rdr.read_byte_record(&mut rec).map_err(|e| Refusal::Csv {
                        file: file.to_string(),
                        message: e.to_string(),
                    })?;
                    if !more {
                        break;
                    }
                    // After a CRLF the reader's offset points at the '\n': step past terminators.
                    let mut start = rec.position().map(|p| p.byte() as usize).unwrap_or(0);
                    while start < text.len() && matches!(text[start], b'\n' | b'\r') {
                        start += 1;
                    }
                    line += memchr::memchr_iter(b'\n', &text[last_start.min(start)..start]).count()
                        as u64;
                    last_start = start;
                    if !header_seen {
                        header_seen = true;
                        continue;
                    }
                    count += 1;
                    let at = (part.bytes.start + start) as u64;
                    with_fields(&rec, &mut ends, |f| each(line, f, at));
                }
                if let Some(line) = unterminated_quote(text, last_start, *delimiter) {
                    return Err(Refusal::UnterminatedQuote {
                        file: file.to_string(),
                        line: line + part.first_line - 1,
                    });
                }
                Ok(count)
            }
        }
    }
}

/// The records of a part without quotes, split where the CSV reader would split them: fields at
/// each delimiter, records at each `\r` or `\n` (so CRLF too), empty records skipped. The
/// fields are the text itself: nothing is copied.
fn split_lines(
    text: &[u8],
    part: &Part,
    delimiter: u8,
    ends: &mut Vec<usize>,
    mut each: impl FnMut(u64, &Fields<'_>, u64),
) -> u64 {
    let mut header_seen = !part.header;
    let (mut count, mut line, mut start) = (0u64, part.first_line, 0usize);
    while start < text.len() {
        let rest = &text[start..];
        // Fields are a byte or two: one plain loop finds the delimiters and the line's end,
        // faster than a search call per field.
        ends.clear();
        let mut len = rest.len();
        for (k, &b) in rest.iter().enumerate() {
            if b == delimiter {
                ends.push(k);
            } else if b == b'\n' || b == b'\r' {
                len = k;
                break;
            }
        }
        if len > 0 {
            let record = &rest[..len];
            if header_seen {
                ends.push(len);
                count += 1;
                each(
                    line,
                    &Fields {
                        data: record,
                        ends,
                        gap: 1,
                    },
                    (part.bytes.start + start) as u64,
                );
            } else {
                header_seen = true;
            }
        }
        if rest.get(len) == Some(&b'\n') {
            line += 1;
        }
        start += len + 1;
    }
    count
}

/// Cuts a text without quotes into parts of [`PART_LINES`] lines, fed in blocks of whole lines
/// (the whole text at once, or a file piece by piece: the same parts either way).
struct Cutter {
    parts: Vec<Part>,
    /// Where the text starts (after a byte-order mark) and the part being cut starts.
    base: usize,
    start: usize,
    first_line: u64,
    line: u64,
}

impl Cutter {
    fn new(base: usize) -> Cutter {
        Cutter {
            parts: Vec::new(),
            base,
            start: base,
            first_line: 1,
            line: 1,
        }
    }

    /// The next block of whole lines, starting at byte `at`.
    fn feed(&mut self, block: &[u8], at: usize) {
        for nl in memchr::memchr_iter(b'\n', block) {
            self.line += 1;
            if (self.line - 1).is_multiple_of(PART_LINES) {
                self.push(at + nl + 1, self.line - self.first_line);
                (self.start, self.first_line) = (at + nl + 1, self.line);
            }
        }
    }

    fn push(&mut self, end: usize, lines: u64) {
        self.parts.push(Part {
            bytes: self.start..end,
            first_line: self.first_line,
            lines,
            header: self.start == self.base,
            quoted: false,
        });
    }

    /// The parts, the last one ending at `end` (the text's end).
    fn finish(mut self, end: usize) -> Vec<Part> {
        if self.start < end || self.parts.is_empty() {
            self.push(end, self.line - self.first_line + 1);
        }
        self.parts
    }
}

/// Lines per part (and per content digest, see `validate`): fixed, so that a batch's identity
/// does not depend on how it is split.
pub const PART_LINES: u64 = 1 << 16;

/// A range of whole lines of a table: bytes of a text, or indices of workbook rows.
#[derive(Debug, Clone)]
pub struct Part {
    pub bytes: std::ops::Range<usize>,
    pub first_line: u64,
    /// Lines in the part (at least its records: sizes the column builders).
    pub lines: u64,
    /// Whether the part starts with the header line.
    pub header: bool,
    /// Whether the text may hold quotes (then the CSV reader parses it).
    pub quoted: bool,
}

/// The fields of one record, borrowed: from the file's text itself (a line without quotes) or
/// from a parsed record.
pub struct Fields<'a> {
    data: &'a [u8],
    /// Where each field ends in `data`.
    ends: &'a [usize],
    /// Bytes between one field's end and the next one's start: 1 (a delimiter) in a line of
    /// text, 0 in a parsed record's concatenated fields.
    gap: usize,
}

impl<'a> Fields<'a> {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1] + self.gap
        };
        self.data.get(start..end)
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        let (data, gap) = (self.data, self.gap);
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let f = &data[start.min(end)..end];
            start = end + gap;
            f
        })
    }

    /// Bytes of all fields together (delimiters not counted).
    pub fn bytes(&self) -> usize {
        self.data.len() - self.gap * self.ends.len().saturating_sub(1)
    }
}

/// Calls `each` with a parsed record's fields.
fn with_fields(rec: &ByteRecord, ends: &mut Vec<usize>, each: impl FnOnce(&Fields<'_>)) {
    ends.clear();
    ends.extend((0..rec.len()).filter_map(|i| rec.range(i)).map(|r| r.end));
    each(&Fields {
        data: rec.as_slice(),
        ends,
        gap: 0,
    });
}

fn csv_reader(text: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text)
}

/// Opens `path` as a table, refusing what cannot be read as one.
pub fn open(path: &Path, opts: &ReadOptions) -> Result<Table, Refusal> {
    let file = path.display().to_string();
    if opts.encoding.is_none()
        && let Some(table) = open_streamed(path).map_err(|e| Refusal::Io {
            file: file.clone(),
            message: e.to_string(),
        })?
    {
        return Ok(table);
    }
    let bytes = read_whole(path).map_err(|e| Refusal::Io {
        file: file.clone(),
        message: e.to_string(),
    })?;
    let len = bytes.len() as u64;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Refusal::Empty { file });
    }
    if is_workbook(&bytes) {
        return open_workbook(&file, bytes, opts);
    }
    let (text, encoding) = decode(&file, bytes, opts)?;
    let delimiter = sniff_delimiter(&text);
    let header = first_record(&text, delimiter)
        .map_err(|e| Refusal::Csv {
            file: file.clone(),
            message: e.to_string(),
        })?
        .ok_or(Refusal::Empty { file })?;
    Ok(Table {
        template: None,
        format: Format::Text {
            encoding,
            delimiter,
        },
        header,
        body: Body::Text { text, delimiter },
        len,
    })
}

/// Whether the bytes start as an .xlsx (zip) or .xls (OLE) workbook does.
fn is_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// The first record of a text (the header), if it has one.
fn first_record(text: &[u8], delimiter: u8) -> csv::Result<Option<Vec<String>>> {
    let mut rec = ByteRecord::new();
    let found = csv_reader(text, delimiter).read_byte_record(&mut rec)?;
    Ok(found.then(|| {
        rec.iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect()
    }))
}

/// Bytes read at a time when a file is first scanned.
const SCAN_BYTES: usize = 8 << 20;

/// Opens a UTF-8 text file without quotes or NUL bytes (the usual export, however large) to be
/// read part by part: one pass in pieces finds the parts' line ranges (as [`Table::parts`] cuts a
/// text in memory, so the batch id is the same) and checks the encoding, holding a piece at a
/// time. Anything else (a workbook, UTF-16, quotes, bytes that are not UTF-8, no text at all)
/// gives `None`, and the file is read whole, where each of those is handled and reported.
fn open_streamed(path: &Path) -> std::io::Result<Option<Table>> {
    use std::io::Read as _;
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    let mut pending: Vec<u8> = Vec::with_capacity(SCAN_BYTES);
    // File offset of `pending[0]`.
    let mut offset = 0usize;
    // From the first block: the parts cut so far, the header and the delimiter.
    let mut first: Option<(Cutter, Option<Vec<String>>, u8)> = None;
    let mut any_text = false;
    let mut eof = false;
    let mut piece = vec![0u8; SCAN_BYTES];
    while !eof {
        let n = f.read(&mut piece)?;
        eof = n == 0;
        pending.extend_from_slice(&piece[..n]);
        // Whole lines only (a newline never falls inside a UTF-8 character), all at the end.
        let upto = if eof {
            pending.len()
        } else {
            match memchr::memrchr(b'\n', &pending) {
                Some(nl) => nl + 1,
                None => continue,
            }
        };
        let mut block = &pending[..upto];
        let mut base = 0;
        if first.is_none() {
            if is_workbook(block)
                || block.starts_with(&[0xFF, 0xFE])
                || block.starts_with(&[0xFE, 0xFF])
            {
                return Ok(None);
            }
            if let Some(rest) = block.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
                (block, base) = (rest, 3);
            }
        }
        if memchr::memchr2(b'"', 0, block).is_some() || std::str::from_utf8(block).is_err() {
            return Ok(None);
        }
        let at = offset + (upto - block.len());
        any_text = any_text || !block.iter().all(u8::is_ascii_whitespace);
        let (cut, _, _) = first.get_or_insert_with(|| {
            let delimiter = sniff_delimiter(block);
            let header = first_record(block, delimiter).ok().flatten();
            (Cutter::new(base), header, delimiter)
        });
        cut.feed(block, at);
        pending.drain(..upto);
        offset += upto;
    }
    let (Some((cut, Some(header), delimiter)), true) = (first, any_text) else {
        return Ok(None);
    };
    let bom = cut.base == 3;
    let parts = cut.finish(offset);
    Ok(Some(Table {
        template: None,
        format: Format::Text {
            encoding: if bom { "UTF-8 (BOM)" } else { "UTF-8" },
            delimiter,
        },
        header,
        body: Body::File {
            file: f,
            parts,
            delimiter,
        },
        len,
    }))
}

/// Reads a whole file; a large one in pieces on several threads (copying a national batch out
/// of the page cache on one thread was a twentieth of the whole ingest, before any checking).
/// Positioned reads are `pread` on Unix and `ReadFile` at an offset on Windows; elsewhere the
/// file is read whole on one thread.
fn read_whole(path: &Path) -> std::io::Result<Vec<u8>> {
    #[cfg(any(unix, windows))]
    {
        use rayon::prelude::*;
        const PIECE: usize = 8 << 20;
        let file = std::fs::File::open(path)?;
        let len = usize::try_from(file.metadata()?.len()).unwrap_or(usize::MAX);
        if (2 * PIECE..usize::MAX).contains(&len) {
            let mut bytes = vec![0u8; len];
            bytes
                .par_chunks_mut(PIECE)
                .enumerate()
                .try_for_each(|(k, piece)| read_exact_at(&file, piece, (k * PIECE) as u64))?;
            // A file that grew while it was read is read again whole, as `fs::read` would.
            if read_at(&file, &mut [0u8; 1], len as u64)? == 0 {
                return Ok(bytes);
            }
        }
    }
    std::fs::read(path)
}

#[cfg(unix)]
fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

/// Windows' positioned read also moves the file pointer; every caller here gives its offset.
#[cfg(windows)]
fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

#[cfg(any(unix, windows))]
fn read_exact_at(file: &std::fs::File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        match read_at(file, buf, offset) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Turns the file's bytes into UTF-8, recognising the encoding from the content.
fn decode(
    file: &str,
    bytes: Vec<u8>,
    opts: &ReadOptions,
) -> Result<(Vec<u8>, &'static str), Refusal> {
    let utf16 = |enc: &'static encoding_rs::Encoding, body: &[u8], name: &'static str| {
        enc.decode_without_bom_handling_and_without_replacement(body)
            .map(|s| (s.into_owned().into_bytes(), name))
            .ok_or_else(|| Refusal::Undecodable {
                file: file.to_string(),
                encoding: name.to_string(),
                line: None,
            })
    };
    if let Some(body) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(encoding_rs::UTF_16LE, body, "UTF-16 LE");
    }
    if let Some(body) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(encoding_rs::UTF_16BE, body, "UTF-16 BE");
    }
    if let Some(label) = &opts.encoding {
        let enc = encoding_rs::Encoding::for_label(label.as_bytes()).ok_or_else(|| {
            Refusal::UnknownEncoding {
                label: label.clone(),
            }
        })?;
        let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(&bytes);
        let (text, _, had_errors) = enc.decode(body);
        if had_errors {
            return Err(Refusal::Undecodable {
                file: file.to_string(),
                encoding: enc.name().to_string(),
                line: None,
            });
        }
        return Ok((text.into_owned().into_bytes(), enc.name()));
    }
    // The file's own buffer becomes the text: no copy of a large batch.
    let mut body = bytes;
    let encoding = if body.starts_with(&[0xEF, 0xBB, 0xBF]) {
        body.drain(..3);
        "UTF-8 (BOM)"
    } else {
        "UTF-8"
    };
    if let Some(nul) = memchr_nul(&body) {
        // UTF-16 without a byte-order mark: every other byte of ASCII text is zero.
        let sample = &body[..body.len().min(4096) & !1];
        let zeros_odd = sample
            .iter()
            .skip(1)
            .step_by(2)
            .filter(|b| **b == 0)
            .count();
        let zeros_even = sample.iter().step_by(2).filter(|b| **b == 0).count();
        let half = sample.len() / 2;
        if half > 0 && zeros_odd * 10 >= half * 9 && zeros_even == 0 {
            return utf16(encoding_rs::UTF_16LE, &body, "UTF-16 LE");
        }
        if half > 0 && zeros_even * 10 >= half * 9 && zeros_odd == 0 {
            return utf16(encoding_rs::UTF_16BE, &body, "UTF-16 BE");
        }
        return Err(Refusal::Binary {
            file: file.to_string(),
            offset: nul as u64,
        });
    }
    if let Err(e) = std::str::from_utf8(&body) {
        let at = e.valid_up_to();
        let line = 1 + body[..at].iter().filter(|b| **b == b'\n').count() as u64;
        return Err(Refusal::Undecodable {
            file: file.to_string(),
            encoding: "UTF-8".to_string(),
            line: Some(line),
        });
    }
    Ok((body, encoding))
}

fn memchr_nul(b: &[u8]) -> Option<usize> {
    memchr::memchr(0, b)
}

/// Picks the delimiter that occurs most often, outside quotes, on the header line.
fn sniff_delimiter(text: &[u8]) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut in_quote = false;
    for &b in text {
        match b {
            b'"' => in_quote = !in_quote,
            b'\n' | b'\r' if !in_quote => break,
            _ if !in_quote => {
                for c in counts.iter_mut() {
                    if c.0 == b {
                        c.1 += 1;
                    }
                }
            }
            _ => {}
        }
    }
    // Ties go to the earlier entry: comma, then semicolon, then tab.
    counts
        .iter()
        .fold((b',', 0), |best, c| if c.1 > best.1 { *c } else { best })
        .0
}

/// The line on which a quote opens and never closes, scanning the last record (the CSV reader
/// swallows the rest of the file into a field once a quote is left open, so an unterminated
/// quote always belongs to the last record it returns).
fn unterminated_quote(text: &[u8], last_start: usize, delimiter: u8) -> Option<u64> {
    #[derive(PartialEq)]
    enum S {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = S::FieldStart;
    let mut line = 1 + text[..last_start.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64;
    let mut opened_on = line;
    for &b in &text[last_start.min(text.len())..] {
        state = match (state, b) {
            (S::FieldStart, b'"') => {
                opened_on = line;
                S::Quoted
            }
            (S::Quoted, b'"') => S::QuoteInQuoted,
            (S::Quoted, _) => S::Quoted,
            (S::QuoteInQuoted, b'"') => S::Quoted,
            (_, b'\n') | (_, b'\r') => S::FieldStart,
            (_, d) if d == delimiter => S::FieldStart,
            _ => S::Unquoted,
        };
        if b == b'\n' {
            line += 1;
        }
    }
    (state == S::Quoted).then_some(opened_on)
}

/// Most columns a sheet's cells may span (a questionnaire has a few hundred at most).
pub const MAX_SHEET_COLUMNS: u32 = 1024;
/// Most fields a sheet may hold: rows with a cell × the columns its cells span.
pub const MAX_SHEET_FIELDS: u64 = 50_000_000;
/// Largest uncompressed size of a workbook's parts (its XML), all together.
pub const MAX_UNCOMPRESSED_BYTES: u64 = 2 << 30;

/// "XFD1048576": a cell's name, from its 0-based row and column.
fn cell_name(row: u32, col: u32) -> String {
    format!(
        "{}{}",
        super::validate::column_letters(col as usize),
        u64::from(row) + 1
    )
}

/// Refuses a zipped workbook whose parts unpack to more than [`MAX_UNCOMPRESSED_BYTES`].
fn check_unpacked_size(file: &str, bytes: &[u8]) -> Result<(), Refusal> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(()); // not a zip: the workbook reader says what it is
    };
    let mut total = 0u64;
    for i in 0..zip.len() {
        if let Ok(f) = zip.by_index_raw(i) {
            total = total.saturating_add(f.size());
        }
    }
    if total > MAX_UNCOMPRESSED_BYTES {
        return Err(Refusal::Workbook {
            file: file.to_string(),
            message: crate::msg!(
                "workbook.unpacked",
                size = total >> 20,
                max = MAX_UNCOMPRESSED_BYTES >> 20
            ),
        });
    }
    Ok(())
}

/// The non-empty cells of a sheet, row by row, read one at a time (never a grid sized by the
/// sheet's declared or used range), within [`MAX_SHEET_COLUMNS`].
#[derive(Default)]
struct SparseSheet {
    /// (row, [(column, text)]), rows in order.
    rows: Vec<(u32, Vec<(u32, String)>)>,
    min_col: u32,
    max_col: u32,
}

impl SparseSheet {
    fn push(&mut self, file: &str, row: u32, col: u32, text: String) -> Result<(), Refusal> {
        if text.is_empty() {
            return Ok(());
        }
        if self.rows.is_empty() {
            (self.min_col, self.max_col) = (col, col);
        }
        self.min_col = self.min_col.min(col);
        self.max_col = self.max_col.max(col);
        if self.max_col - self.min_col >= MAX_SHEET_COLUMNS {
            return Err(Refusal::Workbook {
                file: file.to_string(),
                message: crate::msg!(
                    "workbook.too_wide",
                    cell = cell_name(row, col),
                    max = MAX_SHEET_COLUMNS
                ),
            });
        }
        match self.rows.last_mut() {
            Some((r, cells)) if *r == row => cells.push((col, text)),
            _ => self.rows.push((row, vec![(col, text)])),
        }
        let width = u64::from(self.max_col - self.min_col + 1);
        if self.rows.len() as u64 * width > MAX_SHEET_FIELDS {
            return Err(Refusal::Workbook {
                file: file.to_string(),
                message: crate::msg!(
                    "workbook.too_many_fields",
                    max = MAX_SHEET_FIELDS,
                    rows = self.rows.len(),
                    width = width,
                    cell = cell_name(row, col)
                ),
            });
        }
        Ok(())
    }

    /// Records as wide as the cells span, each with its sheet row (1-based).
    fn records(self) -> Vec<(u64, ByteRecord)> {
        let width = (self.max_col - self.min_col + 1) as usize;
        let mut out = Vec::with_capacity(self.rows.len());
        let mut fields: Vec<&str> = vec![""; width];
        for (row, cells) in &self.rows {
            fields.iter_mut().for_each(|f| *f = "");
            for (col, text) in cells {
                fields[(col - self.min_col) as usize] = text;
            }
            out.push((u64::from(*row) + 1, ByteRecord::from(&fields[..])));
        }
        out
    }
}

fn open_workbook(file: &str, bytes: Vec<u8>, opts: &ReadOptions) -> Result<Table, Refusal> {
    let len = bytes.len() as u64;
    let bad = |message: String| Refusal::Workbook {
        file: file.to_string(),
        message,
    };
    check_unpacked_size(file, &bytes)?;
    let mut wb =
        calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    let names = wb.sheet_names();
    let sheet = match &opts.sheet {
        Some(s) => Some(
            names
                .iter()
                .find(|n| *n == s)
                .or_else(|| {
                    // As headers are matched: case, spaces and Unicode form do not count.
                    let want = super::validate::normalise_header(s);
                    names
                        .iter()
                        .find(|n| super::validate::normalise_header(n) == want)
                })
                .cloned()
                .ok_or_else(|| Refusal::NoSuchSheet {
                    file: file.to_string(),
                    sheet: s.clone(),
                    sheets: names.clone(),
                })?,
        ),
        None => None,
    };
    // The named sheet; else the first whose first rows hold the questionnaire's headers (an
    // instructions or cover sheet before the data is passed over); else the first sheet.
    let candidates: Vec<String> = match (&sheet, opts.expect.is_empty()) {
        (Some(s), _) => vec![s.clone()],
        (None, true) => names.iter().take(1).cloned().collect(),
        (None, false) => names
            .iter()
            .filter(|n| n.as_str() != TEMPLATE_SHEET)
            .cloned()
            .collect(),
    };
    let template = if names.iter().any(|n| n == TEMPLATE_SHEET) {
        let rows = read_sheet(&mut wb, file, TEMPLATE_SHEET)?;
        rows.first().map(|(_, r)| {
            let f = |i: usize| String::from_utf8_lossy(r.get(i).unwrap_or_default()).into_owned();
            (f(0), f(1))
        })
    } else {
        None
    };
    let mut first: Option<(String, Vec<(u64, ByteRecord)>)> = None;
    let mut found = None;
    for name in candidates {
        let rows = read_sheet(&mut wb, file, &name)?;
        if let Some(at) = header_at(&rows, &opts.expect) {
            found = Some((name, rows, at));
            break;
        }
        if first.is_none() {
            first = Some((name, rows));
        }
    }
    let (sheet, rows, at) = match (found, first) {
        (Some(f), _) => f,
        (None, Some((name, rows))) => (name, rows, 0),
        (None, None) => return Err(bad(crate::msg!("workbook.no_sheets"))),
    };
    let mut rows = rows.into_iter().skip(at);
    let (header_row, header) = match rows.next() {
        Some((r, h)) if h.iter().any(|f| !f.is_empty()) => (
            r,
            h.iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect(),
        ),
        _ => {
            return Err(Refusal::Empty {
                file: file.to_string(),
            });
        }
    };
    Ok(Table {
        template,
        format: Format::Workbook { sheet, header_row },
        header,
        body: Body::Rows(rows.collect()),
        len,
    })
}

/// A sheet's non-empty rows, each with its sheet row (1-based).
fn read_sheet(
    wb: &mut calamine::Sheets<Cursor<Vec<u8>>>,
    file: &str,
    sheet: &str,
) -> Result<Vec<(u64, ByteRecord)>, Refusal> {
    let bad = |message: String| Refusal::Workbook {
        file: file.to_string(),
        message,
    };
    let mut cells = SparseSheet::default();
    // The two readers are different types with the same calls.
    macro_rules! cell_by_cell {
        ($book:expr) => {{
            let mut r = $book
                .worksheet_cells_reader(sheet)
                .map_err(|e| bad(e.to_string()))?;
            while let Some(c) = r.next_cell().map_err(|e| bad(e.to_string()))? {
                let (row, col) = c.get_position();
                cells.push(file, row, col, cell_ref_text(c.get_value()))?;
            }
        }};
    }
    match wb {
        calamine::Sheets::Xlsx(x) => cell_by_cell!(x),
        calamine::Sheets::Xlsb(x) => cell_by_cell!(x),
        // .xls (at most 65,536 × 256 cells by its format) and .ods (bounded by the size check).
        wb => {
            let range = wb.worksheet_range(sheet).map_err(|e| bad(e.to_string()))?;
            let (r0, c0) = range.start().unwrap_or((0, 0));
            for (row, col, cell) in range.used_cells() {
                cells.push(
                    file,
                    r0 + row as u32,
                    c0 + col as u32,
                    cell_text(cell).into_owned(),
                )?;
            }
        }
    }
    Ok(cells.records())
}

/// Where the header is among a sheet's first rows: the row holding the most of the
/// questionnaire's headers (at least two, or the only one there is), the earliest on a tie.
fn header_at(
    rows: &[(u64, ByteRecord)],
    expect: &std::collections::HashSet<String>,
) -> Option<usize> {
    if expect.is_empty() {
        return None;
    }
    let need = expect.len().min(2);
    let mut best: Option<(usize, usize)> = None;
    for (k, (_, rec)) in rows.iter().take(HEADER_SEARCH_ROWS).enumerate() {
        let hits = rec
            .iter()
            .filter(|f| {
                expect.contains(&super::validate::normalise_header(
                    &String::from_utf8_lossy(f),
                ))
            })
            .count();
        if hits >= need && best.is_none_or(|(_, h)| hits > h) {
            best = Some((k, hits));
        }
    }
    best.map(|(k, _)| k)
}

/// A cell read one at a time, as [`cell_text`] has it.
fn cell_ref_text(cell: &calamine::DataRef<'_>) -> String {
    match Data::from(cell.clone()) {
        Data::String(s) => s,
        d => cell_text(&d).into_owned(),
    }
}

/// A cell as the text a CSV export would hold: whole numbers without a decimal point.
fn cell_text(cell: &Data) -> Cow<'_, str> {
    match cell {
        Data::Empty => Cow::Borrowed(""),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cow::Borrowed(s),
        Data::Int(i) => Cow::Owned(i.to_string()),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
            Cow::Owned(format!("{}", *f as i64))
        }
        Data::Float(f) => Cow::Owned(f.to_string()),
        Data::Bool(b) => Cow::Owned(b.to_string()),
        Data::DateTime(d) => Cow::Owned(d.to_string()),
        Data::Error(e) => Cow::Owned(format!("#{e:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record of `text` as (line, fields), read as one part by the CSV reader or the splitter.
    fn records(text: &[u8], quoted: bool) -> Vec<(u64, Vec<String>)> {
        let table = Table {
            template: None,
            format: Format::Text {
                encoding: "UTF-8",
                delimiter: b',',
            },
            header: vec![],
            body: Body::Text {
                text: text.to_vec(),
                delimiter: b',',
            },
            len: text.len() as u64,
        };
        let part = Part {
            bytes: 0..text.len(),
            first_line: 1,
            lines: 1,
            header: true,
            quoted,
        };
        let mut out = Vec::new();
        let n = table
            .for_each_record("t.csv", &part, |line, f, _| {
                let fields = f.iter().map(|b| String::from_utf8_lossy(b).into_owned());
                out.push((line, fields.collect()));
            })
            .unwrap_or(u64::MAX);
        assert_eq!(n, out.len() as u64);
        out
    }

    #[test]
    fn lines_without_quotes_split_as_the_csv_reader_splits_them() {
        for text in [
            &b"h1,h2\na,b\nc,d\n"[..],
            b"h1,h2\r\na,b\r\n\r\nc,d",
            b"h1,h2\n\n\na,,\n,\n  \nx\n",
            b"h1,h2\ra,b\rc,d\r",
            b"h1,h2\na,b\rc,d\n\re,f",
            b"\n\nh1,h2\na,b",
            b"h1,h2",
            b"h1,h2\n,,,\n",
        ] {
            let by_reader = records(text, true);
            assert_eq!(
                records(text, false),
                by_reader,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
        // Lines are counted in '\n', the header skipped, empty lines skipped.
        assert_eq!(
            records(b"h\r\n\r\na,b\r\nc\n", false),
            vec![
                (3, vec!["a".to_string(), "b".to_string()]),
                (4, vec!["c".to_string()])
            ]
        );
    }

    #[test]
    fn fields_of_a_parsed_record_and_of_a_line_read_alike() {
        let rec = ByteRecord::from(vec!["ab", "", "c"]);
        let mut ends = Vec::new();
        with_fields(&rec, &mut ends, |f| {
            assert_eq!(f.iter().collect::<Vec<_>>(), vec![&b"ab"[..], b"", b"c"]);
            assert_eq!(
                (f.len(), f.bytes(), f.get(2), f.get(3)),
                (3, 3, Some(&b"c"[..]), None)
            );
        });
        let line = Fields {
            data: b"ab,,c",
            ends: &[2, 3, 5],
            gap: 1,
        };
        assert_eq!(line.iter().collect::<Vec<_>>(), vec![&b"ab"[..], b"", b"c"]);
        assert_eq!(
            (line.len(), line.bytes(), line.get(1)),
            (3, 3, Some(&b""[..]))
        );
    }

    #[test]
    fn delimiter_is_the_most_frequent_outside_quotes() {
        assert_eq!(sniff_delimiter(b"a;b;c\n1,2;3"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter(b"\"x;y;z\",b\n"), b',');
    }

    #[test]
    fn an_open_quote_in_the_last_record_is_found_with_its_line() {
        let text = b"id,v\n1,\"ok\"\n2,\"open\n3,4\n";
        let last = text.iter().position(|b| *b == b'2').unwrap_or(0);
        assert_eq!(unterminated_quote(text, last, b','), Some(3));
        assert_eq!(unterminated_quote(b"id,v\n1,\"a\"\"b\"\n", 5, b','), None);
        assert_eq!(unterminated_quote(b"id,v\n1,a\"b\n", 5, b','), None);
    }

    /// Every record of every part of `table`, in order, with its line.
    fn all_records(table: &Table) -> Vec<(u64, Vec<String>)> {
        let mut out = Vec::new();
        for part in table.parts() {
            table
                .for_each_record("t.csv", &part, |line, f, _| {
                    let fields = f.iter().map(|b| String::from_utf8_lossy(b).into_owned());
                    out.push((line, fields.collect()));
                })
                .unwrap_or(u64::MAX);
        }
        out
    }

    #[test]
    fn a_large_file_read_part_by_part_from_disk_is_cut_and_read_as_the_whole_text_is() {
        // 3.5 parts of lines after a byte-order mark and a header; CRLF, blank lines and a
        // last line without its newline; more than one scan piece of bytes.
        let mut text = "\u{feff}id;tên;điểm\r\n".to_string();
        let lines = (PART_LINES * 7 / 2) as usize;
        for i in 0..lines {
            let end = if i % 1000 == 7 { "\n\n" } else { "\r\n" };
            text.push_str(&format!(
                "R{i:08};Hà Nội {}{};{}{end}",
                i % 97,
                "x".repeat(i % 300),
                i % 5
            ));
        }
        text.push_str("Rlast;cuối;5");
        assert!(text.len() > SCAN_BYTES * 2, "{}", text.len());
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("big.csv");
        std::fs::write(&path, &text).expect("write");
        let streamed = open(&path, &ReadOptions::default()).expect("opens");
        assert!(matches!(streamed.body, Body::File { .. }));
        // The same file in memory, as it was read before.
        let whole = Table {
            template: None,
            format: streamed.format.clone(),
            header: streamed.header.clone(),
            body: Body::Text {
                text: text.as_bytes()[3..].to_vec(),
                delimiter: b';',
            },
            len: text.len() as u64,
        };
        assert_eq!(streamed.header, vec!["id", "tên", "điểm"]);
        assert!(matches!(
            streamed.format,
            Format::Text {
                encoding: "UTF-8 (BOM)",
                delimiter: b';'
            }
        ));
        let (sp, wp) = (streamed.parts(), whole.parts());
        assert_eq!(sp.len(), 4);
        assert_eq!(sp.len(), wp.len());
        for (a, b) in sp.iter().zip(&wp) {
            assert_eq!(
                (a.first_line, a.lines, a.header, a.bytes.len()),
                (b.first_line, b.lines, b.header, b.bytes.len())
            );
        }
        let records = all_records(&streamed);
        assert_eq!(records, all_records(&whole));
        assert_eq!(records.len(), lines + 1);
        assert_eq!(records[0].1, vec!["R00000000", "Hà Nội 0", "0"]);
        let last = records.last().expect("a last record");
        assert_eq!(last.1, vec!["Rlast", "cuối", "5"]);
        // Line numbers count the blank lines: 1 header + the data lines + the blank ones.
        let blanks = (0..lines).filter(|i| i % 1000 == 7).count() as u64;
        assert_eq!(last.0, 1 + lines as u64 + blanks + 1);
    }

    #[test]
    fn a_file_with_quotes_or_not_utf8_is_read_whole_as_before() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for (name, bytes) in [
            ("quoted.csv", b"id,v\n1,\"a,b\"\n".to_vec()),
            ("latin1.csv", b"id,v\n1,caf\xe9\n".to_vec()),
            ("blank.csv", b"\n\n  \n".to_vec()),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, &bytes).expect("write");
            assert!(
                open_streamed(&path).expect("reads").is_none(),
                "{name} is streamed"
            );
        }
    }
}

//! Procedure records as the QĐ 766 index reads them: procedure files (hồ sơ TTHC), complaints
//! and petitions (phản ánh, kiến nghị), and the catalogue of procedures a unit applies.
//! Times are minutes since 1970-01-01 00:00, local time.

use crate::plan::Date;

/// Minutes since 1970-01-01 00:00 (local time, as the one-stop-shop systems export it).
pub type Minute = i64;

pub const DAY: Minute = 24 * 60;

/// The first minute of `d`.
pub fn start_of(d: Date) -> Minute {
    d.days() * DAY
}

/// The last minute of `d`.
pub fn end_of(d: Date) -> Minute {
    start_of(d) + DAY - 1
}

/// The day a minute falls on.
pub fn day_of(t: Minute) -> Date {
    Date::from_days(t.div_euclid(DAY))
}

/// A time as exports write it: `dd/mm/yyyy`, `dd/mm/yyyy hh:mm[:ss]`, ISO 8601
/// (`yyyy-mm-dd`, `yyyy-mm-ddThh:mm[:ss]`), or an Excel serial number (days since
/// 1899-12-30, the fraction the time of day). A date alone is its first minute.
pub fn parse_time(text: &str) -> Option<Minute> {
    if let Some(m) = fixed_width(text.as_bytes()) {
        return m;
    }
    let t = text.trim();
    if let Some(m) = fixed_width(t.as_bytes()) {
        return m;
    }
    if t.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && !t.contains(['/', '-'])
        && let Ok(serial) = t.replace(',', ".").parse::<f64>()
    {
        return (20_000.0..=100_000.0)
            .contains(&serial)
            .then(|| ((serial - 25_569.0) * DAY as f64).round() as Minute);
    }
    let (date, time) = match t.split_once(['T', ' ']) {
        Some((d, rest)) => (d, Some(rest.trim())),
        None => (t, None),
    };
    let day = Date::parse(date)?;
    let minutes = match time {
        None | Some("") => 0,
        Some(hm) => {
            let mut parts = hm.split(':');
            let h: i64 = parts.next()?.trim().parse().ok()?;
            let m: i64 = parts.next().unwrap_or("0").trim().parse().ok()?;
            if !(0..24).contains(&h) || !(0..60).contains(&m) {
                return None;
            }
            h * 60 + m
        }
    };
    Some(start_of(day) + minutes)
}

/// `yyyy-mm-dd hh:mm` (as the store writes times) and `dd/mm/yyyy hh:mm` (as exports do),
/// read without allocating: Some(the answer) when `t` has one of those shapes, None to let
/// the general reader decide.
fn fixed_width(t: &[u8]) -> Option<Option<Minute>> {
    if t.len() != 16 || t[10] != b' ' || t[13] != b':' {
        return None;
    }
    let n = |a: usize, b: usize| -> Option<u32> {
        t[a..b].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (y, mo, d) = if t[4] == b'-' && t[7] == b'-' {
        (n(0, 4)?, n(5, 7)?, n(8, 10)?)
    } else if t[2] == b'/' && t[5] == b'/' {
        (n(6, 10)?, n(3, 5)?, n(0, 2)?)
    } else {
        return None;
    };
    let (h, m) = (n(11, 13)?, n(14, 16)?);
    Some(
        Date::new(y as i32, mo, d)
            .filter(|_| h < 24 && m < 60)
            .map(|day| start_of(day) + i64::from(h * 60 + m)),
    )
}

/// How a file came in: `1` in person, `2` online, `3` by post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    InPerson,
    Online,
    Postal,
}

impl Channel {
    /// The portal's code, or the words `truc_tiep` / `truc_tuyen` / `buu_chinh`.
    pub fn parse(text: &str) -> Option<Channel> {
        match text {
            "1" => return Some(Channel::InPerson),
            "2" => return Some(Channel::Online),
            "3" => return Some(Channel::Postal),
            _ => {}
        }
        match crate::ingest::validate::fold(text.trim())
            .replace(' ', "_")
            .as_str()
        {
            "1" | "truc_tiep" => Some(Channel::InPerson),
            "2" | "truc_tuyen" => Some(Channel::Online),
            "3" | "buu_chinh" | "buu_chinh_cong_ich" => Some(Channel::Postal),
            _ => None,
        }
    }
}

/// The portal's file status codes 1–10.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStatus(pub u8);

impl FileStatus {
    pub fn parse(text: &str) -> Option<FileStatus> {
        let n: u8 = text.trim().parse().ok()?;
        (1..=10).contains(&n).then_some(FileStatus(n))
    }

    /// Actually received: not a new registration (1) nor refused at reception (3).
    pub fn received(self) -> bool {
        !matches!(self.0, 1 | 3)
    }
}

/// One procedure file (hồ sơ TTHC).
#[derive(Debug, Clone, PartialEq)]
pub struct FileRecord {
    pub record_id: String,
    pub unit_id: String,
    pub procedure_id: String,
    pub channel: Channel,
    pub received_at: Minute,
    pub due_at: Option<Minute>,
    /// Blank while the file is open.
    pub finished_at: Option<Minute>,
    pub status: FileStatus,
    pub supplement_requests: u32,
    /// Days the citizen took to supplement: added to the due date.
    pub supplement_days: u32,
    pub e_result: bool,
    pub digitised: bool,
    pub reused_data: bool,
    pub from_data_store: bool,
    pub citizen_data: bool,
    /// 0 not paid online, 1 on the national portal, 2 on a provincial or ministry portal.
    pub paid_online: u8,
    pub has_fee: bool,
    /// Rated "not satisfied", or drew a complaint.
    pub disliked: bool,
}

/// One complaint or petition (phản ánh, kiến nghị).
#[derive(Debug, Clone, PartialEq)]
pub struct Feedback {
    pub feedback_id: String,
    pub unit_id: String,
    pub received_at: Minute,
    pub due_at: Minute,
    pub handled_at: Option<Minute>,
    pub disliked: bool,
    pub recomplained: bool,
}

/// How far a procedure is offered online.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnlineLevel {
    /// Toàn trình: end to end.
    Full,
    /// Một phần: in part.
    Partial,
    None,
}

/// A procedure a unit applies (blank unit: every unit).
#[derive(Debug, Clone, PartialEq)]
pub struct Procedure {
    pub procedure_id: String,
    pub unit_id: Option<String>,
    pub name: String,
    pub online_level: OnlineLevel,
    pub eligible_full_online: bool,
    pub has_fee: bool,
    pub paper_result_required: bool,
    /// Working days to settle a file.
    pub max_days: Option<u32>,
}

/// What the index is computed from. A kind of input not given at all (no complaints file,
/// no catalogue) leaves its items not applicable, never 0.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Records {
    pub files: Vec<FileRecord>,
    pub feedback: Option<Vec<Feedback>>,
    pub catalogue: Option<Vec<Procedure>>,
    /// The last minute of the newest export's day (`--as-of`): what is known stops there, so
    /// a period is judged no later than it (a file open in the export is open then, not at
    /// the period's end) and a period that starts after it is left out. None: judged at each
    /// period's end.
    pub as_of: Option<Minute>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_exports_write_them() {
        let d = |y, m, dd| start_of(Date::new(y, m, dd).expect("a date"));
        assert_eq!(parse_time("05/03/2026"), Some(d(2026, 3, 5)));
        assert_eq!(
            parse_time("05/03/2026 14:30"),
            Some(d(2026, 3, 5) + 14 * 60 + 30)
        );
        assert_eq!(
            parse_time("2026-03-05T14:30:59"),
            Some(d(2026, 3, 5) + 14 * 60 + 30)
        );
        assert_eq!(parse_time("2026-03-05"), Some(d(2026, 3, 5)));
        // Excel: 46086.5 = 5 March 2026, noon.
        assert_eq!(parse_time("46086.5"), Some(d(2026, 3, 5) + 12 * 60));
        assert_eq!(parse_time("46086"), Some(d(2026, 3, 5)));
        for bad in ["", "5/3", "05/03/2026 25:00", "hôm qua", "12"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert_eq!(Channel::parse("truc_tuyen"), Some(Channel::Online));
        assert_eq!(Channel::parse("Trực tuyến"), Some(Channel::Online));
        assert_eq!(Channel::parse("4"), None);
        assert!(FileStatus::parse("9").is_some_and(FileStatus::received));
        assert!(FileStatus::parse("3").is_some_and(|s| !s.received()));
        assert_eq!(FileStatus::parse("11"), None);
    }
}

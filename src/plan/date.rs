//! Calendar dates for plan deadlines: a day, its arithmetic, and how plans write it.

use std::fmt;

/// A calendar day (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

pub fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

impl Date {
    /// The date, if it exists.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        ((1900..=2200).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month))
        .then_some(Date { year, month, day })
    }

    /// The last day of `month` of `year`.
    pub fn month_end(year: i32, month: u32) -> Option<Date> {
        Date::new(year, month, days_in_month(year, month))
    }

    /// Days since 1970-01-01 (H. Hinnant's days_from_civil).
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Today, by the system clock (UTC).
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days((secs / 86_400) as i64)
    }

    /// `dd/mm/yyyy`, `d/m/yyyy`, `dd-mm-yyyy`, `dd.mm.yyyy`, ISO `yyyy-mm-dd`, or an Excel
    /// serial day number (a date cell read from a workbook).
    pub fn parse(text: &str) -> Option<Date> {
        let t = text.trim();
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            // Excel's day 1 is 1900-01-01, counted from 1899-12-30 (its 1900 leap-year bug).
            let serial: i64 = t.parse().ok()?;
            return (20_000..=100_000)
                .contains(&serial)
                .then(|| Date::from_days(serial - 25_569));
        }
        let t = t.split([' ', 'T']).next().unwrap_or(t);
        let parts: Vec<&str> = t.split(['/', '-', '.']).collect();
        let [a, b, c] = parts.as_slice() else {
            return None;
        };
        let num = |s: &str| -> Option<u32> {
            (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        if a.len() == 4 {
            Date::new(num(a)? as i32, num(b)?, num(c)?)
        } else if c.len() == 4 {
            Date::new(num(c)? as i32, num(b)?, num(a)?)
        } else {
            None
        }
    }
}

impl fmt::Display for Date {
    /// `dd/mm/yyyy`, as Vietnamese documents write dates.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}/{:02}/{}", self.day, self.month, self.year)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_and_known_values() {
        assert_eq!(Date::new(1970, 1, 1).map(Date::days), Some(0));
        assert_eq!(Date::new(2026, 12, 31).map(Date::days), Some(20_818));
        for d in [-1000, 0, 59, 60, 10_000, 20_818, 50_000] {
            assert_eq!(Date::from_days(d).days(), d);
        }
        assert_eq!(Date::new(2026, 2, 29), None);
        assert!(Date::new(2028, 2, 29).is_some());
    }

    #[test]
    fn dates_as_offices_write_them() {
        let d = Date::new(2026, 3, 5);
        assert_eq!(Date::parse("05/03/2026"), d);
        assert_eq!(Date::parse("5/3/2026"), d);
        assert_eq!(Date::parse("05-03-2026"), d);
        assert_eq!(Date::parse("2026-03-05"), d);
        assert_eq!(Date::parse("2026-03-05 14:30"), d);
        // Excel serial 46086 = 5 March 2026 (46023 = 1 January 2026).
        assert_eq!(Date::parse("46086"), d);
        assert_eq!(Date::parse("31/02/2026"), None);
        assert_eq!(Date::parse("03/2026"), None);
        assert_eq!(Date::parse("hôm qua"), None);
        assert_eq!(d.map(|d| d.to_string()).as_deref(), Some("05/03/2026"));
    }
}

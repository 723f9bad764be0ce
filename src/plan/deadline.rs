//! Deadlines as plans write them: `Tháng 01/2026`, `Quý II/2026`, `6 tháng đầu năm 2026`,
//! `Năm 2026`, a date; a trailing parenthesis is a condition, kept and shown, not parsed.

use super::date::Date;

/// A deadline read from a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// The last day the task may be done on.
    pub date: Date,
    /// The text of a trailing parenthesis (`sau khi Sở Nội vụ công bố`), if any.
    pub condition: Option<String>,
}

/// Reads a deadline; None when it is none of the forms plans use.
pub fn parse(text: &str) -> Option<Deadline> {
    let t = text.trim();
    let (body, condition) = match (t.ends_with(')'), t.find('(')) {
        (true, Some(open)) => (
            t[..open].trim(),
            Some(t[open + 1..t.len() - 1].trim().to_string()).filter(|c| !c.is_empty()),
        ),
        _ => (t, None),
    };
    let date = parse_body(body)?;
    Some(Deadline { date, condition })
}

fn roman(q: &str) -> Option<u32> {
    match q {
        "i" | "1" => Some(1),
        "ii" | "2" => Some(2),
        "iii" | "3" => Some(3),
        "iv" | "4" => Some(4),
        _ => None,
    }
}

fn year(s: &str) -> Option<i32> {
    (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn parse_body(body: &str) -> Option<Date> {
    if let Some(d) = Date::parse(body) {
        return Some(d);
    }
    // Folded: lower case, no diacritics, `/` and `-` as spaces, single spaces.
    let folded = crate::ingest::validate::fold(body).replace(['/', '-', ','], " ");
    let w: Vec<&str> = folded.split_whitespace().collect();
    match w.as_slice() {
        // Tháng 01/2026, Tháng 1 năm 2026
        ["thang", m, y] | ["thang", m, "nam", y] => {
            let m: u32 = m.parse().ok()?;
            Date::month_end(year(y)?, m)
        }
        // Quý II/2026, Quý 2 năm 2026
        ["quy", q, y] | ["quy", q, "nam", y] => Date::month_end(year(y)?, roman(q)? * 3),
        // 6 tháng đầu năm 2026, 6 tháng cuối năm 2026
        ["6", "thang", "dau", "nam", y] | ["6", "thang", "dau", y] => Date::month_end(year(y)?, 6),
        ["6", "thang", "cuoi", "nam", y] | ["6", "thang", "cuoi", y] => {
            Date::month_end(year(y)?, 12)
        }
        // Năm 2026, Trong năm 2026
        ["nam", y] | ["trong", "nam", y] => Date::month_end(year(y)?, 12),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(text: &str) -> Option<String> {
        parse(text).map(|d| d.date.to_string())
    }

    #[test]
    fn every_form_plans_write() {
        assert_eq!(on("Tháng 01/2026").as_deref(), Some("31/01/2026"));
        assert_eq!(on("Tháng 2/2028").as_deref(), Some("29/02/2028"));
        assert_eq!(on("tháng 02 năm 2026").as_deref(), Some("28/02/2026"));
        assert_eq!(on("Quý I/2026").as_deref(), Some("31/03/2026"));
        assert_eq!(on("Quý II/2026").as_deref(), Some("30/06/2026"));
        assert_eq!(on("Quý III/2026").as_deref(), Some("30/09/2026"));
        assert_eq!(on("Quý IV/2026").as_deref(), Some("31/12/2026"));
        assert_eq!(on("Quy IV/2026").as_deref(), Some("31/12/2026"));
        assert_eq!(on("6 tháng đầu năm 2026").as_deref(), Some("30/06/2026"));
        assert_eq!(on("6 tháng cuối năm 2026").as_deref(), Some("31/12/2026"));
        assert_eq!(on("Năm 2026").as_deref(), Some("31/12/2026"));
        assert_eq!(on("15/04/2026").as_deref(), Some("15/04/2026"));
        assert_eq!(on("2026-04-15").as_deref(), Some("15/04/2026"));
        let d = parse("Quý II/2026 (sau khi Sở Nội vụ công bố)");
        assert_eq!(
            d.map(|d| (d.date.to_string(), d.condition)),
            Some((
                "30/06/2026".to_string(),
                Some("sau khi Sở Nội vụ công bố".to_string())
            ))
        );
        for bad in [
            "Quý V/2026",
            "Tháng 13/2026",
            "sớm",
            "",
            "Năm 26",
            "(sau khi có hướng dẫn)",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}

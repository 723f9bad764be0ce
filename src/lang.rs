//! The output language, and numbers written the way its readers write them.

/// Language of headers, labels, charts, the report and messages: Vietnamese by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Lang {
    /// Tiếng Việt.
    #[default]
    Vi,
    /// English.
    En,
}

impl Lang {
    /// The text for this language: `vi` or `en`.
    pub fn pick<T>(self, vi: T, en: T) -> T {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    /// The HTML `lang` attribute.
    pub fn code(self) -> &'static str {
        self.pick("vi", "en")
    }
}

/// A number as printed: decimal comma in Vietnamese, point in English; no thousands separator
/// (see [`count`] for counts).
pub fn number(x: f64, decimals: usize, lang: Lang) -> String {
    let s = format!("{x:.decimals$}");
    if lang == Lang::Vi {
        s.replace('.', ",")
    } else {
        s
    }
}

/// A figure that may be missing: `—` when it is not a finite number, never `NaN`.
pub fn figure(x: f64, decimals: usize, lang: Lang) -> String {
    if x.is_finite() {
        number(x, decimals, lang)
    } else {
        "—".into()
    }
}

/// An interval written one way everywhere: `low–high` with an en dash; `—` when either end is
/// missing.
pub fn interval(low: f64, high: f64, decimals: usize, lang: Lang) -> String {
    if low.is_finite() && high.is_finite() {
        format!(
            "{}–{}",
            number(low, decimals, lang),
            number(high, decimals, lang)
        )
    } else {
        "—".into()
    }
}

/// A signed change: `+1,2` / `−0,8` (a true minus sign).
pub fn signed(x: f64, decimals: usize, lang: Lang) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let s = number(x.abs(), decimals, lang);
    if s.chars().all(|c| matches!(c, '0' | ',' | '.')) {
        s
    } else if x < 0.0 {
        format!("−{s}")
    } else {
        format!("+{s}")
    }
}

/// A count with thousands grouped: `12.345` in Vietnamese, `12,345` in English.
pub fn count(n: u64, lang: Lang) -> String {
    let digits = n.to_string();
    let sep = lang.pick('.', ',');
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_readers_write_them() {
        assert_eq!(number(64.94, 1, Lang::Vi), "64,9");
        assert_eq!(number(64.94, 1, Lang::En), "64.9");
        assert_eq!(figure(f64::NAN, 1, Lang::Vi), "—");
        assert_eq!(interval(63.0, 66.84, 1, Lang::Vi), "63,0–66,8");
        assert_eq!(interval(63.0, f64::NAN, 1, Lang::Vi), "—");
        assert_eq!(signed(-0.84, 1, Lang::Vi), "−0,8");
        assert_eq!(signed(2.0, 1, Lang::En), "+2.0");
        assert_eq!(signed(-0.01, 1, Lang::En), "0.0");
        assert_eq!(count(1234567, Lang::Vi), "1.234.567");
        assert_eq!(count(999, Lang::En), "999");
        assert_eq!(count(1000, Lang::En), "1,000");
    }
}

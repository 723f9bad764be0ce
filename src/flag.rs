//! Why a figure is empty or should not be published: flags, as types. Written in tables as
//! their codes joined by `;` (`low_n;no_df`, `from:low_n`, `2.1:no_survey`); shown to people
//! in words ([`Flag::label`]).

use std::fmt;

use crate::lang::Lang;

/// What is wrong with a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FlagKind {
    /// Nothing to estimate from: no valid answer, or no children.
    NoData,
    /// Too few degrees of freedom (fewer than two PSUs in a stratum) for an interval.
    NoDf,
    /// Fewer valid answers than the methodology's `min_n`: not to be published.
    LowN,
    /// No standard error, so no test of a change.
    NoSe,
    /// A CCHC criterion marked not applicable.
    NotApplicable,
    /// A CCHC criterion whose survey figure is missing.
    NoSurvey,
    /// A CCHC criterion taken from the plan, for a unit whose plan was not given.
    NoPlan,
    /// A CCHC criterion taken from the procedure records, for a unit without records stored
    /// for the year.
    NoRecords,
    /// A unit none of whose CCHC criteria apply.
    NoApplicableCriteria,
}

impl FlagKind {
    pub const ALL: [FlagKind; 9] = [
        FlagKind::NoData,
        FlagKind::NoDf,
        FlagKind::LowN,
        FlagKind::NoSe,
        FlagKind::NotApplicable,
        FlagKind::NoSurvey,
        FlagKind::NoPlan,
        FlagKind::NoRecords,
        FlagKind::NoApplicableCriteria,
    ];

    /// The code written in tables.
    pub fn code(self) -> &'static str {
        match self {
            FlagKind::NoData => "no_data",
            FlagKind::NoDf => "no_df",
            FlagKind::LowN => "low_n",
            FlagKind::NoSe => "no_se",
            FlagKind::NotApplicable => "not_applicable",
            FlagKind::NoSurvey => "no_survey",
            FlagKind::NoPlan => "no_plan",
            FlagKind::NoRecords => "no_records",
            FlagKind::NoApplicableCriteria => "no_applicable_criteria",
        }
    }

    /// The flag in words.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            FlagKind::NoData => lang.pick("không có dữ liệu", "no data"),
            FlagKind::NoDf => lang.pick("không đủ bậc tự do", "no degrees of freedom"),
            FlagKind::LowN => lang.pick("ít phiếu, không công bố", "too few answers to publish"),
            FlagKind::NoSe => lang.pick("không có sai số chuẩn", "no standard error"),
            FlagKind::NotApplicable => lang.pick("không áp dụng", "not applicable"),
            FlagKind::NoSurvey => lang.pick("thiếu số liệu khảo sát", "survey figure missing"),
            FlagKind::NoPlan => lang.pick("thiếu kế hoạch CCHC", "plan missing"),
            FlagKind::NoRecords => {
                lang.pick("thiếu dữ liệu hồ sơ TTHC", "procedure records missing")
            }
            FlagKind::NoApplicableCriteria => {
                lang.pick("không có tiêu chí áp dụng", "no applicable criteria")
            }
        }
    }
}

/// A flag, possibly about a part of what the row shows: `from:` / `to:` (a year of a change),
/// a criterion code (`2.1:`), or both (`from:2.1:`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Flag {
    /// Empty for the row itself; else the parts, outermost first.
    pub scope: Vec<String>,
    pub kind: FlagKind,
}

impl Flag {
    pub fn label(&self, lang: Lang) -> String {
        let words = self.kind.label(lang);
        match self.scope.as_slice() {
            [] => words.to_string(),
            scope => format!(
                "{} ({words})",
                scope
                    .iter()
                    .map(|s| match s.as_str() {
                        "from" => lang.pick("năm trước", "earlier year").to_string(),
                        "to" => lang.pick("năm sau", "later year").to_string(),
                        c => c.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(" · ")
            ),
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.scope {
            write!(f, "{s}:")?;
        }
        f.write_str(self.kind.code())
    }
}

/// The flags of a row, in the order they were raised; written `a;b`, empty when none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Flags(Vec<Flag>);

impl Flags {
    pub fn none() -> Flags {
        Flags(Vec::new())
    }

    pub fn of(kind: FlagKind) -> Flags {
        let mut f = Flags::none();
        f.push(kind);
        f
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn push(&mut self, kind: FlagKind) {
        self.0.push(Flag {
            scope: Vec::new(),
            kind,
        });
    }

    /// Adds `other`'s flags, each under `scope`.
    pub fn extend_scoped(&mut self, scope: &str, other: &Flags) {
        for f in &other.0 {
            let mut s = vec![scope.to_string()];
            s.extend(f.scope.iter().cloned());
            self.0.push(Flag {
                scope: s,
                kind: f.kind,
            });
        }
    }

    pub fn contains(&self, kind: FlagKind) -> bool {
        self.0.iter().any(|f| f.kind == kind)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Flag> {
        self.0.iter()
    }

    /// The flags in words, joined by `; `.
    pub fn label(&self, lang: Lang) -> String {
        self.0
            .iter()
            .map(|f| f.label(lang))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, x) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            write!(f, "{x}")?;
        }
        Ok(())
    }
}

impl serde::Serialize for Flags {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_written_as_codes_and_shown_in_words() {
        let mut own = Flags::of(FlagKind::LowN);
        own.push(FlagKind::NoDf);
        assert_eq!(own.to_string(), "low_n;no_df");
        let mut change = Flags::none();
        change.extend_scoped("from", &own);
        change.push(FlagKind::NoSe);
        assert_eq!(change.to_string(), "from:low_n;from:no_df;no_se");
        let mut crit = Flags::none();
        crit.extend_scoped("2.1", &Flags::of(FlagKind::NoSurvey));
        let mut par = Flags::none();
        par.extend_scoped("to", &crit);
        assert_eq!(par.to_string(), "to:2.1:no_survey");
        assert_eq!(
            par.label(Lang::Vi),
            "năm sau · 2.1 (thiếu số liệu khảo sát)"
        );
        assert!(Flags::none().is_empty() && Flags::none().to_string().is_empty());
        // Every kind has a distinct code and words in both languages.
        let codes: std::collections::BTreeSet<_> = FlagKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes.len(), FlagKind::ALL.len());
    }
}

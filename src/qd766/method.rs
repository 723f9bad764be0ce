//! The QĐ 766 index as data (`scoring/qd766.toml`): groups, items, each item's rate named from
//! per-record facts, its conversion to points, the levels it applies at, the on-time rule's
//! settings and the public holidays that are not working days.

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::definition::{DefinitionError, Kind};
use crate::par::Band;
use crate::plan::Date;

const SHIPPED: &[(&str, &str)] = &[("qd766", include_str!("../../scoring/qd766.toml"))];

/// A count the index takes from the records, per unit and period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    // Procedure files.
    /// Received in the period (status not 1 or 3).
    Received,
    /// Received by the period's end and not finished before it began: handled in the period.
    InHand,
    /// In hand, and on time by the on-time rule at the period's end.
    OnTime,
    /// In hand, and not on time.
    Overdue,
    /// In hand and rated not satisfied or complained about.
    Disliked,
    /// Received online (channel 2); where the procedure requires a paper result, only with an
    /// electronic result.
    Online,
    /// Received, of a procedure that requires a paper result.
    PaperResult,
    /// Received, of such a procedure, with an electronic result.
    PaperResultElectronic,
    /// Received, digitised, and with an electronic result where the procedure requires one.
    Digitised,
    ReusedData,
    FromDataStore,
    CitizenData,
    /// Received, with a fee.
    FeeFiles,
    /// Received, with a fee, paid online (1 or 2).
    PaidOnline,
    // The catalogue.
    /// Procedures the unit applies.
    Procedures,
    /// Of those, offered online (end to end or in part).
    OfferedOnline,
    /// Offered online, with at least one file received online in the period.
    OfferedOnlineUsed,
    /// Eligible to be offered end to end online.
    EligibleFullOnline,
    /// Eligible, and offered end to end.
    FullOnline,
    /// Procedures with a fee.
    FeeProcedures,
    /// With a fee, and at least one file with its fee recorded in the period.
    FeeProceduresIntegrated,
    /// With a fee, and at least one file paid online in the period.
    FeeProceduresPaidOnline,
    /// Procedures with at least one file linked to citizen data in the period.
    ProceduresCitizenData,
    // Complaints and petitions.
    /// Received by the period's end and not handled before it began.
    Feedback,
    /// Of those, handled by their due date, or still open within it at the period's end.
    FeedbackOnTime,
    /// On time, not rated not satisfied, not complained about again.
    FeedbackSatisfied,
    // Not in the layouts yet: their items do not apply.
    ProceduresPublished,
    PublishedOnTime,
    PostedOnTime,
    PostedComplete,
    FilesSynced,
    CertifiedCopies,
}

impl Fact {
    /// Every fact, in order.
    pub const ALL: [Fact; 32] = [
        Fact::Received,
        Fact::InHand,
        Fact::OnTime,
        Fact::Overdue,
        Fact::Disliked,
        Fact::Online,
        Fact::PaperResult,
        Fact::PaperResultElectronic,
        Fact::Digitised,
        Fact::ReusedData,
        Fact::FromDataStore,
        Fact::CitizenData,
        Fact::FeeFiles,
        Fact::PaidOnline,
        Fact::Procedures,
        Fact::OfferedOnline,
        Fact::OfferedOnlineUsed,
        Fact::EligibleFullOnline,
        Fact::FullOnline,
        Fact::FeeProcedures,
        Fact::FeeProceduresIntegrated,
        Fact::FeeProceduresPaidOnline,
        Fact::ProceduresCitizenData,
        Fact::Feedback,
        Fact::FeedbackOnTime,
        Fact::FeedbackSatisfied,
        Fact::ProceduresPublished,
        Fact::PublishedOnTime,
        Fact::PostedOnTime,
        Fact::PostedComplete,
        Fact::FilesSynced,
        Fact::CertifiedCopies,
    ];
}

/// An item's rate, in percent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// num / den × 100 …
    #[serde(default)]
    pub num: Option<Fact>,
    pub den: Fact,
    /// … or 100 − Σ minus_i / den × 100 (e.g. 5.4: 100 % − overdue % − disliked %).
    #[serde(default)]
    pub minus: Vec<Fact>,
}

impl Rate {
    /// The rate in percent from a unit's facts; None when a fact is absent (its input was
    /// not given) or the denominator is 0.
    pub fn of(&self, facts: &std::collections::BTreeMap<Fact, f64>) -> Option<f64> {
        let den = facts.get(&self.den).copied().filter(|d| *d > 0.0)?;
        Some(match self.num {
            Some(f) => 100.0 * facts.get(&f)? / den,
            None => {
                let minus: f64 = self
                    .minus
                    .iter()
                    .map(|f| facts.get(f).copied())
                    .sum::<Option<f64>>()?;
                (100.0 - 100.0 * minus / den).max(0.0)
            }
        })
    }
}

/// A rate the records give that earns no points in the index, for other methodologies (the
/// CCHC index) to draw on, e.g. the share of eligible procedures offered end to end online.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub code: String,
    pub vi: String,
    pub en: String,
    pub rate: Rate,
}

/// The level a unit is scored at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitLevel {
    Commune,
    Province,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub code: String,
    pub vi: String,
    pub en: String,
    pub max: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub code: String,
    pub group: String,
    pub vi: String,
    pub en: String,
    pub max: f64,
    pub rate: Rate,
    /// Full points at or above this rate (percent), else rate × max / threshold; without it,
    /// rate × max / 100.
    #[serde(default)]
    pub threshold: Option<f64>,
    pub levels: Vec<UnitLevel>,
    #[serde(default)]
    pub modelled: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Qd766Method {
    pub id: String,
    pub title_vi: String,
    pub title_en: String,
    pub basis: String,
    #[serde(default)]
    pub basis_en: Option<String>,
    #[serde(default)]
    pub modelled: bool,
    /// More supplement requests than this make a file overdue.
    pub max_supplements: u32,
    /// Public holidays (`yyyy-mm-dd`): not working days.
    pub holidays: Vec<String>,
    pub bands: Vec<Band>,
    pub groups: Vec<Group>,
    pub items: Vec<Item>,
    /// Rates without points (see [`Indicator`]).
    #[serde(default)]
    pub indicators: Vec<Indicator>,
    /// Parsed `holidays`.
    #[serde(skip)]
    pub holiday_days: BTreeSet<i64>,
}

impl Qd766Method {
    pub fn from_toml(file: &str, text: &str) -> Result<Qd766Method, DefinitionError> {
        let mut m: Qd766Method = crate::definition::parse_as(Kind::Methodology, file, text)?;
        let invalid = |message: String, hint: &str| DefinitionError::invalid(file, message, hint);
        for h in &m.holidays {
            let d = Date::parse(h).ok_or_else(|| {
                invalid(
                    format!("holidays: `{h}` is not a date"),
                    "write holidays as yyyy-mm-dd",
                )
            })?;
            m.holiday_days.insert(d.days());
        }
        for g in &m.groups {
            let sum: f64 = m
                .items
                .iter()
                .filter(|i| i.group == g.code)
                .map(|i| i.max)
                .sum();
            if (sum - g.max).abs() > 1e-9 {
                return Err(invalid(
                    format!(
                        "group {} has max = {} but its items add up to {sum}",
                        g.code, g.max
                    ),
                    "make a group's max the sum of its items' maximums",
                ));
            }
        }
        let mut codes = BTreeSet::new();
        for code in m
            .items
            .iter()
            .map(|i| &i.code)
            .chain(m.indicators.iter().map(|i| &i.code))
        {
            if !codes.insert(code.as_str()) {
                return Err(invalid(
                    format!("code {code} is listed twice"),
                    "give every item and indicator its own code",
                ));
            }
        }
        for r in m
            .indicators
            .iter()
            .map(|i| (&i.code, &i.rate))
            .chain(m.items.iter().map(|i| (&i.code, &i.rate)))
        {
            if r.1.num.is_some() != r.1.minus.is_empty() {
                return Err(invalid(
                    format!("{}: give its rate either num or minus", r.0),
                    "rate = { num = \"on_time\", den = \"in_hand\" } or { den = \"in_hand\", minus = [\"overdue\"] }",
                ));
            }
        }
        for i in &m.items {
            if !m.groups.iter().any(|g| g.code == i.group) {
                return Err(invalid(
                    format!(
                        "item {} names group `{}`, which is not listed",
                        i.code, i.group
                    ),
                    "list the group under [[groups]]",
                ));
            }
            if i.threshold.is_some_and(|t| !(t > 0.0 && t <= 100.0)) {
                return Err(invalid(
                    format!("item {}: threshold must be in (0, 100]", i.code),
                    "e.g. threshold = 80",
                ));
            }
        }
        Ok(m)
    }

    /// Points of a rate (percent) for `item`.
    pub fn points(item: &Item, rate: f64) -> f64 {
        match item.threshold {
            Some(t) if rate >= t => item.max,
            Some(t) => rate * item.max / t,
            None => rate * item.max / 100.0,
        }
    }

    /// The rate (percent) and, for an item, the share of its maximum earned (0–1) of `code`
    /// from a unit's facts at `level`; None when the code is unknown, the item does not apply
    /// at the level, or the rate cannot be formed.
    pub fn figure(
        &self,
        code: &str,
        facts: &std::collections::BTreeMap<Fact, f64>,
        level: UnitLevel,
    ) -> Option<(f64, Option<f64>)> {
        if let Some(i) = self.items.iter().find(|i| i.code == code) {
            if !i.levels.contains(&level) {
                return None;
            }
            let r = i.rate.of(facts)?;
            return Some((r, Some(Self::points(i, r) / i.max)));
        }
        let i = self.indicators.iter().find(|i| i.code == code)?;
        Some((i.rate.of(facts)?, None))
    }

    /// Whether `code` names an item or an indicator.
    pub fn knows(&self, code: &str) -> bool {
        self.items.iter().any(|i| i.code == code) || self.indicators.iter().any(|i| i.code == code)
    }

    /// The band of an index.
    pub fn band(&self, index: f64) -> Option<&Band> {
        self.bands.iter().find(|b| b.min.is_none_or(|m| index >= m))
    }

    /// Whether `d` is a working day: not Saturday, Sunday or a listed holiday.
    pub fn working(&self, day: i64) -> bool {
        // 1970-01-01 was a Thursday: (day + 4) mod 7 is 0 on Sundays.
        let wd = (day + 4).rem_euclid(7);
        wd != 0 && wd != 6 && !self.holiday_days.contains(&day)
    }

    /// The day `n` working days after `day` (n = 0: the day itself).
    pub fn add_working_days(&self, day: i64, n: u32) -> i64 {
        let mut d = day;
        let mut left = n;
        while left > 0 {
            d += 1;
            if self.working(d) {
                left -= 1;
            }
        }
        d
    }
}

pub fn load(id_or_path: &str) -> Result<Qd766Method, DefinitionError> {
    crate::definition::load(
        Kind::Methodology,
        id_or_path,
        |path, text| Qd766Method::from_toml(&path.display().to_string(), text),
        |id| crate::definition::shipped_in("scoring", SHIPPED, id, Qd766Method::from_toml),
    )
}

//! The index per unit and period: each fact counted from the records, each item's rate and
//! points, the units' totals, bands and ranks.

use std::collections::{BTreeMap, BTreeSet};

use super::method::{Fact, Qd766Method, UnitLevel};
use super::records::{
    Channel, DAY, FileRecord, Minute, OnlineLevel, Procedure, Records, day_of, end_of, start_of,
};
use crate::plan::Date;

/// The unit id that stands for all units together.
pub const ALL: &str = "ALL";

/// A period: the year from 1 January (the portal's year view), a quarter or a month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// `2026`, `2026-Q2`, `2026-03`.
    pub label: String,
    pub start: Minute,
    pub end: Minute,
}

/// How the year is split besides the year itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Year,
    Quarter,
    Month,
}

/// The year, then each quarter or month of it on its own.
pub fn periods(year: i32, split: Split) -> Vec<Period> {
    let span = |label: String, m0: u32, m1: u32| -> Option<Period> {
        Some(Period {
            label,
            start: start_of(Date::new(year, m0, 1)?),
            end: end_of(Date::month_end(year, m1)?),
        })
    };
    let mut out: Vec<Period> = span(year.to_string(), 1, 12).into_iter().collect();
    match split {
        Split::Year => {}
        Split::Quarter => {
            out.extend((1..=4).filter_map(|q| span(format!("{year}-Q{q}"), 3 * q - 2, 3 * q)))
        }
        Split::Month => out.extend((1..=12).filter_map(|m| span(format!("{year}-{m:02}"), m, m))),
    }
    out
}

/// Whether a file was settled on time, judged at `at` (the period's last minute): its end
/// (finish, or `at` while open) no later than its due date — the due date given, else the
/// receipt day plus the procedure's working days — with the days the citizen took to
/// supplement added; more supplement requests than the method allows make it overdue. None
/// when no due date can be set.
pub fn on_time(
    m: &Qd766Method,
    f: &FileRecord,
    proc: Option<&Procedure>,
    at: Minute,
) -> Option<bool> {
    let due = match f.due_at {
        Some(d) => d,
        None => {
            let n = proc?.max_days?;
            end_of(Date::from_days(
                m.add_working_days(day_of(f.received_at).days(), n),
            ))
        }
    };
    if f.supplement_requests > m.max_supplements {
        return Some(false);
    }
    let due = due + Minute::from(f.supplement_days) * DAY;
    let end = match f.finished_at {
        Some(t) if t <= at => t,
        _ => at,
    };
    Some(end <= due)
}

/// One unit's records: its files, complaints (when stored) and catalogue (when stored).
#[derive(Debug, Clone, Default)]
pub struct UnitRecords<'a> {
    pub files: Vec<&'a FileRecord>,
    /// Each file's procedure in the unit's catalogue (None when it has none), as `files`.
    pub procedures: Vec<Option<&'a Procedure>>,
    pub feedback: Option<Vec<&'a super::records::Feedback>>,
    pub catalogue: Option<Vec<&'a Procedure>>,
}

impl<'a> UnitRecords<'a> {
    /// Every unit's records, in unit order.
    pub fn by_unit(r: &'a Records) -> BTreeMap<&'a str, UnitRecords<'a>> {
        // Grouped by hash first (many files, few units), then put in unit order.
        let mut grouped: std::collections::HashMap<&str, Vec<&FileRecord>> =
            std::collections::HashMap::new();
        for f in &r.files {
            grouped.entry(&f.unit_id).or_default().push(f);
        }
        let mut units: BTreeMap<&str, UnitRecords> = grouped
            .into_iter()
            .map(|(u, files)| {
                (
                    u,
                    UnitRecords {
                        files,
                        ..UnitRecords::default()
                    },
                )
            })
            .collect();
        for x in r.feedback.iter().flatten() {
            units.entry(&x.unit_id).or_default();
        }
        for x in r.catalogue.iter().flatten() {
            if let Some(u) = &x.unit_id {
                units.entry(u).or_default();
            }
        }
        for (unit, u) in units.iter_mut() {
            u.feedback = r
                .feedback
                .as_ref()
                .map(|fb| fb.iter().filter(|x| x.unit_id == *unit).collect());
            u.catalogue = r.catalogue.as_ref().map(|c| {
                c.iter()
                    .filter(|x| x.unit_id.as_deref().is_none_or(|v| v == *unit))
                    .collect()
            });
            let catalogue: &[&Procedure] = u.catalogue.as_deref().unwrap_or(&[]);
            // A unit's own row for a procedure before one for every unit.
            let mut by_id: std::collections::HashMap<&str, &Procedure> =
                std::collections::HashMap::new();
            for x in catalogue {
                let e = by_id.entry(x.procedure_id.as_str()).or_insert(x);
                if x.unit_id.is_some() {
                    *e = x;
                }
            }
            u.procedures = u
                .files
                .iter()
                .map(|f| by_id.get(f.procedure_id.as_str()).copied())
                .collect();
        }
        units
    }
}

/// Counts of facts while a unit's records are read: present (the inputs hold it) and how many,
/// by the fact's position.
struct Counts([Option<f64>; 64]);

impl Counts {
    fn add(&mut self, f: Fact, yes: bool) {
        let e = self.0[f as usize].get_or_insert(0.0);
        if yes {
            *e += 1.0;
        }
    }
}

/// The facts of one unit in one period (those the inputs hold).
pub fn facts(m: &Qd766Method, u: &UnitRecords<'_>, p: &Period) -> BTreeMap<Fact, f64> {
    let mut c = Counts([None; 64]);
    let mut add = |f: Fact, yes: bool| c.add(f, yes);
    let catalogue: &[&Procedure] = u.catalogue.as_deref().unwrap_or(&[]);
    let mut online_used: BTreeSet<&str> = BTreeSet::new();
    let mut fee_recorded: BTreeSet<&str> = BTreeSet::new();
    let mut paid: BTreeSet<&str> = BTreeSet::new();
    let mut citizen: BTreeSet<&str> = BTreeSet::new();
    for (f, &proc) in u.files.iter().copied().zip(&u.procedures) {
        if !f.status.received() {
            continue;
        }
        let paper = proc.is_some_and(|x| x.paper_result_required);
        let received = (p.start..=p.end).contains(&f.received_at);
        let in_hand = f.received_at <= p.end && f.finished_at.is_none_or(|t| t >= p.start);
        if in_hand && let Some(ok) = on_time(m, f, proc, p.end) {
            add(Fact::InHand, true);
            add(Fact::OnTime, ok);
            add(Fact::Overdue, !ok);
            add(Fact::Disliked, f.disliked);
        }
        if !received {
            continue;
        }
        let online = f.channel == Channel::Online && (!paper || f.e_result);
        add(Fact::Received, true);
        add(Fact::Online, online);
        if paper {
            add(Fact::PaperResult, true);
            add(Fact::PaperResultElectronic, f.e_result);
        }
        add(Fact::Digitised, f.digitised && (f.e_result || !paper));
        add(Fact::ReusedData, f.reused_data);
        add(Fact::FromDataStore, f.from_data_store);
        add(Fact::CitizenData, f.citizen_data);
        if f.has_fee {
            add(Fact::FeeFiles, true);
            add(Fact::PaidOnline, matches!(f.paid_online, 1 | 2));
            fee_recorded.insert(&f.procedure_id);
            if matches!(f.paid_online, 1 | 2) {
                paid.insert(&f.procedure_id);
            }
        }
        if online {
            online_used.insert(&f.procedure_id);
        }
        if f.citizen_data {
            citizen.insert(&f.procedure_id);
        }
    }
    if u.catalogue.is_some() {
        for x in catalogue {
            let id = x.procedure_id.as_str();
            let offered = x.online_level != OnlineLevel::None;
            add(Fact::Procedures, true);
            add(Fact::OfferedOnline, offered);
            if offered {
                add(Fact::OfferedOnlineUsed, online_used.contains(id));
            }
            if x.eligible_full_online {
                add(Fact::EligibleFullOnline, true);
                add(Fact::FullOnline, x.online_level == OnlineLevel::Full);
            }
            if x.has_fee {
                add(Fact::FeeProcedures, true);
                add(Fact::FeeProceduresIntegrated, fee_recorded.contains(id));
                add(Fact::FeeProceduresPaidOnline, paid.contains(id));
            }
            add(Fact::ProceduresCitizenData, citizen.contains(id));
        }
    }
    if let Some(fb) = &u.feedback {
        add(Fact::Feedback, false);
        for x in fb.iter().copied() {
            if x.received_at > p.end || x.handled_at.is_some_and(|t| t < p.start) {
                continue;
            }
            let end = x.handled_at.filter(|t| *t <= p.end).unwrap_or(p.end);
            let ok = end <= x.due_at;
            add(Fact::Feedback, true);
            add(Fact::FeedbackOnTime, ok);
            add(
                Fact::FeedbackSatisfied,
                ok && !x.disliked && !x.recomplained,
            );
        }
    }
    Fact::ALL
        .iter()
        .filter_map(|&f| Some((f, c.0[f as usize]?)))
        .collect()
}

/// The periods the records reach: each cut at the records' export day, those starting after
/// it left out.
pub fn reached(r: &Records, periods: &[Period]) -> Vec<Period> {
    periods
        .iter()
        .filter(|p| r.as_of.is_none_or(|a| p.start <= a))
        .map(|p| Period {
            label: p.label.clone(),
            start: p.start,
            end: r.as_of.map_or(p.end, |a| a.min(p.end)),
        })
        .collect()
}

/// Every unit's facts in `p`, for other methodologies to draw rates from (see
/// [`Qd766Method::figure`]).
pub fn facts_by_unit(
    m: &Qd766Method,
    r: &Records,
    p: &Period,
) -> BTreeMap<String, BTreeMap<Fact, f64>> {
    let Some(p) = reached(r, std::slice::from_ref(p)).pop() else {
        return BTreeMap::new();
    };
    UnitRecords::by_unit(r)
        .iter()
        .map(|(u, x)| (u.to_string(), facts(m, x, &p)))
        .collect()
}

/// One row of `qd766_items.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRow {
    pub period: String,
    pub unit_id: String,
    pub group: String,
    pub item: String,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub rate_pct: Option<f64>,
    pub max_points: f64,
    pub points: Option<f64>,
    /// False when the item's level, inputs or denominator leave it out.
    pub applies: bool,
}

/// One row of `qd766_totals.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct TotalRow {
    pub period: String,
    pub unit_id: String,
    pub points: f64,
    pub max_points: f64,
    pub index_pct: Option<f64>,
    pub band: Option<String>,
    pub rank: Option<usize>,
}

/// Every item of `unit` in `p` from its facts.
fn items(
    m: &Qd766Method,
    unit: &str,
    p: &Period,
    c: &BTreeMap<Fact, f64>,
    level: UnitLevel,
) -> Vec<ItemRow> {
    m.items
        .iter()
        .map(|i| {
            let den = c.get(&i.rate.den).copied();
            let num = match i.rate.num {
                Some(f) => c.get(&f).copied(),
                None => i
                    .rate
                    .minus
                    .iter()
                    .map(|f| c.get(f).copied())
                    .sum::<Option<f64>>(),
            };
            let rate = i.rate.of(c).filter(|_| i.levels.contains(&level));
            ItemRow {
                period: p.label.clone(),
                unit_id: unit.to_string(),
                group: i.group.clone(),
                item: i.code.clone(),
                numerator: num,
                denominator: den,
                rate_pct: rate,
                max_points: i.max,
                points: rate.map(|r| Qd766Method::points(i, r)),
                applies: rate.is_some(),
            }
        })
        .collect()
}

/// The index of every unit and of ALL, for each period: item rows and totals, ranked within
/// each period (1 = best, ties share, on the index rounded to 2 decimals).
pub fn compute(
    m: &Qd766Method,
    r: &Records,
    level: UnitLevel,
    periods: &[Period],
) -> (Vec<ItemRow>, Vec<TotalRow>) {
    let units = UnitRecords::by_unit(r);
    let mut item_rows = Vec::new();
    let mut totals = Vec::new();
    for p in &reached(r, periods) {
        let mut all: BTreeMap<Fact, f64> = BTreeMap::new();
        let mut period_totals = Vec::new();
        // Each unit's facts on the threads there are, then in unit order.
        let per_unit: Vec<BTreeMap<Fact, f64>> = {
            use rayon::prelude::*;
            let units: Vec<&UnitRecords> = units.values().collect();
            units.par_iter().map(|u| facts(m, u, p)).collect()
        };
        for ((unit, _), c) in units.iter().zip(per_unit) {
            for (f, v) in &c {
                *all.entry(*f).or_insert(0.0) += v;
            }
            let rows = items(m, unit, p, &c, level);
            period_totals.push(total(m, unit, p, &rows));
            item_rows.extend(rows);
        }
        let rows = items(m, ALL, p, &all, level);
        let all_total = total(m, ALL, p, &rows);
        // ALL first, then the units.
        let at = item_rows.len() - units.len() * m.items.len();
        item_rows.splice(at..at, rows);
        let ranked: Vec<usize> = (0..period_totals.len())
            .filter(|&k| period_totals[k].index_pct.is_some())
            .collect();
        let values: Vec<f64> = ranked
            .iter()
            .map(|&k| crate::par::round_to(period_totals[k].index_pct.unwrap_or(0.0), 2))
            .collect();
        for (k, rank) in crate::par::competition_ranks(&values)
            .into_iter()
            .enumerate()
        {
            period_totals[ranked[k]].rank = Some(rank);
        }
        totals.push(all_total);
        totals.extend(period_totals);
    }
    (item_rows, totals)
}

fn total(m: &Qd766Method, unit: &str, p: &Period, rows: &[ItemRow]) -> TotalRow {
    let points: f64 = rows.iter().filter_map(|r| r.points).sum();
    let max: f64 = rows
        .iter()
        .filter(|r| r.applies)
        .map(|r| r.max_points)
        .sum();
    let index = (max > 0.0).then(|| 100.0 * points / max);
    TotalRow {
        period: p.label.clone(),
        unit_id: unit.to_string(),
        points,
        max_points: max,
        index_pct: index,
        band: index
            .and_then(|i| m.band(crate::par::round_to(i, 2)))
            .map(|b| b.code.clone()),
        rank: None,
    }
}

#[cfg(test)]
mod tests {
    //! One unit's March 2026, worked by hand with the shipped method (more than one supplement
    //! request = overdue; weekends and listed holidays are not working days).
    use super::*;
    use crate::qd766::records::{FileStatus, parse_time};

    fn t(s: &str) -> Minute {
        parse_time(s).expect("a time")
    }

    fn file(id: &str, received: &str, due: Option<&str>, finished: Option<&str>) -> FileRecord {
        FileRecord {
            record_id: id.into(),
            unit_id: "X".into(),
            procedure_id: "P1".into(),
            channel: Channel::InPerson,
            received_at: t(received),
            due_at: due.map(t),
            finished_at: finished.map(t),
            status: FileStatus(if finished.is_some() { 9 } else { 4 }),
            supplement_requests: 0,
            supplement_days: 0,
            e_result: false,
            digitised: false,
            reused_data: false,
            from_data_store: false,
            citizen_data: false,
            paid_online: 0,
            has_fee: false,
            disliked: false,
        }
    }

    fn records() -> Records {
        // f1: supplemented once (3 days), finished after its first due date but within the
        //     extended one → on time. Online.
        let mut f1 = file(
            "f1",
            "02/03/2026 08:00",
            Some("06/03/2026 17:00"),
            Some("09/03/2026 10:00"),
        );
        f1.supplement_requests = 1;
        f1.supplement_days = 3;
        f1.channel = Channel::Online;
        // f2: supplemented twice → overdue, though finished early.
        let mut f2 = file(
            "f2",
            "02/03/2026 09:00",
            Some("06/03/2026 17:00"),
            Some("05/03/2026 10:00"),
        );
        f2.supplement_requests = 2;
        // f3: open past its due date at the period's end → overdue.
        let f3 = file("f3", "10/03/2026 08:00", Some("20/03/2026 17:00"), None);
        // f4: open within its due date at the period's end → on time. Online, disliked.
        let mut f4 = file("f4", "25/03/2026 08:00", Some("10/04/2026 17:00"), None);
        f4.channel = Channel::Online;
        f4.disliked = true;
        // f5: received in February, finished on time in March: in hand, not received in March.
        let f5 = file(
            "f5",
            "26/02/2026 08:00",
            Some("04/03/2026 17:00"),
            Some("03/03/2026 15:00"),
        );
        // f6: finished in February: not in March at all.
        let f6 = file(
            "f6",
            "15/01/2026 08:00",
            Some("25/01/2026 17:00"),
            Some("20/02/2026 10:00"),
        );
        // f7: no due date: received Monday 16/03 + the procedure's 5 working days = Monday
        //     23/03 (the weekend skipped); finished 24/03 → overdue.
        let f7 = file("f7", "16/03/2026 08:00", None, Some("24/03/2026 09:00"));
        // f8: refused at reception (status 3): counted nowhere.
        let mut f8 = file(
            "f8",
            "05/03/2026 08:00",
            Some("06/03/2026 17:00"),
            Some("05/03/2026 09:00"),
        );
        f8.status = FileStatus(3);
        Records {
            files: vec![f1, f2, f3, f4, f5, f6, f7, f8],
            feedback: None,
            catalogue: Some(vec![Procedure {
                procedure_id: "P1".into(),
                unit_id: None,
                name: "Chứng thực".into(),
                online_level: OnlineLevel::Partial,
                eligible_full_online: false,
                has_fee: false,
                paper_result_required: false,
                max_days: Some(5),
            }]),
            as_of: None,
        }
    }

    #[test]
    fn an_export_taken_mid_month_judges_open_files_on_its_day_and_reaches_no_further()
    -> Result<(), Box<dyn std::error::Error>> {
        let m = crate::qd766::load("qd766")?;
        // Open on 10/03 (the export's day), due 13/03: on time as far as anyone knows then;
        // judged at 31/03 it would be overdue.
        let r = Records {
            files: vec![file(
                "a",
                "09/03/2026 08:00",
                Some("13/03/2026 17:00"),
                None,
            )],
            as_of: Some(t("10/03/2026 23:59")),
            ..Records::default()
        };
        let months = periods(2026, Split::Month);
        let (_, totals) = compute(&m, &r, UnitLevel::Commune, &months);
        let labels: BTreeSet<&str> = totals.iter().map(|t| t.period.as_str()).collect();
        assert_eq!(
            labels,
            BTreeSet::from(["2026", "2026-01", "2026-02", "2026-03"]),
            "April on is after the export"
        );
        let reached = reached(&r, &months);
        assert_eq!(reached[3].end, t("10/03/2026 23:59"));
        let proc = None;
        assert_eq!(on_time(&m, &r.files[0], proc, reached[3].end), Some(true));
        assert_eq!(on_time(&m, &r.files[0], proc, months[3].end), Some(false));
        let (items, _) = compute(&m, &r, UnitLevel::Commune, &months[..1]);
        let on = items
            .iter()
            .find(|i| i.unit_id == "X" && i.item == "2.1")
            .and_then(|i| i.rate_pct);
        assert_eq!(on, Some(100.0));
        Ok(())
    }

    #[test]
    fn on_time_rules_by_hand() -> Result<(), Box<dyn std::error::Error>> {
        let m = crate::qd766::load("qd766")?;
        let r = records();
        let march = &periods(2026, Split::Month)[3];
        assert_eq!(march.label, "2026-03");
        let proc = r.catalogue.as_ref().and_then(|c| c.first());
        let judged: Vec<Option<bool>> = r
            .files
            .iter()
            .map(|f| on_time(&m, f, proc, march.end))
            .collect();
        assert_eq!(
            judged[..5],
            [Some(true), Some(false), Some(false), Some(true), Some(true)]
        );
        assert_eq!(judged[6], Some(false));
        // Holidays are skipped too: received Wednesday 29/04/2026, 2 working days: 30/04 and
        // 01/05 are holidays, 02–03/05 a weekend → Monday 04/05 and Tuesday 05/05.
        let wed = crate::plan::Date::new(2026, 4, 29).map_or(0, |d| d.days());
        let tue = crate::plan::Date::new(2026, 5, 5).map_or(0, |d| d.days());
        assert_eq!(m.add_working_days(wed, 2), tue);
        Ok(())
    }

    #[test]
    fn items_totals_and_what_does_not_apply_by_hand() -> Result<(), Box<dyn std::error::Error>> {
        let m = crate::qd766::load("qd766")?;
        let r = records();
        let march = periods(2026, Split::Month).remove(3);
        let (rows, totals) = compute(&m, &r, UnitLevel::Commune, std::slice::from_ref(&march));
        let item = |code: &str| {
            rows.iter()
                .find(|x| x.unit_id == "X" && x.item == code)
                .cloned()
                .ok_or(format!("item {code}"))
        };
        // In hand in March: f1, f2, f3, f4, f5, f7 = 6; on time f1, f4, f5 → 50 % × 20 = 10.
        let i = item("2.1")?;
        assert_eq!((i.numerator, i.denominator), (Some(3.0), Some(6.0)));
        assert_eq!((i.rate_pct, i.points), (Some(50.0), Some(10.0)));
        // Received in March: f1, f2, f3, f4, f7 = 5; online f1, f4 → 40 %, below T = 50:
        // 40 × 6 / 50 = 4.8.
        let i = item("3.3")?;
        assert_eq!((i.rate_pct, i.points), (Some(40.0), Some(4.8)));
        // 5.4: 100 − (3 overdue + 1 disliked) / 6 × 100 = 33.33 %, T = 90: 33.33 × 6 / 90.
        let i = item("5.4")?;
        assert!(
            i.points
                .is_some_and(|p| (p - 100.0 / 3.0 * 6.0 / 90.0).abs() < 1e-9)
        );
        // The catalogue: 1 procedure, offered online (≥ 80 % → 2) and used online (→ 4).
        assert_eq!(item("3.1")?.points, Some(2.0));
        assert_eq!(item("3.2")?.points, Some(4.0));
        // No fees, no paper results, no complaints file, no publication data: those items do
        // not apply (never a 0); 1.1–1.3 are province items anyway.
        for code in [
            "1.1", "1.2", "1.3", "1.4", "3.4", "3.5", "3.6", "4.1", "4.2b", "5.2", "5.3",
        ] {
            let i = item(code)?;
            assert!(!i.applies && i.points.is_none(), "{code} applies");
        }
        // Digitisation flags all 0: those items apply, with 0 points.
        assert_eq!(item("4.2")?.points, Some(0.0));
        // Total: 10 + 2 + 4 + 4.8 + 0 (4.2, 4.3, 4.4, 4.5a, 4.5b) + 2.2222 of 52 → 44.27 %: Yếu.
        let x = totals.iter().find(|t| t.unit_id == "X").ok_or("X")?;
        assert_eq!(x.max_points, 52.0);
        let want = 20.8 + 100.0 / 3.0 * 6.0 / 90.0;
        assert!((x.points - want).abs() < 1e-9, "{}", x.points);
        assert!(
            x.index_pct
                .is_some_and(|i| (i - 100.0 * want / 52.0).abs() < 1e-9)
        );
        assert_eq!((x.band.as_deref(), x.rank), (Some("Y"), Some(1)));
        // A complaints file without any complaint: 5.2's denominator is 0 → it does not apply.
        let mut r2 = records();
        r2.feedback = Some(Vec::new());
        let (rows2, _) = compute(&m, &r2, UnitLevel::Commune, std::slice::from_ref(&march));
        let i = rows2
            .iter()
            .find(|x| x.unit_id == "X" && x.item == "5.2")
            .ok_or("5.2")?;
        assert_eq!((i.denominator, i.applies), (Some(0.0), false));
        // ALL of one unit is that unit.
        let all = totals.iter().find(|t| t.unit_id == ALL).ok_or("ALL")?;
        assert_eq!((all.points, all.max_points), (x.points, x.max_points));
        Ok(())
    }
}

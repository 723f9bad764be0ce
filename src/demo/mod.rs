//! Realistic, seeded sample data: survey batches for a handful of communes and their CCHC
//! assessment files. `chiso demo` runs the whole tool on them; the same files, small, are
//! shipped in `surveys/samples/` (a test checks they are what this module writes).
//!
//! Each commune is its own stratum with eight villages (thôn) as PSUs, weights that differ by
//! village, a commune-level quality that moves from year to year, a respondent effect, item
//! effects, and a few blanks and not-applicable answers.

mod run;

pub use run::{DemoRun, PLACE, run};

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_pcg::Pcg64;

use crate::instrument::{Instrument, StandardColumn};
use crate::par::{ParMethod, Source};

/// A commune of the demo: its name, its quality in 2025 (0–1) and its change per year.
#[derive(Debug, Clone, Copy)]
pub struct Commune {
    pub name: &'static str,
    pub quality: f64,
    pub trend: f64,
}

/// Five communes of Na Rì (Thái Nguyên): one improving fast, one slipping, the others steady.
pub const COMMUNES: [Commune; 5] = [
    Commune {
        name: "Xuân Dương",
        quality: 0.70,
        trend: 0.00,
    },
    Commune {
        name: "Côn Minh",
        quality: 0.62,
        trend: 0.10,
    },
    Commune {
        name: "Quang Phong",
        quality: 0.75,
        trend: -0.08,
    },
    Commune {
        name: "Na Rì",
        quality: 0.78,
        trend: 0.01,
    },
    Commune {
        name: "Văn Lang",
        quality: 0.67,
        trend: 0.02,
    },
];

/// Villages (PSUs) per commune.
const VILLAGES: usize = 8;

/// The demo's survey batches: (questionnaire id, respondents per commune, seed offset).
pub const SURVEYS: [(&str, usize, u64); 4] = [
    ("sipas", 120, 1),
    ("health-outpatient", 100, 2),
    ("health-inpatient", 60, 4),
    ("education", 80, 3),
];

/// The demo's years.
pub const YEARS: [i32; 2] = [2025, 2026];

/// A small stable hash (FNV-1a) to derive seeds and item effects from names.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

fn prefix(id: &str) -> String {
    id.split('-')
        .map(|p| p.chars().next().unwrap_or('X').to_ascii_uppercase())
        .collect()
}

/// A batch of `per_unit` respondents in each commune for `year`, as CSV text.
pub fn survey_batch(inst: &Instrument, year: i32, per_unit: usize, seed: u64) -> String {
    let mut rng = Pcg64::seed_from_u64(seed ^ fnv(&inst.id) ^ (year as u64).wrapping_mul(0x9e37));
    let noise = Normal::new(0.0, 0.22).unwrap_or_else(|_| unreachable!());
    let person = Normal::new(0.0, 0.08).unwrap_or_else(|_| unreachable!());
    let columns: Vec<_> = inst
        .columns
        .iter()
        .filter(|c| !c.pii && c.values.as_ref().is_some_and(|v| !v.is_empty()))
        .collect();
    let mut header: Vec<String> = [
        StandardColumn::RespondentId,
        StandardColumn::UnitId,
        StandardColumn::Stratum,
        StandardColumn::Psu,
        StandardColumn::Weight,
    ]
    .iter()
    .map(|c| inst.header_of(*c).to_string())
    .collect();
    header.extend(columns.iter().map(|c| c.header().to_string()));
    header.extend(inst.questions.iter().map(|q| q.header.clone()));
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let mut rows: Vec<Vec<String>> = Vec::new();
    let service = match inst.service.as_str() {
        "health" => 0.02,
        "education" => 0.04,
        _ => 0.0,
    };
    for (u, c) in COMMUNES.iter().enumerate() {
        let quality = c.quality + c.trend * f64::from(year - 2025) + service;
        for _ in 0..per_unit {
            let village = rng.random_range(0..VILLAGES);
            let weight = 40.0 + 25.0 * village as f64 + rng.random_range(0.0..10.0);
            let mut row = vec![
                String::new(),
                c.name.to_string(),
                format!("S{}", u + 1),
                format!("{} / thôn {}", c.name, village + 1),
                format!("{weight:.1}"),
            ];
            for col in &columns {
                let v = col.values.as_deref().unwrap_or_default();
                row.push(v[rng.random_range(0..v.len())].clone());
            }
            let me = quality + person.sample(&mut rng);
            for q in &inst.questions {
                let s = &q.scale;
                let effect = (fnv(&q.code) % 9) as f64 * 0.012 - 0.048;
                let x: f64 = rng.random();
                let answer = if x < 0.02 {
                    String::new()
                } else if x < 0.035 && s.not_applicable.contains(&0) && s.min > 0 {
                    "0".to_string()
                } else {
                    let latent = (me + effect + noise.sample(&mut rng)).clamp(0.0, 1.0);
                    let v = f64::from(s.min) + f64::from(s.max - s.min) * latent;
                    let v = v.round() as i32;
                    match &s.values {
                        Some(vals) if !vals.contains(&v) => vals[vals.len() / 2].to_string(),
                        _ => v.to_string(),
                    }
                };
                row.push(answer);
            }
            rows.push(row);
        }
    }
    // Forms arrive mixed, not commune by commune.
    for i in (1..rows.len()).rev() {
        let j = rng.random_range(0..=i);
        rows.swap(i, j);
    }
    let p = prefix(&inst.id);
    let _ = w.write_record(&header);
    for (i, mut row) in rows.into_iter().enumerate() {
        row[0] = format!("{p}{year}-{:04}", i + 1);
        let _ = w.write_record(&row);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// The CCHC assessment of every demo commune for `year`: self-assessed points near the
/// commune's quality, appraised down now and then, a few bonuses and penalties, one criterion
/// not applicable.
pub fn assessment(method: &ParMethod, year: i32, seed: u64) -> String {
    let mut rng = Pcg64::seed_from_u64(seed ^ fnv(&method.id) ^ (year as u64).wrapping_mul(0x9e37));
    let mut out = String::from("unit_id,criterion,self_score,appraised_score,note\n");
    let quarter = |x: f64| (x * 4.0).round() / 4.0;
    for c in COMMUNES {
        let quality = c.quality + c.trend * f64::from(year - 2025);
        for leaf in method.leaves() {
            let k = leaf.criterion;
            match leaf.source {
                Source::Survey | Source::Plan | Source::Records => {}
                Source::Bonus | Source::Penalty => {
                    if rng.random::<f64>() < 0.3 {
                        let pts = quarter(k.max * rng.random_range(0.25..=1.0));
                        let note = if leaf.source == Source::Bonus {
                            "được UBND tỉnh công nhận"
                        } else {
                            "theo kết luận kiểm tra"
                        };
                        let _ = writeln!(out, "{},{},{pts},,{note}", c.name, k.code);
                    }
                }
                Source::Assessment => {
                    if k.code == "2.1" && c.name == "Văn Lang" {
                        let _ = writeln!(
                            out,
                            "{},{},NA,,không ban hành văn bản QPPL trong năm",
                            c.name, k.code
                        );
                        continue;
                    }
                    let share = (quality + 0.18 + rng.random_range(-0.12..0.1)).clamp(0.0, 1.0);
                    let own = quarter(k.max * share);
                    if rng.random::<f64>() < 0.2 && own >= 0.25 {
                        let _ = writeln!(
                            out,
                            "{},{},{own},{},thẩm định giảm điểm",
                            c.name,
                            k.code,
                            own - 0.25
                        );
                    } else {
                        let _ = writeln!(out, "{},{},{own},,", c.name, k.code);
                    }
                }
            }
        }
    }
    out
}

/// The key tasks of Xuân Dương's 2026 CCHC plan, as the plan writes them: (content, lead,
/// deadline). Other communes and years use the same list with their name and year.
pub const PLAN_TASKS: [(&str, &str, &str); 14] = [
    (
        "Xây dựng Kế hoạch tuyên truyền CCHC; kế hoạch kiểm tra CCHC, kiểm tra công vụ năm 2026 và tổ chức triển khai thực hiện",
        "Phòng Văn hoá - Xã hội",
        "Quý I/2026",
    ),
    (
        "Xây dựng kế hoạch nâng cao chất lượng kiểm soát TTHC, cải cách TTHC gắn với chuyển đổi số trên địa bàn xã",
        "Phòng Văn hoá - Xã hội",
        "Tháng 01/2026",
    ),
    (
        "Tổ chức thực hiện rà soát, sắp xếp, tổ chức lại đơn vị sự nghiệp giáo dục công lập trên địa bàn xã",
        "Phòng Văn hoá - Xã hội",
        "Năm 2026",
    ),
    (
        "Xây dựng Kế hoạch nâng cao Chỉ số CCHC, Chỉ số hài lòng về sự phục vụ hành chính, nâng cao hiệu quả quản trị và hành chính công xã Xuân Dương năm 2026 và tổ chức thực hiện",
        "Phòng Văn hoá - Xã hội",
        "Quý II/2026 (sau khi Sở Nội vụ công bố)",
    ),
    (
        "Xây dựng đề án vị trí việc làm trình cấp có thẩm quyền phê duyệt",
        "Phòng Văn hoá - Xã hội",
        "Năm 2026",
    ),
    (
        "Triển khai đánh giá, xác định Chỉ số CCHC tỉnh Thái Nguyên và đo lường mức độ hài lòng của người dân đối với sự phục vụ của cơ quan hành chính nhà nước xã Xuân Dương năm 2025",
        "Phòng Văn hoá - Xã hội",
        "Quý III/2026",
    ),
    (
        "Phối hợp thực hiện đo lường mức độ hài lòng của người dân đối với dịch vụ giáo dục công năm 2026",
        "Phòng Văn hoá - Xã hội",
        "Quý II/2026",
    ),
    (
        "Phối hợp thực hiện đo lường mức độ hài lòng của người dân đối với dịch vụ y tế năm 2026",
        "Phòng Văn hoá - Xã hội",
        "Quý IV/2026",
    ),
    (
        "Xây dựng quy định thi đua, khen thưởng phong trào thực hiện cải cách hành chính xã Xuân Dương giai đoạn 2026 – 2030",
        "Phòng Văn hoá - Xã hội",
        "Năm 2026",
    ),
    (
        "Xây dựng Kế hoạch triển khai mô hình Chính quyền thân thiện, nhân dân phát huy quyền làm chủ xã Xuân Dương năm 2026",
        "Phòng Văn hoá - Xã hội",
        "Quý II/2026",
    ),
    (
        "Nghiên cứu xây dựng Quy chế và tổ chức đánh giá, xếp loại mức độ hoàn thành nhiệm vụ năm 2026 đối với các cơ quan, đơn vị (sau khi có hướng dẫn của Sở Nội vụ)",
        "Phòng Văn hoá - Xã hội",
        "Quý IV/2026",
    ),
    (
        "Tổ chức Hội nghị đối thoại giữa Lãnh đạo xã với các doanh nghiệp trên địa bàn xã",
        "Phòng Kinh tế",
        "Năm 2026",
    ),
    (
        "Triển khai thực hiện phần mềm Hệ thống báo cáo ngày",
        "Văn phòng HĐND và UBND",
        "Năm 2026",
    ),
    (
        "Triển khai hệ thống thông tin giải quyết TTHC xã phù hợp với chỉ đạo của tỉnh",
        "Phòng Văn hoá - Xã hội",
        "Năm 2026",
    ),
];

/// The day the demo's plans are followed up to: the end of 2025 (a year closed), and
/// 30 November 2026 (a month before the year ends: some tasks still open).
pub fn plan_as_of(year: i32) -> crate::plan::Date {
    let end = if year < 2026 { (12, 31) } else { (11, 30) };
    crate::plan::Date::new(year, end.0, end.1).unwrap_or(crate::plan::Date {
        year,
        month: 12,
        day: 31,
    })
}

/// A commune's CCHC plan for `year` with seeded follow-up columns (done on time or late,
/// quality, the document that shows it), as of [`plan_as_of`].
pub fn plan(commune: &Commune, year: i32, seed: u64) -> anyhow::Result<String> {
    let mut rng =
        Pcg64::seed_from_u64(seed ^ fnv(commune.name) ^ (year as u64).wrapping_mul(0x51ed));
    let as_of = plan_as_of(year);
    let quality = commune.quality + commune.trend * f64::from(year - 2025);
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record([
        "STT",
        "Nội dung nhiệm vụ",
        "Cơ quan chủ trì",
        "Cơ quan phối hợp",
        "Thời gian hoàn thành",
        "Ngày hoàn thành",
        "Chất lượng",
        "Minh chứng",
        "Ghi chú",
    ])?;
    let this = |t: &str| {
        t.replace("2026", &year.to_string())
            .replace("2025", &(year - 1).to_string())
            .replace("2030", &(year + 4).to_string())
            .replace("Xuân Dương", commune.name)
    };
    for (k, (content, lead, deadline)) in PLAN_TASKS.iter().enumerate() {
        let due = crate::plan::deadline::parse(&this(deadline))
            .map(|d| d.date)
            .ok_or_else(|| anyhow::anyhow!("demo plan deadline {deadline}"))?;
        let partners = if k < 5 {
            "Văn phòng HĐND-UBND; các phòng, ban, cơ quan, đơn vị liên quan"
        } else {
            "Các phòng, ban, đơn vị liên quan"
        };
        // Done by the follow-up day: early, on time or late; open ones are left blank.
        let roll: f64 = rng.random();
        let start = crate::plan::Date::new(year, 1, 5).map_or(0, |d| d.days());
        let completed = if due <= as_of {
            if roll < quality + 0.2 {
                let on_time = rng.random::<f64>() < quality + 0.1;
                let day = if on_time {
                    due.days() - rng.random_range(0..40)
                } else {
                    due.days() + rng.random_range(3..45)
                };
                Some(crate::plan::Date::from_days(day.clamp(start, as_of.days())))
            } else {
                None
            }
        } else if roll < 0.3 {
            Some(crate::plan::Date::from_days(
                (as_of.days() - rng.random_range(1..60)).max(start),
            ))
        } else {
            None
        };
        let (done, judged, evidence) = match completed {
            Some(d) => (
                d.to_string(),
                if rng.random::<f64>() < quality + 0.2 {
                    "dat"
                } else {
                    "khong_dat"
                },
                format!("{}/KH-UBND", 10 + 7 * k + rng.random_range(0..5)),
            ),
            None => (String::new(), "", String::new()),
        };
        w.write_record([
            &(k + 1).to_string(),
            &this(content),
            *lead,
            partners,
            &this(deadline),
            &done,
            judged,
            &evidence,
            "",
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// The procedures every demo commune applies: (id, name, online level, fee, paper result,
/// working days).
const PROCEDURES: [(&str, &str, &str, bool, bool, u32); 10] = [
    (
        "1.001",
        "Chứng thực bản sao từ bản chính",
        "mot_phan",
        true,
        true,
        1,
    ),
    ("1.002", "Chứng thực chữ ký", "mot_phan", true, true, 1),
    ("1.003", "Đăng ký khai sinh", "toan_trinh", false, true, 1),
    ("1.004", "Đăng ký kết hôn", "mot_phan", false, true, 3),
    ("1.005", "Đăng ký khai tử", "toan_trinh", false, true, 1),
    (
        "1.006",
        "Xác nhận tình trạng hôn nhân",
        "toan_trinh",
        false,
        false,
        3,
    ),
    ("1.007", "Đăng ký thường trú", "toan_trinh", false, false, 7),
    (
        "1.008",
        "Giải quyết trợ cấp xã hội hằng tháng",
        "",
        false,
        true,
        15,
    ),
    ("1.009", "Đăng ký hộ kinh doanh", "mot_phan", true, true, 3),
    ("1.010", "Hòa giải tranh chấp đất đai", "", false, true, 30),
];

/// The demo's years of records: (year, the day the export was taken (month, day), seed,
/// files per commune). The last year is exported on 30/11, as the plans are judged.
pub const RECORDS: [(i32, (u32, u32), u64, usize); 2] =
    [(2025, (12, 31), 12, 2000), (2026, (11, 30), 13, 4000)];

/// The day a demo year's records were exported.
pub fn records_as_of(year: i32) -> Option<crate::plan::Date> {
    let (_, (m, d), _, _) = RECORDS.iter().find(|r| r.0 == year)?;
    crate::plan::Date::new(year, *m, *d)
}

/// The catalogue every demo commune applies (blank `unit_id`: every unit).
pub fn records_catalogue() -> String {
    let mut out = String::from(
        "procedure_id,unit_id,name,online_level,eligible_full_online,has_fee,paper_result_required,max_days\n",
    );
    for (id, name, level, fee, paper, days) in PROCEDURES {
        let eligible = u8::from(!level.is_empty());
        let _ = writeln!(
            out,
            "{id},,{name},{level},{eligible},{},{},{days}",
            u8::from(fee),
            u8::from(paper)
        );
    }
    out
}

/// A seeded year of procedure files and complaints for the demo communes, up to the year's
/// export day ([`RECORDS`]): late, supplemented and open files in proportions that follow each
/// commune's quality that year. Returns (files CSV, complaints CSV).
pub fn records(year: i32, seed: u64, per_commune: usize) -> anyhow::Result<(String, String)> {
    use crate::plan::Date;
    let method = crate::qd766::load("qd766")?;
    let mut rng = Pcg64::seed_from_u64(seed);
    let as_of = records_as_of(year)
        .ok_or_else(|| anyhow::anyhow!("the demo has no records for {year}"))?
        .days();
    let first = Date::new(year, 1, 2)
        .ok_or_else(|| anyhow::anyhow!("the demo's year"))?
        .days();
    let fmt = |day: i64, minute: i64| {
        let d = Date::from_days(day);
        format!("{d} {:02}:{:02}", minute / 60, minute % 60)
    };
    let mut files = String::from(
        "record_id,unit_id,procedure_id,channel,received_at,due_at,finished_at,status,supplement_requests,supplement_days,e_result,digitised,reused_data,from_data_store,citizen_data,paid_online,has_fee,disliked\n",
    );
    let mut feedback =
        String::from("feedback_id,unit_id,received_at,due_at,handled_at,disliked,recomplained\n");
    for (k, c) in COMMUNES.iter().enumerate() {
        let q = (c.quality + c.trend * f64::from(year - 2025)).clamp(0.3, 0.95);
        for i in 0..per_commune {
            // A working day of the year, in office hours.
            let mut day = rng.random_range(first..=as_of);
            while !method.working(day) {
                day -= 1;
            }
            let at = rng.random_range(7 * 60 + 30..16 * 60 + 30);
            let (pid, _, level, fee, paper, days) =
                PROCEDURES[rng.random_range(0..PROCEDURES.len())];
            let online = !level.is_empty() && rng.random::<f64>() < q - 0.15;
            let channel = if online {
                2
            } else if rng.random::<f64>() < 0.03 {
                3
            } else {
                1
            };
            let due_day = method.add_working_days(day, days);
            let supplements = match rng.random::<f64>() {
                x if x < 0.02 => 2,
                x if x < 0.10 => 1,
                _ => 0,
            };
            let supplement_days = if supplements > 0 {
                rng.random_range(1..6)
            } else {
                0
            };
            // Done on time (often early), late, or still open near the end.
            let late = rng.random::<f64>() > q + 0.12;
            let finish_day = if late {
                due_day + supplement_days + rng.random_range(1..12)
            } else {
                (due_day - rng.random_range(0..=i64::from(days.min(5)))).max(day)
            };
            let (finished, status) = if finish_day > as_of {
                (String::new(), 4)
            } else {
                // The same day as received: later that day.
                let from = if finish_day == day { at + 20 } else { 8 * 60 };
                (
                    fmt(finish_day, rng.random_range(from..from.max(17 * 60) + 30)),
                    10,
                )
            };
            let e_result = paper && rng.random::<f64>() < q;
            let flag = |p: f64, rng: &mut Pcg64| u8::from(rng.random::<f64>() < p);
            let paid = if fee && online && rng.random::<f64>() < q {
                rng.random_range(1..=2)
            } else {
                0
            };
            let _ = writeln!(
                files,
                "HS{k}{i:05},{},{pid},{channel},{},{},{finished},{status},{supplements},{supplement_days},{},{},{},{},{},{paid},{},{}",
                c.name,
                fmt(day, at),
                fmt(due_day, 17 * 60),
                u8::from(e_result),
                flag(q, &mut rng),
                flag(q - 0.2, &mut rng),
                flag(q - 0.4, &mut rng),
                flag(q - 0.1, &mut rng),
                u8::from(fee),
                flag(0.02 + (1.0 - q) / 20.0, &mut rng),
            );
        }
        for i in 0..per_commune / 100 {
            let day = rng.random_range(first..=as_of);
            let due = method.add_working_days(day, 15);
            let handled = day + rng.random_range(1..30);
            let handled = if handled > as_of {
                String::new()
            } else {
                fmt(handled, 10 * 60)
            };
            let _ = writeln!(
                feedback,
                "PA{k}{i:03},{},{},{},{handled},{},{}",
                c.name,
                fmt(day, 9 * 60),
                fmt(due, 17 * 60),
                u8::from(rng.random::<f64>() > q + 0.15),
                u8::from(rng.random::<f64>() < 0.05),
            );
        }
    }
    Ok((files, feedback))
}

/// The file name of a commune's plan sample: `plan-2026-xuan-duong.csv`.
pub fn plan_file(commune: &Commune, year: i32) -> String {
    let slug: String = crate::ingest::validate::fold(commune.name)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-");
    format!("plan-{year}-{slug}.csv")
}

/// The demo's sample files, written to `dir`: (survey or "assessment", year, path).
pub fn write_samples(dir: &Path) -> anyhow::Result<Vec<(String, i32, PathBuf)>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let method = crate::par::load("par-commune")?;
    let mut files = Vec::new();
    for year in YEARS {
        for (survey, per_unit, seed) in SURVEYS {
            let inst = crate::instrument::load(survey)?;
            let path = dir.join(format!("{survey}-{year}.csv"));
            crate::files::replace(
                &path,
                dir,
                survey_batch(&inst, year, per_unit, seed).as_bytes(),
            )
            .with_context(|| format!("cannot write {}", path.display()))?;
            files.push((survey.to_string(), year, path));
        }
        let path = dir.join(format!("assessment-{year}.csv"));
        crate::files::replace(&path, dir, assessment(&method, year, 7).as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        files.push(("assessment".to_string(), year, path));
        for c in &COMMUNES {
            let path = dir.join(plan_file(c, year));
            crate::files::replace(&path, dir, plan(c, year, 11)?.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            files.push((format!("plan:{}", c.name), year, path));
        }
    }
    // Each year of records (QĐ 766): the catalogue, the procedure files, the complaints.
    for (year, _, seed, per_commune) in RECORDS {
        let (hoso, pakn) = records(year, seed, per_commune)?;
        for (layout, text) in [
            ("tthc-catalogue", records_catalogue()),
            ("hoso-tthc", hoso),
            ("pakn", pakn),
        ] {
            let path = dir.join(format!("{layout}-{year}.csv"));
            crate::files::replace(&path, dir, text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            files.push((format!("records:{layout}"), year, path));
        }
    }
    Ok(files)
}

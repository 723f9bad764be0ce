//! `chiso qd766`: the QĐ 766 index of every unit and ALL, per period, from the stored records.

use std::process::ExitCode;

use crate::cli::{LevelArg, PeriodArg, Qd766Args};
use crate::msg;
use crate::qd766::{self, Split, UnitLevel};
use crate::store::Store;

pub fn run(args: Qd766Args, lang: crate::lang::Lang) -> anyhow::Result<ExitCode> {
    let method = qd766::load(&args.method)?;
    let store = Store::open(&args.store.store)?;
    let manifest = store.manifest()?;
    if !qd766::ingest::has_files(&manifest, args.year) {
        anyhow::bail!(crate::error::UsageError(msg!(
            "qd766.no_files",
            year = args.year
        )));
    }
    let records = qd766::ingest::records(&store, &manifest, args.year)?;
    let split = match args.period {
        PeriodArg::Year => Split::Year,
        PeriodArg::Quarter => Split::Quarter,
        PeriodArg::Month => Split::Month,
    };
    let level = match args.level {
        LevelArg::Commune => UnitLevel::Commune,
        LevelArg::Province => UnitLevel::Province,
    };
    let periods = qd766::periods(args.year, split);
    let (items, totals) = qd766::compute(&method, &records, level, &periods);
    let outputs = crate::files::Outputs::begin(&args.out)?;
    crate::render::qd766::write_all(outputs.dir(), args.year, &method, &items, &totals, lang)?;
    outputs.commit()?;
    let year = args.year.to_string();
    let mut ranked: Vec<_> = totals.iter().filter(|t| t.period == year).collect();
    ranked.sort_by_key(|t| (t.unit_id != qd766::ALL, t.rank.is_none(), t.rank));
    say!(
        "{}",
        msg!(
            "qd766.header",
            year = args.year,
            files = records.files.len()
        )
    );
    for t in ranked {
        let rank = t.rank.map_or_else(|| "—".to_string(), |r| r.to_string());
        let index = t
            .index_pct
            .map_or_else(|| "—".to_string(), |i| crate::lang::number(i, 2, lang));
        let band = t
            .band
            .as_deref()
            .and_then(|b| method.bands.iter().find(|x| x.code == b))
            .map_or(String::new(), |b| lang.pick(&b.vi, &b.en).clone());
        say!(
            "  {rank:>3}  {:<24} {index:>7}  ({}/{})  {band}",
            t.unit_id,
            crate::lang::number(t.points, 2, lang),
            crate::lang::number(t.max_points, 0, lang)
        );
    }
    say!(
        "{}",
        msg!(
            "qd766.wrote",
            path = args.out.join("qd766_totals.csv").display()
        )
    );
    Ok(ExitCode::SUCCESS)
}

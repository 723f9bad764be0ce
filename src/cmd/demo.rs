//! `chiso demo`: the whole tool on seeded sample data, in one command.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;

use crate::cli::{
    CompareArgs, DemoArgs, IngestArgs, LangArg, ParArgs, ParMethodArg, ReadArgs, ReportArgs,
    ScoreArgs, StoreArg, SurveyYear,
};
use crate::demo::{self, SURVEYS, YEARS};

/// Runs a step and fails the demo if it did not succeed.
fn step(name: &str, r: anyhow::Result<ExitCode>) -> anyhow::Result<()> {
    let code = r.with_context(|| format!("demo step `{name}`"))?;
    if code != ExitCode::SUCCESS {
        anyhow::bail!("demo step `{name}` did not succeed");
    }
    Ok(())
}

pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let out = args.out;
    let store_dir = out.join("store");
    // A fresh store each run: remove the previous demo's, only if it is a chiso store that
    // holds nothing but the demo's own sample batches.
    if store_dir.join("manifest.json").is_file() {
        let samples = out.join("batches").display().to_string();
        let manifest = crate::store::Manifest::read(&store_dir)?;
        if let Some(b) = manifest
            .batches
            .iter()
            .find(|b| !b.source.starts_with(&samples))
        {
            return Err(super::UsageError(format!(
                "{} holds batches that are not the demo's (e.g. {}), so the demo will not replace it\n  hint: choose another --out for the demo",
                store_dir.display(),
                b.source
            ))
            .into());
        }
        std::fs::remove_dir_all(&store_dir)
            .with_context(|| format!("cannot remove the old demo store {}", store_dir.display()))?;
    } else if store_dir.exists() {
        return Err(super::UsageError(format!(
            "{} exists and is not a chiso store\n  hint: choose another --out, or move it away",
            store_dir.display()
        ))
        .into());
    }
    let files = demo::write_samples(&out.join("batches"))?;
    say!(
        "wrote {} sample files for {} communes and {} years to {}",
        files.len(),
        demo::COMMUNES.len(),
        YEARS.len(),
        out.join("batches").display()
    );
    let store = || StoreArg {
        store: store_dir.clone(),
    };
    for (survey, year, path) in files.iter().filter(|(s, _, _)| s != "assessment") {
        step(
            "ingest",
            super::ingest::run(IngestArgs {
                store: store(),
                survey: SurveyYear {
                    survey: survey.clone(),
                    year: *year,
                },
                keep_pii: false,
                read: ReadArgs {
                    sheet: None,
                    encoding: None,
                    show: 10,
                },
                files: vec![path.clone()],
            }),
        )?;
    }
    let last = YEARS[YEARS.len() - 1];
    let first = YEARS[0];
    for (survey, _, _) in SURVEYS {
        step(
            "score",
            super::score::run(ScoreArgs {
                store: store(),
                survey: SurveyYear {
                    survey: survey.to_string(),
                    year: last,
                },
                method: None,
                out: out.join("scores").join(survey),
                lang: LangArg::vi(),
            }),
        )?;
        step(
            "compare",
            super::compare::run(CompareArgs {
                store: store(),
                survey: Some(survey.to_string()),
                from: Some(first),
                to: Some(last),
                years: Vec::new(),
                par: false,
                assessment_from: None,
                assessment_to: None,
                par_method: ParMethodArg::default(),
                out: out.join("compare").join(survey),
                lang: LangArg::vi(),
            }),
        )?;
    }
    let assessment = |y: i32| out.join("batches").join(format!("assessment-{y}.csv"));
    for y in YEARS {
        step(
            "par",
            super::par::run(ParArgs {
                store: store(),
                year: y,
                assessment: assessment(y),
                par_method: ParMethodArg::default(),
                out: out.join("par").join(y.to_string()),
                lang: LangArg::vi(),
            }),
        )?;
    }
    step(
        "compare --par",
        super::compare::run(CompareArgs {
            store: store(),
            survey: None,
            from: Some(first),
            to: Some(last),
            years: Vec::new(),
            par: true,
            assessment_from: Some(assessment(first)),
            assessment_to: Some(assessment(last)),
            par_method: ParMethodArg::default(),
            out: out.join("compare").join("par"),
            lang: LangArg::vi(),
        }),
    )?;
    let report = out.join("report");
    step(
        "report",
        super::report::run(ReportArgs {
            store: store(),
            year: last,
            compare: Some(first),
            assessment: Some(assessment(last)),
            compare_assessment: Some(assessment(first)),
            par_method: ParMethodArg::default(),
            out: report.clone(),
            lang: LangArg::vi(),
        }),
    )?;
    say!(
        "\ndemo finished in {:.1} s. The report: {}",
        started.elapsed().as_secs_f64(),
        report.join("report.html").display()
    );
    Ok(ExitCode::SUCCESS)
}

//! Command-line flags as plain data (clap derive). The `///` comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::lang::Lang;

/// chiso (chỉ số): satisfaction indices and the CCHC (PAR) index from citizen surveys.
#[derive(Debug, Parser)]
#[command(name = "chiso", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Language of messages, headers, labels, charts and the report.
    #[arg(long, global = true, value_enum, env = "CHISO_LANG", default_value_t = Lang::Vi)]
    pub lang: Lang,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole tool on seeded sample data: ingest, score, par, compare and the report.
    Demo(DemoArgs),
    /// Check survey batches against a questionnaire and keep the accepted answers in the store.
    Ingest(IngestArgs),
    /// Run the same checks as `ingest` and store nothing.
    Validate(ValidateArgs),
    /// Satisfaction indices per item, element and overall, with standard errors and intervals.
    Score(ScoreArgs),
    /// The CCHC (PAR) index: criterion points, totals with intervals, bands, ranks.
    Par(ParArgs),
    /// Year over year: each change with its standard error, test and verdict; trends.
    Compare(CompareArgs),
    /// Every table and chart of a year in one directory, and a self-contained report.html.
    Report(ReportArgs),
    /// A workbook to type paper forms into: the headers ingest reads, drop-downs of the codes.
    Template(TemplateArgs),
    /// List the batches in a store.
    Batches(BatchesArgs),
    /// List the questionnaires chiso knows; with an id, show one (or write it out to edit).
    Surveys(SurveysArgs),
    /// How many forms each unit needs: Slovin's n, simple random sampling's, and with last
    /// year's design effect.
    SampleSize(SampleSizeArgs),
    /// The annual CCHC plan: each task's status on a date, the agencies scored and ranked.
    Tasks(TasksArgs),
    /// The QĐ 766 service-quality index from the procedure records in the store.
    Qd766(Qd766Args),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PeriodArg {
    Year,
    Quarter,
    Month,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LevelArg {
    Commune,
    Province,
}

#[derive(Debug, Args)]
pub struct Qd766Args {
    #[command(flatten)]
    pub store: StoreArg,
    /// The year: its records (chiso ingest --survey hoso-tthc, pakn, tthc-catalogue).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1990..=2100))]
    pub year: i32,
    /// Besides the year (from 1 January): each month or quarter on its own.
    #[arg(long, value_enum, default_value = "month")]
    pub period: PeriodArg,
    /// The level the units are scored at: items that apply only at another level are left out.
    #[arg(long, value_enum, default_value = "commune")]
    pub level: LevelArg,
    /// The index's methodology: a name in scoring/ or a path to a .toml file.
    #[arg(long, value_name = "FILE", default_value = "qd766")]
    pub method: String,
    /// Where to write qd766_items.csv, qd766_totals.csv and qd766.xlsx.
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct TasksArgs {
    /// The plan's task list (CSV or .xlsx): task_id, content, lead, partners, deadline,
    /// completed_on, quality, evidence, note (Vietnamese headers also read).
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// The day of the assessment: dd/mm/yyyy or yyyy-mm-dd [default: today].
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Plan methodology: a name in scoring/ or a path to a .toml file.
    #[arg(long, value_name = "FILE", default_value = "plan-commune")]
    pub method: String,
    /// Where to write tasks_status.csv, tasks_agencies.csv and tasks.xlsx.
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct SampleSizeArgs {
    #[command(flatten)]
    pub survey: SurveyYear,
    /// Populations: a CSV with unit_id and population, one row per unit.
    #[arg(long, value_name = "FILE")]
    pub frame: PathBuf,
    /// Margin of error wanted, in percentage points (5 = ±5 points).
    #[arg(long, default_value_t = 5.0, value_name = "POINTS")]
    pub margin: f64,
    /// Confidence level of the margin.
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,
    /// Expected share satisfied in percent, where last year's is not used (50 is the most
    /// cautious).
    #[arg(long, default_value_t = 50.0, value_name = "PERCENT")]
    pub expected: f64,
    /// A store holding last year's answers: each unit's share satisfied and design effect
    /// are taken from them.
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Where to write sample_size.csv and sample_size.xlsx.
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Questionnaire: an id from `chiso surveys`, or a path to a questionnaire .toml file.
    #[arg(long, required_unless_present = "par", conflicts_with = "par")]
    pub survey: Option<String>,
    /// The CCHC assessment file instead: one row per unit and criterion (needs --units).
    #[arg(long, requires = "units")]
    pub par: bool,
    /// PAR methodology (with --par): a name in scoring/ or a path to a .toml file.
    #[arg(long, value_name = "FILE", default_value = "par-commune")]
    pub method: String,
    /// The units (communes, hospitals, schools), one per line: `unit_id`'s drop-down.
    #[arg(long, value_name = "FILE")]
    pub units: Option<PathBuf>,
    /// The workbook to write (.xlsx); an existing file is never overwritten.
    #[arg(long, value_name = "FILE.xlsx")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct SurveysArgs {
    /// A questionnaire to show: an id from the list, or a path to a .toml file.
    #[arg(value_name = "ID")]
    pub survey: Option<String>,
    /// Print as JSON (for programs).
    #[arg(long)]
    pub json: bool,
    /// Write the questionnaire's definition to FILE.toml, to copy and edit (with ID).
    #[arg(long, value_name = "FILE", requires = "survey")]
    pub export: Option<PathBuf>,
}

/// Where the store lives.
#[derive(Debug, Args)]
pub struct StoreArg {
    /// Store directory [default: $CHISO_STORE, else ./chiso-data].
    #[arg(
        long,
        env = "CHISO_STORE",
        default_value = "chiso-data",
        hide_env_values = true
    )]
    pub store: PathBuf,
}

/// Which questionnaire and year a command works on.
#[derive(Debug, Args)]
pub struct SurveyYear {
    /// Questionnaire: an id from `chiso surveys`, or a path to a questionnaire .toml file.
    #[arg(long)]
    pub survey: String,
    /// Survey year.
    #[arg(long, value_parser = clap::value_parser!(i32).range(1990..=2100))]
    pub year: i32,
}

/// How batch files are read.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Sheet to read from a workbook (default: the first sheet).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Encoding of text files that are neither UTF-8 nor UTF-16, e.g. windows-1258.
    #[arg(long, value_name = "LABEL")]
    pub encoding: Option<String>,
    /// Problems to print per file (all of them go to the quarantine file).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub show: usize,
    /// What an answer off its scale costs: the form (quarantine-row) or only that answer
    /// (blank-answer) [default: the questionnaire's `bad_answer`, else quarantine-row].
    #[arg(long, value_enum, value_name = "POLICY")]
    pub bad_answer: Option<crate::instrument::BadAnswer>,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub store: StoreArg,
    #[command(flatten)]
    pub survey: SurveyYear,
    /// Also store the columns the questionnaire marks as identifying people (pii).
    #[arg(long)]
    pub keep_pii: bool,
    /// Store the files as the corrected version of this batch (its id, or its first 6+
    /// characters): it is withdrawn in the same step, and its respondents are no conflict.
    #[arg(long, value_name = "BATCH")]
    pub replaces: Option<String>,
    /// Why the batch is replaced (kept in the manifest).
    #[arg(long, value_name = "TEXT", requires = "replaces")]
    pub reason: Option<String>,
    #[command(flatten)]
    pub read: ReadArgs,
    /// For record exports (hoso-tthc, pakn, tthc-catalogue): the day the export was taken
    /// (dd/mm/yyyy) [default: its newest date]. A later export's record replaces an earlier.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Batch files: CSV or tab-separated text (UTF-8, UTF-16), or .xlsx workbooks.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Questionnaire: an id from `chiso surveys`, or a path to a questionnaire .toml file.
    #[arg(long)]
    pub survey: String,
    /// Survey year: checks a `year` column, and with --store, ids already stored.
    #[arg(long, value_parser = clap::value_parser!(i32).range(1990..=2100))]
    pub year: Option<i32>,
    /// Also check respondent ids against this store (needs --year).
    #[arg(long, requires = "year")]
    pub store: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BatchesArgs {
    #[command(subcommand)]
    pub action: Option<BatchesAction>,
    #[command(flatten)]
    pub store: StoreArg,
    /// Print the manifest entries as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also list withdrawn and replaced batches, with when and why.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Subcommand)]
pub enum BatchesAction {
    /// Withdraw a batch: it no longer counts; its files and the reason stay.
    Retract {
        /// The batch: its id, or its first 6+ characters (`chiso batches`).
        #[arg(value_name = "BATCH")]
        id: String,
        /// Why (kept in the manifest, shown by `chiso batches --all`).
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    #[command(flatten)]
    pub store: StoreArg,
    #[command(flatten)]
    pub survey: SurveyYear,
    /// Scoring methodology: a name in scoring/ or a path to a .toml file [default: the questionnaire's].
    #[arg(long, value_name = "FILE")]
    pub method: Option<String>,
    /// Post-stratify the weights to a population frame: a CSV of one or more grouping columns
    /// (unit_id, a questionnaire column) and `population`.
    #[arg(long, value_name = "FILE", conflicts_with = "rake")]
    pub poststratify: Option<PathBuf>,
    /// Rake the weights to population margins: one CSV per margin (grouping columns and
    /// `population`); give --rake once per margin.
    #[arg(long, value_name = "FILE")]
    pub rake: Vec<PathBuf>,
    /// Where to write scores.csv, scores.xlsx, scores.json and weighting.json.
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
    /// Print the SQL that turns the stored answers into the per-PSU totals table (standard
    /// SQL over the store's Parquet files), and write nothing; see docs/scale.md.
    #[arg(long, conflicts_with_all = ["poststratify", "rake", "psu_totals"])]
    pub emit_sql: bool,
    /// With --emit-sql: read the answers from this table (the store registered in the engine,
    /// with survey and year columns) instead of the store's Parquet files.
    #[arg(long, value_name = "TABLE", requires = "emit_sql")]
    pub sql_table: Option<String>,
    /// Score from a per-PSU totals table (Parquet or CSV) that the --emit-sql query produced,
    /// without reading the respondents (design weights).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["poststratify", "rake"])]
    pub psu_totals: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ParArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Year of the assessment and of the survey figures.
    #[arg(long, value_parser = clap::value_parser!(i32).range(1990..=2100))]
    pub year: i32,
    /// The year's assessment: unit_id,criterion,self_score,appraised_score,note (CSV or .xlsx).
    #[arg(long, value_name = "FILE")]
    pub assessment: PathBuf,
    /// A unit's annual CCHC plan, for criteria taken from plans: "Xuân Dương=plan.csv"
    /// (once per unit).
    #[arg(long, value_name = "UNIT=FILE", value_parser = unit_file)]
    pub plan: Vec<(String, PathBuf)>,
    /// The day plans are judged on: dd/mm/yyyy [default: the year's last day, or today if
    /// earlier].
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub par_method: ParMethodArg,
    /// Where to write par_points.csv, par_totals.csv and par.xlsx.
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Questionnaire (an id or a .toml file); for each year, the version in force that year
    /// (following `[continues]`) is used.
    #[arg(long, required_unless_present = "par", conflicts_with = "par")]
    pub survey: Option<String>,
    /// The earlier year.
    #[arg(long, requires = "to", value_parser = clap::value_parser!(i32).range(1990..=2100))]
    pub from: Option<i32>,
    /// The later year.
    #[arg(long, requires = "from", value_parser = clap::value_parser!(i32).range(1990..=2100))]
    pub to: Option<i32>,
    /// Several years, e.g. 2024,2025,2026: a trend table with the change from each year before.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["from", "to", "par"], value_parser = clap::value_parser!(i32).range(1990..=2100))]
    pub years: Vec<i32>,
    /// Compare the CCHC (PAR) index instead of a survey (needs both assessment files).
    #[arg(long, requires_all = ["assessment_from", "assessment_to", "from"])]
    pub par: bool,
    /// The earlier year's assessment file (with --par).
    #[arg(long, value_name = "FILE", requires = "par")]
    pub assessment_from: Option<PathBuf>,
    /// The later year's assessment file (with --par).
    #[arg(long, value_name = "FILE", requires = "par")]
    pub assessment_to: Option<PathBuf>,
    /// A unit's plan of the earlier year (with --par): "Xuân Dương=plan-2025.csv".
    #[arg(long, value_name = "UNIT=FILE", value_parser = unit_file, requires = "par")]
    pub plan_from: Vec<(String, PathBuf)>,
    /// A unit's plan of the later year (with --par).
    #[arg(long, value_name = "UNIT=FILE", value_parser = unit_file, requires = "par")]
    pub plan_to: Vec<(String, PathBuf)>,
    #[command(flatten)]
    pub par_method: ParMethodArg,
    /// Where to write compare.csv (or trend.csv, compare_par.csv), the exclusions and compare.xlsx.
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the sample batches, the store, the tables and the report.
    #[arg(long, default_value = "output/demo", value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The year of the report: every survey stored for it is included.
    #[arg(long, value_parser = clap::value_parser!(i32).range(1990..=2100))]
    pub year: i32,
    /// Another year to compare with (changes, dumbbell charts).
    #[arg(long, value_name = "YYYY", value_parser = clap::value_parser!(i32).range(1990..=2100))]
    pub compare: Option<i32>,
    /// The year's CCHC assessment file: adds the CCHC index section.
    #[arg(long, value_name = "FILE")]
    pub assessment: Option<PathBuf>,
    /// Who the report is for, on its cover and running head, e.g. "UBND xã Côn Minh".
    #[arg(long, value_name = "NAME")]
    pub place: Option<String>,
    /// The compared year's assessment file: adds the CCHC changes (with --compare).
    #[arg(long, value_name = "FILE", requires_all = ["compare", "assessment"])]
    pub compare_assessment: Option<PathBuf>,
    /// A unit's annual CCHC plan: "Xuân Dương=plan-2026.csv" (once per unit). Adds a section
    /// on the plan's tasks and agencies, and scores the CCHC criteria taken from plans.
    #[arg(long, value_name = "UNIT=FILE", value_parser = unit_file)]
    pub plan: Vec<(String, PathBuf)>,
    /// A unit's plan of the compared year (for the CCHC changes).
    #[arg(long, value_name = "UNIT=FILE", value_parser = unit_file, requires = "compare")]
    pub compare_plan: Vec<(String, PathBuf)>,
    /// The day plans are judged on: dd/mm/yyyy [default: the year's last day, or today if
    /// earlier].
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub par_method: ParMethodArg,
    /// Where to write report.html, charts/ and tables/.
    #[arg(long, default_value = "output/report", value_name = "DIR")]
    pub out: PathBuf,
}

/// The PAR (CCHC) methodology and the seed of its rank simulation.
#[derive(Debug, Clone, Args)]
pub struct ParMethodArg {
    /// PAR methodology: a name in scoring/ or a path to a .toml file.
    #[arg(long, value_name = "FILE", default_value = "par-commune")]
    pub method: String,
    /// Seed of the rank simulation [default: the methodology's].
    #[arg(long)]
    pub seed: Option<u64>,
}

impl Default for ParMethodArg {
    fn default() -> Self {
        ParMethodArg {
            method: "par-commune".into(),
            seed: None,
        }
    }
}

/// `UNIT=FILE`: a unit and its file.
fn unit_file(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((unit, file)) if !unit.trim().is_empty() && !file.trim().is_empty() => {
            Ok((unit.trim().to_string(), PathBuf::from(file.trim())))
        }
        _ => Err(crate::msg!("cmd.unit_file", value = s)),
    }
}

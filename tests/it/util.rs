//! A small harness: run the real `chiso` binary in a temporary directory and look at the store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const CLEAN: &str = include_str!("../fixtures/outpatient-clean.csv");

/// A temporary working directory with a store in it.
pub struct Dir {
    pub tmp: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Panics with the whole output unless every fragment appears in stdout or stderr.
    pub fn says(&self, fragments: &[&str]) -> &Self {
        let all = format!("{}\n{}", self.stdout, self.stderr);
        for f in fragments {
            assert!(all.contains(f), "expected {f:?} in the output:\n{all}");
        }
        self
    }
}

/// A path in the repository, as a string for command lines.
pub fn root(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

/// A CSV's field names to values, one map per row.
pub type Row = BTreeMap<String, String>;

/// The rows of a CSV text with a header, as [`Row`]s.
pub fn csv_rows(text: &str) -> Vec<Row> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().expect("a header").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("a record");
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

pub fn chiso() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chiso"))
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    pub fn store(&self) -> PathBuf {
        self.path().join("store")
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, bytes).expect("write a fixture");
        p
    }

    /// `chiso ARGS` to run in this directory, with no store from the environment and its
    /// messages in English (`CHISO_LANG=en`), which the tests' assertions quote; the
    /// Vietnamese default is checked by the tests that run [`Dir::command_vi`].
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = chiso();
        cmd.args(args)
            .current_dir(self.path())
            .env_remove("CHISO_STORE")
            .env("CHISO_LANG", "en");
        cmd
    }

    /// `chiso ARGS` as an analyst runs it: no language chosen, so Vietnamese.
    pub fn command_vi(&self, args: &[&str]) -> Command {
        let mut cmd = self.command(args);
        cmd.env_remove("CHISO_LANG");
        cmd
    }

    /// [`Dir::run`] in Vietnamese, the default.
    pub fn run_vi(&self, args: &[&str]) -> Run {
        Run::from(self.command_vi(args).output().expect("run chiso"))
    }

    /// `chiso ARGS`, run in this directory.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("run chiso"))
    }

    /// `chiso ingest --store store --survey SURVEY --year YEAR FILE`, which must store it.
    pub fn ingest_ok(&self, survey: &str, year: &str, file: &Path) {
        let store = self.store().display().to_string();
        let file = file.display().to_string();
        let r = self.run(&[
            "ingest", "--store", &store, "--survey", survey, "--year", year, &file,
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }

    /// `chiso ingest --store store --survey health-outpatient --year 2026 [EXTRA] FILE`.
    pub fn ingest(&self, file: &str, extra: &[&str]) -> Run {
        self.run(&ingest_args(file, extra))
    }

    /// Every file under the store with its bytes: equal snapshots mean a byte-identical store.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let root = self.store();
        let mut stack = vec![root.clone()];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(&root).unwrap_or(&p).display().to_string();
                    out.insert(rel, std::fs::read(&p).unwrap_or_default());
                }
            }
        }
        out
    }

    pub fn manifest(&self) -> chiso::store::Manifest {
        chiso::store::Manifest::read(&self.store()).expect("a readable manifest")
    }

    /// All stored rows of health-outpatient 2026, read through the manifest as any reader would.
    pub fn stored_rows(&self) -> polars::prelude::DataFrame {
        let m = self.manifest();
        let mut frames = m.batches_of("health-outpatient", 2026).map(|b| {
            chiso::store::read_parquet(&self.store().join(&b.data_file), None)
                .expect("a readable batch")
        });
        let mut df = frames.next().expect("at least one batch");
        for f in frames {
            df.vstack_mut(&f).expect("same schema");
        }
        df
    }

    /// Stored respondent ids, sorted.
    pub fn stored_ids(&self) -> Vec<String> {
        let df = self.stored_rows();
        let mut ids: Vec<String> = df
            .column("respondent_id")
            .and_then(|c| c.str().cloned())
            .expect("respondent_id")
            .iter()
            .flatten()
            .map(str::to_string)
            .collect();
        ids.sort();
        ids
    }
}

/// The arguments of `chiso ingest` into `./store` for health-outpatient 2026.
pub fn ingest_args<'a>(file: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "ingest",
        "--store",
        "store",
        "--survey",
        "health-outpatient",
        "--year",
        "2026",
    ];
    args.extend_from_slice(extra);
    args.push(file);
    args
}

/// The respondent ids of the clean fixture, sorted.
pub fn clean_ids() -> Vec<String> {
    let mut ids: Vec<String> = CLEAN
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or_default().to_string())
        .collect();
    ids.sort();
    ids
}

/// The clean fixture with field `column` (by header) of data line `line` (file line, header = 1)
/// replaced by `value`.
pub fn with_field(line: usize, column: &str, value: &str) -> String {
    with_field_in(CLEAN, line, column, value)
}

/// `text` with field `column` of file line `line` replaced by `value`.
pub fn with_field_in(text: &str, line: usize, column: &str, value: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let idx = lines[0]
        .split(',')
        .position(|h| h == column)
        .expect("a known column");
    let mut fields: Vec<String> = lines[line - 1].split(',').map(str::to_string).collect();
    fields[idx] = value.to_string();
    lines[line - 1] = fields.join(",");
    lines.join("\n") + "\n"
}

/// The respondent id on a file line of the clean fixture.
pub fn id_on_line(line: usize) -> String {
    CLEAN
        .lines()
        .nth(line - 1)
        .and_then(|l| l.split(',').next())
        .unwrap_or_default()
        .to_string()
}

/// A batch of `n` forms cycling through the clean fixture's answers, ids `PREFIX-000001`…
pub fn big_batch(prefix: &str, n: usize) -> String {
    let mut lines = CLEAN.lines();
    let header = lines.next().unwrap_or_default();
    let rows: Vec<&str> = lines
        .map(|l| l.split_once(',').map(|x| x.1).unwrap_or_default())
        .collect();
    let mut out = String::with_capacity(n * 120);
    out.push_str(header);
    out.push('\n');
    for i in 0..n {
        out.push_str(&format!("{prefix}-{:06},{}\n", i + 1, rows[i % rows.len()]));
    }
    out
}

/// Whether python3 with every module named is installed. Outside CI a test may skip without
/// them (it says so); in CI they are required (`.ci/run` installs them), so this fails.
pub fn python_with(modules: &[&str]) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {}", modules.join(", "))])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 with {modules:?} is required in CI (.ci/run installs them)"
        );
        eprintln!("SKIPPED: python3 with {modules:?} is not installed");
    }
    ok
}

/// Runs a Python script with arguments, which must succeed; its standard output.
pub fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `FLAG "UNIT=FILE"` for every demo commune's shipped plan of `year`.
pub fn sample_plans(flag: &str, year: i32) -> Vec<String> {
    chiso::demo::COMMUNES
        .iter()
        .flat_map(|c| {
            [
                flag.to_string(),
                format!(
                    "{}={}",
                    c.name,
                    root(&format!(
                        "surveys/samples/{}",
                        chiso::demo::plan_file(c, year)
                    ))
                ),
            ]
        })
        .collect()
}

/// Ingests the shipped sample records of `year` (catalogue first, then the procedure files
/// and complaints) into `d`'s store, as exported on the demo's day for that year.
pub fn ingest_sample_records(d: &Dir, year: i32) {
    let store = d.store().display().to_string();
    let day = chiso::demo::records_as_of(year)
        .expect("a demo year of records")
        .to_string();
    for layout in ["tthc-catalogue", "hoso-tthc", "pakn"] {
        let file = root(&format!("surveys/samples/{layout}-{year}.csv"));
        let y = year.to_string();
        let run = d.run(&[
            "ingest", "--store", &store, "--survey", layout, "--year", &y, "--as-of", &day, &file,
        ]);
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    }
}

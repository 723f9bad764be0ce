//! A bounded fuzz run over the readers and loaders: mutated CSV batches, workbooks (with cells
//! anywhere on the sheet), questionnaires, scoring and PAR methodologies and assessment files,
//! each fed to the library as `chiso` feeds it. No input may panic, abort or hang.
//!
//! Seeded and deterministic. CI runs `CHISO_FUZZ_ITERATIONS` inputs (default 5000); a longer
//! run: `CHISO_FUZZ_SECONDS=600 cargo test --release fuzz -- --nocapture`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use chiso::ingest::{CheckOptions, ReadOptions, check_file};
use chiso::instrument::Instrument;
use chiso::methodology::Method;
use chiso::par::ParMethod;
use chiso::store::IdSet;

use crate::util::{CLEAN, root};

/// xorshift64*: small, seeded, the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: &[&str] = &[
    "\"",
    ",",
    ";",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "0",
    "-1",
    "99999999999",
    "4.0",
    "4,5",
    "NaN",
    "inf",
    "1e308",
    "-0",
    "1e-320",
    "ư",
    "\u{0301}",
    "\u{feff}",
    "\u{0}",
    "=",
    "[",
    "]",
    "{",
    "}",
    "\"\"",
    "ALL",
    "../x",
    "[[elements]]\n",
    "weights = { A1 = 1 }\n",
    "children = []\n",
    "values = []\n",
    "codes = []\n",
    "id = \"../x\"\n",
    "satisfied_at = 0\n",
    "NA",
    "respondent_id",
    "unit_id",
    "weight",
    "psu",
    "stratum",
    "fpc",
    "year",
    "2026",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(b.len() + 1);
        match rng.below(7) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] = rng.next() as u8;
            }
            1 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                b.splice(at..at, t.iter().copied());
            }
            2 => {
                let end = (at + rng.below(64)).min(b.len());
                b.drain(at..end);
            }
            3 => {
                let end = (at + rng.below(256)).min(b.len());
                let piece = b[at..end].to_vec();
                let to = rng.below(b.len() + 1);
                b.splice(to..to, piece);
            }
            4 => b.truncate(at),
            5 => {
                let long = "x".repeat(1 + rng.below(6000));
                b.splice(at..at, long.bytes());
            }
            _ => {
                let n = rng.below(5);
                b.splice(at..at, std::iter::repeat_n(b',', n));
            }
        }
    }
    b
}

/// A workbook holding the text's lines as rows (fields split at commas), now and then with a
/// cell far out on the sheet, or its bytes mutated.
fn workbook(rng: &mut Rng, text: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(text);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    for (r, line) in text.lines().take(200).enumerate() {
        for (c, v) in line.split(',').take(300).enumerate() {
            let v: String = v.chars().take(2000).collect();
            let _ = match v.parse::<f64>() {
                Ok(x) if rng.below(2) == 0 => sheet.write(r as u32, c as u16, x).map(|_| ()),
                _ => sheet.write(r as u32, c as u16, v.as_str()).map(|_| ()),
            };
        }
    }
    if rng.below(4) == 0 {
        let row = rng.below(1_048_576) as u32;
        let col = rng.below(16_384) as u16;
        let _ = sheet.write(row, col, "x");
    }
    let bytes = wb.save_to_buffer().unwrap_or_default();
    if rng.below(5) == 0 {
        mutate(rng, &bytes)
    } else {
        bytes
    }
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn fuzz_readers_and_loaders_never_panic_abort_or_hang() {
    let iterations: u64 = std::env::var("CHISO_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let seconds: Option<u64> = std::env::var("CHISO_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok());
    let dir = tempfile::tempdir().expect("a temporary directory");
    let outpatient = chiso::instrument::load("health-outpatient").expect("shipped");
    let sipas = chiso::instrument::load("sipas").expect("shipped");
    let sipas_batch: String = read("surveys/samples/sipas-2026.csv")
        .lines()
        .take(25)
        .collect::<Vec<_>>()
        .join("\n");
    let assessment_seed: String = read("surveys/samples/assessment-2026.csv")
        .lines()
        .take(40)
        .collect::<Vec<_>>()
        .join("\n");
    let par_commune = chiso::par::load("par-commune").expect("shipped");
    let questionnaire = read("surveys/health-outpatient.toml");
    let methods = [
        read("scoring/health.toml"),
        read("scoring/sipas.toml"),
        read("scoring/education.toml"),
    ];
    let par_seed = read("scoring/par-commune.toml");
    let none = IdSet::default();

    let check = |path: &Path, inst: &Instrument| {
        let opts = CheckOptions {
            instrument: inst,
            year: Some(2026),
            read: ReadOptions::default(),
            keep_pii: false,
            progress: false,
            keep_ids: false,
            bad_answer: None,
        };
        let _ = check_file(path, &opts, &none, None);
    };

    let mut rng = Rng(0x00c0_ffee_5eed_2026);
    let started = Instant::now();
    let (mut runs, mut slowest) = (0u64, Duration::ZERO);
    let mut failures: Vec<String> = Vec::new();
    loop {
        let done = match seconds {
            Some(s) => started.elapsed() >= Duration::from_secs(s),
            None => runs >= iterations,
        };
        if done {
            break;
        }
        let target = runs % 6;
        let input: Vec<u8> = match target {
            0 => mutate(&mut rng, CLEAN.as_bytes()),
            1 => mutate(&mut rng, sipas_batch.as_bytes()),
            2 => {
                let text = mutate(&mut rng, CLEAN.as_bytes());
                workbook(&mut rng, &text)
            }
            3 => mutate(&mut rng, questionnaire.as_bytes()),
            4 => {
                let seed = &methods[rng.below(methods.len())];
                if rng.below(2) == 0 {
                    mutate(&mut rng, seed.as_bytes())
                } else {
                    mutate(&mut rng, par_seed.as_bytes())
                }
            }
            _ => mutate(&mut rng, assessment_seed.as_bytes()),
        };
        let file = dir.path().join(format!("input-{target}"));
        std::fs::write(&file, &input).expect("write an input");
        let t = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| match target {
            0 | 2 => check(&file, &outpatient),
            1 => check(&file, &sipas),
            3 => {
                let text = String::from_utf8_lossy(&input);
                let _ = Instrument::from_toml("q.toml", &text);
            }
            4 => {
                let text = String::from_utf8_lossy(&input);
                if let Ok(m) = Method::from_toml("m.toml", &text) {
                    let _ = m.check("m.toml", &outpatient);
                    let _ = m.check("m.toml", &sipas);
                }
                let _ = ParMethod::from_toml("p.toml", &text);
                let _ = chiso::methodology::load(&file.display().to_string());
            }
            _ => {
                let _ = chiso::par::assessment::read(&file, &par_commune);
            }
        }));
        slowest = slowest.max(t.elapsed());
        if outcome.is_err() {
            let shown: String = String::from_utf8_lossy(&input).chars().take(400).collect();
            failures.push(format!("target {target}, input {runs}: {shown:?}"));
        }
        runs += 1;
    }
    println!(
        "fuzz: {runs} inputs in {:.1} s, slowest {:.3} s, {} panics",
        started.elapsed().as_secs_f64(),
        slowest.as_secs_f64(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        slowest < Duration::from_secs(10),
        "an input took {slowest:?}"
    );
}

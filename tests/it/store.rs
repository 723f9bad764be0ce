//! The store under stress: a killed ingest, and ingests running at the same time.

use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::util::{CLEAN, Dir, big_batch, clean_ids};

fn spawn_ingest(d: &Dir, file: &str) -> Child {
    d.command(&crate::util::ingest_args(file, &[]))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn chiso")
}

/// Files under data/ and quarantine/ that the manifest does not name, and anything in tmp/.
fn unnamed_files(d: &Dir) -> Vec<String> {
    let m = d.manifest();
    let named: Vec<String> = m
        .batches
        .iter()
        .flat_map(|b| [Some(b.data_file.clone()), b.quarantine_file.clone()])
        .flatten()
        .collect();
    d.snapshot()
        .into_keys()
        .filter(|p| p.starts_with("data/") || p.starts_with("quarantine/") || p.starts_with("tmp/"))
        .filter(|p| !named.contains(p))
        .collect()
}

#[derive(Debug, Clone, Copy)]
enum KillAt {
    /// While rows are being read and checked.
    Checking,
    /// Once the batch's Parquet file is being written aside, before the manifest names it.
    Writing,
}

#[test]
fn a_killed_ingest_leaves_the_store_as_it_was_and_a_rerun_succeeds() {
    let d = Dir::new();
    d.write("first.csv", CLEAN);
    assert_eq!(d.ingest("first.csv", &[]).code, 0);
    let manifest_before = std::fs::read(d.store().join("manifest.json")).expect("manifest");
    let listing_before = d.run(&["batches", "--store", "store"]).stdout;
    let ids_before = d.stored_ids();
    const N: usize = 400_000;
    d.write("big.csv", big_batch("BIG", N));
    for at in [KillAt::Checking, KillAt::Writing] {
        let mut child = spawn_ingest(&d, "big.csv");
        let start = Instant::now();
        match at {
            KillAt::Checking => std::thread::sleep(Duration::from_millis(150)),
            KillAt::Writing => {
                let tmp = d.store().join("tmp");
                while !std::fs::read_dir(&tmp)
                    .map(|mut e| {
                        e.any(|f| {
                            f.is_ok_and(|f| f.path().extension().is_some_and(|x| x == "parquet"))
                        })
                    })
                    .unwrap_or(false)
                {
                    assert!(start.elapsed() < Duration::from_secs(120), "no write began");
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("wait");
        // The kill landed mid-ingest: the process died of SIGKILL, it did not finish.
        assert_eq!(
            status.signal(),
            Some(9),
            "{at:?}: ingest finished before the kill"
        );
        assert_eq!(
            std::fs::read(d.store().join("manifest.json")).expect("manifest"),
            manifest_before,
            "{at:?}"
        );
        assert_eq!(
            d.run(&["batches", "--store", "store"]).stdout,
            listing_before,
            "{at:?}"
        );
        assert_eq!(d.stored_ids(), ids_before, "{at:?}");
    }
    // A re-run sweeps the leftovers and stores the batch once.
    let run = d.ingest("big.csv", &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let m = d.manifest();
    assert_eq!(m.batches.len(), 2);
    assert_eq!(m.batches[1].accepted, N as u64);
    assert_eq!(d.stored_ids().len(), ids_before.len() + N);
    assert_eq!(unnamed_files(&d), Vec::<String>::new());
}

#[test]
fn two_ingests_at_once_store_both_batches_exactly_once() {
    let d = Dir::new();
    const N: usize = 60_000;
    d.write("a.csv", big_batch("A", N));
    d.write("b.csv", big_batch("B", N));
    let children = [spawn_ingest(&d, "a.csv"), spawn_ingest(&d, "b.csv")];
    for c in children {
        let out = c.wait_with_output().expect("wait");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let m = d.manifest();
    assert_eq!(m.batches.len(), 2);
    let ids = d.stored_ids();
    assert_eq!(ids.len(), 2 * N);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "an id stored twice");

    // The same content twice at once: one stores it, the other finds it stored.
    d.write("c.csv", CLEAN);
    d.write("c-again.csv", CLEAN);
    let children = [spawn_ingest(&d, "c.csv"), spawn_ingest(&d, "c-again.csv")];
    let outs: Vec<String> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().expect("wait");
            assert_eq!(out.status.code(), Some(0));
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
        .collect();
    assert_eq!(
        outs.iter()
            .filter(|o| o.contains("already stored as batch"))
            .count(),
        1,
        "{outs:?}"
    );
    assert_eq!(d.manifest().batches.len(), 3);
    let mut want: Vec<String> = d.stored_ids();
    want.retain(|i| i.starts_with("HE"));
    assert_eq!(want, clean_ids());
    assert_eq!(unnamed_files(&d), Vec::<String>::new());
}

//! The portability rules that can be checked on Linux, over the source (issue 18): what works
//! here but fails on Windows.
//! - A file is synced through a handle opened for writing: Windows' FlushFileBuffers refuses a
//!   read-only handle (`File::open(p)?.sync_all()` is "Access denied" there). Directories are
//!   synced only under `#[cfg(unix)]`: Windows cannot open one as a file.
//! - Paths are built with `Path::join` part by part, never with a `/` inside a literal given to
//!   `join`/`push` or a `format!` joined as one piece.
//! - Positioned reads have a Windows path beside the Unix one.

use std::path::{Path, PathBuf};

fn sources() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("src").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).expect("a source file");
                out.push((p, text));
            }
        }
    }
    out.sort();
    out
}

/// Statements (text up to each `;`) with their first line number.
fn statements(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let (mut line, mut start_line, mut cur) = (1, 1, String::new());
    for c in text.chars() {
        if cur.trim().is_empty() {
            start_line = line;
        }
        cur.push(c);
        if c == '\n' {
            line += 1;
        }
        if c == ';' || c == '{' || c == '}' {
            out.push((start_line, std::mem::take(&mut cur)));
        }
    }
    out
}

#[test]
fn files_are_synced_through_writable_handles_and_directories_only_on_unix() {
    let mut bad = Vec::new();
    for (path, text) in sources() {
        let lines: Vec<&str> = text.lines().collect();
        for (line, s) in statements(&text) {
            if !(s.contains("sync_all") || s.contains("sync_data")) {
                continue;
            }
            let opened_read_only = s.contains("File::open(");
            let unix_only = lines[line.saturating_sub(6)..line.min(lines.len())]
                .iter()
                .any(|l| l.contains("#[cfg(unix)]"));
            if opened_read_only && !unix_only {
                bad.push(format!("{}:{line}: {}", path.display(), s.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "synced through a read-only handle:\n{}",
        bad.join("\n")
    );
}

#[test]
fn paths_are_joined_part_by_part() {
    let mut bad = Vec::new();
    for (path, text) in sources() {
        for (i, l) in text.lines().enumerate() {
            let code = l.split("//").next().unwrap_or("");
            for call in [
                ".join(\"",
                ".push(\"",
                ".join(&format!(\"",
                ".join(format!(\"",
            ] {
                let Some(at) = code.find(call) else { continue };
                let literal = code[at + call.len()..].split('"').next().unwrap_or("");
                // `.join("/")` alone joins strings (the journal's and manifest's own format).
                if literal.contains('/') && literal != "/" {
                    bad.push(format!("{}:{}: {}", path.display(), i + 1, l.trim()));
                }
            }
        }
    }
    assert!(bad.is_empty(), "paths joined with `/`:\n{}", bad.join("\n"));
}

#[test]
fn positioned_reads_have_a_windows_path() {
    let read =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ingest/read.rs"))
            .expect("read.rs");
    assert!(read.contains("std::os::unix::fs::FileExt"));
    assert!(read.contains("std::os::windows::fs::FileExt::seek_read"));
}

#[test]
fn the_manifests_paths_become_one_spelling_on_every_platform() {
    let dir = tempfile::tempdir().expect("a folder");
    let store = chiso::store::Store::open_or_create(dir.path()).expect("a store");
    let p = store.path_of("data/survey=sipas/year=2026/batch-ab.parquet");
    let parts: Vec<String> = p
        .strip_prefix(store.root())
        .expect("inside the store")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        parts,
        ["data", "survey=sipas", "year=2026", "batch-ab.parquet"]
    );
}

//! `chiso demo` and the shipped samples it is built on.

use std::path::PathBuf;

#[test]
fn shipped_samples_are_exactly_what_the_demo_generates() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let files = chiso::demo::write_samples(tmp.path()).expect("the samples");
    let shipped = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("surveys/samples");
    for (_, _, path) in &files {
        let name = path.file_name().expect("a file name");
        let want = std::fs::read(shipped.join(name)).unwrap_or_else(|e| {
            panic!(
                "surveys/samples/{} is not shipped: {e}",
                name.to_string_lossy()
            )
        });
        assert!(
            std::fs::read(path).expect("generated") == want,
            "surveys/samples/{} differs from what `chiso demo` generates: regenerate with `cargo run --release -- demo` and copy output/demo/batches/*.csv",
            name.to_string_lossy()
        );
    }
    let csvs = std::fs::read_dir(&shipped)
        .expect("surveys/samples")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "csv"))
        })
        .count();
    assert_eq!(csvs, files.len(), "surveys/samples holds other CSV files");
}

#[test]
fn a_closed_stdout_ends_the_command_quietly_instead_of_panicking() {
    // The reading end is closed before chiso starts: every write to stdout fails (EPIPE).
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = crate::util::chiso()
        .arg("surveys")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run chiso");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

//! Writing files so that a crash never leaves a torn one.
//!
//! Every file chiso writes is written aside, synced through the handle that wrote it (Windows
//! flushes only through a handle opened for writing), and renamed into place. A command's
//! outputs are one set ([`Outputs`]): they are written into a staging folder beside them,
//! `OUT/.chiso-staging-<pid>-<n>/`, and moved into `OUT` only once every one of them is
//! written and synced. Before the moves a journal (`.commit`, the list of files) is written
//! into the staging folder, so a crash in the middle of the moves is finished by the next
//! command that writes into `OUT`; a staging folder without a journal is a set that was never
//! finished, and is removed. Nothing but chiso's own staging folders is ever removed.
//!
//! For tests only, environment variables stand in for a kill or a full disk:
//! `CHISO_TEST_ABORT_AFTER_BYTES=N` ends the process after N bytes written in all (the file
//! being written is left short), `CHISO_TEST_ABORT_AT_MOVE=K` before the K-th move of an
//! output set (K from 1), and `CHISO_TEST_DISK_FULL_AFTER_BYTES=N` fails every write past N
//! bytes as a full disk does.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use thiserror::Error;

/// Prefix of the staging folders that [`Outputs`] creates (and alone may remove).
pub const STAGING_PREFIX: &str = ".chiso-staging-";
/// The lock that keeps two commands from writing one output folder at once.
pub const LOCK_FILE: &str = ".chiso-lock";
/// The journal of a staging folder whose files are being moved into place.
const JOURNAL: &str = ".commit";

#[derive(Debug, Error)]
#[error("{path}: {action}: {source}")]
pub struct FileError {
    pub path: String,
    pub action: Action,
    #[source]
    pub source: std::io::Error,
}

/// What chiso was doing with a file when the system refused: named in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Write,
    Sync,
    SyncDir,
    Replace,
    OpenLock,
    Lock,
    CreateOutput,
    CreateStaging,
    Read,
    Remove,
    /// Moving a finished output into place (the usual cause: it is open in Excel).
    MoveOutput,
    RemoveUnfinished,
    ReadStoreDir,
    ReadSize,
    CreateStoreDir,
    RemoveLeftover,
    MoveIntoPlace,
    Open,
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::msg;
        f.write_str(&match self {
            Action::Create => msg!("io.create"),
            Action::Write => msg!("io.write"),
            Action::Sync => msg!("io.sync"),
            Action::SyncDir => msg!("io.sync_dir"),
            Action::Replace => msg!("io.replace"),
            Action::OpenLock => msg!("io.open_lock"),
            Action::Lock => msg!("io.lock"),
            Action::CreateOutput => msg!("io.create_output"),
            Action::CreateStaging => msg!("io.create_staging"),
            Action::Read => msg!("io.read"),
            Action::Remove => msg!("io.remove"),
            Action::MoveOutput => msg!("io.move_output"),
            Action::RemoveUnfinished => msg!("io.remove_unfinished"),
            Action::ReadStoreDir => msg!("io.read_store_dir"),
            Action::ReadSize => msg!("io.read_size"),
            Action::CreateStoreDir => msg!("io.create_store_dir"),
            Action::RemoveLeftover => msg!("io.remove_leftover"),
            Action::MoveIntoPlace => msg!("io.move_into_place"),
            Action::Open => msg!("io.open"),
        })
    }
}

/// Maps an I/O error to a [`FileError`] naming the path and what was being done.
pub fn err(path: &Path, action: Action) -> impl FnOnce(std::io::Error) -> FileError {
    let path = path.display().to_string();
    move |source| FileError {
        path,
        action,
        source,
    }
}

static WRITTEN: AtomicU64 = AtomicU64::new(0);

fn test_limit(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Counts `len` bytes about to be written; under the test hook, returns how many may be
/// written before the process must end.
fn budget(len: usize) -> Option<usize> {
    let limit = test_limit("CHISO_TEST_ABORT_AFTER_BYTES")?;
    let before = WRITTEN.fetch_add(len as u64, Ordering::SeqCst);
    (before + len as u64 > limit).then(|| limit.saturating_sub(before) as usize)
}

static FILLED: AtomicU64 = AtomicU64::new(0);

/// Under the disk-full test hook, fails a write of `len` bytes that would go past the limit.
fn room_for(len: usize) -> std::io::Result<()> {
    if let Some(limit) = test_limit("CHISO_TEST_DISK_FULL_AFTER_BYTES")
        && FILLED.fetch_add(len as u64, Ordering::SeqCst) + len as u64 > limit
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            "No space left on device (test hook)",
        ));
    }
    Ok(())
}

/// A file being written by a library that takes a writer (the store's Parquet files): the
/// test hooks see its bytes as they see [`create_synced`]'s.
pub struct Sink(pub File);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        room_for(buf.len())?;
        if let Some(allowed) = budget(buf.len()) {
            let _ = self.0.write_all(&buf[..allowed.min(buf.len())]);
            std::process::abort();
        }
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Counts a file written by another library (a chart's PNG) against the test hook.
pub fn count_written(path: &Path) {
    if let Ok(m) = fs::metadata(path)
        && budget(m.len() as usize).is_some()
    {
        std::process::abort();
    }
}

/// Writes `bytes` to a new file (replacing any there) and syncs it through the same handle.
pub fn create_synced(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let mut f = File::create(path).map_err(err(path, Action::Create))?;
    room_for(bytes.len()).map_err(err(path, Action::Write))?;
    if let Some(allowed) = budget(bytes.len()) {
        let _ = f.write_all(&bytes[..allowed.min(bytes.len())]);
        let _ = f.sync_all();
        std::process::abort();
    }
    f.write_all(bytes).map_err(err(path, Action::Write))?;
    f.sync_all().map_err(err(path, Action::Sync))
}

/// Syncs a finished file to disk through a handle opened for writing.
pub fn sync_file(path: &Path) -> Result<(), FileError> {
    OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.sync_all())
        .map_err(err(path, Action::Sync))
}

/// How long a file another process holds is waited for, in all, before the failure is reported.
const BUSY_FOR: Duration = Duration::from_secs(3);

/// Windows refuses to rename over a file, or to open one, while another process holds it open
/// (os error 5, "Access denied", or 32, a sharing violation): one chiso reading the store's
/// manifest as another replaces it meets this for the moment of that read, and so does Wine.
/// Such a failure is tried again, after 2, 4, 8 … (at most 250) ms, for about [`BUSY_FOR`] in
/// all; a file that stays held (a workbook open in Excel) is then reported as it failed.
fn when_free<T>(
    busy: impl Fn(&std::io::Error) -> bool,
    budget: Duration,
    mut op: impl FnMut() -> std::io::Result<T>,
) -> std::io::Result<T> {
    let mut wait = Duration::from_millis(2);
    let mut waited = Duration::ZERO;
    loop {
        match op() {
            Err(e) if busy(&e) && waited < budget => {
                std::thread::sleep(wait);
                waited += wait;
                wait = (wait * 2).min(Duration::from_millis(250));
            }
            done => return done,
        }
    }
}

/// Whether `e` is Windows saying that another process holds the file (never so elsewhere: on
/// Unix a rename or an open does not wait for other processes, and "permission denied" is final).
fn held_by_another(e: &std::io::Error) -> bool {
    cfg!(windows)
        && (e.kind() == std::io::ErrorKind::PermissionDenied
            || matches!(e.raw_os_error(), Some(32 | 33)))
}

/// `fs::rename`, waiting on Windows while another process holds the file it replaces.
pub fn rename(from: &Path, to: &Path) -> std::io::Result<()> {
    when_free(held_by_another, BUSY_FOR, || fs::rename(from, to))
}

/// `fs::metadata`, waiting on Windows while another process is replacing the file.
pub fn metadata(path: &Path) -> std::io::Result<fs::Metadata> {
    when_free(held_by_another, BUSY_FOR, || fs::metadata(path))
}

/// `fs::read_to_string`, waiting on Windows while another process is replacing the file.
pub fn read_to_string(path: &Path) -> std::io::Result<String> {
    when_free(held_by_another, BUSY_FOR, || fs::read_to_string(path))
}

/// Makes a rename or a new file in `dir` durable. Only Unix has directory syncs: Windows cannot
/// open a directory as a file, and NTFS journals its renames itself, so there it does nothing.
pub fn sync_dir(dir: &Path) -> Result<(), FileError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(err(dir, Action::SyncDir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Replaces `path` with `bytes` as one step: written aside in `aside_dir` (on the same file
/// system), synced, renamed over it. `std::fs::rename` replaces an existing file on Windows
/// too, so there is no moment without the file.
pub fn replace(path: &Path, aside_dir: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let aside = aside_dir.join(format!("{name}.{}.tmp", std::process::id()));
    create_synced(&aside, bytes)?;
    if let Err(e) = rename(&aside, path) {
        let _ = fs::remove_file(&aside);
        return Err(err(path, Action::Replace)(e));
    }
    // A bare file name's parent is "": the current folder.
    sync_dir(match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    })
}

/// [`replace`], written aside in the file's own folder (the current one for a bare name).
pub fn replace_beside(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    replace(path, dir, bytes)
}

/// Waits for, then takes, an exclusive lock on the file at `path` (created if absent; never
/// truncated); held until the returned handle is dropped. The same on Unix and Windows.
pub fn lock(path: &Path) -> Result<File, FileError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(err(path, Action::OpenLock))?;
    file.lock().map_err(err(path, Action::Lock))?;
    Ok(file)
}

/// A command's set of output files, written under [`Outputs::dir`] (laid out as they will be
/// in the output folder) and moved into place together by [`Outputs::commit`]. Dropped
/// without a commit, it removes its staging folder and leaves the outputs as they were.
pub struct Outputs {
    out: PathBuf,
    staging: PathBuf,
    committed: bool,
    _lock: File,
}

impl Outputs {
    /// Starts a set of outputs for the folder `out` (created if absent): waits for any other
    /// chiso writing there, finishes or removes what an interrupted one left, and makes a
    /// fresh staging folder.
    pub fn begin(out: &Path) -> Result<Outputs, FileError> {
        fs::create_dir_all(out).map_err(err(out, Action::CreateOutput))?;
        let lock = lock(&out.join(LOCK_FILE))?;
        recover(out)?;
        let mut n = 0u32;
        let staging = loop {
            let candidate = out.join(format!("{STAGING_PREFIX}{}-{n}", std::process::id()));
            match fs::create_dir(&candidate) {
                Ok(()) => break candidate,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
                Err(e) => return Err(err(&candidate, Action::CreateStaging)(e)),
            }
        };
        Ok(Outputs {
            out: out.to_path_buf(),
            staging,
            committed: false,
            _lock: lock,
        })
    }

    /// Where the outputs are written now: a path `dir().join(X)` becomes `out.join(X)`.
    pub fn dir(&self) -> &Path {
        &self.staging
    }

    /// Moves every file written under [`Outputs::dir`] into place; returns how many.
    pub fn commit(mut self) -> Result<usize, FileError> {
        let mut files = Vec::new();
        let mut stack = vec![self.staging.clone()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).map_err(err(&d, Action::Read))?.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if let Ok(rel) = p.strip_prefix(&self.staging) {
                    sync_file(&p)?;
                    files.push(rel_string(rel));
                }
            }
        }
        files.sort();
        let text = serde_json::to_vec(&files).unwrap_or_default();
        create_synced(&self.staging.join(JOURNAL), &text)?;
        sync_dir(&self.staging)?;
        move_all(&self.staging, &self.out, &files)?;
        self.committed = true;
        fs::remove_dir_all(&self.staging).map_err(err(&self.staging, Action::Remove))?;
        Ok(files.len())
    }
}

impl Drop for Outputs {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// A relative path as journal text: its components joined by `/` (read back component-wise).
fn rel_string(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// A `/`-separated relative path (the journal's and the store manifest's form) as a path of
/// plain names; None when a part is empty, `.`, `..` or holds `\\` or `:` (it would lead
/// outside its folder).
pub fn rel_path(s: &str) -> Option<PathBuf> {
    let mut p = PathBuf::new();
    for part in s.split('/') {
        if part.is_empty() || part == "." || part == ".." || part.contains(['\\', ':']) {
            return None;
        }
        p.push(part);
    }
    Some(p)
}

/// Moves the journal's files from `staging` into `out`, folder by folder, syncing each.
fn move_all(staging: &Path, out: &Path, journal: &[String]) -> Result<(), FileError> {
    let abort_at = test_limit("CHISO_TEST_ABORT_AT_MOVE");
    let mut dirs: Vec<PathBuf> = Vec::new();
    for (k, rel) in journal.iter().enumerate() {
        if abort_at == Some(k as u64 + 1) {
            std::process::abort();
        }
        let Some(rel) = rel_path(rel) else { continue };
        let from = staging.join(&rel);
        if !from.is_file() {
            continue; // moved before an interruption
        }
        let to = out.join(&rel);
        let dir = to.parent().unwrap_or(out).to_path_buf();
        fs::create_dir_all(&dir).map_err(err(&dir, Action::Create))?;
        rename(&from, &to).map_err(err(&to, Action::MoveOutput))?;
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    for d in dirs {
        sync_dir(&d)?;
    }
    Ok(())
}

/// Finishes the moves of a staging folder with a journal; removes one without.
fn recover(out: &Path) -> Result<(), FileError> {
    let Ok(entries) = fs::read_dir(out) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        if !name.starts_with(STAGING_PREFIX) || !path.is_dir() {
            continue;
        }
        let journal: Option<Vec<String>> = fs::read(path.join(JOURNAL))
            .ok()
            .and_then(|t| serde_json::from_slice(&t).ok());
        if let Some(journal) = journal {
            move_all(&path, out, &journal)?;
        }
        fs::remove_dir_all(&path).map_err(err(&path, Action::RemoveUnfinished))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_held_by_another_process_is_tried_again_until_it_is_free_or_the_wait_is_over() {
        let denied = || std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let is_denied = |e: &std::io::Error| e.kind() == std::io::ErrorKind::PermissionDenied;
        // Held for two tries, then free: the third try's result.
        let mut tries = 0;
        let r = when_free(is_denied, Duration::from_secs(1), || {
            tries += 1;
            if tries < 3 { Err(denied()) } else { Ok(tries) }
        });
        assert_eq!(r.ok(), Some(3));
        // Never free: given up once 2 + 4 + 8 ms were waited, with the last failure.
        let mut tries = 0;
        let r: std::io::Result<()> = when_free(is_denied, Duration::from_millis(10), || {
            tries += 1;
            Err(denied())
        });
        assert_eq!(
            r.map_err(|e| e.kind()),
            Err(std::io::ErrorKind::PermissionDenied)
        );
        assert_eq!(tries, 4);
        // Any other failure is reported at once.
        let mut tries = 0;
        let r: std::io::Result<()> = when_free(is_denied, Duration::from_secs(1), || {
            tries += 1;
            Err(std::io::Error::from(std::io::ErrorKind::NotFound))
        });
        assert_eq!(r.map_err(|e| e.kind()), Err(std::io::ErrorKind::NotFound));
        assert_eq!(tries, 1);
        // Off Windows nothing counts as held: "permission denied" is final there.
        assert_eq!(held_by_another(&denied()), cfg!(windows));
    }

    #[test]
    fn a_set_appears_only_when_committed_and_an_interrupted_move_is_finished() -> anyhow::Result<()>
    {
        let dir = tempfile::tempdir()?;
        let out = dir.path().join("out");
        fs::create_dir_all(out.join("sub"))?;
        fs::write(out.join("a.csv"), "old a")?;
        fs::write(out.join("mine.txt"), "not chiso's")?;
        // Not committed: nothing changes, the staging folder goes.
        {
            let o = Outputs::begin(&out)?;
            fs::create_dir_all(o.dir().join("sub"))?;
            create_synced(&o.dir().join("a.csv"), b"new a")?;
            create_synced(&o.dir().join("sub").join("b.csv"), b"new b")?;
        }
        assert_eq!(fs::read_to_string(out.join("a.csv"))?, "old a");
        assert!(!out.join("sub").join("b.csv").exists());
        // A staging folder left with its journal is moved in by the next set.
        let left = out.join(format!("{STAGING_PREFIX}1-0"));
        fs::create_dir_all(left.join("sub"))?;
        fs::write(left.join("a.csv"), "journal a")?;
        fs::write(left.join("sub").join("b.csv"), "journal b")?;
        fs::write(left.join(JOURNAL), r#"["a.csv","sub/b.csv","../escape"]"#)?;
        // And one without a journal is dropped.
        let torn = out.join(format!("{STAGING_PREFIX}2-0"));
        fs::create_dir_all(&torn)?;
        fs::write(torn.join("a.csv"), "torn")?;
        let o = Outputs::begin(&out)?;
        assert_eq!(fs::read_to_string(out.join("a.csv"))?, "journal a");
        assert_eq!(
            fs::read_to_string(out.join("sub").join("b.csv"))?,
            "journal b"
        );
        assert!(!left.exists() && !torn.exists());
        create_synced(&o.dir().join("a.csv"), b"committed")?;
        assert_eq!(o.commit()?, 1);
        assert_eq!(fs::read_to_string(out.join("a.csv"))?, "committed");
        assert_eq!(fs::read_to_string(out.join("mine.txt"))?, "not chiso's");
        let names: Vec<String> = fs::read_dir(&out)?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(STAGING_PREFIX))
            .collect();
        assert!(names.is_empty(), "{names:?}");
        Ok(())
    }
}

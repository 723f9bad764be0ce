//! The batch store: Parquet files partitioned by survey and year, a quarantine file per batch,
//! and a manifest that says which files are the store.
//!
//! ```text
//! STORE/manifest.json                                   the list of batches (written last)
//! STORE/data/survey=ID/year=YYYY/batch-<id>.parquet     accepted rows
//! STORE/quarantine/survey=ID/year=YYYY/batch-<id>.csv   rows that broke a rule, and why
//! STORE/.lock                                           serialises writers
//! STORE/tmp/                                            files being written
//! ```
//! Every write goes aside first (tmp/), is fsynced, then renamed into place; the manifest is
//! replaced the same way and last. A file that no manifest entry names is not part of the
//! store: a crash or kill mid-ingest leaves the store reading exactly as before, and the next
//! writer sweeps the leftovers — only files with the names chiso gives them, in the folders it
//! puts them in, and only in a directory that is a store (it holds `manifest.json`). A new
//! store is made only in a directory that is absent or empty, and its empty manifest is
//! written first; a directory holding anything else is refused, never swept.

mod manifest;

pub use manifest::{BatchEntry, Manifest, Retraction};

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use polars_parquet::write as pq;
use thiserror::Error;

use crate::files::Action;

/// How stored Parquet files are scanned: the partition folders are for people and other
/// tools; the columns are in the files.
fn scan_args() -> ScanArgsParquet {
    ScanArgsParquet {
        hive_options: HiveOptions {
            enabled: Some(false),
            hive_start_idx: 0,
            schema: None,
            try_parse_dates: false,
        },
        ..ScanArgsParquet::default()
    }
}

/// Stored ids read at a time when they are hashed.
const ID_PART_ROWS: i64 = 1 << 20;

/// The rows of `lf` in parts of `rows` rows, in order: one part in memory at a time.
pub fn in_parts(lf: LazyFrame, rows: i64) -> impl Iterator<Item = PolarsResult<DataFrame>> {
    let mut offset: i64 = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let part = lf.clone().slice(offset, rows as IdxSize).collect();
        match &part {
            Ok(df) if df.height() == 0 => return None,
            Ok(df) => {
                offset += df.height() as i64;
                done = (df.height() as i64) < rows;
            }
            Err(_) => done = true,
        }
        Some(part)
    })
}

/// 64-bit hashes, sorted, with the start of each run of hashes sharing their top bits: 8 bytes
/// a hash and a few bytes a bucket, and a lookup searches one short run.
#[derive(Default)]
struct SortedHashes {
    hashes: Vec<u64>,
    /// Where the hashes whose top `bits` bits are b start (one more entry than buckets).
    starts: Vec<u32>,
    bits: u32,
}

impl SortedHashes {
    fn new(mut hashes: Vec<u64>) -> SortedHashes {
        use rayon::slice::ParallelSliceMut as _;
        hashes.par_sort_unstable();
        hashes.dedup();
        hashes.shrink_to_fit();
        // About 32 hashes a bucket; more than 4 billion hashes keep one bucket.
        let n = hashes.len();
        if u32::try_from(n).is_err() {
            return SortedHashes {
                starts: Vec::new(),
                hashes,
                bits: 0,
            };
        }
        let bits = (usize::BITS - (n / 32).leading_zeros()).min(30);
        let mut starts = Vec::with_capacity((1usize << bits) + 1);
        let mut at = 0usize;
        for b in 0..(1u64 << bits) {
            while at < n && Self::bucket(hashes[at], bits) < b {
                at += 1;
            }
            starts.push(at as u32);
        }
        starts.push(n as u32);
        SortedHashes {
            hashes,
            starts,
            bits,
        }
    }

    fn bucket(h: u64, bits: u32) -> u64 {
        if bits == 0 { 0 } else { h >> (64 - bits) }
    }

    fn contains(&self, h: u64) -> bool {
        let run = match self.starts.get(Self::bucket(h, self.bits) as usize..) {
            Some([a, b, ..]) => &self.hashes[*a as usize..*b as usize],
            _ => &self.hashes[..],
        };
        run.binary_search(&h).is_ok()
    }
}

/// The respondent ids already stored for a survey and year, kept as 64-bit hashes (8 bytes an
/// id, however long the ids): a new id whose hash is not there is new. Only when a hash
/// matches are the stored ids themselves read (once), to tell a repeat from a collision.
#[derive(Default)]
pub struct IdSet {
    hashes: SortedHashes,
    /// The stored batches' data files, read for the exact ids when a hash matches.
    files: Vec<PathBuf>,
    /// Ids added during this run (earlier files of it), exactly.
    added: foldhash::HashSet<String>,
    exact: std::sync::OnceLock<Option<foldhash::HashSet<String>>>,
}

impl IdSet {
    fn hash(id: &str) -> u64 {
        use std::hash::BuildHasher;
        foldhash::fast::FixedState::with_seed(0x0069_6473_6574).hash_one(id)
    }

    /// Whether `id` is stored (or was added).
    pub fn contains(&self, id: &str) -> bool {
        if self.added.contains(id) {
            return true;
        }
        if !self.hashes.contains(Self::hash(id)) {
            return false;
        }
        let exact = self.exact.get_or_init(|| {
            let mut all = foldhash::HashSet::default();
            for path in &self.files {
                let col = read_parquet(path, Some(&["respondent_id"])).and_then(|df| {
                    df.column("respondent_id")
                        .and_then(|c| c.str().cloned())
                        .map_err(|e| parquet_err(path, e))
                });
                // These files were read a moment ago for the hashes; should one fail now, the
                // hash alone decides (only a collision of 64-bit hashes errs, and then towards
                // keeping the row out).
                all.extend(col.ok()?.iter().flatten().map(str::to_string));
            }
            Some(all)
        });
        exact.as_ref().is_none_or(|e| e.contains(id))
    }

    /// Adds the ids of a batch accepted earlier in this run.
    pub fn extend(&mut self, ids: impl IntoIterator<Item = String>) {
        self.added.extend(ids);
    }
}

#[derive(Debug, Error)]
pub enum StoreError {
    Io {
        path: String,
        action: Action,
        source: std::io::Error,
    },
    Manifest {
        path: String,
        message: String,
    },
    Parquet {
        path: String,
        message: String,
    },
    Missing(String),
    NotAStore {
        path: String,
        found: String,
    },
    /// A batch asked for by id that cannot be withdrawn or replaced (unknown, ambiguous,
    /// already withdrawn, of another survey or year).
    Batch(String),
    ManifestLost {
        path: String,
        files: usize,
    },
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::msg;
        f.write_str(&match self {
            StoreError::Io {
                path,
                action,
                source,
            } => format!("{path}: {action}: {source}"),
            StoreError::Manifest { path, message } => {
                msg!("store.manifest_damaged", path = path, message = message)
            }
            StoreError::Parquet { path, message } => format!("{path}: {message}"),
            StoreError::Missing(path) => msg!("store.missing", path = path),
            StoreError::NotAStore { path, found } => {
                msg!("store.not_a_store", path = path, found = found)
            }
            StoreError::Batch(message) => message.clone(),
            StoreError::ManifestLost { path, files } => {
                msg!("store.manifest_lost", path = path, files = files)
            }
        })
    }
}

fn io(path: &Path, action: Action) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.display().to_string();
    move |source| StoreError::Io {
        path,
        action,
        source,
    }
}

impl From<crate::files::FileError> for StoreError {
    fn from(e: crate::files::FileError) -> StoreError {
        StoreError::Io {
            path: e.path,
            action: e.action,
            source: e.source,
        }
    }
}

/// What a directory named as a store holds.
#[derive(Debug, PartialEq)]
enum Found {
    /// A store: it has `manifest.json`.
    Store,
    /// Absent, empty, or holding only what a first ingest that never finished leaves.
    New,
    /// Stored batch files without the manifest that names them.
    ManifestLost(usize),
    /// Anything else: a few of the names it holds.
    Other(String),
}

/// Names chiso gives the files it writes into `tmp/`.
fn is_tmp_name(name: &str) -> bool {
    let numbered = |s: &str, pre: &str, post: &str| {
        s.strip_prefix(pre)
            .and_then(|r| r.strip_suffix(post))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    numbered(name, "part-", ".parquet")
        || name == manifest::FILE
        || numbered(name, "manifest.json.", ".tmp")
        // a batch's file rewritten aside by the format migration
        || name
            .strip_suffix(".tmp")
            .and_then(|r| r.rsplit_once('.'))
            .is_some_and(|(file, pid)| {
                !pid.is_empty()
                    && pid.bytes().all(|b| b.is_ascii_digit())
                    && is_batch_name(file, ".parquet")
            })
        || name
            .strip_suffix(".csv")
            .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `batch-<hex>.<ext>`: the name of a stored batch's file.
fn is_batch_name(name: &str, ext: &str) -> bool {
    name.strip_prefix("batch-")
        .and_then(|r| r.strip_suffix(ext))
        .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Files under `dir/survey=*/year=*/` named as chiso names a batch's file with extension `ext`.
fn batch_files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let subdirs = |d: &Path, prefix: &str| -> Vec<PathBuf> {
        fs::read_dir(d)
            .map(|es| {
                es.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
                    .map(|e| e.path())
                    .filter(|p| p.is_dir())
                    .collect()
            })
            .unwrap_or_default()
    };
    for s in subdirs(dir, "survey=") {
        for y in subdirs(&s, "year=") {
            if let Ok(es) = fs::read_dir(&y) {
                for e in es.flatten() {
                    let p = e.path();
                    if p.is_file() && is_batch_name(&e.file_name().to_string_lossy(), ext) {
                        out.push(p);
                    }
                }
            }
        }
    }
    out.sort();
    out
}

/// What `root` is. Another chiso may be making the store meanwhile (its manifest appears
/// between the first look and the listing) or replacing its manifest (for that moment Windows
/// refuses to open the file): a manifest seen in the listing, or there on a second look,
/// makes it a store, never "not a store" or "manifest lost".
fn look(root: &Path) -> Result<Found, StoreError> {
    if manifest_present(root)? {
        return Ok(Found::Store);
    }
    let found = look_closer(root)?;
    if found != Found::New && manifest_present(root)? {
        return Ok(Found::Store);
    }
    Ok(found)
}

/// Whether `root` holds the manifest file (a folder of that name does not count).
fn manifest_present(root: &Path) -> Result<bool, StoreError> {
    let path = root.join(manifest::FILE);
    match crate::files::metadata(&path) {
        Ok(m) => Ok(m.is_file()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        // Under a file, or in a folder chiso may not enter: the listing tells.
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Ok(false),
        Err(e) => Err(io(&path, Action::Read)(e)),
    }
}

/// [`look`] without a manifest at first sight: a new folder, a lost manifest, or something else.
fn look_closer(root: &Path) -> Result<Found, StoreError> {
    let entries = match fs::read_dir(root) {
        Ok(es) => es,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::New),
        Err(e) => return Err(io(root, Action::ReadStoreDir)(e)),
    };
    let lost = batch_files(&root.join("data"), ".parquet").len();
    if lost > 0 {
        return Ok(Found::ManifestLost(lost));
    }
    let mut other = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name == manifest::FILE && e.file_type().is_ok_and(|t| t.is_file()) {
            return Ok(Found::Store); // written since the first look
        }
        let leftover = match name.as_str() {
            ".lock" => true,
            "tmp" => fs::read_dir(e.path()).is_ok_and(|es| {
                es.flatten()
                    .all(|f| is_tmp_name(&f.file_name().to_string_lossy()))
            }),
            _ => false,
        };
        if !leftover {
            other.push(name);
        }
    }
    if other.is_empty() {
        return Ok(Found::New);
    }
    other.sort();
    let more = other.len().saturating_sub(3);
    let mut found = other
        .into_iter()
        .take(3)
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    if more > 0 {
        found.push_str(&crate::msg!("ingest.and_more", count = more));
    }
    Ok(Found::Other(found))
}

/// A store directory.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// An exclusive hold on the store for writing; released when dropped.
pub struct WriteLock {
    _file: File,
}

/// A batch ready to be committed: its manifest entry, its rows already written aside by a
/// [`DataWriter`], and its quarantine CSV.
pub struct NewBatch {
    pub entry: BatchEntry,
    pub data: PathBuf,
    pub quarantine_csv: Option<Vec<u8>>,
}

/// A batch's accepted rows being written aside (in `tmp/`), one row group per part of the
/// file: encoded and compressed on the threads that check the parts, written in file order.
pub struct DataWriter {
    path: PathBuf,
    started: Option<Started>,
}

struct Started {
    // Buffered: the Parquet writer serialises page headers and the footer's indexes a few
    // bytes at a time, which unbuffered is a system call each.
    writer: polars::io::parquet::write::BatchedWriter<BufWriter<crate::files::Sink>>,
    /// What the writer itself would encode rows with (its own encoder is not public).
    fields: Vec<pq::ParquetType>,
    encodings: Vec<Vec<pq::Encoding>>,
    options: pq::WriteOptions,
}

/// Rows encoded and compressed as Parquet pages (row groups → columns → pages), ready to be
/// written.
pub struct EncodedRows(Vec<Vec<Vec<pq::CompressedPage>>>);

/// A column's compressed pages, handed to the file writer one by one.
struct OwnedPages {
    pages: std::vec::IntoIter<pq::CompressedPage>,
    current: Option<pq::CompressedPage>,
}

impl pq::FallibleStreamingIterator for OwnedPages {
    type Item = pq::CompressedPage;
    type Error = PolarsError;

    fn advance(&mut self) -> Result<(), PolarsError> {
        self.current = self.pages.next();
        Ok(())
    }

    fn get(&self) -> Option<&pq::CompressedPage> {
        self.current.as_ref()
    }
}

impl DataWriter {
    /// Creates the file for rows of this schema.
    pub fn start(&mut self, schema: &Schema) -> Result<(), StoreError> {
        let err = |e| parquet_err(&self.path, e);
        let file = File::create(&self.path).map_err(io(&self.path, Action::Create))?;
        // Null counts only: min/max statistics cost a pass per column and chiso reads whole
        // files.
        let statistics = StatisticsOptions {
            null_count: true,
            ..StatisticsOptions::empty()
        };
        let compression = ParquetCompression::Lz4Raw;
        let writer =
            ParquetWriter::new(BufWriter::with_capacity(1 << 20, crate::files::Sink(file)))
                .with_compression(compression)
                .with_statistics(statistics)
                .batched(schema)
                .map_err(err)?;
        let arrow = polars::io::schema_to_arrow_checked(schema, CompatLevel::newest(), "parquet")
            .map_err(err)?;
        self.started = Some(Started {
            writer,
            fields: pq::to_parquet_schema(&arrow)
                .map_err(err)?
                .fields()
                .to_vec(),
            encodings: polars::io::parquet::write::get_encodings(&arrow).to_vec(),
            options: pq::WriteOptions {
                statistics,
                version: pq::Version::V1,
                compression: compression.into(),
                data_page_size: None,
            },
        });
        Ok(())
    }

    /// Writes the columns at `columns` (positions in the schema) without a dictionary: for
    /// columns whose values are nearly all different (ids, times), where building one costs
    /// time and saves nothing.
    pub fn plain(&mut self, columns: &[usize]) {
        if let Some(s) = &mut self.started {
            for &c in columns {
                if let Some(e) = s.encodings.get_mut(c) {
                    *e = vec![pq::Encoding::Plain; e.len()];
                }
            }
        }
    }

    fn started(&self) -> Result<&Started, StoreError> {
        self.started.as_ref().ok_or_else(|| StoreError::Parquet {
            path: self.path.display().to_string(),
            message: crate::msg!("store.not_started"),
        })
    }

    /// Encodes and compresses rows, as the Parquet writer would (any thread may, while others
    /// write).
    pub fn encode(&self, df: &DataFrame) -> Result<EncodedRows, StoreError> {
        let s = self.started()?;
        let encode = || -> PolarsResult<EncodedRows> {
            let mut groups = Vec::new();
            for batch in df.iter_chunks(CompatLevel::newest(), false) {
                if batch.is_empty() {
                    continue;
                }
                // Column by column on the threads there are; collected in column order.
                use rayon::prelude::*;
                let per_column: Vec<Vec<Vec<pq::CompressedPage>>> = batch
                    .columns()
                    .par_iter()
                    .zip(s.fields.par_iter())
                    .zip(s.encodings.par_iter())
                    .map(|((array, field), encoding)| {
                        pq::array_to_columns(array, field.clone(), s.options, encoding)?
                            .into_iter()
                            .map(|pages| {
                                pages
                                    .map(|page| {
                                        Ok(pq::compress(page?, Vec::new(), s.options.compression)?)
                                    })
                                    .collect::<PolarsResult<Vec<_>>>()
                            })
                            .collect::<PolarsResult<Vec<_>>>()
                    })
                    .collect::<PolarsResult<_>>()?;
                groups.push(per_column.into_iter().flatten().collect());
            }
            Ok(EncodedRows(groups))
        };
        encode().map_err(|e| parquet_err(&self.path, e))
    }

    /// Writes encoded rows after those written before.
    pub fn write(&self, rows: EncodedRows) -> Result<(), StoreError> {
        let groups = rows
            .0
            .into_iter()
            .map(|columns| {
                pq::DynIter::new(columns.into_iter().map(|pages| {
                    Ok(pq::DynStreamingIterator::new(OwnedPages {
                        pages: pages.into_iter(),
                        current: None,
                    }))
                }))
            })
            .collect();
        self.started()?
            .writer
            .write_row_groups(groups)
            .map_err(|e| parquet_err(&self.path, e))
    }

    /// Closes the file and syncs it to disk; returns its path for [`Store::commit`]. On an
    /// error the file is removed.
    pub fn finish(mut self) -> Result<PathBuf, StoreError> {
        let path = self.path.clone();
        self.finish_inner().inspect_err(|_| {
            let _ = fs::remove_file(&path);
        })
    }

    fn finish_inner(&mut self) -> Result<PathBuf, StoreError> {
        let size = self
            .started()?
            .writer
            .finish()
            .map_err(|e| parquet_err(&self.path, e))?;
        // Dropping the buffer writes its last bytes but cannot report an error; a file shorter
        // than the writer says is how a failed last write shows.
        drop(self.started.take());
        let on_disk = fs::metadata(&self.path)
            .map_err(io(&self.path, Action::ReadSize))?
            .len();
        if on_disk != size {
            return Err(StoreError::Parquet {
                path: self.path.display().to_string(),
                message: crate::msg!("store.short_write", on_disk = on_disk, size = size),
            });
        }
        crate::files::sync_file(&self.path)?;
        Ok(self.path.clone())
    }

    /// Drops what was written (a refused or already-stored batch).
    pub fn discard(self) {
        drop(self.started);
        let _ = fs::remove_file(&self.path);
    }
}

impl Store {
    /// A store that must already exist (for reading).
    pub fn open(root: &Path) -> Result<Store, StoreError> {
        match look(root)? {
            Found::Store => {
                let store = Store {
                    root: root.to_path_buf(),
                };
                store.migrate()?;
                Ok(store)
            }
            Found::ManifestLost(files) => Err(StoreError::ManifestLost {
                path: root.display().to_string(),
                files,
            }),
            _ => Err(StoreError::Missing(root.display().to_string())),
        }
    }

    /// Brings a store written by an earlier chiso (manifest format 1, a `year` column inside
    /// each file as well as in its folder name) to today's clean hive layout, which pandas,
    /// pyarrow and Spark read whole. Under the write lock: each file is rewritten aside without
    /// the column and renamed over the old one; the manifest's new format is written last.
    /// An interruption leaves every file readable (with or without the column) and the old
    /// format in the manifest, so the next use finishes the work. Rows are not changed.
    fn migrate(&self) -> Result<(), StoreError> {
        if Manifest::read(&self.root)?.format != manifest::FORMAT_WITH_YEAR_COLUMN {
            return Ok(());
        }
        let _lock = self.lock()?;
        let mut m = Manifest::read(&self.root)?;
        if m.format != manifest::FORMAT_WITH_YEAR_COLUMN {
            return Ok(()); // another chiso finished it while this one waited for the lock
        }
        let tmp = self.root.join("tmp");
        fs::create_dir_all(&tmp).map_err(io(&tmp, Action::Create))?;
        for b in &m.batches {
            let path = self.path_of(&b.data_file);
            if !path.is_file() {
                continue; // a batch with no accepted rows has no file
            }
            let mut df = read_parquet(&path, None)?;
            if df.column("year").is_err() {
                continue; // done before an interruption
            }
            df = df.drop("year").map_err(|e| parquet_err(&path, e))?;
            let mut bytes = Vec::new();
            ParquetWriter::new(&mut bytes)
                .with_compression(ParquetCompression::Lz4Raw)
                .with_statistics(StatisticsOptions {
                    null_count: true,
                    ..StatisticsOptions::empty()
                })
                .finish(&mut df)
                .map_err(|e| parquet_err(&path, e))?;
            crate::files::replace(&path, &tmp, &bytes)?;
        }
        m.format = manifest::FORMAT;
        m.write(&self.root, &tmp)
    }

    /// A store for writing: an existing store, or a new one made in an absent or empty
    /// directory (its empty manifest written first). Anything else is refused untouched.
    pub fn open_or_create(root: &Path) -> Result<Store, StoreError> {
        let refuse = |found: &Found| match found {
            Found::ManifestLost(files) => Err(StoreError::ManifestLost {
                path: root.display().to_string(),
                files: *files,
            }),
            Found::Other(found) => Err(StoreError::NotAStore {
                path: root.display().to_string(),
                found: found.clone(),
            }),
            Found::Store | Found::New => Ok(()),
        };
        let found = look(root)?;
        refuse(&found)?;
        let store = Store {
            root: root.to_path_buf(),
        };
        if found == Found::New {
            fs::create_dir_all(root).map_err(io(root, Action::CreateStoreDir))?;
            let _lock = store.lock()?;
            // Another chiso may have made it meanwhile, or filled the folder: look again.
            let again = look(root)?;
            refuse(&again)?;
            if again == Found::New {
                let tmp = root.join("tmp");
                fs::create_dir_all(&tmp).map_err(io(&tmp, Action::Create))?;
                Manifest::empty().write(root, &tmp)?;
            }
        } else {
            store.migrate()?;
        }
        Ok(store)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Withdraws the batch whose id starts with `prefix`: it no longer counts; its files and
    /// `reason` stay in the manifest (`chiso batches --all`). One atomic manifest write.
    pub fn retract(&self, prefix: &str, reason: &str, at: &str) -> Result<BatchEntry, StoreError> {
        let lock = self.lock()?;
        let mut manifest = self.manifest()?;
        let id = manifest
            .find_prefix(prefix)
            .map_err(StoreError::Batch)?
            .id
            .clone();
        let entry = manifest
            .batches
            .iter_mut()
            .find(|b| b.id == id)
            .ok_or_else(|| StoreError::Batch(crate::msg!("store.no_batch", batch = prefix)))?;
        if let Some(r) = &entry.retracted {
            return Err(StoreError::Batch(crate::msg!(
                "store.already_withdrawn",
                batch = entry.short_id(),
                at = r.at,
                reason = r.reason
            )));
        }
        entry.retracted = Some(Retraction {
            at: at.to_string(),
            reason: reason.to_string(),
            replaced_by: None,
        });
        let done = entry.clone();
        let tmp = self.root.join("tmp");
        fs::create_dir_all(&tmp).map_err(io(&tmp, Action::Create))?;
        manifest.write(&self.root, &tmp)?;
        drop(lock);
        Ok(done)
    }

    /// Whether `root` is not yet a store: absent, empty, or holding only what a refused first
    /// ingest left (its lock and temporary folder).
    pub fn is_new(root: &Path) -> Result<bool, StoreError> {
        Ok(look(root)? == Found::New)
    }

    /// Undoes [`Store::open_or_create`] of a store that then received nothing: removes its
    /// empty manifest, lock and temporary folder (chiso's own names only), and the folder
    /// itself when `keep_dir` is false and nothing else is in it. A store holding any batch,
    /// or any other file, is left as it is.
    pub fn remove_unused(self, keep_dir: bool) -> Result<(), StoreError> {
        let root = &self.root;
        if !self.manifest()?.batches.is_empty() {
            return Ok(());
        }
        let tmp = root.join("tmp");
        if let Ok(es) = fs::read_dir(&tmp) {
            for e in es.flatten() {
                if is_tmp_name(&e.file_name().to_string_lossy()) && e.path().is_file() {
                    fs::remove_file(e.path()).map_err(io(&e.path(), Action::Remove))?;
                }
            }
        }
        let _ = fs::remove_dir(&tmp);
        let manifest = root.join(manifest::FILE);
        fs::remove_file(&manifest).map_err(io(&manifest, Action::Remove))?;
        let _ = fs::remove_file(root.join(".lock"));
        if !keep_dir {
            // Fails, harmlessly, when anything else is in it.
            let _ = fs::remove_dir(root);
        }
        Ok(())
    }

    /// Waits for, then takes, the store's write lock.
    pub fn lock(&self) -> Result<WriteLock, StoreError> {
        Ok(WriteLock {
            _file: crate::files::lock(&self.root.join(".lock"))?,
        })
    }

    pub fn manifest(&self) -> Result<Manifest, StoreError> {
        Manifest::read(&self.root)
    }

    /// Absolute path of a file the manifest names. The manifest writes its paths with `/`
    /// whatever the platform; they are joined part by part, so that on Windows too a stored
    /// file has one spelling (the sweep compares them with the files it finds).
    pub fn path_of(&self, relative: &str) -> PathBuf {
        let mut p = self.root.clone();
        for part in relative.split('/').filter(|s| !s.is_empty()) {
            p.push(part);
        }
        p
    }

    /// Respondent ids stored for a survey and year, as hashes; each batch's ids are read a
    /// part at a time, so that memory holds the hashes, not the ids.
    pub fn stored_ids(
        &self,
        manifest: &Manifest,
        survey: &str,
        year: i32,
    ) -> Result<IdSet, StoreError> {
        let mut ids = IdSet::default();
        let batches: Vec<&BatchEntry> = manifest.batches_of(survey, year).collect();
        let mut hashes: Vec<u64> =
            Vec::with_capacity(batches.iter().map(|b| b.accepted as usize).sum::<usize>());
        for b in batches {
            let path = self.path_of(&b.data_file);
            let lf = self.scan_batch(b)?.select([col("respondent_id")]);
            for part in in_parts(lf, ID_PART_ROWS) {
                let df = part.map_err(|e| parquet_err(&path, e))?;
                let col = df
                    .column("respondent_id")
                    .and_then(|c| c.str().cloned())
                    .map_err(|e| parquet_err(&path, e))?;
                hashes.extend(col.iter().flatten().map(IdSet::hash));
            }
            ids.files.push(path);
        }
        ids.hashes = SortedHashes::new(hashes);
        Ok(ids)
    }

    /// The data files of the batches stored for a survey and year, in manifest order (those
    /// with accepted rows); at least one.
    pub fn data_files(
        &self,
        manifest: &Manifest,
        survey: &str,
        year: i32,
    ) -> Result<Vec<PathBuf>, StoreError> {
        let paths: Vec<PathBuf> = manifest
            .batches_of(survey, year)
            .filter(|b| b.accepted > 0)
            .map(|b| self.path_of(&b.data_file))
            .collect();
        if paths.is_empty() {
            return Err(StoreError::Parquet {
                path: self.root.display().to_string(),
                message: crate::msg!("store.no_rows", survey = survey, year = year),
            });
        }
        Ok(paths)
    }

    /// Rows stored for a survey and year, as one lazy frame (batches in manifest order).
    pub fn scan(
        &self,
        manifest: &Manifest,
        survey: &str,
        year: i32,
    ) -> Result<LazyFrame, StoreError> {
        let paths: Vec<PlRefPath> = self
            .data_files(manifest, survey, year)?
            .iter()
            .map(|p| PlRefPath::new(p.display().to_string()))
            .collect();
        LazyFrame::scan_parquet_files(paths.into_iter().collect(), scan_args())
            .map_err(|e| parquet_err(&self.root, e))
    }

    /// The rows of one stored batch, as a lazy frame.
    pub fn scan_batch(&self, batch: &BatchEntry) -> Result<LazyFrame, StoreError> {
        let path = self.path_of(&batch.data_file);
        LazyFrame::scan_parquet(PlRefPath::new(path.display().to_string()), scan_args())
            .map_err(|e| parquet_err(&path, e))
    }

    /// Removes the leftovers of an interrupted write: files that no manifest entry names and
    /// that bear the names chiso gives its own files (`tmp/part-N.parquet`, ...,
    /// `data/survey=*/year=*/batch-<id>.parquet`, `quarantine/.../batch-<id>.csv`). Anything
    /// else in the store's folders is not chiso's, and is left alone.
    pub fn sweep(&self, _lock: &WriteLock, manifest: &Manifest) -> Result<usize, StoreError> {
        if !self.root.join(manifest::FILE).is_file() {
            return Err(StoreError::Missing(self.root.display().to_string()));
        }
        let named: HashSet<PathBuf> = manifest
            .batches
            .iter()
            .flat_map(|b| [Some(&b.data_file), b.quarantine_file.as_ref()])
            .flatten()
            .map(|p| self.path_of(p))
            .collect();
        let mut candidates = batch_files(&self.root.join("data"), ".parquet");
        candidates.extend(batch_files(&self.root.join("quarantine"), ".csv"));
        let tmp = self.root.join("tmp");
        if let Ok(es) = fs::read_dir(&tmp) {
            candidates.extend(
                es.flatten()
                    .filter(|e| is_tmp_name(&e.file_name().to_string_lossy()))
                    .map(|e| e.path())
                    .filter(|p| p.is_file()),
            );
        }
        let mut removed = 0;
        for p in candidates {
            if !named.contains(&p) {
                fs::remove_file(&p).map_err(io(&p, Action::RemoveLeftover))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// A writer for a new batch's rows, aside in `tmp/` until [`Store::commit`].
    pub fn data_writer(&self, _lock: &WriteLock, name: &str) -> Result<DataWriter, StoreError> {
        let tmp = self.root.join("tmp");
        fs::create_dir_all(&tmp).map_err(io(&tmp, Action::Create))?;
        Ok(DataWriter {
            path: tmp.join(format!("{name}.parquet")),
            started: None,
        })
    }

    /// Writes the batches' files, then the manifest that names them: all of them or none.
    pub fn commit(
        &self,
        lock: &WriteLock,
        mut manifest: Manifest,
        batches: Vec<NewBatch>,
    ) -> Result<Manifest, StoreError> {
        let tmp = self.root.join("tmp");
        fs::create_dir_all(&tmp).map_err(io(&tmp, Action::Create))?;
        for b in batches {
            self.place(&b.data, &b.entry.data_file)?;
            if let (Some(csv), Some(rel)) = (&b.quarantine_csv, &b.entry.quarantine_file) {
                let q_tmp = tmp.join(format!("{}.csv", b.entry.id));
                crate::files::create_synced(&q_tmp, csv)?;
                self.place(&q_tmp, rel)?;
            }
            manifest.batches.push(b.entry);
        }
        manifest.write(&self.root, &tmp)?;
        let _ = lock;
        Ok(manifest)
    }

    /// Renames a finished temporary file to its place in the store and syncs the directory.
    fn place(&self, from: &Path, relative: &str) -> Result<(), StoreError> {
        // The manifest's paths use `/`; each part is a plain name, never `..`.
        let to = crate::files::rel_path(relative)
            .map(|r| self.root.join(r))
            .ok_or_else(|| StoreError::Parquet {
                path: relative.to_string(),
                message: crate::msg!("store.outside"),
            })?;
        let dir = to.parent().unwrap_or(&self.root);
        fs::create_dir_all(dir).map_err(io(dir, Action::Create))?;
        crate::files::rename(from, &to).map_err(io(&to, Action::MoveIntoPlace))?;
        Ok(crate::files::sync_dir(dir)?)
    }
}

fn parquet_err(path: &Path, e: PolarsError) -> StoreError {
    StoreError::Parquet {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Reads a stored Parquet file, optionally only some columns.
pub fn read_parquet(path: &Path, columns: Option<&[&str]>) -> Result<DataFrame, StoreError> {
    let file = File::open(path).map_err(io(path, Action::Open))?;
    let mut reader = ParquetReader::new(file);
    if let Some(cols) = columns {
        reader = reader.with_columns(Some(cols.iter().map(|c| c.to_string()).collect()));
    }
    reader.finish().map_err(|e| parquet_err(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a folder is: absent or holding only a refused first ingest's leftovers is new; a
    /// manifest file makes a store; a folder named like the manifest, or anything else, is
    /// another's folder; batch files without a manifest are a lost manifest.
    #[test]
    fn a_folder_is_a_store_only_with_a_manifest_file() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("kho");
        assert_eq!(look(&root)?, Found::New);
        std::fs::create_dir_all(root.join("tmp"))?;
        std::fs::write(root.join(".lock"), b"")?;
        assert_eq!(look(&root)?, Found::New);
        std::fs::create_dir(root.join(manifest::FILE))?;
        assert_eq!(look(&root)?, Found::Other("\"manifest.json\"".into()));
        std::fs::remove_dir(root.join(manifest::FILE))?;
        std::fs::write(root.join(manifest::FILE), b"{}")?;
        assert_eq!(look(&root)?, Found::Store);
        std::fs::remove_file(root.join(manifest::FILE))?;
        let data = root.join("data").join("survey=s").join("year=2026");
        std::fs::create_dir_all(&data)?;
        std::fs::write(data.join(format!("batch-{}.parquet", "a".repeat(64))), b"")?;
        assert_eq!(look(&root)?, Found::ManifestLost(1));
        // A file in place of the folder is not a store either, and says so as an error.
        let file = dir.path().join("tệp");
        std::fs::write(&file, b"x")?;
        assert!(look(&file).is_err());
        Ok(())
    }

    /// A hash match reads the stored ids and answers exactly; a colliding hash (forced here by
    /// planting another id's hash) is not taken for a stored id.
    #[test]
    fn stored_ids_are_hashes_checked_against_the_ids_when_they_match() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("batch.parquet");
        let mut df = df!("respondent_id" => ["R1", "R2"])?;
        ParquetWriter::new(std::fs::File::create(&path)?).finish(&mut df)?;
        let mut ids = IdSet {
            hashes: SortedHashes::new(["R1", "R2", "X9"].map(IdSet::hash).to_vec()),
            files: vec![path],
            ..IdSet::default()
        };
        assert!(ids.contains("R1") && ids.contains("R2"));
        assert!(!ids.contains("R3"), "no hash, not stored");
        assert!(
            !ids.contains("X9"),
            "a hash without the id behind it is a collision"
        );
        ids.extend(["N1".to_string()]);
        assert!(ids.contains("N1"), "added in this run");
        Ok(())
    }

    /// Every hash put in is found and, for sizes around the bucket boundaries, no other.
    #[test]
    fn sorted_hashes_find_what_was_put_in_and_nothing_else() {
        for n in [0usize, 1, 31, 32, 33, 64, 1000, 100_000] {
            let all: Vec<u64> = (0..2 * n as u64)
                .map(|i| IdSet::hash(&format!("R{i}")))
                .collect();
            let (put, other) = all.split_at(n);
            // Twice over: repeats are kept once.
            let set = SortedHashes::new(put.iter().chain(put).copied().collect());
            assert_eq!(set.hashes.len(), n);
            assert!(put.iter().all(|h| set.contains(*h)), "{n}");
            assert!(!other.iter().any(|h| set.contains(*h)), "{n}");
            assert!(set.contains(u64::MAX) == put.contains(&u64::MAX));
            assert!(set.contains(0) == put.contains(&0));
        }
    }

    /// Two parts of rows with blanks, written by a [`DataWriter`] and by polars' own writer.
    #[test]
    fn rows_encoded_apart_make_the_file_polars_itself_writes() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let part = |ids: &[&str], a: &[Option<i32>]| -> PolarsResult<DataFrame> {
            df!(
                "respondent_id" => ids,
                "unit_id" => ["Na Rì"; 3],
                "weight" => [Some(1.5), None, Some(0.25)],
                "A1" => a,
            )
        };
        let parts = [
            part(&["R1", "R2", "R3"], &[Some(4), None, Some(5)])?,
            part(&["R4", "R5", "R6"], &[None, Some(1), Some(3)])?,
        ];
        let store = Store::open_or_create(dir.path())?;
        let lock = store.lock()?;
        let mut w = store.data_writer(&lock, "x")?;
        w.start(parts[0].schema())?;
        let encoded: Vec<EncodedRows> = parts
            .iter()
            .map(|p| w.encode(p))
            .collect::<Result<_, _>>()?;
        for e in encoded {
            w.write(e)?;
        }
        let ours = fs::read(w.finish()?)?;

        let theirs = dir.path().join("polars.parquet");
        let mut pw = ParquetWriter::new(File::create(&theirs)?)
            .with_compression(ParquetCompression::Lz4Raw)
            .with_statistics(StatisticsOptions {
                null_count: true,
                ..StatisticsOptions::empty()
            })
            .batched(parts[0].schema())?;
        for p in &parts {
            pw.write_batch(p)?;
        }
        pw.finish()?;
        drop(pw);
        assert_eq!(ours, fs::read(&theirs)?);
        Ok(())
    }
}

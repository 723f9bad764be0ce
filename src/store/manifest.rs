//! `manifest.json`: the list of batches, the one file that says what the store holds.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{StoreError, io};
use crate::files::Action;

pub const FILE: &str = "manifest.json";
/// 2: partition values (`survey`, `year`) only in the folder names, never inside the files.
/// 1: `year` also a column of each file (migrated on first use: [`super::Store::open`]).
pub(super) const FORMAT: u32 = 2;
/// The format before [`FORMAT`], which this chiso migrates.
pub(super) const FORMAT_WITH_YEAR_COLUMN: u32 = 1;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: u32,
    pub batches: Vec<BatchEntry>,
}

/// One ingested batch.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BatchEntry {
    /// Hex SHA-256 of survey, year and parsed content.
    pub id: String,
    pub survey: String,
    /// Version of the questionnaire the batch was checked against (its legal basis).
    pub survey_version: String,
    pub year: i32,
    /// The file as named on the command line.
    pub source: String,
    /// How it was read (encoding and delimiter, or workbook sheet).
    pub format: String,
    pub rows_read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    /// Relative to the store root.
    pub data_file: String,
    pub quarantine_file: Option<String>,
    /// RFC 3339, UTC.
    pub ingested_at: String,
    #[serde(default)]
    pub ignored_columns: Vec<String>,
    #[serde(default)]
    pub pii_kept: bool,
    /// Set when the batch was withdrawn (`chiso batches retract`) or replaced (`chiso ingest
    /// --replaces`): it no longer counts, and its files stay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retracted: Option<Retraction>,
}

/// When and why a batch stopped counting.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Retraction {
    /// RFC 3339, UTC.
    pub at: String,
    pub reason: String,
    /// The batch that replaced it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

impl BatchEntry {
    pub fn short_id(&self) -> &str {
        &self.id[..12.min(self.id.len())]
    }
}

impl Manifest {
    /// A manifest naming no batch.
    pub fn empty() -> Manifest {
        Manifest {
            format: FORMAT,
            batches: Vec::new(),
        }
    }

    /// The manifest of the store at `root`.
    pub fn read(root: &Path) -> Result<Manifest, StoreError> {
        let path = root.join(FILE);
        let text = crate::files::read_to_string(&path).map_err(io(&path, Action::Read))?;
        let m: Manifest = serde_json::from_str(&text).map_err(|e| StoreError::Manifest {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        if m.format != FORMAT && m.format != FORMAT_WITH_YEAR_COLUMN {
            return Err(StoreError::Manifest {
                path: path.display().to_string(),
                message: crate::msg!("store.format", format = m.format, want = FORMAT),
            });
        }
        Ok(m)
    }

    /// Replaces the manifest atomically: write aside, sync, rename, sync the directory.
    pub(super) fn write(&self, root: &Path, tmp: &Path) -> Result<(), StoreError> {
        let text = serde_json::to_vec_pretty(self).map_err(|e| StoreError::Manifest {
            path: root.join(FILE).display().to_string(),
            message: e.to_string(),
        })?;
        Ok(crate::files::replace(&root.join(FILE), tmp, &text)?)
    }

    pub fn find(&self, id: &str) -> Option<&BatchEntry> {
        self.batches.iter().find(|b| b.id == id)
    }

    /// The batches that count: every one not retracted.
    pub fn live(&self) -> impl Iterator<Item = &BatchEntry> {
        self.batches.iter().filter(|b| b.retracted.is_none())
    }

    /// The batches that count for a survey and year.
    pub fn batches_of<'a>(
        &'a self,
        survey: &'a str,
        year: i32,
    ) -> impl Iterator<Item = &'a BatchEntry> + 'a {
        self.live()
            .filter(move |b| b.survey == survey && b.year == year)
    }

    /// The batch whose id starts with `prefix` (at least 6 hex digits, as `chiso batches`
    /// shows 12).
    pub fn find_prefix(&self, prefix: &str) -> Result<&BatchEntry, String> {
        let p = prefix.trim().to_ascii_lowercase();
        if p.len() < 6 {
            return Err(crate::msg!("store.id_too_short", batch = prefix));
        }
        let found: Vec<&BatchEntry> = self
            .batches
            .iter()
            .filter(|b| b.id.starts_with(&p))
            .collect();
        match found.as_slice() {
            [one] => Ok(one),
            [] => Err(crate::msg!("store.no_such_batch", batch = prefix)),
            _ => Err(crate::msg!(
                "store.ambiguous",
                count = found.len(),
                batch = prefix
            )),
        }
    }
}

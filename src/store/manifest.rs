//! `manifest.json`: the list of batches, the one file that says what the store holds.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{StoreError, io};

pub const FILE: &str = "manifest.json";
const FORMAT: u32 = 1;

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
        let text = fs::read_to_string(&path).map_err(io(&path, "cannot read"))?;
        let m: Manifest = serde_json::from_str(&text).map_err(|e| StoreError::Manifest {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        if m.format != FORMAT {
            return Err(StoreError::Manifest {
                path: path.display().to_string(),
                message: format!(
                    "format {} is not the format {FORMAT} this chiso reads",
                    m.format
                ),
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

    pub fn batches_of<'a>(
        &'a self,
        survey: &'a str,
        year: i32,
    ) -> impl Iterator<Item = &'a BatchEntry> + 'a {
        self.batches
            .iter()
            .filter(move |b| b.survey == survey && b.year == year)
    }
}

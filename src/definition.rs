//! What every definition file (questionnaire, scoring methodology, PAR methodology) shares:
//! how it is read, how a parse error is told, and what an id may be.

use std::io::Read;
use std::path::Path;

use serde::de::DeserializeOwned;
use thiserror::Error;

/// Which kind of definition a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Questionnaire,
    Methodology,
    ParMethodology,
}

impl Kind {
    /// What a valid file of this kind is called.
    fn what(self) -> String {
        match self {
            Kind::Questionnaire => crate::msg!("definition.kind.questionnaire"),
            Kind::Methodology => crate::msg!("definition.kind.methodology"),
            Kind::ParMethodology => crate::msg!("definition.kind.par"),
        }
    }

    /// What an unknown id of this kind is called.
    fn unknown(self) -> String {
        match self {
            Kind::Questionnaire => crate::msg!("definition.kind.survey"),
            Kind::Methodology => crate::msg!("definition.kind.methodology"),
            Kind::ParMethodology => crate::msg!("definition.kind.par"),
        }
    }

    /// Where the shipped ones are listed.
    fn shipped(self) -> String {
        match self {
            Kind::Questionnaire => crate::msg!("definition.shipped.questionnaire"),
            Kind::Methodology => crate::msg!("definition.shipped.methodology"),
            Kind::ParMethodology => crate::msg!("definition.shipped.par"),
        }
    }
}

/// Why a questionnaire, a methodology or a PAR methodology could not be loaded.
#[derive(Debug, Error)]
pub enum DefinitionError {
    #[error("{}", crate::msg!("definition.parse", file = file, what = kind.what(), message = message))]
    Parse {
        kind: Kind,
        file: String,
        message: String,
    },
    #[error("{file}: {message}\n  {} {hint}", crate::msg!("cmd.hint"))]
    Invalid {
        file: String,
        message: String,
        hint: String,
    },
    #[error("{}", crate::msg!("definition.unknown", what = kind.unknown(), id = id, shipped = kind.shipped()))]
    Unknown { kind: Kind, id: String },
    #[error("{file}: {}: {source}", crate::msg!("io.read"))]
    Io {
        file: String,
        source: std::io::Error,
    },
}

impl DefinitionError {
    /// A definition that parses but breaks a rule: what, and how to fix it.
    pub fn invalid(file: &str, message: String, hint: &str) -> DefinitionError {
        DefinitionError::Invalid {
            file: file.to_string(),
            message,
            hint: hint.to_string(),
        }
    }
}

/// Loads a definition: from the file `id_or_path` names (a path, or anything ending in
/// `.toml`), given to `from_file(path, text)`; else the shipped one with that id.
pub fn load<T>(
    kind: Kind,
    id_or_path: &str,
    from_file: impl FnOnce(&Path, &str) -> Result<T, DefinitionError>,
    shipped: impl FnOnce(&str) -> Option<Result<T, DefinitionError>>,
) -> Result<T, DefinitionError> {
    let path = Path::new(id_or_path);
    if id_or_path.ends_with(".toml") || path.is_file() {
        let text = read(path).map_err(|source| DefinitionError::Io {
            file: id_or_path.to_string(),
            source,
        })?;
        return from_file(path, &text);
    }
    shipped(id_or_path).unwrap_or_else(|| {
        Err(DefinitionError::Unknown {
            kind,
            id: id_or_path.to_string(),
        })
    })
}

/// The shipped definition `id` among `shipped` ((id, text) pairs of `folder/*.toml`), parsed
/// by `parse(file, text)`.
pub fn shipped_in<T>(
    folder: &str,
    shipped: &[(&str, &str)],
    id: &str,
    parse: impl Fn(&str, &str) -> Result<T, DefinitionError>,
) -> Option<Result<T, DefinitionError>> {
    shipped
        .iter()
        .find(|(s, _)| *s == id)
        .map(|(id, text)| parse(&format!("{folder}/{id}.toml"), text))
}

/// Lowercase hexadecimal of `bytes` (digests, batch ids).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses a definition's TOML into `T`, a parse error told as one of `kind`.
pub fn parse_as<T: DeserializeOwned>(
    kind: Kind,
    file: &str,
    text: &str,
) -> Result<T, DefinitionError> {
    parse(text).map_err(|message| DefinitionError::Parse {
        kind,
        file: file.to_string(),
        message,
    })
}

/// Largest definition file read: the shipped ones are a few KB; anything far larger is not one.
pub const MAX_BYTES: u64 = 1 << 20;

/// Longest id.
pub const MAX_ID_CHARS: usize = 64;

/// Reads a definition file as UTF-8 text, refusing one over [`MAX_BYTES`] (a device, a data
/// file named by mistake) without reading it whole.
pub fn read(path: &Path) -> std::io::Result<String> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "larger than {} KiB: not a definition file",
                MAX_BYTES / 1024
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not UTF-8 text: not a definition file",
        )
    })
}

/// Parses TOML; an error says where (line and column) and what, without quoting the file's
/// content (the file may not be a definition at all, e.g. a system file named by mistake).
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    toml::from_str(text).map_err(|e| {
        let message = e.message().trim().to_string();
        match e.span() {
            Some(span) => {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                format!("line {line}, column {column}: {message}")
            }
            None => message,
        }
    })
}

/// An id used in file and folder names: 1 to 64 ASCII letters, digits, `-` and `_`, starting
/// with a letter or digit (never a path, never empty).
pub fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && id.as_bytes()[0].is_ascii_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_names() {
        for ok in ["sipas", "health-outpatient-3869", "par_commune", "A1"] {
            assert!(is_plain_id(ok), "{ok}");
        }
        for bad in [
            "",
            "../../../../tmp/x",
            "a/b",
            "a\\b",
            ".hidden",
            "-x",
            "c:x",
            "xã",
            &"x".repeat(65),
        ] {
            assert!(!is_plain_id(bad), "{bad}");
        }
    }

    #[test]
    fn a_parse_error_says_where_without_quoting_the_file() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct X {
            id: String,
        }
        let text = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1\n";
        let e = parse::<X>(text).err().unwrap_or_default();
        assert!(e.starts_with("line 1, column "), "{e}");
        assert!(!e.contains("root:x") && !e.contains("/bin/bash"), "{e}");
    }
}

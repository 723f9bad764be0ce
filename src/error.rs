//! The error that means "what was asked for is wrong" (exit status 2), as opposed to an error
//! in the data (exit status 1).

use thiserror::Error;

/// An error in what the user asked for (exit status 2), as opposed to in their data.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct UsageError(pub String);

//! One error type for all Synthgate library crates, so that the mapping from a failure to an
//! exit code lives in exactly one place ([`ErrorKind::exit_code`]).

use std::fmt;
use std::path::{Path, PathBuf};

/// A `Result` whose error is Synthgate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is. The kind decides the exit code (DESIGN.md, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The command line was wrong: an unknown flag value, an unsupported file extension, an
    /// output that exists and may not be overwritten. Exit code 2.
    Usage,
    /// An input data file is missing, unreadable as a table, or malformed. Exit code 3.
    InputData,
    /// A schema, spec or model file is malformed or does not match the data. Exit code 3.
    Spec,
    /// A policy gate failed. Exit code 4.
    GateFailed,
    /// A verification (digest, signature, chain link, reproduction) failed. Exit code 5.
    VerificationFailed,
    /// The environment failed us: an unwritable path, a full disk, an unreachable server. Exit
    /// code 6.
    Environment,
    /// A bug in Synthgate. Exit code 1.
    Internal,
}

impl ErrorKind {
    /// The process exit code DESIGN.md assigns to this kind.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Internal => 1,
            ErrorKind::Usage => 2,
            ErrorKind::InputData | ErrorKind::Spec => 3,
            ErrorKind::GateFailed => 4,
            ErrorKind::VerificationFailed => 5,
            ErrorKind::Environment => 6,
        }
    }

    fn label(self) -> &'static str {
        match self {
            ErrorKind::Usage => "usage error",
            ErrorKind::InputData => "input data error",
            ErrorKind::Spec => "spec error",
            ErrorKind::GateFailed => "policy gate failed",
            ErrorKind::VerificationFailed => "verification failed",
            ErrorKind::Environment => "environment error",
            ErrorKind::Internal => "internal error (this is a bug in Synthgate; please report it)",
        }
    }
}

/// Where in a file an error was found. Lines and columns are 1-based; `column` is the name of
/// a table column when there is one, else a character position.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// The file the problem is in.
    pub file: PathBuf,
    /// 1-based line number, where known.
    pub line: Option<u64>,
    /// The table column (by name), where known.
    pub column: Option<String>,
}

impl Location {
    /// A location naming only a file.
    pub fn file(path: impl AsRef<Path>) -> Location {
        Location {
            file: path.as_ref().to_path_buf(),
            line: None,
            column: None,
        }
    }

    /// This location at a 1-based line.
    pub fn line(mut self, line: u64) -> Location {
        self.line = Some(line);
        self
    }

    /// This location in a named table column.
    pub fn column(mut self, column: impl Into<String>) -> Location {
        self.column = Some(column.into());
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column '{column}'")?;
        }
        Ok(())
    }
}

/// A failure with a message written for the person at the keyboard: what went wrong, where
/// (file, line, column), and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    location: Option<Location>,
    message: String,
    hint: Option<String>,
}

impl Error {
    /// A new error of `kind` with a message that says what went wrong.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            location: None,
            message: message.into(),
            hint: None,
        }
    }

    /// A usage error (exit code 2).
    pub fn usage(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Usage, message)
    }

    /// An input data error (exit code 3).
    pub fn input(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InputData, message)
    }

    /// A spec, schema or model error (exit code 3).
    pub fn spec(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Spec, message)
    }

    /// An environment error (exit code 6).
    pub fn environment(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Environment, message)
    }

    /// A bug in Synthgate (exit code 1).
    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Internal, message)
    }

    /// Attach where the problem is.
    pub fn at(mut self, location: Location) -> Error {
        self.location = Some(location);
        self
    }

    /// Attach what the user can do about it.
    pub fn hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Where the problem is, if known.
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }

    /// The message without location or hint.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The suggested fix, if any.
    pub fn suggestion(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.kind.label())?;
        if let Some(location) = &self.location {
            write!(f, "{location}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// The 1-based line of byte offset `byte` in `text` (for errors that point into a file).
pub fn line_of(text: &str, byte: usize) -> u64 {
    let end = byte.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_column_and_hint() {
        let error = Error::input("expected 3 fields, found 2.")
            .at(Location::file("data.csv").line(7).column("age"))
            .hint("Fix the row or remove it.");
        assert_eq!(
            error.to_string(),
            "input data error: data.csv, line 7, column 'age': expected 3 fields, found 2. \
             Fix the row or remove it."
        );
        assert_eq!(error.kind().exit_code(), 3);
    }

    #[test]
    fn exit_codes_follow_design() {
        let codes: Vec<i32> = [
            ErrorKind::Internal,
            ErrorKind::Usage,
            ErrorKind::InputData,
            ErrorKind::Spec,
            ErrorKind::GateFailed,
            ErrorKind::VerificationFailed,
            ErrorKind::Environment,
        ]
        .iter()
        .map(|kind| kind.exit_code())
        .collect();
        assert_eq!(codes, vec![1, 2, 3, 3, 4, 5, 6]);
    }
}

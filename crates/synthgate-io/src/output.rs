//! Writing files safely: never half-written, never over a user's file unless asked.
//!
//! [`write_atomically`] writes into a hidden temporary file next to the target and renames it
//! into place only when everything was written and synced. If anything fails (or panics) the
//! temporary file is removed, so the target is either the complete new file or untouched.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use synthgate_core::{Error, Location, Result};

/// What to do when the output file exists already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overwrite {
    /// Refuse with a usage error (the default).
    #[default]
    Refuse,
    /// Replace the file.
    Allow,
}

/// An I/O failure on `path` as a Synthgate error: permission problems, a full disk, a missing
/// directory and the like are environment errors (exit 6).
pub fn io_error(path: &Path, action: &str, error: &io::Error) -> Error {
    let hint = match error.kind() {
        io::ErrorKind::PermissionDenied => "Check the permissions of the file and its folder.",
        io::ErrorKind::NotFound => "Check that the folder exists.",
        io::ErrorKind::StorageFull => "Free some disk space and run the command again.",
        io::ErrorKind::ReadOnlyFilesystem => "Write to a folder on a writable file system.",
        _ => "Check the path and try again.",
    };
    Error::environment(format!("could not {action}: {error}."))
        .at(Location::file(path))
        .hint(hint)
}

/// Removes the temporary file unless the write was committed.
struct TempGuard {
    path: PathBuf,
    committed: bool,
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: the file may not exist if creating it failed.
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Check that `path` may be written: it must not be a directory, must not exist unless
/// `overwrite` allows it, and its folder must exist.
pub fn check_output_path(path: &Path, overwrite: Overwrite) -> Result<()> {
    if path.is_dir() {
        return Err(Error::usage("the output path is a directory.")
            .at(Location::file(path))
            .hint("Give a file name inside it instead."));
    }
    if path.exists() && overwrite == Overwrite::Refuse {
        return Err(Error::usage("the output file exists already.")
            .at(Location::file(path))
            .hint("Choose another name, or pass --force to replace it."));
    }
    let parent = parent_dir(path);
    if !parent.is_dir() {
        return Err(Error::environment("the output folder does not exist.")
            .at(Location::file(path))
            .hint("Create the folder first, or choose another path."));
    }
    Ok(())
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Write `path` through `write`, atomically: into a temporary file in the same folder, then
/// renamed into place. Errors from `write` are returned as they are; nothing is left behind.
pub fn write_atomically<F>(path: &Path, overwrite: Overwrite, write: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> Result<()>,
{
    check_output_path(path, overwrite)?;
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_string());
    let temp_path =
        parent_dir(path).join(format!(".{file_name}.synthgate-tmp-{}", std::process::id()));
    let mut guard = TempGuard {
        path: temp_path.clone(),
        committed: false,
    };
    let file = File::create(&temp_path)
        .map_err(|error| io_error(path, "create the output file", &error))?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    write(&mut writer)?;
    let file = writer
        .into_inner()
        .map_err(|error| io_error(path, "write the output file", error.error()))?;
    file.sync_all()
        .map_err(|error| io_error(path, "write the output file", &error))?;
    drop(file);
    if overwrite == Overwrite::Refuse && path.exists() {
        return Err(
            Error::usage("the output file appeared while it was being written.")
                .at(Location::file(path))
                .hint("Choose another name, or pass --force to replace it."),
        );
    }
    fs::rename(&temp_path, path)
        .map_err(|error| io_error(path, "move the finished file into place", &error))?;
    guard.committed = true;
    Ok(())
}

/// Write `bytes` to `path` atomically.
pub fn write_bytes_atomically(path: &Path, overwrite: Overwrite, bytes: &[u8]) -> Result<()> {
    write_atomically(path, overwrite, |writer| {
        writer
            .write_all(bytes)
            .map_err(|error| io_error(path, "write the output file", &error))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_write_leaves_nothing_and_keeps_existing_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("out.csv");
        fs::write(&target, "original").expect("write");
        let result = write_atomically(&target, Overwrite::Allow, |writer| {
            writer.write_all(b"partial").expect("buffered write");
            Err(Error::input("the source broke halfway"))
        });
        assert!(result.is_err());
        assert_eq!(fs::read_to_string(&target).expect("read"), "original");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.csv")]);
    }

    #[test]
    fn refuses_to_overwrite_unless_allowed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("out.txt");
        fs::write(&target, "original").expect("write");
        let error =
            write_bytes_atomically(&target, Overwrite::Refuse, b"new").expect_err("refused");
        assert_eq!(error.kind().exit_code(), 2);
        assert!(error.to_string().contains("--force"));
        write_bytes_atomically(&target, Overwrite::Allow, b"new").expect("allowed");
        assert_eq!(fs::read_to_string(&target).expect("read"), "new");
    }

    #[test]
    fn missing_folder_is_an_environment_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("no/such/folder/out.txt");
        let error = write_bytes_atomically(&target, Overwrite::Refuse, b"x").expect_err("fails");
        assert_eq!(error.kind().exit_code(), 6);
    }
}

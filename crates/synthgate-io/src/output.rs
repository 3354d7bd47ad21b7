//! Writing files safely: never half-written, never over a user's file unless asked.
//!
//! [`write_atomically`] writes into a hidden temporary file next to the target and renames it
//! into place only when everything was written and synced. If anything fails (or panics) the
//! temporary file is removed, so the target is either the complete new file or untouched.
//! [`write_secret_atomically`] does the same for a secret (a private key): the temporary file
//! is created readable by its owner only, before its first byte is written.

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

/// Who may read the file written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// As the process's umask allows (the usual 0644).
    Default,
    /// The owner only (0600), from the file's creation.
    OwnerOnly,
}

/// Write `path` through `write`, atomically: into a temporary file in the same folder, then
/// renamed into place. Errors from `write` are returned as they are; nothing is left behind.
pub fn write_atomically<F>(path: &Path, overwrite: Overwrite, write: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> Result<()>,
{
    write_atomically_as(path, overwrite, Access::Default, write)
}

/// Create the temporary file `temp_path` for `path`. With [`Access::OwnerOnly`] it is created
/// new (never an existing file or link) with mode 0600, then the mode is set again on the open
/// file and checked, so a umask or a file system that ignores modes cannot leave it readable
/// by others without an error.
fn create_temp(temp_path: &Path, path: &Path, access: Access) -> Result<File> {
    if access == Access::Default {
        return File::create(temp_path)
            .map_err(|error| io_error(path, "create the output file", &error));
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(temp_path).map_err(|error| {
        let in_the_way = error.kind() == io::ErrorKind::AlreadyExists;
        let error = io_error(path, "create the private file", &error);
        if in_the_way {
            error.hint(format!(
                "A temporary file {} is in the way (left by a crashed run?); remove it and \
                 try again.",
                temp_path.display()
            ))
        } else {
            error
        }
    })?;
    if let Err(error) = make_private(&file, path) {
        // Best effort: the caller's guard does not exist yet.
        let _ = fs::remove_file(temp_path);
        return Err(error);
    }
    Ok(file)
}

/// Set `file`'s mode to 0600 and check it took. Without Unix modes, the folder's access rules
/// apply.
fn make_private(file: &File, path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let failed = |error: &io::Error| {
            io_error(
                path,
                "make the file readable by its owner only (mode 0600)",
                error,
            )
        };
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(|error| failed(&error))?;
        let mode = file
            .metadata()
            .map_err(|error| failed(&error))?
            .permissions()
            .mode()
            & 0o777;
        if mode != 0o600 {
            return Err(Error::environment(format!(
                "could not make the file readable by its owner only: its mode is {mode:o}, \
                 not 600."
            ))
            .at(Location::file(path))
            .hint("Write it to a folder on a file system that keeps Unix permissions."));
        }
    }
    #[cfg(not(unix))]
    let _ = (file, path);
    Ok(())
}

fn write_atomically_as<F>(path: &Path, overwrite: Overwrite, access: Access, write: F) -> Result<()>
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
    let file = create_temp(&temp_path, path, access)?;
    let mut guard = TempGuard {
        path: temp_path.clone(),
        committed: false,
    };
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    write(&mut writer)?;
    let file = writer
        .into_inner()
        .map_err(|error| io_error(path, "write the output file", error.error()))?;
    file.sync_all()
        .map_err(|error| io_error(path, "write the output file", &error))?;
    drop(file);
    let appeared = || {
        Error::usage("the output file appeared while it was being written.")
            .at(Location::file(path))
            .hint("Choose another name, or pass --force to replace it.")
    };
    if overwrite == Overwrite::Refuse {
        // A hard link never replaces an existing file, so a file made at the same moment by
        // someone else is kept; where the file system has no hard links, check, then rename.
        match fs::hard_link(&temp_path, path) {
            Ok(()) => return Ok(()),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => return Err(appeared()),
            Err(_) if path.exists() => return Err(appeared()),
            Err(_) => {}
        }
    }
    fs::rename(&temp_path, path)
        .map_err(|error| io_error(path, "move the finished file into place", &error))?;
    guard.committed = true;
    Ok(())
}

/// Write `bytes` to `path` atomically.
pub fn write_bytes_atomically(path: &Path, overwrite: Overwrite, bytes: &[u8]) -> Result<()> {
    write_atomically_as(path, overwrite, Access::Default, write_bytes(path, bytes))
}

fn write_bytes<'a>(
    path: &'a Path,
    bytes: &'a [u8],
) -> impl FnOnce(&mut BufWriter<File>) -> Result<()> + 'a {
    move |writer| {
        writer
            .write_all(bytes)
            .map_err(|error| io_error(path, "write the output file", &error))
    }
}

/// Write `bytes` (a secret, such as a private key) to `path` atomically, readable by its
/// owner only: the temporary file is created new with mode 0600 (on Unix) before its first
/// byte, synced and hard-linked into place, which never replaces a file (not even one made at
/// the same moment). An existing `path` is a usage error; a mode that cannot be set is an
/// environment error, and nothing is left behind.
pub fn write_secret_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically_as(
        path,
        Overwrite::Refuse,
        Access::OwnerOnly,
        write_bytes(path, bytes),
    )
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

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::symlink_metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn secrets_are_private_from_their_first_byte_and_never_replace_a_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = dir.path().join("key");
        // While the bytes are written, the temporary file exists, empty, with mode 0600.
        let mut seen = Vec::new();
        write_atomically_as(&key, Overwrite::Refuse, Access::OwnerOnly, |writer| {
            for entry in fs::read_dir(dir.path()).expect("list") {
                let path = entry.expect("entry").path();
                seen.push((mode(&path), fs::metadata(&path).expect("metadata").len()));
            }
            write_bytes(&key, b"first")(writer)
        })
        .expect("written");
        assert_eq!(seen, [(0o600, 0)]);
        assert_eq!(mode(&key), 0o600);
        assert_eq!(fs::read_to_string(&key).expect("read"), "first");

        // An existing file is neither replaced nor made private.
        let other = dir.path().join("other");
        fs::write(&other, "original").expect("write");
        let before = mode(&other);
        let error = write_secret_atomically(&other, b"secret").expect_err("refused");
        assert_eq!(error.kind().exit_code(), 2);
        assert_eq!(fs::read_to_string(&other).expect("read"), "original");
        assert_eq!(mode(&other), before);

        write_secret_atomically(&dir.path().join("second"), b"second").expect("written");
        assert_eq!(mode(&dir.path().join("second")), 0o600);
        let mut names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["key", "other", "second"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_is_never_written_through_a_planted_link() {
        let dir = tempfile::tempdir().expect("temp dir");
        let victim = dir.path().join("victim");
        fs::write(&victim, "untouched").expect("write");
        let key = dir.path().join("key");
        let temp = dir
            .path()
            .join(format!(".key.synthgate-tmp-{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &temp).expect("link");
        let error = write_secret_atomically(&key, b"secret").expect_err("refused");
        assert_eq!(error.kind().exit_code(), 6);
        assert!(error.to_string().contains("in the way"), "{error}");
        assert_eq!(fs::read_to_string(&victim).expect("read"), "untouched");
        assert!(!key.exists());
    }

    #[test]
    fn missing_folder_is_an_environment_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("no/such/folder/out.txt");
        let error = write_bytes_atomically(&target, Overwrite::Refuse, b"x").expect_err("fails");
        assert_eq!(error.kind().exit_code(), 6);
    }
}

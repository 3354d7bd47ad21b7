//! The files of a release computed from real rows that its policy keeps out of the bundle
//! (`[policy] real_data_files`, withheld by default when the release's environment is public):
//! the evaluation report with its real-data values and charts, and the source profile for
//! drift monitoring. A differentially private release's guarantee covers its model and its
//! synthetic data, never these; a public bundle therefore carries them only by digest, in the
//! manifest's `withheld` list, and the operator's workspace keeps the bytes, each named by its
//! SHA-256 (so a bundle finds its own wherever it was moved). They are written readable by
//! their owner only, like the full generation logs of prompt-based releases. It depends on no
//! other module of the crate.

use std::path::{Path, PathBuf};

use synthgate_core::{Error, ErrorKind, Result};

/// The workspace folder that keeps withheld files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withheld {
    /// The folder.
    pub folder: PathBuf,
}

impl Withheld {
    /// The folder, in a workspace.
    pub const FOLDER: &str = "withheld";

    /// Where a workspace whose folder is `home` keeps them.
    pub fn in_workspace(home: &Path) -> Withheld {
        Withheld {
            folder: home.join(Self::FOLDER),
        }
    }

    /// Where a file whose bytes have digest `sha256` is kept.
    pub fn path(&self, sha256: &str) -> PathBuf {
        self.folder.join(sha256)
    }

    /// Keep `bytes`; returns the path when it was written now (`None`: the same bytes were
    /// already there).
    pub fn keep(&self, bytes: &[u8]) -> Result<Option<PathBuf>> {
        keep_once(
            &self.folder,
            &self.path(&synthgate_io::sha256_bytes(bytes)),
            bytes,
        )
    }

    /// The bytes of the withheld bundle file `name` whose manifest digest is `sha256`,
    /// checked against it.
    pub fn read(&self, name: &str, sha256: &str) -> Result<Vec<u8>> {
        let path = self.path(sha256);
        let bytes = std::fs::read(&path).map_err(|error| {
            synthgate_io::io_error(&path, &format!("read the withheld {name}"), &error)
        })?;
        if synthgate_io::sha256_bytes(&bytes) != sha256 {
            return Err(Error::new(
                ErrorKind::VerificationFailed,
                format!(
                    "the workspace's copy of the withheld {} ({}) does not match the \
                     manifest's digest.",
                    name,
                    path.display()
                ),
            ));
        }
        Ok(bytes)
    }
}

/// Write the secret `bytes` at `path` in `folder` unless a file is already there (content-named
/// files are the same bytes); returns the path when it was written now.
pub(crate) fn keep_once(folder: &Path, path: &Path, bytes: &[u8]) -> Result<Option<PathBuf>> {
    if path.is_file() {
        return Ok(None);
    }
    std::fs::create_dir_all(folder)
        .map_err(|error| synthgate_io::io_error(folder, "create the folder", &error))?;
    synthgate_io::write_secret_atomically(path, bytes)?;
    Ok(Some(path.to_path_buf()))
}

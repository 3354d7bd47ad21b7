//! Where a run may write: the bundle path resolved and checked before any work, so that a spec
//! or a flag cannot make a run delete or replace anything but a Synthgate bundle.

use std::path::{Component, Path, PathBuf};

use synthgate_core::{Error, Result};

/// `path` made absolute and free of `.` and `..`, walking it from the root: each existing
/// component that is a link is resolved by the file system (so `..` after it means what the
/// file system means), except the last, which is kept as it is, since it is what would be
/// replaced; components past the first missing one are taken as written.
pub(crate) fn resolve(path: &Path) -> Result<PathBuf> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|error| {
                synthgate_io::io_error(Path::new("."), "find the working folder", &error)
            })?
            .join(path)
    };
    let components: Vec<Component<'_>> = absolute.components().collect();
    let mut resolved = PathBuf::new();
    let mut exists = true;
    for (index, component) in components.iter().enumerate() {
        match component {
            Component::Prefix(_) | Component::RootDir => resolved.push(component.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                resolved.pop();
            }
            Component::Normal(part) => {
                resolved.push(part);
                if !exists {
                    continue;
                }
                match std::fs::symlink_metadata(&resolved) {
                    Ok(meta) if meta.file_type().is_symlink() && index + 1 < components.len() => {
                        resolved = canonical(&resolved)?;
                    }
                    Ok(_) => {}
                    Err(_) => exists = false,
                }
            }
        }
    }
    Ok(resolved)
}

fn canonical(path: &Path) -> Result<PathBuf> {
    std::fs::canonicalize(path)
        .map_err(|error| synthgate_io::io_error(path, "resolve the path", &error))
}

/// A path the run must never write over or into, and what it is.
pub(crate) struct Protected {
    pub(crate) path: PathBuf,
    pub(crate) what: String,
}

/// Check that a bundle may be written at `out` (already resolved): it does not exist, or it is
/// a bundle and `force` is given; it is not a link; it is neither one of the `protected`
/// paths nor a folder holding one. A refusal is a usage error (exit 2) and nothing is written.
pub(crate) fn check_bundle_target(out: &Path, force: bool, protected: &[Protected]) -> Result<()> {
    for item in protected {
        if item.path == out {
            return Err(Error::usage(format!(
                "the bundle folder {} is {}; a bundle never replaces the run's own inputs.",
                out.display(),
                item.what
            ))
            .hint("Choose another --out."));
        }
        if item.path.starts_with(out) {
            return Err(Error::usage(format!(
                "the bundle folder {} holds {} ({}); a bundle never replaces the run's own inputs.",
                out.display(),
                item.what,
                item.path.display()
            ))
            .hint("Choose another --out."));
        }
    }
    let Ok(meta) = std::fs::symlink_metadata(out) else {
        return Ok(());
    };
    if meta.file_type().is_symlink() {
        return Err(Error::usage(format!(
            "{} is a link; a bundle is never written through one.",
            out.display()
        )));
    }
    if !force {
        return Err(Error::usage(format!(
            "the bundle folder {} exists; pass --force to replace it.",
            out.display()
        )));
    }
    if !synthgate_release::is_bundle(out) {
        return Err(Error::usage(format!(
            "{} exists and is not a Synthgate bundle (it has no manifest.json saying so); \
             --force replaces only a bundle folder, never other files.",
            out.display()
        ))
        .hint("Choose another --out, or move that folder away yourself."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_removes_dots_and_follows_existing_links() {
        let folder = tempfile::tempdir().expect("temp");
        let root = std::fs::canonicalize(folder.path()).expect("canonical");
        std::fs::create_dir(root.join("a")).expect("dir");
        std::os::unix::fs::symlink(root.join("a"), root.join("link")).expect("link");
        assert_eq!(
            resolve(&root.join("link/new/../x")).expect("resolves"),
            root.join("a/x")
        );
        // A link as the last component is kept, so the checks see the link itself.
        assert_eq!(
            resolve(&root.join("link")).expect("resolves"),
            root.join("link")
        );
    }

    #[test]
    fn only_bundles_are_replaced_and_never_inputs() {
        let folder = tempfile::tempdir().expect("temp");
        let root = std::fs::canonicalize(folder.path()).expect("canonical");
        let data = root.join("data.csv");
        std::fs::write(&data, "a\n1\n").expect("write");
        let protected = [Protected {
            path: data.clone(),
            what: "the source".into(),
        }];
        let refused = |out: &Path, force: bool| {
            check_bundle_target(out, force, &protected)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(refused(&root, true).contains("holds the source"));
        assert!(refused(&data, true).contains("is the source"));
        let other = root.join("notes");
        std::fs::create_dir(&other).expect("dir");
        assert!(refused(&other, false).contains("pass --force"));
        assert!(refused(&other, true).contains("not a Synthgate bundle"));
        std::fs::write(
            other.join("manifest.json"),
            r#"{"format": "synthgate-release"}"#,
        )
        .expect("write");
        assert!(check_bundle_target(&other, true, &protected).is_ok());
        assert!(check_bundle_target(&root.join("new"), false, &protected).is_ok());
    }
}

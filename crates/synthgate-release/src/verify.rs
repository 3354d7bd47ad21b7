//! Verifying a bundle: the manifest parses, every file it lists is there with the recorded
//! size and digest, no file is there that it does not list, the report inside is the one the
//! manifest summarises, and the decision's releasable flag matches the manifest's. With
//! `reproduce`, the recorded pipeline runs again from its source and the synthetic data must
//! come out byte for byte.

use std::path::Path;

use serde::Serialize;
use synthgate_core::{Error, ErrorKind, Result};
use synthgate_io::sha256_file;

use crate::bundle::{DATA_FILE, Manifest, index};

/// What verification found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verification {
    /// Files checked.
    pub files: usize,
    /// Whether every gate passed or was waived.
    pub releasable: bool,
    /// With `reproduce`: whether the data came out byte for byte.
    pub reproduced: Option<bool>,
}

fn failed(message: String) -> Error {
    Error::new(ErrorKind::VerificationFailed, message)
}

/// Read `bundle/manifest.json`.
pub fn read_manifest(bundle: &Path) -> Result<Manifest> {
    let path = bundle.join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|error| failed(format!("{} cannot be read: {error}.", path.display())))?;
    serde_json::from_str(&text).map_err(|error| {
        failed(format!(
            "{} is not a valid manifest (line {}): {error}.",
            path.display(),
            error.line()
        ))
    })
}

/// Verify the bundle at `bundle`; every problem found is named (exit code 5).
pub fn verify_bundle(
    bundle: &Path,
    reproduce: bool,
    progress: &mut dyn FnMut(&str),
) -> Result<Verification> {
    if !bundle.join("manifest.json").is_file() {
        return Err(failed(format!(
            "{} is not a release bundle: it has no manifest.json.",
            bundle.display()
        )));
    }
    let manifest = read_manifest(bundle)?;
    if manifest.format != "synthgate-release" {
        return Err(failed(format!(
            "the manifest's format is '{}', not synthgate-release.",
            manifest.format
        )));
    }
    if manifest.format_version > crate::BUNDLE_FORMAT_VERSION {
        return Err(failed(format!(
            "the bundle's format version {} is newer than this Synthgate reads ({}).",
            manifest.format_version,
            crate::BUNDLE_FORMAT_VERSION
        )));
    }
    let on_disk = index(bundle)?;
    let mut problems = Vec::new();
    for listed in &manifest.files {
        match on_disk.iter().find(|f| f.path == listed.path) {
            None => problems.push(format!(
                "{} is listed in the manifest but missing",
                listed.path
            )),
            Some(found) if found.bytes != listed.bytes || found.sha256 != listed.sha256 => {
                problems.push(format!(
                    "{} has changed: sha256 {} ({} bytes), the manifest says {} ({} bytes)",
                    listed.path, found.sha256, found.bytes, listed.sha256, listed.bytes
                ));
            }
            Some(_) => {}
        }
    }
    for found in &on_disk {
        if !manifest.files.iter().any(|f| f.path == found.path) {
            problems.push(format!(
                "{} is in the bundle but not in the manifest",
                found.path
            ));
        }
    }
    // The manifest's own statements must agree with the files it indexes.
    if let Some(data) = manifest.files.iter().find(|f| f.path == DATA_FILE)
        && manifest.generator["data_sha256"].as_str() != Some(data.sha256.as_str())
    {
        problems.push(format!(
            "the manifest's generator.data_sha256 does not match {DATA_FILE}"
        ));
    }
    if let Ok(text) = std::fs::read_to_string(bundle.join("policy/decision.json"))
        && let Ok(decision) = serde_json::from_str::<serde_json::Value>(&text)
        && decision["releasable"].as_bool() != Some(manifest.releasable)
    {
        problems.push("the manifest's releasable flag disagrees with policy/decision.json".into());
    }
    if let Ok(text) = std::fs::read_to_string(bundle.join("report/report.json"))
        && let Ok(report) = serde_json::from_str::<serde_json::Value>(&text)
    {
        for metric in report["metrics"].as_array().into_iter().flatten() {
            let id = metric["id"].as_str().unwrap_or("");
            if manifest.evaluation["metrics"][id]["value"] != metric["value"] {
                problems.push(format!(
                    "the manifest's evaluation summary disagrees with report/report.json on {id}"
                ));
                break;
            }
        }
    }
    if !problems.is_empty() {
        return Err(failed(format!(
            "the bundle {} does not verify:\n  - {}",
            bundle.display(),
            problems.join("\n  - ")
        )));
    }
    let mut verification = Verification {
        files: manifest.files.len(),
        releasable: manifest.releasable,
        reproduced: None,
    };
    if reproduce {
        let spec = &manifest.pipeline;
        let source = sha256_file(&spec.source.path).map_err(|error| {
            failed(format!(
                "the source {} cannot be read to reproduce the release: {}",
                spec.source.path.display(),
                error.message()
            ))
        })?;
        if manifest.source["sha256"].as_str() != Some(source.as_str()) {
            return Err(failed(format!(
                "the source {} has changed since the release (sha256 {source}, the manifest \
                 says {}): it cannot be reproduced.",
                spec.source.path.display(),
                manifest.source["sha256"].as_str().unwrap_or("?")
            )));
        }
        let release = crate::run::run_pipeline(spec, progress)?;
        let scratch = std::env::temp_dir().join(format!(
            "synthgate-reproduce-{}.parquet",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&scratch);
        synthgate_io::write_table(&release.synthetic, &scratch, synthgate_io::Overwrite::Allow)?;
        let digest = sha256_file(&scratch);
        let _ = std::fs::remove_file(&scratch);
        let digest = digest?;
        let recorded = manifest.generator["data_sha256"].as_str().unwrap_or("");
        if digest != recorded {
            return Err(failed(format!(
                "reproduction gave different data: sha256 {digest}, the bundle has {recorded}."
            )));
        }
        verification.reproduced = Some(true);
    }
    Ok(verification)
}

//! `synthgate dataset check`: a dataset of several tables (keys, references, sequences) against
//! its data, before anything is synthesized from it.

use std::path::{Path, PathBuf};

use serde::Serialize;
use synthgate_core::dataset::DatasetSchema;
use synthgate_core::{Error, Location, Result};
use synthgate_profile::relations::{LoadedTable, RelationsReport, check};

use crate::input::{InputOptions, read};
use crate::{API_VERSION, Events};

/// Read a dataset file (`dataset.toml`), its tables' paths resolved from its folder.
pub fn load_dataset(path: &Path) -> Result<DatasetSchema> {
    let text = std::fs::read(path).map_err(|error| {
        let message = match error.kind() {
            std::io::ErrorKind::NotFound => "the dataset file does not exist.".to_string(),
            _ => format!("the dataset file could not be read: {error}."),
        };
        Error::spec(message).at(Location::file(path))
    })?;
    let text = String::from_utf8(text)
        .map_err(|_| Error::spec("the dataset file is not UTF-8 text.").at(Location::file(path)))?;
    DatasetSchema::from_toml(&text, path)
}

/// What `dataset check` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetCheckOutcome {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// The dataset file.
    pub dataset: PathBuf,
    /// Keys, references with their real gaps, sequences.
    pub report: RelationsReport,
}

/// Read every table of the dataset at `path` (each with its own missing-value tokens and
/// schema) and check its keys, references and sequences.
pub fn dataset_check(path: &Path, events: &mut dyn Events) -> Result<DatasetCheckOutcome> {
    let dataset = load_dataset(path)?;
    let mut tables = Vec::with_capacity(dataset.tables.len());
    for spec in &dataset.tables {
        let options = InputOptions {
            na: spec.na.clone(),
            schema: spec.schema.clone(),
            delimiter: None,
        };
        let (read, _) = read(&spec.path, &options, None, events)?;
        tables.push(read.table);
    }
    events.step("checking keys, references and sequences");
    let views: Vec<LoadedTable<'_>> = dataset
        .tables
        .iter()
        .zip(&tables)
        .map(|(spec, table)| LoadedTable {
            name: &spec.name,
            path: &spec.path,
            table,
        })
        .collect();
    let report = check(&dataset, &views)?;
    Ok(DatasetCheckOutcome {
        api_version: API_VERSION,
        dataset: path.to_path_buf(),
        report,
    })
}

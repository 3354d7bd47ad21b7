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

/// What `dataset propose` reads and where it writes.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, Serialize)]
pub struct DatasetProposeRequest {
    /// The tables: a name (default: the file's stem, or its folder's name for a file named
    /// `data`) and a path.
    pub tables: Vec<(Option<String>, PathBuf)>,
    /// Extra missing-value tokens, for every table.
    #[serde(default)]
    pub na: Vec<String>,
    /// Where to write the proposed dataset file (default: nowhere).
    #[serde(default)]
    pub out: Option<PathBuf>,
    /// Replace an existing `out`.
    #[serde(default)]
    pub force: bool,
}

/// What `dataset propose` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetProposeOutcome {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// Every candidate key and reference.
    pub proposals: Vec<synthgate_profile::relations::Proposal>,
    /// The proposed dataset file's text (each table's first candidate key as its primary key,
    /// every reference to such a key).
    pub dataset_toml: String,
    /// Where it was written, if asked.
    pub written: Option<PathBuf>,
}

/// A table's default name: its file's stem, or its folder's name for `data.csv`, with every
/// character but letters, digits, `-` and `_` made `_`.
fn table_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = if stem == "data" {
        path.parent()
            .and_then(|p| p.file_name())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or(stem)
    } else {
        stem
    };
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Read the tables, propose keys and references from their values, and draft a dataset file
/// for the user to confirm. The output path is checked before any table is read.
pub fn dataset_propose(
    request: &DatasetProposeRequest,
    events: &mut dyn Events,
) -> Result<DatasetProposeOutcome> {
    use synthgate_core::dataset::{Dangling, Reference, TableSpec};
    use synthgate_profile::relations::{Proposal, propose};

    if request.tables.len() < 2 {
        return Err(Error::usage(
            "dataset propose needs at least two tables: it proposes references between them.",
        ));
    }
    let overwrite = crate::input::overwrite(request.force);
    if let Some(out) = &request.out {
        synthgate_io::check_output_path(out, overwrite)?;
        let same = |path: &Path| match (out.canonicalize(), path.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => out == path,
        };
        if let Some((_, path)) = request.tables.iter().find(|(_, path)| same(path)) {
            return Err(Error::usage(format!(
                "--out {} is one of the tables read; write the dataset file elsewhere.",
                path.display()
            )));
        }
    }
    let mut names: Vec<String> = Vec::new();
    for (name, path) in &request.tables {
        let name = name.clone().unwrap_or_else(|| table_name(path));
        if let Some(first) = names.iter().position(|n| *n == name) {
            return Err(Error::usage(format!(
                "two tables would both be named '{name}' ({} and {}); name them as NAME=FILE.",
                request.tables[first].1.display(),
                path.display()
            )));
        }
        names.push(name);
    }
    let options = InputOptions {
        na: request.na.clone(),
        schema: None,
        delimiter: None,
    };
    let mut tables = Vec::with_capacity(request.tables.len());
    for (_, path) in &request.tables {
        tables.push(read(path, &options, None, events)?.0.table);
    }
    events.step("comparing values across tables");
    let views: Vec<LoadedTable<'_>> = names
        .iter()
        .zip(&request.tables)
        .zip(&tables)
        .map(|((name, (_, path)), table)| LoadedTable { name, path, table })
        .collect();
    let proposals = propose(&views);
    // Paths relative to the dataset file's folder when they are inside it, else absolute.
    let base = request
        .out
        .as_ref()
        .and_then(|out| out.parent())
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .and_then(|p| p.canonicalize().ok());
    let written_path = |path: &Path| -> PathBuf {
        match (&base, path.canonicalize()) {
            (Some(base), Ok(full)) => full
                .strip_prefix(base)
                .map(Path::to_path_buf)
                .unwrap_or(full),
            _ => path.to_path_buf(),
        }
    };
    let key_of = |table: &str| -> Vec<String> {
        proposals
            .iter()
            .find_map(|p| match p {
                Proposal::Key { table: t, columns } if t == table => Some(columns.clone()),
                _ => None,
            })
            .unwrap_or_default()
    };
    let mut notes = vec![format!(
        "Proposed by `synthgate dataset propose` from the values of {} tables: every key and \
         reference below is a guess to confirm (or delete) before you use this file.",
        names.len()
    )];
    let mut references = Vec::new();
    for proposal in &proposals {
        match proposal {
            Proposal::Reference {
                from,
                columns,
                to,
                to_columns,
                inclusion,
            } if *to_columns == key_of(to) => {
                notes.push(format!(
                    "{from} ({}) -> {to} ({}): {:.1}% of the distinct values found",
                    columns.join(", "),
                    to_columns.join(", "),
                    100.0 * inclusion
                ));
                references.push(Reference {
                    from: from.clone(),
                    columns: columns.clone(),
                    to: to.clone(),
                    to_columns: Vec::new(),
                    dangling: Dangling::Keep,
                });
            }
            Proposal::Key { table, columns } if *columns != key_of(table) => {
                notes.push(format!(
                    "{table}: ({}) is unique too (another candidate key)",
                    columns.join(", ")
                ));
            }
            _ => {}
        }
    }
    let dataset = DatasetSchema {
        format_version: synthgate_core::dataset::DATASET_FORMAT_VERSION,
        tables: names
            .iter()
            .zip(&request.tables)
            .map(|(name, (_, path))| TableSpec {
                name: name.clone(),
                path: written_path(path),
                na: request.na.clone(),
                schema: None,
                primary_key: key_of(name),
                public: false,
            })
            .collect(),
        references,
        sequences: Vec::new(),
    };
    let text = dataset.to_toml(&notes);
    if let Some(out) = &request.out {
        synthgate_io::write_bytes_atomically(out, overwrite, text.as_bytes())?;
    }
    Ok(DatasetProposeOutcome {
        api_version: API_VERSION,
        proposals,
        dataset_toml: text,
        written: request.out.clone(),
    })
}

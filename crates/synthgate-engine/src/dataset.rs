//! `synthgate dataset check`: a dataset of several tables (keys, references, sequences) against
//! its data, before anything is synthesized from it.

use std::path::{Path, PathBuf};

use serde::Serialize;
use synthgate_core::dataset::DatasetSchema;
use synthgate_core::{Error, Result, Schema};
use synthgate_profile::relations::{LoadedTable, RelationsReport, check};

use crate::input::{InputOptions, read};
use crate::{API_VERSION, Events};

pub use synthgate_release::dataset::load_dataset;

/// What `dataset check` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetCheckOutcome {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// The dataset file.
    pub dataset: PathBuf,
    /// Keys, references with their real gaps, sequences.
    pub report: RelationsReport,
    /// What reading noticed (a split table's column that varies within an entity) and the
    /// entity tables a sequence without a parent implies.
    pub notes: Vec<String>,
}

use synthgate_release::dataset::ReadTable;

/// Read every table of `dataset` (each with its own missing-value tokens and schema, its bytes
/// reported to `events`), make the split ones, and give each its schema.
pub(crate) fn read_dataset(
    dataset: &DatasetSchema,
    events: &mut dyn Events,
) -> Result<(Vec<ReadTable>, Vec<String>)> {
    synthgate_release::dataset::read_dataset(dataset, &mut |spec| {
        let options = InputOptions {
            na: spec.na.clone(),
            schema: spec.schema.clone(),
            delimiter: None,
        };
        let (read, schema) = read(&spec.path, &options, None, events)?;
        Ok((read.table, schema, read.info.na_tokens))
    })
}

/// Read every table of the dataset at `path` (each with its own missing-value tokens and
/// schema), make its split tables, and check its keys, references and sequences.
pub fn dataset_check(path: &Path, events: &mut dyn Events) -> Result<DatasetCheckOutcome> {
    let dataset = load_dataset(path)?;
    let (tables, mut notes) = read_dataset(&dataset, events)?;
    notes.extend(implied_notes(&dataset));
    events.step("checking keys, references and sequences");
    let views: Vec<LoadedTable<'_>> = tables
        .iter()
        .map(|table| LoadedTable {
            name: &table.name,
            path: &table.path,
            table: &table.table,
        })
        .collect();
    let report = check(&dataset, &views)?;
    Ok(DatasetCheckOutcome {
        api_version: API_VERSION,
        dataset: path.to_path_buf(),
        report,
        notes,
    })
}

/// A note per implied entity table ([`TableSpec::implied`]): what it is and that it is never
/// written.
fn implied_notes(dataset: &DatasetSchema) -> Vec<String> {
    dataset
        .tables
        .iter()
        .filter(|t| t.implied)
        .map(|t| {
            format!(
                "{}: one row per {}, implied by its sequence (no parent table keyed by the \
                 entity), so its rows are drawn and held out entity by entity; scored, never \
                 written",
                t.name,
                t.label()
            )
        })
        .collect()
}

/// What `dataset synth` reads and writes.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetSynthRequest {
    /// The dataset file.
    pub dataset: PathBuf,
    /// The folder the synthetic tables are written to, one file per table.
    pub out: PathBuf,
    /// The file format: "csv" or "parquet".
    #[serde(default = "default_format")]
    pub format: String,
    /// The master seed.
    #[serde(default)]
    pub seed: u64,
    /// The privacy protections.
    #[serde(default)]
    pub protections: crate::ProtectionOptions,
    /// Fewest real rows in a leaf of every table's cart models (default 50, as `fit`'s).
    #[serde(default = "default_min_leaf")]
    pub min_leaf: usize,
    /// Replace existing files in `out`.
    #[serde(default)]
    pub force: bool,
}

fn default_min_leaf() -> usize {
    synthgate_synth::Cart::default().min_leaf
}

fn default_format() -> String {
    "csv".to_string()
}

/// One written table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SynthesizedTable {
    /// Its name in the dataset file.
    pub name: String,
    /// Where it was written.
    pub path: PathBuf,
    /// Rows written (real rows beside them).
    pub rows: usize,
    /// Rows of the real table.
    pub real_rows: usize,
}

/// What `dataset synth` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetSynthOutcome {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// The written tables, in the dataset file's order.
    pub tables: Vec<SynthesizedTable>,
    /// How each table was made, and what splitting noticed.
    pub notes: Vec<String>,
}

/// Synthesize every table of a dataset, parents first, and write one file per table into
/// `out` (created if missing). Every output path is checked before anything is read, and a
/// failure removes what this call wrote.
pub fn dataset_synth(
    request: &DatasetSynthRequest,
    events: &mut dyn Events,
) -> Result<DatasetSynthOutcome> {
    use synthgate_synth::relational::{DatasetConfig, DatasetTable, synthesize_dataset};

    let extension = match request.format.as_str() {
        "csv" => "csv",
        "parquet" => "parquet",
        other => {
            return Err(Error::usage(format!(
                "--format {other}: the formats are csv and parquet."
            )));
        }
    };
    if request.min_leaf == 0 {
        return Err(Error::usage("--min-leaf must be at least 1."));
    }
    let dataset = load_dataset(&request.dataset)?;
    let overwrite = crate::input::overwrite(request.force);
    if request.out.exists() && !request.out.is_dir() {
        return Err(Error::usage(format!(
            "--out {} is a file; dataset synth writes a folder of tables.",
            request.out.display()
        )));
    }
    let paths: Vec<PathBuf> = dataset
        .tables
        .iter()
        .map(|t| request.out.join(format!("{}.{extension}", t.name)))
        .collect();
    for (path, _) in paths
        .iter()
        .zip(&dataset.tables)
        .filter(|(_, t)| !t.implied)
    {
        if request.out.is_dir() {
            synthgate_io::check_output_path(path, overwrite)?;
        }
        if let Some(spec) = dataset.tables.iter().find(|t| {
            !t.path.as_os_str().is_empty()
                && matches!((t.path.canonicalize(), path.canonicalize()), (Ok(a), Ok(b)) if a == b)
        }) {
            return Err(Error::usage(format!(
                "{} is table '{}' of the dataset; write the synthetic tables elsewhere.",
                path.display(),
                spec.name
            )));
        }
    }
    let (tables, mut notes) = read_dataset(&dataset, events)?;
    notes.extend(implied_notes(&dataset));
    let views: Vec<LoadedTable<'_>> = tables
        .iter()
        .map(|table| LoadedTable {
            name: &table.name,
            path: &table.path,
            table: &table.table,
        })
        .collect();
    events.step("checking keys, references and sequences");
    check(&dataset, &views)?;
    if events.cancelled() {
        return Err(crate::cancelled());
    }
    events.step("fitting and sampling the tables, parents first");
    let inputs: Vec<DatasetTable<'_>> = tables
        .iter()
        .map(|t| DatasetTable {
            name: &t.name,
            table: &t.table,
            schema: &t.schema,
        })
        .collect();
    let config = DatasetConfig {
        seed: synthgate_core::Seed(request.seed),
        protections: synthgate_synth::Protections {
            min_category_count: request.protections.min_category_count,
            tail_count: request.protections.tail_count,
        },
        cart: synthgate_synth::Cart {
            min_leaf: request.min_leaf,
            ..synthgate_synth::Cart::default()
        },
    };
    let synthetic = synthesize_dataset(&dataset, &inputs, &config)?;
    notes.extend(synthetic.notes);
    if events.cancelled() {
        return Err(crate::cancelled());
    }
    std::fs::create_dir_all(&request.out).map_err(|error| {
        synthgate_io::io_error(&request.out, "create the output folder", &error)
    })?;
    let mut written: Vec<SynthesizedTable> = Vec::new();
    for (((name, table), path), real) in synthetic.tables.iter().zip(&paths).zip(&tables) {
        if dataset.table(name).is_some_and(|t| t.implied) {
            continue;
        }
        events.step(&format!("writing {}", path.display()));
        if let Err(error) = synthgate_io::write_table(table, path, overwrite) {
            for done in &written {
                let _ = std::fs::remove_file(&done.path);
            }
            return Err(error);
        }
        written.push(SynthesizedTable {
            name: name.clone(),
            path: path.clone(),
            rows: table.num_rows(),
            real_rows: real.table.num_rows(),
        });
    }
    Ok(DatasetSynthOutcome {
        api_version: API_VERSION,
        tables: written,
        notes,
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
    /// The sequence each table holds, where one was found (an entity and an order column).
    pub sequences: Vec<synthgate_profile::relations::SequenceProposal>,
    /// The proposed dataset file's text (each table's candidate key that another table's
    /// column of its name points at, else its first, as its primary key; every reference to
    /// such a key).
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
    use std::collections::HashMap;

    use synthgate_core::dataset::{Dangling, Reference, Sequence, TableSpec};
    use synthgate_profile::relations::{Proposal, propose, propose_sequence};

    if request.tables.is_empty() {
        return Err(Error::usage(
            "dataset propose needs at least one table: name its file (NAME=FILE or FILE).",
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
    events.step("looking for sequences (an entity and an order column) in each table");
    let sequences: Vec<_> = views
        .iter()
        .filter_map(|view| {
            let references: Vec<Vec<String>> = proposals
                .iter()
                .filter_map(|p| match p {
                    Proposal::Reference { from, columns, .. } if from == view.name => {
                        Some(columns.clone())
                    }
                    _ => None,
                })
                .collect();
            propose_sequence(view, &references)
        })
        .collect();
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
    let sequence_of = |table: &str| sequences.iter().find(|s| s.table == table);
    // Of a table's candidate keys, the one other tables point at (first one a column of its
    // own name points at, as `students.School` at `schools.School` beside the file's row
    // numbers; then the one most of a column's values fall in), else the first.
    let choose_key = |table: &str| -> Vec<String> {
        let pointed = |columns: &[String]| -> (bool, u64, usize) {
            let mut best = (false, 0, 0);
            for p in &proposals {
                if let Proposal::Reference {
                    columns: from_columns,
                    to,
                    to_columns,
                    inclusion,
                    ..
                } = p
                    && to == table
                    && to_columns == columns
                {
                    best.0 |= from_columns == columns;
                    best.1 = best.1.max((inclusion * 1e6).round() as u64);
                    best.2 += 1;
                }
            }
            best
        };
        let mut key: Vec<String> = Vec::new();
        let mut best = (false, 0, 0);
        for p in &proposals {
            if let Proposal::Key { table: t, columns } = p
                && t == table
            {
                let score = pointed(columns);
                if key.is_empty() || score > best {
                    key = columns.clone();
                    best = score;
                }
            }
        }
        // A sequence table keeps a single-column key; a pair found by trying pairs is no key
        // of its rows unless it is the entity and the order.
        match sequence_of(table) {
            Some(sequence) if key.len() > 1 => {
                let mut whole = sequence.entity.clone();
                whole.push(sequence.order.clone());
                if key.iter().all(|k| whole.contains(k)) {
                    key
                } else {
                    Vec::new()
                }
            }
            _ => key,
        }
    };
    let chosen: HashMap<&str, Vec<String>> = names
        .iter()
        .map(|name| (name.as_str(), choose_key(name)))
        .collect();
    let key_of = |table: &str| chosen.get(table).cloned().unwrap_or_default();
    // Fewer parents than this named by a reference draw a warning: the default tail protection
    // reproduces no count of children held by fewer parent rows.
    let few_parents = synthgate_synth::Protections::default().tail_count;
    let mut notes = vec![format!(
        "Proposed by `synthgate dataset propose` from the values of {} table{}: every key, \
         reference and sequence below is a guess to confirm (or delete) before you use this \
         file.",
        names.len(),
        if names.len() == 1 { "" } else { "s" }
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
                parents,
            } if *to_columns == key_of(to) => {
                notes.push(format!(
                    "{from} ({}) -> {to} ({}): {:.1}% of the distinct values found{}",
                    columns.join(", "),
                    to_columns.join(", "),
                    100.0 * inclusion,
                    if *parents < few_parents {
                        format!(
                            "; they name only {parents} row(s) of {to}: were {from} drawn \
                             under a synthesized {to}, its rows would be spread over other, \
                             smaller rows of {to} (a count of children held by fewer than \
                             {few_parents} rows is not reproduced); declare {to} `public = true` \
                             if it is a public reference table"
                        )
                    } else {
                        String::new()
                    }
                ));
                references.push(Reference {
                    from: from.clone(),
                    columns: columns.clone(),
                    to: to.clone(),
                    to_columns: Vec::new(),
                    dangling: Dangling::Keep,
                    primary: false,
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
    let mut specs: Vec<TableSpec> = names
        .iter()
        .zip(&request.tables)
        .map(|(name, (_, path))| TableSpec {
            name: name.clone(),
            path: written_path(path),
            na: request.na.clone(),
            schema: None,
            primary_key: key_of(name),
            public: false,
            split_from: None,
            columns: Vec::new(),
            implied: false,
        })
        .collect();
    for sequence in &sequences {
        notes.push(format!(
            "{}: a sequence per ({}) in '{}' order: {} entities, {} of several rows, a median \
             of {} row(s) each ({})",
            sequence.table,
            sequence.entity.join(", "),
            sequence.order,
            sequence.entities,
            sequence.several,
            sequence.median_length,
            sequence.evidence
        ));
        for (entity, order) in &sequence.alternatives {
            notes.push(format!(
                "{}: ({}) in '{}' order fits too",
                sequence.table,
                entity.join(", "),
                order
            ));
        }
        if sequence.attributes.is_empty() {
            continue;
        }
        // The entity's attributes move to a table of entities split from this one.
        let mut name = format!("{}_entities", sequence.table);
        let mut n = 2;
        while specs.iter().any(|t| t.name == name) {
            name = format!("{}_entities_{n}", sequence.table);
            n += 1;
        }
        notes.push(format!(
            "{name}: one row per ({}) of '{}', with the columns that keep one value within \
             nearly every entity ({}); the sequence's rows are drawn given them",
            sequence.entity.join(", "),
            sequence.table,
            sequence.attributes.join(", ")
        ));
        specs.push(TableSpec {
            name,
            path: PathBuf::new(),
            na: Vec::new(),
            schema: None,
            primary_key: sequence.entity.clone(),
            public: false,
            split_from: Some(sequence.table.clone()),
            columns: sequence.attributes.clone(),
            implied: false,
        });
    }
    let dataset = DatasetSchema {
        format_version: synthgate_core::dataset::DATASET_FORMAT_VERSION,
        tables: specs,
        references,
        sequences: sequences
            .iter()
            .map(|s| Sequence {
                table: s.table.clone(),
                entity: s.entity.clone(),
                order: s.order.clone(),
            })
            .collect(),
    };
    let text = dataset.to_toml(&notes);
    if let Some(out) = &request.out {
        synthgate_io::write_bytes_atomically(out, overwrite, text.as_bytes())?;
    }
    Ok(DatasetProposeOutcome {
        api_version: API_VERSION,
        proposals,
        sequences,
        dataset_toml: text,
        written: request.out.clone(),
    })
}

/// What `dataset entities` reads and writes.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetEntitiesRequest {
    /// The dataset file.
    pub dataset: PathBuf,
    /// The entity table (patients): one output row per row of it.
    pub entity: String,
    /// Read the tables from this folder (`NAME.csv` or `NAME.parquet` each, as `dataset
    /// synth` writes them) instead of the dataset file's paths, under the real tables'
    /// schemas.
    #[serde(default)]
    pub from: Option<PathBuf>,
    /// The output table (CSV or Parquet, by extension).
    pub out: PathBuf,
    /// Replace an existing `out`.
    #[serde(default)]
    pub force: bool,
}

/// What `dataset entities` wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetEntitiesOutcome {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// Entities written.
    pub rows: usize,
    /// Summary columns written.
    pub columns: usize,
    /// Where.
    pub out: PathBuf,
}

/// One row per entity with its children summarised (`synthgate_eval::relational::
/// entity_summaries`), so that the single-table harness scores whole entities: `synthgate
/// evaluate` on the summaries of the training, holdout and synthetic datasets gives an
/// entity-level DCR share, detection and membership attack.
pub fn dataset_entities(
    request: &DatasetEntitiesRequest,
    events: &mut dyn Events,
) -> Result<DatasetEntitiesOutcome> {
    use synthgate_eval::relational::summarise_entities;

    let overwrite = crate::input::overwrite(request.force);
    synthgate_io::check_output_path(&request.out, overwrite)?;
    let dataset = load_dataset(&request.dataset)?;
    let Some(entity_spec) = dataset.table(&request.entity) else {
        return Err(Error::usage(format!(
            "--entity {}: the dataset has no such table (its tables: {}).",
            request.entity,
            dataset
                .tables
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    if entity_spec.primary_key.is_empty() {
        return Err(Error::usage(format!(
            "--entity {}: the table has no primary_key, so its rows name no entity.",
            request.entity
        )));
    }
    let (mut tables, _) = read_dataset(&dataset, events)?;
    if let Some(folder) = &request.from {
        for table in &mut tables {
            let path = ["csv", "parquet"]
                .iter()
                .map(|ext| folder.join(format!("{}.{ext}", table.name)))
                .find(|p| p.is_file())
                .ok_or_else(|| {
                    Error::usage(format!(
                        "--from {}: there is no {}.csv or {}.parquet in it.",
                        folder.display(),
                        table.name,
                        table.name
                    ))
                })?;
            let options = InputOptions::default();
            let (read, _) = read(&path, &options, Some(&table.schema), events)?;
            table.table = read.table;
            table.path = path;
        }
    }
    events.step("summarising each entity");
    let views: Vec<(&str, &synthgate_core::Table, &Schema)> = tables
        .iter()
        .map(|t| (t.name.as_str(), &t.table, &t.schema))
        .collect();
    let summary = summarise_entities(&dataset, &request.entity, &views)?;
    synthgate_io::write_table(&summary, &request.out, overwrite)?;
    Ok(DatasetEntitiesOutcome {
        api_version: API_VERSION,
        rows: summary.num_rows(),
        columns: summary.num_columns(),
        out: request.out.clone(),
    })
}

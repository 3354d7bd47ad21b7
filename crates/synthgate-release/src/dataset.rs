//! A pipeline over a dataset of several tables (`[source] dataset = "dataset.toml"`): read every
//! table (split tables made), split them by entity so that no parent and its children fall on
//! different sides, synthesize them together on the training side
//! (`synthgate_synth::relational::synthesize_dataset`), evaluate the structure (cardinality,
//! referential integrity, parent-child pair trends, each table's column shapes) and whole
//! entities (one row per entity with its children summarised, through the single-table
//! harness: entity-level DCR share, membership attack, detection), decide the gates, and hand
//! the bundle one data file per table.
//!
//! The split, table by table in parents-first order:
//!
//! - a public table is copied whole and stands on both sides;
//! - a table generated under a parent (its primary reference) follows its parent row's side;
//!   its rows without a parent row are split on their own (seeded);
//! - a table generated under none is split by a seeded permutation of its rows, unless another
//!   synthesized table references it by a non-primary reference (an aircraft of flights made
//!   under their weather): then every row is on the training side, because children on
//!   either side name it, and holding rows out would show the synthesizer references that
//!   dangle only because of the split. The report's warnings say which tables were kept whole.
//!   A table that references itself (a control naming its matched case) is split by groups of
//!   rows that name one another, each group whole on one side.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use synthgate_core::dataset::{DatasetSchema, TableSpec};
use synthgate_core::{Error, Location, Result, Schema, Seed, Table};
use synthgate_eval::Report;
use synthgate_eval::relational::{DatasetTables, dataset_metrics, summarise_entities};
use synthgate_io::{sha256_bytes, sha256_file, take_rows};
use synthgate_synth::relational::{
    DatasetConfig, DatasetTable, primary_references, synthesize_dataset,
};

use crate::gates::decide;
use crate::run::{DataTable, Release, input, split_rows};
use crate::spec::PipelineSpec;

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

/// One table of a dataset as read: split tables made, every table with its schema.
#[derive(Debug, Clone)]
pub struct ReadTable {
    /// Its name in the dataset file.
    pub name: String,
    /// The file it came from (its source's, for a split table).
    pub path: PathBuf,
    /// Its rows.
    pub table: Table,
    /// Its schema: its file's, else profiled.
    pub schema: Schema,
}

/// What reading one file of a dataset gives: the rows, the schema file's schema if the table
/// names one, and the missing-value tokens in force.
pub type ReadFile = (Table, Option<Schema>, Vec<String>);

/// Read every table of `dataset` with `read` (each with its own missing-value tokens and
/// schema), make the split ones, and give each its schema (its file's, else profiled). Tables
/// come in the dataset file's order; the notes say what splitting noticed.
pub fn read_dataset(
    dataset: &DatasetSchema,
    read: &mut dyn FnMut(&TableSpec) -> Result<ReadFile>,
) -> Result<(Vec<ReadTable>, Vec<String>)> {
    let mut tables: Vec<(String, Table)> = Vec::new();
    let mut schemas: Vec<(String, Option<Schema>, Vec<String>)> = Vec::new();
    for spec in dataset.tables.iter().filter(|t| t.split_from.is_none()) {
        let (table, schema, na_tokens) = read(spec)?;
        schemas.push((spec.name.clone(), schema, na_tokens));
        tables.push((spec.name.clone(), table));
    }
    let mut notes = dataset.split(&mut tables)?;
    let mut out = Vec::with_capacity(dataset.tables.len());
    for spec in &dataset.tables {
        let source = spec.split_from.as_deref().unwrap_or(&spec.name);
        let source_spec = dataset
            .table(source)
            .ok_or_else(|| Error::internal("a split table's source is not listed"))?;
        let position = tables
            .iter()
            .position(|(name, _)| *name == spec.name)
            .ok_or_else(|| Error::internal("a table was not read"))?;
        let table = tables[position].1.clone();
        let (_, given, na_tokens) = schemas
            .iter()
            .find(|(name, _, _)| name == source)
            .ok_or_else(|| Error::internal("a table's schema was not kept"))?;
        let schema = match (given, &spec.split_from) {
            (Some(schema), None) => schema.clone(),
            (Some(schema), Some(_)) => {
                // A split table's columns keep their source schema's descriptions.
                let columns = table
                    .column_names()
                    .iter()
                    .filter_map(|name| schema.column(name).cloned())
                    .collect();
                Schema::new(schema.na_tokens.clone(), columns)?
            }
            (None, _) => {
                let mut schema = synthgate_profile::profile(&table, None, na_tokens).to_schema()?;
                notes.extend(mark_entity_identifiers(
                    dataset,
                    &spec.name,
                    &table,
                    &mut schema,
                ));
                schema
            }
        };
        out.push(ReadTable {
            name: spec.name.clone(),
            path: source_spec.path.clone(),
            table,
            schema,
        });
    }
    Ok((out, notes))
}

/// In a profiled sequence table, the columns that name its entity as its key does
/// ([`synthgate_profile::relations::entity_identifiers`]: a patient's record number beside the
/// patient key) made identifiers, written fresh, one per synthetic entity; a note for each.
/// The entity, order, key and reference columns are left as they are, and so are columns
/// profiled as identifiers, constants or free text.
fn mark_entity_identifiers(
    dataset: &DatasetSchema,
    name: &str,
    table: &Table,
    schema: &mut Schema,
) -> Vec<String> {
    use synthgate_core::{PrivacyRole, SemanticType};
    let mut notes = Vec::new();
    for sequence in dataset.sequences.iter().filter(|s| s.table == name) {
        let names = table.column_names();
        let index = |column: &str| names.iter().position(|n| *n == column);
        let mut skip: Vec<&str> = sequence.entity.iter().map(String::as_str).collect();
        skip.push(&sequence.order);
        if let Some(spec) = dataset.table(name) {
            skip.extend(spec.primary_key.iter().map(String::as_str));
        }
        for reference in dataset.references.iter().filter(|r| r.from == name) {
            skip.extend(reference.columns.iter().map(String::as_str));
        }
        let Some(entity) = sequence
            .entity
            .iter()
            .map(|c| index(c))
            .collect::<Option<Vec<usize>>>()
        else {
            continue;
        };
        let candidates: Vec<usize> = schema
            .columns
            .iter()
            .filter(|c| {
                !skip.contains(&c.name.as_str())
                    && !matches!(
                        c.semantic,
                        SemanticType::Identifier | SemanticType::Constant | SemanticType::FreeText
                    )
            })
            .filter_map(|c| index(&c.name))
            .collect();
        for column in synthgate_profile::relations::entity_identifiers(table, &entity, &candidates)
        {
            let Some(spec) = schema.columns.iter_mut().find(|c| c.name == names[column]) else {
                continue;
            };
            spec.semantic = SemanticType::Identifier;
            spec.role = PrivacyRole::DirectIdentifier;
            spec.categories = None;
            spec.point_masses = None;
            spec.rare = None;
            spec.min = None;
            spec.max = None;
            notes.push(format!(
                "{name}.{}: a value of its own for each {} (an identifier of it, as the key \
                 is): written fresh, one per synthetic entity",
                spec.name,
                sequence.entity.join(", ")
            ));
        }
    }
    notes
}

/// A table's training and holdout row indices.
pub type Sides = (Vec<u32>, Vec<u32>);

/// Each table's (training, holdout) row indices, in the dataset file's order (a public table
/// has every row on both sides), and a note per table kept whole. See the module docs.
pub fn split_dataset(
    dataset: &DatasetSchema,
    tables: &[ReadTable],
    fraction: f64,
    seed: Seed,
) -> Result<(Vec<Sides>, Vec<String>)> {
    let order = dataset
        .parents_first()
        .ok_or_else(|| Error::internal("a checked dataset's references form a cycle"))?;
    let primary = primary_references(dataset);
    let find = |name: &str| -> Result<&ReadTable> {
        tables
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| Error::internal(format!("table '{name}' was not read")))
    };
    let synthesized = |name: &str| dataset.table(name).is_some_and(|t| !t.public);
    let named_across: HashSet<&str> = dataset
        .references
        .iter()
        .enumerate()
        .filter(|(index, r)| {
            synthesized(&r.from)
                && synthesized(&r.to)
                && r.from != r.to
                && primary.get(r.from.as_str()) != Some(index)
        })
        .map(|(_, r)| r.to.as_str())
        .collect();
    let key_indices = |table: &ReadTable, columns: &[String]| -> Result<Vec<usize>> {
        columns
            .iter()
            .map(|c| {
                table
                    .table
                    .column_names()
                    .iter()
                    .position(|n| n == c)
                    .ok_or_else(|| {
                        Error::input(format!("table '{}' has no column '{c}'.", table.name))
                            .at(Location::file(&table.path))
                    })
            })
            .collect()
    };
    let mut held: HashMap<&str, Vec<bool>> = HashMap::new();
    let mut notes = Vec::new();
    for &name in &order {
        let table = find(name)?;
        let rows = table.table.num_rows();
        let spec = dataset
            .table(name)
            .ok_or_else(|| Error::internal("a table is not listed"))?;
        if spec.public {
            continue;
        }
        let stream = seed.derive(&format!("dataset/{name}"));
        let sides = if let Some(&index) = primary.get(name) {
            let reference = &dataset.references[index];
            let parent = find(&reference.to)?;
            let parent_keys = parent
                .table
                .composite_keys(&key_indices(parent, dataset.target_columns(reference))?);
            let parent_side = held
                .get(reference.to.as_str())
                .ok_or_else(|| Error::internal("a parent was split after its child"))?;
            let position: HashMap<&str, bool> = parent_keys
                .iter()
                .zip(parent_side)
                .filter_map(|(key, side)| key.as_deref().map(|k| (k, *side)))
                .collect();
            let keys = table
                .table
                .composite_keys(&key_indices(table, &reference.columns)?);
            let mut sides: Vec<Option<bool>> = keys
                .iter()
                .map(|k| k.as_deref().and_then(|k| position.get(k).copied()))
                .collect();
            let orphans: Vec<usize> = (0..rows).filter(|&r| sides[r].is_none()).collect();
            if orphans.len() >= 2 {
                let (_, holdout) = split_rows(orphans.len(), fraction, stream.derive("orphans"));
                let holdout: HashSet<u32> = holdout.into_iter().collect();
                for (i, &row) in orphans.iter().enumerate() {
                    sides[row] = Some(holdout.contains(&(i as u32)));
                }
            }
            sides.into_iter().map(|s| s.unwrap_or(false)).collect()
        } else if named_across.contains(name) {
            notes.push(format!(
                "table '{name}' is not split: tables generated under other parents reference \
                 it, so all {rows} rows train the synthesizer and its holdout is empty"
            ));
            vec![false; rows]
        } else if rows < 2 {
            vec![false; rows]
        } else if let Some(groups) = self_referenced_groups(dataset, name, table, &key_indices)? {
            // Rows that name one another (a case and its matched controls) are one entity:
            // whole groups go to one side, so no training row names a held-out row.
            let (_, holdout) = split_rows(groups.len(), fraction, stream);
            let mut sides = vec![false; rows];
            for group in holdout {
                for &row in &groups[group as usize] {
                    sides[row] = true;
                }
            }
            sides
        } else {
            let (_, holdout) = split_rows(rows, fraction, stream);
            let mut sides = vec![false; rows];
            for row in holdout {
                sides[row as usize] = true;
            }
            sides
        };
        held.insert(name, sides);
    }
    let mut out = Vec::with_capacity(dataset.tables.len());
    for spec in &dataset.tables {
        let table = find(&spec.name)?;
        let all: Vec<u32> = (0..table.table.num_rows() as u32).collect();
        out.push(match held.get(spec.name.as_str()) {
            None => (all.clone(), all),
            Some(sides) => {
                let (holdout, train): (Vec<u32>, Vec<u32>) =
                    all.into_iter().partition(|&r| sides[r as usize]);
                (train, holdout)
            }
        });
    }
    Ok((out, notes))
}

/// The positions of columns in a table, named by a reference (an error naming the file for a
/// column it lacks).
type KeyIndices<'a> = dyn Fn(&ReadTable, &[String]) -> Result<Vec<usize>> + 'a;

/// The rows of table `name` grouped by its references to itself (a control naming its matched
/// case: the case and all its controls one group), each group's rows in file order and the
/// groups in the order of their first row; `None` for a table that references no row of its
/// own.
fn self_referenced_groups(
    dataset: &DatasetSchema,
    name: &str,
    table: &ReadTable,
    key_indices: &KeyIndices<'_>,
) -> Result<Option<Vec<Vec<usize>>>> {
    let selves: Vec<_> = dataset
        .references
        .iter()
        .filter(|r| r.from == name && r.to == name)
        .collect();
    if selves.is_empty() {
        return Ok(None);
    }
    let rows = table.table.num_rows();
    let mut parent: Vec<usize> = (0..rows).collect();
    fn root(parent: &mut [usize], mut row: usize) -> usize {
        while parent[row] != row {
            parent[row] = parent[parent[row]];
            row = parent[row];
        }
        row
    }
    for reference in selves {
        let own = table
            .table
            .composite_keys(&key_indices(table, dataset.target_columns(reference))?);
        let position: HashMap<&str, usize> = own
            .iter()
            .enumerate()
            .filter_map(|(row, key)| key.as_deref().map(|k| (k, row)))
            .collect();
        let named = table
            .table
            .composite_keys(&key_indices(table, &reference.columns)?);
        for (row, key) in named.iter().enumerate() {
            if let Some(&other) = key.as_deref().and_then(|k| position.get(k)) {
                let (a, b) = (root(&mut parent, row), root(&mut parent, other));
                // The smaller row stands for the group: the same groups whatever the order
                // of the unions.
                let (low, high) = (a.min(b), a.max(b));
                parent[high] = low;
            }
        }
    }
    let mut index_of: HashMap<usize, usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for row in 0..rows {
        let top = root(&mut parent, row);
        let next = groups.len();
        let group = *index_of.entry(top).or_insert(next);
        if group == groups.len() {
            groups.push(Vec::new());
        }
        groups[group].push(row);
    }
    Ok(Some(groups))
}

/// The table whose rows are the entities the harness scores by default: of the synthesized
/// tables generated under no parent, the one whose children (generated under it) have the most
/// rows; ties to the first in the dataset file.
pub fn default_entity(dataset: &DatasetSchema, tables: &[ReadTable]) -> Option<String> {
    let primary = primary_references(dataset);
    let rows = |name: &str| {
        tables
            .iter()
            .find(|t| t.name == name)
            .map_or(0, |t| t.table.num_rows())
    };
    let mut best: Option<(&str, usize)> = None;
    for spec in dataset.tables.iter().filter(|t| !t.public) {
        if primary.contains_key(spec.name.as_str()) || spec.primary_key.is_empty() {
            continue;
        }
        let children: usize = primary
            .iter()
            .filter(|(_, index)| dataset.references[**index].to == spec.name)
            .map(|(child, _)| rows(child))
            .sum();
        if best.is_none_or(|(_, most)| children > most) {
            best = Some((&spec.name, children));
        }
    }
    best.map(|(name, _)| name.to_string())
}

/// The digest of a pipeline's source as its manifest records it: the file's SHA-256, or for
/// a dataset [`source_digest`].
pub fn source_sha256(spec: &PipelineSpec) -> Result<String> {
    match &spec.source.dataset {
        Some(path) => source_digest(path, &load_dataset(path)?),
        None => sha256_file(&spec.source.path),
    }
}

/// A dataset's digest: SHA-256 of one line `NAME SHA256` for the dataset file and each table
/// file, in the dataset file's order.
pub fn source_digest(path: &Path, dataset: &DatasetSchema) -> Result<String> {
    let mut lines = format!("dataset.toml {}\n", sha256_file(path)?);
    for spec in dataset.tables.iter().filter(|t| t.split_from.is_none()) {
        lines.push_str(&format!("{} {}\n", spec.name, sha256_file(&spec.path)?));
    }
    Ok(sha256_bytes(lines.as_bytes()))
}

/// Run a pipeline whose source is the dataset at `path` (see the module docs).
pub fn run_dataset_pipeline(
    spec: &PipelineSpec,
    path: &Path,
    progress: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<Release> {
    let mut log = Vec::new();
    progress("reading the dataset")?;
    let dataset = load_dataset(path)?;
    for table in &dataset.tables {
        if let Some(problem) = crate::spec::path_component_problem(&table.name) {
            return Err(Error::spec(format!(
                "table name '{}' {problem}: it names the table's file in the bundle \
                 (data/NAME.parquet).",
                table.name
            ))
            .at(Location::file(path)));
        }
    }
    let (tables, mut notes) = read_dataset(&dataset, &mut |table| {
        let given = table
            .schema
            .as_deref()
            .map(crate::run::load_schema)
            .transpose()?;
        let options = synthgate_io::ReadOptions {
            extra_na_tokens: table.na.clone(),
            schema: given.as_ref(),
            ..synthgate_io::ReadOptions::default()
        };
        let read = synthgate_io::read_table(&table.path, &options)?;
        Ok((read.table, given, read.info.na_tokens))
    })?;
    let views: Vec<synthgate_profile::relations::LoadedTable<'_>> = tables
        .iter()
        .map(|t| synthgate_profile::relations::LoadedTable {
            name: &t.name,
            path: &t.path,
            table: &t.table,
        })
        .collect();
    progress("checking keys, references and sequences")?;
    synthgate_profile::relations::check(&dataset, &views)?;
    let source_sha256 = source_digest(path, &dataset)?;
    let synthesized = || {
        tables
            .iter()
            .filter(|t| dataset.table(&t.name).is_some_and(|s| !s.public))
    };
    let source_rows: usize = synthesized().map(|t| t.table.num_rows()).sum();
    let source_columns: usize = synthesized().map(|t| t.table.num_columns()).sum();
    log.push(
        serde_json::json!({ "step": "read", "source_sha256": source_sha256,
        "tables": tables.iter().map(|t| serde_json::json!({ "name": t.name,
            "rows": t.table.num_rows(), "columns": t.table.num_columns() }))
            .collect::<Vec<_>>() }),
    );

    let entity = match &spec.evaluation.entity {
        Some(entity) => {
            let known = dataset.table(entity).is_some_and(|t| !t.public);
            if !known {
                return Err(Error::spec(format!(
                    "evaluation.entity = '{entity}' is not a synthesized table of the dataset \
                     (its tables: {}).",
                    dataset
                        .tables
                        .iter()
                        .filter(|t| !t.public)
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            entity.clone()
        }
        None => default_entity(&dataset, &tables).ok_or_else(|| {
            Error::spec(
                "the dataset has no synthesized table with a primary_key generated under no \
                 other, so no entity to evaluate: set evaluation.entity.",
            )
        })?,
    };

    progress("splitting by entity")?;
    let (sides, split_notes) = split_dataset(
        &dataset,
        &tables,
        spec.split.holdout_fraction,
        Seed(spec.split.seed),
    )?;
    let mut train = Vec::with_capacity(tables.len());
    let mut holdout = Vec::with_capacity(tables.len());
    for (table, (train_rows, holdout_rows)) in tables.iter().zip(&sides) {
        train.push(take_rows(&table.table, train_rows)?);
        holdout.push(take_rows(&table.table, holdout_rows)?);
    }
    let public = |name: &str| dataset.table(name).is_some_and(|t| t.public);
    let counted = |which: &[Table]| -> usize {
        tables
            .iter()
            .zip(which)
            .filter(|(t, _)| !public(&t.name))
            .map(|(_, t)| t.num_rows())
            .sum()
    };
    let split_rows_total = (counted(&train), counted(&holdout));
    log.push(
        serde_json::json!({ "step": "split", "seed": spec.split.seed,
        "holdout_fraction": spec.split.holdout_fraction, "by": "entity, parents first",
        "tables": tables.iter().zip(&sides).map(|(t, (a, b))| serde_json::json!({
            "name": t.name, "train_rows": a.len(), "holdout_rows": b.len() }))
            .collect::<Vec<_>>() }),
    );

    progress("fitting and sampling the tables, parents first")?;
    let cart = synthgate_synth::Cart {
        min_leaf: match spec.synthesizer.params.get("min_leaf") {
            None => synthgate_synth::Cart::default().min_leaf,
            Some(value) => value
                .as_integer()
                .and_then(|v| usize::try_from(v).ok())
                .filter(|&v| v > 0)
                .ok_or_else(|| {
                    Error::spec(format!(
                        "synthesizer.params.min_leaf must be a whole number of rows above 0, \
                         not {value}."
                    ))
                })?,
        },
        ..synthgate_synth::Cart::default()
    };
    let inputs: Vec<DatasetTable<'_>> = tables
        .iter()
        .zip(&train)
        .map(|(t, rows)| DatasetTable {
            name: &t.name,
            table: rows,
            schema: &t.schema,
        })
        .collect();
    let config = DatasetConfig {
        seed: Seed(spec.synthesizer.seed),
        protections: spec.synthesizer.protections(),
        cart,
    };
    let synthetic = synthesize_dataset(&dataset, &inputs, &config)?;
    notes.extend(synthetic.notes.iter().cloned());
    let version = synthgate_synth::dataset_generator_version(&cart);
    log.push(serde_json::json!({ "step": "fit", "synthesizer": "cart",
        "version": version, "parameters": spec.synthesizer.params,
        "seed": spec.synthesizer.seed, "min_category_count": spec.synthesizer.min_category_count,
        "tail_count": spec.synthesizer.tail_count, "notes": notes }));
    log.push(
        serde_json::json!({ "step": "sample", "seed": spec.synthesizer.seed,
        "tables": synthetic.tables.iter().map(|(name, t)| serde_json::json!({
            "name": name, "rows": t.num_rows() })).collect::<Vec<_>>() }),
    );

    // An implied entity table is named by what it holds: it is in no file.
    let (label, implied_entity) = match dataset.table(&entity) {
        Some(t) => (t.label(), t.implied),
        None => (format!("'{entity}'"), false),
    };
    progress(&format!("evaluating: summarising each entity of {label}"))?;
    let summarise = |which: &[Table]| -> Result<Table> {
        let views: Vec<(&str, &Table, &Schema)> = tables
            .iter()
            .zip(which)
            .map(|(t, rows)| (t.name.as_str(), rows, &t.schema))
            .collect();
        summarise_entities(&dataset, &entity, &views)
    };
    let synthetic_tables: Vec<Table> = synthetic.tables.iter().map(|(_, t)| t.clone()).collect();
    let entity_train = summarise(&train)?;
    let entity_holdout = summarise(&holdout)?;
    let entity_synthetic = summarise(&synthetic_tables)?;
    let entity_schema = synthgate_profile::profile(&entity_train, None, &[]).to_schema()?;
    let config = crate::run::evaluation_config(spec);
    let split = format!(
        "entities of {label}, split of the dataset (seed {})",
        spec.split.seed
    );
    let mut report: Report = synthgate_eval::score(
        &entity_schema,
        [
            input(&entity_train, "train", &split, &source_sha256),
            input(&entity_holdout, "holdout", &split, &source_sha256),
            input(
                &entity_synthetic,
                "synthetic",
                &format!("entities of {label} in data/"),
                "",
            ),
        ],
        &config,
        &mut |step| progress(&format!("evaluating entities: {step}")),
    )?;
    report.warnings.insert(
        0,
        format!(
            "the rows scored by the single-table metrics are whole entities: one row per \
             {}, with its own columns and, per child table, the number of children, \
             the mean of each numeric column and of the other columns the first row's value \
             (in a sequence's order) or the value most rows hold; privacy is \
             measured on entities, as a patient's history is one record.",
            if implied_entity {
                label.clone()
            } else {
                format!("row of {label}")
            }
        ),
    );
    report.warnings.extend(split_notes);
    let views: Vec<DatasetTables<'_>> = tables
        .iter()
        .zip(&train)
        .zip(&holdout)
        .zip(&synthetic_tables)
        .map(|(((t, train), holdout), synthetic)| DatasetTables {
            name: &t.name,
            schema: &t.schema,
            train,
            holdout,
            synthetic,
            public: public(&t.name),
        })
        .collect();
    report
        .metrics
        .extend(dataset_metrics(&dataset, &views, &config, &mut |step| {
            progress(&format!("evaluating the structure: {step}"))
        })?);
    log.push(serde_json::json!({ "step": "evaluate",
        "harness_version": synthgate_eval::HARNESS_VERSION, "entity": entity,
        "metrics": report.metrics.len() }));

    progress("deciding the gates")?;
    let decision = decide(&spec.policy, &report.metrics)?;
    log.push(
        serde_json::json!({ "step": "gate", "releasable": decision.releasable,
        "failed": decision.failures() }),
    );

    let entity_table = tables
        .iter()
        .find(|t| t.name == entity)
        .ok_or_else(|| Error::internal("the entity table was not read"))?;
    let profile = crate::source_profile::profile_source(
        &entity_table.table,
        &entity_table.schema,
        &entity_table.schema.na_tokens,
        &spec.policy.drift,
    );
    let data = synthetic
        .tables
        .into_iter()
        .zip(&tables)
        .filter(|((name, _), _)| !dataset.table(name).is_some_and(|t| t.implied))
        .map(|((name, table), read)| DataTable {
            path: format!("data/{name}.parquet"),
            copied: public(&name),
            name,
            table,
            schema: read.schema.clone(),
        })
        .collect();
    Ok(Release {
        spec: spec.clone(),
        source_sha256,
        source_rows,
        source_columns,
        schema: entity_table.schema.clone(),
        split_rows: split_rows_total,
        synthesizer_version: version,
        data,
        dataset: Some(dataset.declared()),
        report,
        decision,
        log,
        profile,
        llm: None,
        dp_model: None,
        origin: None,
        augmentation: None,
    })
}

//! The relations of a dataset of several tables, checked against its data (issue 15):
//! [`check`] finds every column a [`DatasetSchema`] names, refuses a primary key that is not
//! unique or has missing values and an order column with missing values (naming the table,
//! the column and the offending values and rows), and measures each reference's real gaps:
//! rows whose reference is missing and rows whose reference names no parent row (dangling), as
//! facts to report and to synthesize at their rate, never as a crash. [`propose`] suggests keys
//! and references for a user to confirm: columns whose values are unique, and columns whose
//! values fall (mostly) inside another table's candidate key.
//!
//! Keys are compared as the texts of [`Table::key_texts`]; a composite key is missing when any
//! of its parts is (SQL's MATCH SIMPLE).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Serialize;
use synthgate_core::dataset::{DatasetSchema, Reference};
use synthgate_core::{Error, Location, Result, StorageType, Table};

/// One table of a dataset, read.
#[derive(Debug, Clone, Copy)]
pub struct LoadedTable<'a> {
    /// Its name in the dataset.
    pub name: &'a str,
    /// The file it was read from (for error messages).
    pub path: &'a Path,
    /// Its rows.
    pub table: &'a Table,
}

/// What [`check`] found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelationsReport {
    /// Each table, in parents-first order.
    pub tables: Vec<TableFacts>,
    /// Each reference, in the dataset's order.
    pub references: Vec<ReferenceFacts>,
    /// Each sequence table.
    pub sequences: Vec<SequenceFacts>,
}

/// A table's size and key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableFacts {
    /// The table.
    pub name: String,
    /// Rows.
    pub rows: usize,
    /// Its primary key (empty: none).
    pub primary_key: Vec<String>,
}

/// A reference's real gaps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferenceFacts {
    /// The child table.
    pub from: String,
    /// The child's columns.
    pub columns: Vec<String>,
    /// The parent table.
    pub to: String,
    /// Child rows.
    pub rows: usize,
    /// Rows whose reference is missing (any part).
    pub missing: usize,
    /// Rows whose reference names no parent row.
    pub dangling: usize,
    /// Distinct dangling values.
    pub dangling_values: usize,
    /// Up to five dangling values with their row counts, the most frequent first.
    pub dangling_examples: Vec<(String, usize)>,
    /// Parent rows no child names.
    pub childless_parents: usize,
    /// The median number of children of a parent that has any.
    pub median_children: usize,
    /// The most children one parent has.
    pub max_children: usize,
    /// Whether some rows name a parent and not one of them resolves: a mismatch of codes or
    /// types between the two sides, not a real gap.
    pub resolves_none: bool,
}

impl ReferenceFacts {
    /// The share of child rows whose reference dangles.
    pub fn dangling_rate(&self) -> f64 {
        if self.rows == 0 {
            0.0
        } else {
            self.dangling as f64 / self.rows as f64
        }
    }
}

/// A sequence table's entities.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequenceFacts {
    /// The table.
    pub table: String,
    /// Entities.
    pub entities: usize,
    /// Rows per entity: the shortest, the median, the longest.
    pub length_min: usize,
    /// The median length.
    pub length_median: usize,
    /// The longest.
    pub length_max: usize,
}

/// How many offending values and rows an error names.
const EXAMPLES: usize = 5;

fn column_index(table: &LoadedTable<'_>, column: &str, named_by: &str) -> Result<usize> {
    table
        .table
        .column_names()
        .iter()
        .position(|c| *c == column)
        .ok_or_else(|| {
            Error::spec(format!(
                "table '{}' has no column '{column}' (named by {named_by}); its columns: {}.",
                table.name,
                table.table.column_names().join(", ")
            ))
            .at(Location::file(table.path).column(column))
        })
}

/// The key of every row over `columns`: the parts joined by U+001F, `None` when any part is
/// missing.
/// Every row's key over `columns`, and the columns' storage types (to show a key as written).
fn keys(
    table: &LoadedTable<'_>,
    columns: &[String],
    named_by: &str,
) -> Result<(Vec<Option<String>>, Vec<StorageType>)> {
    let indices = columns
        .iter()
        .map(|column| column_index(table, column, named_by))
        .collect::<Result<Vec<usize>>>()?;
    let storage = indices
        .iter()
        .map(|&i| table.table.storage_type(i))
        .collect();
    Ok((table.table.composite_keys(&indices), storage))
}

/// A key as its table writes it: each part quoted, dates and times as text (a key holds them as
/// day and microsecond counts).
fn shown(key: &str, storage: &[StorageType]) -> String {
    let parts: Vec<String> = key
        .split('\u{1f}')
        .enumerate()
        .map(|(k, part)| match (storage.get(k), part.parse::<i64>()) {
            (Some(StorageType::Date), Ok(days)) => i32::try_from(days)
                .map_or_else(|_| part.to_string(), synthgate_core::text::format_date),
            (Some(StorageType::Timestamp), Ok(micros)) => {
                synthgate_core::text::format_timestamp(micros, false)
            }
            (Some(StorageType::TimestampUtc), Ok(micros)) => {
                synthgate_core::text::format_timestamp(micros, true)
            }
            _ => part.to_string(),
        })
        .collect();
    format!("'{}'", parts.join("', '"))
}

/// Rows as people count them: 1-based, after the header line.
fn row_list(rows: &[usize]) -> String {
    let mut text: Vec<String> = rows
        .iter()
        .take(EXAMPLES)
        .map(|r| (r + 1).to_string())
        .collect();
    if rows.len() > EXAMPLES {
        text.push(format!("and {} more", rows.len() - EXAMPLES));
    }
    text.join(", ")
}

fn find<'t, 'a>(tables: &'t [LoadedTable<'a>], name: &str) -> Result<&'t LoadedTable<'a>> {
    tables
        .iter()
        .find(|t| t.name == name)
        .ok_or_else(|| Error::internal(format!("table '{name}' was not read")))
}

/// Check `dataset` against its tables (every table of the dataset, by name) and measure its
/// references' real gaps.
pub fn check(dataset: &DatasetSchema, tables: &[LoadedTable<'_>]) -> Result<RelationsReport> {
    let order = dataset
        .parents_first()
        .ok_or_else(|| Error::internal("a dataset with a cycle of references was accepted"))?;
    let mut facts = Vec::new();
    let mut primary: HashMap<&str, HashSet<String>> = HashMap::new();
    for name in &order {
        let spec = dataset
            .table(name)
            .ok_or_else(|| Error::internal("a table vanished"))?;
        let table = find(tables, name)?;
        if !spec.primary_key.is_empty() {
            let (keys, storage) = keys(table, &spec.primary_key, "its primary_key")?;
            let key_list = spec.primary_key.join(", ");
            let missing: Vec<usize> = (0..keys.len()).filter(|&r| keys[r].is_none()).collect();
            if !missing.is_empty() {
                return Err(Error::input(format!(
                    "table '{name}': its primary key ({key_list}) is missing in {} row(s): rows \
                     {} (1-based, after the header). A key must name every row.",
                    missing.len(),
                    row_list(&missing)
                ))
                .at(Location::file(table.path).column(spec.primary_key[0].clone())));
            }
            let mut rows_of: HashMap<String, Vec<usize>> = HashMap::new();
            for (row, key) in keys.iter().enumerate() {
                if let Some(key) = key {
                    rows_of.entry(key.clone()).or_default().push(row);
                }
            }
            let mut repeats: Vec<(&String, &Vec<usize>)> =
                rows_of.iter().filter(|(_, rows)| rows.len() > 1).collect();
            if !repeats.is_empty() {
                repeats.sort_by_key(|(_, rows)| rows[0]);
                let examples: Vec<String> = repeats
                    .iter()
                    .take(EXAMPLES)
                    .map(|(key, rows)| {
                        format!("{} in rows {}", shown(key, &storage), row_list(rows))
                    })
                    .collect();
                return Err(Error::input(format!(
                    "table '{name}': its primary key ({key_list}) is not unique: {} value(s) \
                     repeat, {}{} (rows 1-based, after the header).",
                    repeats.len(),
                    examples.join("; "),
                    if repeats.len() > EXAMPLES {
                        "; ..."
                    } else {
                        ""
                    }
                ))
                .at(Location::file(table.path).column(spec.primary_key[0].clone()))
                .hint(
                    "Remove the duplicate rows, or name the columns that together identify a \
                     row as the primary_key.",
                ));
            }
            primary.insert(*name, rows_of.into_keys().collect());
        }
        facts.push(TableFacts {
            name: name.to_string(),
            rows: table.table.num_rows(),
            primary_key: spec.primary_key.clone(),
        });
    }
    let mut references = Vec::new();
    for reference in &dataset.references {
        references.push(reference_facts(reference, tables, &primary)?);
    }
    let mut sequences = Vec::new();
    for sequence in &dataset.sequences {
        let table = find(tables, &sequence.table)?;
        let order = column_index(table, &sequence.order, "its sequence's order")?;
        let values = table.table.key_texts(order);
        let missing: Vec<usize> = (0..values.len()).filter(|&r| values[r].is_none()).collect();
        if !missing.is_empty() {
            return Err(Error::input(format!(
                "table '{}': the order column '{}' of its sequence is missing in {} row(s): \
                 rows {} (1-based, after the header). Every row of a sequence needs its place.",
                sequence.table,
                sequence.order,
                missing.len(),
                row_list(&missing)
            ))
            .at(Location::file(table.path).column(sequence.order.clone())));
        }
        let (entities, _) = keys(table, &sequence.entity, "its sequence's entity")?;
        let mut lengths: HashMap<String, usize> = HashMap::new();
        let mut no_entity = Vec::new();
        for (row, key) in entities.into_iter().enumerate() {
            match key {
                Some(key) => *lengths.entry(key).or_default() += 1,
                None => no_entity.push(row),
            }
        }
        if !no_entity.is_empty() {
            return Err(Error::input(format!(
                "table '{}': the entity ({}) of its sequence is missing in {} row(s): rows {} \
                 (1-based, after the header).",
                sequence.table,
                sequence.entity.join(", "),
                no_entity.len(),
                row_list(&no_entity)
            ))
            .at(Location::file(table.path).column(sequence.entity[0].clone())));
        }
        let mut lengths: Vec<usize> = lengths.into_values().collect();
        lengths.sort_unstable();
        sequences.push(SequenceFacts {
            table: sequence.table.clone(),
            entities: lengths.len(),
            length_min: lengths.first().copied().unwrap_or(0),
            length_median: lengths.get(lengths.len() / 2).copied().unwrap_or(0),
            length_max: lengths.last().copied().unwrap_or(0),
        });
    }
    Ok(RelationsReport {
        tables: facts,
        references,
        sequences,
    })
}

fn reference_facts(
    reference: &Reference,
    tables: &[LoadedTable<'_>],
    primary: &HashMap<&str, HashSet<String>>,
) -> Result<ReferenceFacts> {
    let child = find(tables, &reference.from)?;
    let named_by = format!("its reference to '{}'", reference.to);
    let (keys, storage) = keys(child, &reference.columns, &named_by)?;
    let parent_keys = primary
        .get(reference.to.as_str())
        .ok_or_else(|| Error::internal("a referenced table has no key index"))?;
    let mut missing = 0;
    let mut dangling: HashMap<&str, usize> = HashMap::new();
    let mut children: HashMap<&str, usize> = HashMap::new();
    for key in &keys {
        match key {
            None => missing += 1,
            Some(key) if parent_keys.contains(key) => {
                *children.entry(key.as_str()).or_default() += 1;
            }
            Some(key) => *dangling.entry(key.as_str()).or_default() += 1,
        }
    }
    let mut examples: Vec<(String, usize)> = dangling
        .iter()
        .map(|(k, n)| (shown(k, &storage), *n))
        .collect();
    examples.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    examples.truncate(EXAMPLES);
    let mut counts: Vec<usize> = children.values().copied().collect();
    counts.sort_unstable();
    Ok(ReferenceFacts {
        from: reference.from.clone(),
        columns: reference.columns.clone(),
        to: reference.to.clone(),
        rows: keys.len(),
        missing,
        dangling: dangling.values().sum(),
        dangling_values: dangling.len(),
        dangling_examples: examples,
        childless_parents: parent_keys.len() - children.len(),
        median_children: counts.get(counts.len() / 2).copied().unwrap_or(0),
        max_children: counts.last().copied().unwrap_or(0),
        resolves_none: children.is_empty() && !dangling.is_empty(),
    })
}

/// A key or a reference [`propose`] suggests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Proposal {
    /// Columns whose values are present and unique in every row.
    Key {
        /// The table.
        table: String,
        /// The columns.
        columns: Vec<String>,
    },
    /// Columns of one table whose present values fall inside another table's candidate key.
    Reference {
        /// The child table.
        from: String,
        /// Its columns.
        columns: Vec<String>,
        /// The parent table.
        to: String,
        /// The parent's candidate key.
        to_columns: Vec<String>,
        /// The share of the child's present values found among the parent's keys.
        inclusion: f64,
    },
}

/// Pairs of columns are tried as a key only in tables of at most this many columns and rows
/// (the search reads every pair until one is unique).
pub const MAX_PAIR_COLUMNS: usize = 40;

/// See [`MAX_PAIR_COLUMNS`].
pub const MAX_PAIR_ROWS: usize = 200_000;

/// The least share of a column's present values that must fall inside a key to propose a
/// reference (real references dangle: nycflights13's `tailnum` resolves for 84% of values).
pub const MIN_INCLUSION: f64 = 0.8;

fn keyable(storage: StorageType) -> bool {
    matches!(storage, StorageType::String | StorageType::Int64)
}

/// Suggest keys and references for `tables`, for a user to confirm: every single text or
/// integer column that is present and unique in every row is a candidate key (a table without
/// one gets its first unique pair of columns of any type, within [`MAX_PAIR_COLUMNS`] and
/// [`MAX_PAIR_ROWS`]); a text or integer column of another table
/// (a pair with the same names, for a pair key) whose distinct present values fall inside a
/// candidate key at least [`MIN_INCLUSION`] of the time is a candidate reference. Values are
/// compared, not names, but for a key whose values are the row numbers 1..n (or 0..n-1): any
/// small whole number would fall inside it, so it is proposed only where a column of its name
/// in another table, with repeated values, falls inside it (survival's `pbcseq.id` in
/// `pbc.id`), after the table's other keys. A column with fewer than two distinct values is
/// never proposed.
pub fn propose(tables: &[LoadedTable<'_>]) -> Vec<Proposal> {
    let mut proposals = Vec::new();
    let mut candidate_keys: Vec<(usize, Vec<String>, HashSet<String>)> = Vec::new();
    let mut index_keys: Vec<(usize, Vec<String>, HashSet<String>)> = Vec::new();
    let add_key = |proposals: &mut Vec<Proposal>,
                   keys: &mut Vec<(usize, Vec<String>, HashSet<String>)>,
                   t: usize,
                   columns: Vec<String>,
                   set: HashSet<String>| {
        proposals.push(Proposal::Key {
            table: tables[t].name.to_string(),
            columns: columns.clone(),
        });
        keys.push((t, columns, set));
    };
    for (t, table) in tables.iter().enumerate() {
        let names = owned_names(table);
        let usable: Vec<usize> = (0..names.len())
            .filter(|&c| keyable(table.table.storage_type(c)))
            .collect();
        let mut found = false;
        for &c in &usable {
            let columns = vec![names[c].clone()];
            if let Some(set) = unique_keys(table, &columns) {
                found = true;
                // Row numbers (1..n, 0..n-1) are unique but need not name an entity: any
                // small whole number of another table would seem to point at them. Such a
                // key is proposed only where a column of its name points at it.
                if is_row_index(&set) {
                    index_keys.push((t, columns, set));
                } else {
                    add_key(&mut proposals, &mut candidate_keys, t, columns, set);
                }
            }
        }
        // Pairs of any storage (a station and a timestamp), for tables without a single key.
        if !found && names.len() <= MAX_PAIR_COLUMNS && table.table.num_rows() <= MAX_PAIR_ROWS {
            'pairs: for a in 0..names.len() {
                for b in a + 1..names.len() {
                    let columns = vec![names[a].clone(), names[b].clone()];
                    if let Some(set) = unique_keys(table, &columns) {
                        add_key(&mut proposals, &mut candidate_keys, t, columns, set);
                        break 'pairs;
                    }
                }
            }
        }
    }
    let mut references = Vec::new();
    let mut pointed_at: HashSet<usize> = HashSet::new();
    let all_keys = candidate_keys
        .iter()
        .map(|k| (k, false))
        .chain(index_keys.iter().map(|k| (k, true)));
    let all_keys: Vec<_> = all_keys.enumerate().collect();
    for (t, table) in tables.iter().enumerate() {
        let names = owned_names(table);
        // Each column's distinct present values (and whether any repeats), read once for
        // every candidate key.
        let mut distinct_of: HashMap<Vec<String>, (HashSet<String>, bool)> = HashMap::new();
        for &(at, ((parent, key_columns, set), row_index)) in &all_keys {
            if *parent == t {
                continue;
            }
            let candidates: Vec<Vec<String>> = if row_index {
                // A row index only by a column of its name.
                names
                    .iter()
                    .filter(|n| **n == key_columns[0])
                    .map(|n| vec![n.clone()])
                    .collect()
            } else if key_columns.len() == 1 {
                (0..names.len())
                    .filter(|&c| keyable(table.table.storage_type(c)))
                    .map(|c| vec![names[c].clone()])
                    .collect()
            } else if key_columns.iter().all(|k| names.contains(k)) {
                vec![key_columns.clone()]
            } else {
                Vec::new()
            };
            for columns in candidates {
                if !distinct_of.contains_key(&columns) {
                    let Ok((child_keys, _)) = keys(table, &columns, "a proposal") else {
                        continue;
                    };
                    let present: Vec<String> = child_keys.into_iter().flatten().collect();
                    let count = present.len();
                    let set: HashSet<String> = present.into_iter().collect();
                    let repeats = set.len() < count;
                    distinct_of.insert(columns.clone(), (set, repeats));
                }
                let (distinct, repeats) = &distinct_of[&columns];
                // A row index pointing at a row index (two files' row numbers) is no
                // reference: its column must repeat, several children per parent.
                if distinct.len() < 2 || row_index && !repeats {
                    continue;
                }
                let inside = distinct.iter().filter(|k| set.contains(*k)).count();
                let inclusion = inside as f64 / distinct.len() as f64;
                if inclusion >= MIN_INCLUSION {
                    if row_index {
                        pointed_at.insert(at);
                    }
                    references.push(Proposal::Reference {
                        from: table.name.to_string(),
                        columns,
                        to: tables[*parent].name.to_string(),
                        to_columns: key_columns.clone(),
                        inclusion,
                    });
                }
            }
        }
    }
    // A row index a column of its name points at is a key after the others.
    for &(at, ((t, columns, _), row_index)) in &all_keys {
        if row_index && pointed_at.contains(&at) {
            proposals.push(Proposal::Key {
                table: tables[*t].name.to_string(),
                columns: columns.clone(),
            });
        }
    }
    proposals.extend(references);
    proposals
}

fn owned_names(table: &LoadedTable<'_>) -> Vec<String> {
    table
        .table
        .column_names()
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Whether a key's values are the whole numbers of one contiguous run (a row index).
fn is_row_index(set: &HashSet<String>) -> bool {
    let mut numbers: Vec<i64> = Vec::with_capacity(set.len());
    for key in set {
        match key.parse::<i64>() {
            Ok(n) => numbers.push(n),
            Err(_) => return false,
        }
    }
    numbers.sort_unstable();
    numbers.windows(2).all(|pair| pair[1] == pair[0] + 1)
}

/// The set of `columns`' keys when they are present and unique in every row.
fn unique_keys(table: &LoadedTable<'_>, columns: &[String]) -> Option<HashSet<String>> {
    let (keys, _) = keys(table, columns, "a proposal").ok()?;
    let mut set = HashSet::with_capacity(keys.len());
    for key in keys {
        if !set.insert(key?) {
            return None;
        }
    }
    (set.len() >= 2).then_some(set)
}

/// Fewest entities over which a column must give each entity a value of its own for
/// [`entity_identifiers`] to take it for an identifier of the entity (a handful of entities
/// could have a column of their own values by chance: 20, as for a column of distinct values
/// to be profiled an identifier).
pub const ENTITY_IDENTIFIER_ENTITIES: usize = 20;

/// The columns of a sequence table that name its entity as its key does (a patient's record
/// number beside the patient key), among `candidates`: text (or whole numbers whose name
/// suggests a key), present in every row, one value within each entity and a value of its own
/// for each, over at least [`ENTITY_IDENTIFIER_ENTITIES`] entities. Drawn as categories, such a
/// column would reproduce the values of entities of many rows as they are (and pool the
/// rest); as identifiers they are written fresh. `entity`: the entity's columns.
pub fn entity_identifiers(table: &Table, entity: &[usize], candidates: &[usize]) -> Vec<usize> {
    let keys = table.composite_keys(entity);
    let names = table.column_names();
    candidates
        .iter()
        .copied()
        .filter(|&column| {
            let storage = table.storage_type(column);
            let hint = crate::lexicon::identifier_hint(&crate::lexicon::tokens(names[column]));
            if !(storage == StorageType::String || (storage == StorageType::Int64 && hint)) {
                return false;
            }
            let values = table.key_texts(column);
            let mut of_entity: HashMap<&str, &str> = HashMap::new();
            let mut entity_of: HashMap<&str, &str> = HashMap::new();
            for (key, value) in keys.iter().zip(&values) {
                let (Some(key), Some(value)) = (key, value) else {
                    return false;
                };
                if *of_entity.entry(key).or_insert(value) != value
                    || *entity_of.entry(value).or_insert(key) != key
                {
                    return false;
                }
            }
            of_entity.len() >= ENTITY_IDENTIFIER_ENTITIES
        })
        .collect()
}

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

use std::collections::{BTreeMap, HashMap, HashSet};
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
        /// How many of the parent's rows the child's values name.
        parents: usize,
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
/// compared, not names, but for a key of whole numbers that fill at least [`DENSE_SHARE`] of
/// their range (row numbers 1..n, a numbering with a few gaps): any whole number of that range
/// (an age, a day count) would fall inside it about as often as it fills the range, so it is
/// proposed only where a column that names it (see [`names_the_key`]) in another table, with
/// repeated values, falls inside it (survival's `pbcseq.id` in `pbc.id`, `nafld2.id` in
/// `nafld1.id`), after the table's other keys. A column with fewer than two distinct values is
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
                // Row numbers (1..n, 0..n-1), or any numbering that fills most of its range,
                // are unique but need not name an entity: whole numbers of another table
                // (ages, day counts, its own row numbers) would seem to point at them. Such a
                // key is proposed only where a column that names it points at it.
                if is_dense_numbers(&set) {
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
        for &(at, ((parent, key_columns, set), dense)) in &all_keys {
            if *parent == t {
                continue;
            }
            let candidates: Vec<Vec<String>> = if dense {
                // A dense numbering only by a column that names it.
                names
                    .iter()
                    .filter(|n| names_the_key(n, tables[*parent].name, &key_columns[0]))
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
                // A numbering pointing at a numbering (two files' row numbers) is no
                // reference: its column must repeat, several children per parent.
                if distinct.len() < 2 || dense && !repeats {
                    continue;
                }
                let inside = distinct.iter().filter(|k| set.contains(*k)).count();
                let inclusion = inside as f64 / distinct.len() as f64;
                if inclusion >= MIN_INCLUSION {
                    if dense {
                        pointed_at.insert(at);
                    }
                    references.push(Proposal::Reference {
                        from: table.name.to_string(),
                        columns,
                        to: tables[*parent].name.to_string(),
                        to_columns: key_columns.clone(),
                        inclusion,
                        parents: inside,
                    });
                }
            }
        }
    }
    // A dense numbering a column that names it points at is a key after the others.
    for &(at, ((t, columns, _), dense)) in &all_keys {
        if dense && pointed_at.contains(&at) {
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

/// The least share of its range (smallest to largest) a key of whole numbers must fill to be
/// proposed as referenced only by a column that names it: whole numbers drawn anywhere in the
/// range fall inside such a key at least this often by chance.
pub const DENSE_SHARE: f64 = 0.5;

/// Whether a key's values are whole numbers filling at least [`DENSE_SHARE`] of their range (a
/// row index 1..n, or a numbering with gaps such as survival's `nafld1.id`, 17,549 of 1..17,566).
fn is_dense_numbers(set: &HashSet<String>) -> bool {
    let (mut low, mut high) = (i64::MAX, i64::MIN);
    for key in set {
        match key.parse::<i64>() {
            Ok(n) => {
                low = low.min(n);
                high = high.max(n);
            }
            Err(_) => return false,
        }
    }
    let span = (high as i128 - low as i128 + 1) as f64;
    set.len() as f64 >= DENSE_SHARE * span
}

/// Whether a column called `column` names the key `key` of table `table`: the same name, or the
/// table's name (or its singular) and then the key's (`school_id`, `schoolid`, `school.id` for
/// `schools.id`), compared without case or separators.
pub fn names_the_key(column: &str, table: &str, key: &str) -> bool {
    let plain = |text: &str| -> String {
        text.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let (column, table, key) = (plain(column), plain(table), plain(key));
    if column == key {
        return true;
    }
    let mut stems = vec![table.clone()];
    if let Some(stem) = table.strip_suffix("ies") {
        stems.push(format!("{stem}y"));
    }
    if let Some(stem) = table.strip_suffix("es") {
        stems.push(stem.to_string());
    }
    if let Some(stem) = table.strip_suffix('s') {
        stems.push(stem.to_string());
    }
    stems
        .iter()
        .any(|stem| !stem.is_empty() && column == format!("{stem}{key}"))
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

/// A sequence [`propose_sequence`] suggests for one table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequenceProposal {
    /// The table.
    pub table: String,
    /// The columns naming the entity.
    pub entity: Vec<String>,
    /// The column ordering an entity's rows.
    pub order: String,
    /// Entities.
    pub entities: usize,
    /// Entities of several rows.
    pub several: usize,
    /// The median rows per entity.
    pub median_length: usize,
    /// Columns holding one value within (nearly) every entity: its attributes, for a table of
    /// entities split from this one (none when the entity is a reference to another table,
    /// which holds the entity's attributes).
    pub attributes: Vec<String>,
    /// Why it was proposed, in words.
    pub evidence: String,
    /// Other (entity, order) pairs that fit too, the likeliest first (at most three).
    pub alternatives: Vec<(Vec<String>, String)>,
}

/// Fewest entities of several rows a sequence is proposed over.
pub const MIN_SEQUENCE_ENTITIES: usize = 10;

/// The least share of an entity's several rows that must hold one value of a column for it to
/// be proposed as an attribute of the entity (beyond what chance gives: see
/// [`MIN_ATTRIBUTE_KAPPA`]).
pub const MIN_ATTRIBUTE_AGREEMENT: f64 = 0.95;

/// The least chance-corrected share of entities of several rows holding one value of a
/// column, for an entity attribute: (seen - chance) / (1 - chance), where chance is the share
/// expected were the rows drawn at random (a column of one common value keeps it within most
/// entities by chance).
pub const MIN_ATTRIBUTE_KAPPA: f64 = 0.9;

/// A column's values coded 0..distinct in order of first appearance.
struct Coded {
    codes: Vec<u32>,
    distinct: usize,
    /// The most rows sharing one value.
    most: usize,
}

/// Each row's entity code over `parts` (codes of the parts combined), and how many entities.
fn entity_codes(parts: &[&Coded], rows: usize) -> (Vec<u32>, usize) {
    let mut index: HashMap<Vec<u32>, u32> = HashMap::new();
    let codes = (0..rows)
        .map(|row| {
            let key: Vec<u32> = parts.iter().map(|p| p.codes[row]).collect();
            let next = index.len() as u32;
            *index.entry(key).or_insert(next)
        })
        .collect();
    (codes, index.len())
}

/// The most rows of a sequence that may repeat another's (entity, order) pair, as a share
/// of the rows (real tables hold a few: 24 of 19,537 storm readings repeat their time).
pub const MAX_ORDER_REPEATS: f64 = 0.01;

/// Whether nearly every row's (entity, order) pair is its own: at most
/// [`MAX_ORDER_REPEATS`] of the rows repeat one.
fn jointly_unique(entity: &[u32], order: &[u32]) -> bool {
    let allowed = (MAX_ORDER_REPEATS * entity.len() as f64) as usize;
    let mut seen: HashSet<u64> = HashSet::with_capacity(entity.len());
    let mut repeats = 0;
    for (&e, &o) in entity.iter().zip(order) {
        if !seen.insert(((e as u64) << 32) | o as u64) {
            repeats += 1;
            if repeats > allowed {
                return false;
            }
        }
    }
    true
}

/// The share of consecutive rows of one entity (in the file's order) whose order value rises
/// (or, with `ties`, does not fall).
fn rising_share(entity: &[u32], order: &[f64], ties: bool) -> f64 {
    let mut last: HashMap<u32, f64> = HashMap::new();
    let (mut pairs, mut rising) = (0usize, 0usize);
    for (&e, &o) in entity.iter().zip(order) {
        if let Some(previous) = last.insert(e, o) {
            pairs += 1;
            rising += usize::from(o > previous || ties && o == previous);
        }
    }
    if pairs == 0 {
        0.0
    } else {
        rising as f64 / pairs as f64
    }
}

/// The least share of consecutive rows of one entity (in the file's order) whose value rises
/// for a column that is neither a time nor a grid of shared values to be proposed as their
/// order (a file is mostly written in order).
pub const MIN_RISING: f64 = 0.9;

/// A column's values as numbers that sort as its values do: dates and times as numbers, text
/// by its rank among the column's distinct texts.
fn sort_keys(table: &Table, column: usize) -> Vec<f64> {
    if table.storage_type(column) != StorageType::String {
        return table.numbers(column);
    }
    let texts = table.key_texts(column);
    let mut distinct: Vec<&str> = texts.iter().flatten().map(String::as_str).collect();
    distinct.sort_unstable();
    distinct.dedup();
    texts
        .iter()
        .map(|text| match text {
            Some(text) => distinct
                .binary_search(&text.as_str())
                .map_or(f64::NAN, |k| k as f64),
            None => f64::NAN,
        })
        .collect()
}

/// Whether a column's values are whole numbers, each once, filling at least [`DENSE_SHARE`] of
/// their range (row numbers, or the row numbers of a file some rows were taken from).
fn row_numbers(table: &Table, column: usize) -> bool {
    if table.storage_type(column) != StorageType::Int64 {
        return false;
    }
    let mut values = table.numbers(column);
    values.sort_by(f64::total_cmp);
    let (Some(low), Some(high)) = (values.first(), values.last()) else {
        return false;
    };
    values.windows(2).all(|w| w[1] > w[0])
        && values.len() as f64 >= DENSE_SHARE * (high - low + 1.0)
}

/// Rows sorted by entity, then order value, then file position.
fn entity_order(entity: &[u32], order: &[f64]) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..entity.len()).collect();
    rows.sort_by(|&a, &b| {
        entity[a]
            .cmp(&entity[b])
            .then(order[a].total_cmp(&order[b]))
            .then(a.cmp(&b))
    });
    rows
}

/// A column that splits each entity into runs at its long gaps (a storm's name reused in
/// another year: the year splits it): the rows of each (entity, column) value are one run in
/// the entity's order, at least [`MIN_SEQUENCE_ENTITIES`] entities are split, and nearly
/// every split (95%) falls at a gap at least 20 times the median gap within the runs. The
/// coarsest such column (fewest runs) is returned, with the number of runs.
fn splitting_column(
    entity: &[u32],
    order: &[f64],
    candidates: &[(usize, &Coded)],
) -> Option<(usize, usize)> {
    let rows = entity_order(entity, order);
    let mut best: Option<(usize, usize)> = None;
    'columns: for &(column, coded) in candidates {
        let mut seen: HashSet<(u32, u32)> = HashSet::new();
        let mut split_entities: HashSet<u32> = HashSet::new();
        let mut within: Vec<f64> = Vec::new();
        let mut splits: Vec<f64> = Vec::new();
        for (k, &row) in rows.iter().enumerate() {
            let value = coded.codes[row];
            let previous = k.checked_sub(1).map(|p| rows[p]);
            match previous {
                Some(p) if entity[p] == entity[row] => {
                    let gap = order[row] - order[p];
                    if coded.codes[p] == value {
                        within.push(gap);
                        continue;
                    }
                    splits.push(gap);
                    split_entities.insert(entity[row]);
                }
                _ => {}
            }
            if !seen.insert((entity[row], value)) {
                continue 'columns; // a value comes back within its entity: no runs
            }
        }
        if split_entities.len() < MIN_SEQUENCE_ENTITIES || within.is_empty() {
            continue;
        }
        within.sort_by(f64::total_cmp);
        let median = within[within.len() / 2];
        if median <= 0.0 {
            continue;
        }
        let long = splits.iter().filter(|&&g| g >= 20.0 * median).count();
        if (long as f64) < 0.95 * splits.len() as f64 {
            continue;
        }
        if best.is_none_or(|(_, runs)| seen.len() < runs) {
            best = Some((column, seen.len()));
        }
    }
    best
}

/// Columns holding one value within (nearly) every entity of several rows, beyond chance:
/// in at least [`MIN_ATTRIBUTE_AGREEMENT`] of them, with a kappa of at least
/// [`MIN_ATTRIBUTE_KAPPA`], and in at least [`MIN_SEQUENCE_ENTITIES`] of them a value other
/// than the column's commonest. `values`: every column's values coded, missing as a value of
/// its own.
fn entity_attributes(values: &[Coded], entity: &[u32], skip: &[usize]) -> Vec<usize> {
    let mut rows_of: HashMap<u32, Vec<usize>> = HashMap::new();
    for (row, &e) in entity.iter().enumerate() {
        rows_of.entry(e).or_default().push(row);
    }
    let several: Vec<Vec<usize>> = rows_of.into_values().filter(|r| r.len() > 1).collect();
    if several.is_empty() {
        return Vec::new();
    }
    let n = entity.len() as f64;
    let mut length_counts: BTreeMap<usize, usize> = BTreeMap::new();
    for rows in &several {
        *length_counts.entry(rows.len()).or_default() += 1;
    }
    (0..values.len())
        .filter(|c| !skip.contains(c))
        .filter(|&c| {
            let coded = &values[c];
            let mut counts = vec![0usize; coded.distinct];
            for &v in &coded.codes {
                counts[v as usize] += 1;
            }
            let commonest = (0..counts.len()).max_by_key(|&v| counts[v]).unwrap_or(0) as u32;
            let (mut kept, mut kept_rare) = (0usize, 0usize);
            for rows in &several {
                let first = coded.codes[rows[0]];
                if rows.iter().all(|&r| coded.codes[r] == first) {
                    kept += 1;
                    kept_rare += usize::from(first != commonest);
                }
            }
            let m = several.len() as f64;
            let kept_share = kept as f64 / m;
            if kept_rare < MIN_SEQUENCE_ENTITIES || kept_share < MIN_ATTRIBUTE_AGREEMENT {
                return false;
            }
            // Chance: an entity of k rows keeps one value with probability sum_v p_v^k.
            let mut chance = 0.0;
            for (&k, &entities) in &length_counts {
                let p_k: f64 = counts.iter().map(|&c| (c as f64 / n).powi(k as i32)).sum();
                chance += entities as f64 * p_k;
            }
            let chance = chance / m;
            chance < 1.0 - 1e-12 && (kept_share - chance) / (1.0 - chance) >= MIN_ATTRIBUTE_KAPPA
        })
        .collect()
}

/// Whether each entity of several rows has its rows stand together in the file (one run
/// each, for all but 5% of them), and there are at least two such entities. Entities of one
/// row tell nothing: a column of nearly unique values would stand together by itself.
fn grouped(entity: &Coded) -> bool {
    let mut lengths = vec![0usize; entity.distinct];
    for &code in &entity.codes {
        lengths[code as usize] += 1;
    }
    let several = lengths.iter().filter(|&&k| k > 1).count();
    let mut runs = 0usize;
    for (row, &code) in entity.codes.iter().enumerate() {
        if lengths[code as usize] > 1 && (row == 0 || entity.codes[row - 1] != code) {
            runs += 1;
        }
    }
    several >= 2 && runs as f64 <= several as f64 * 1.05
}

/// Suggest the sequence a table holds, for a user to confirm: an entity (a text or
/// whole-number column, present in every row, with at least [`MIN_SEQUENCE_ENTITIES`]
/// entities of several rows) and an order column (a date, a time, a number or else a text,
/// present in every row). The order is unique within each entity: where it is not unique on
/// its own (visits on day 0 of every patient, one hour at three stations), the entity is what
/// makes it unique; where it is (an encounter number), the entity must have at least
/// sqrt(rows) values and some evidence of naming something: it is a reference to another table
/// (`references`: this table's columns that point at another table's key), its rows stand
/// together in the file, some columns keep one value within its entities (their attributes),
/// or its name marks an identifier (`patient_nbr`). Preferred, in turn: a reference; an entity
/// with such evidence; a date or time order, then a number; an order the entity makes unique;
/// an order of fewer values (a visit's number before a measurement that happens to differ
/// within each entity); more entities. A column that splits each entity into runs at its long
/// gaps (a storm's name, reused in another year) joins the entity. A table without such
/// columns gets none.
pub fn propose_sequence(
    table: &LoadedTable<'_>,
    references: &[Vec<String>],
) -> Option<SequenceProposal> {
    let t = table.table;
    let rows = t.num_rows();
    let names = owned_names(table);
    if rows < 2 * MIN_SEQUENCE_ENTITIES {
        return None;
    }
    let storage: Vec<StorageType> = (0..names.len()).map(|c| t.storage_type(c)).collect();
    // Every column coded, missing as a value of its own; `present`: columns with no missing.
    let mut values: Vec<Coded> = Vec::with_capacity(names.len());
    let mut present: Vec<bool> = Vec::with_capacity(names.len());
    for c in 0..names.len() {
        let texts = t.key_texts(c);
        present.push(texts.iter().all(Option::is_some));
        let mut index: HashMap<Option<String>, u32> = HashMap::new();
        let mut counts: Vec<usize> = Vec::new();
        let codes = texts
            .into_iter()
            .map(|text| {
                let next = index.len() as u32;
                let code = *index.entry(text).or_insert(next);
                if code as usize == counts.len() {
                    counts.push(0);
                }
                counts[code as usize] += 1;
                code
            })
            .collect();
        values.push(Coded {
            codes,
            distinct: counts.len(),
            most: counts.iter().copied().max().unwrap_or(0),
        });
    }
    let order_kind = |c: usize| match storage[c] {
        StorageType::Date | StorageType::Timestamp | StorageType::TimestampUtc => 2,
        StorageType::Int64 | StorageType::Float64 => 1,
        _ => 0,
    };
    let entity_like = |c: usize| {
        present[c]
            && matches!(storage[c], StorageType::String | StorageType::Int64)
            && values[c].distinct >= 2
            && values[c].distinct < rows
    };
    let referenced = |c: usize| references.iter().any(|r| r.len() == 1 && r[0] == names[c]);
    let hinted = |c: usize| crate::lexicon::identifier_hint(&crate::lexicon::tokens(&names[c]));
    let mut attributes_of: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut evidence_of: HashMap<usize, (u8, String)> = HashMap::new();
    let mut sort_keys_of: HashMap<usize, Vec<f64>> = HashMap::new();
    let mut row_index: HashMap<usize, bool> = HashMap::new();
    // (rank, entity column, order column, why)
    type Rank = (u8, bool, bool, bool, u8, std::cmp::Reverse<usize>, usize);
    let mut found: Vec<(Rank, usize, usize, String)> = Vec::new();
    for e in (0..names.len()).filter(|&e| entity_like(e)) {
        let entity = &values[e];
        let mut lengths = vec![0usize; entity.distinct];
        for &code in &entity.codes {
            lengths[code as usize] += 1;
        }
        // A handful of entities (three stations) when the rows say so (each entity's rows
        // stand together, or it points at another table), else MIN_SEQUENCE_ENTITIES.
        let fewest = if referenced(e) || grouped(entity) {
            2
        } else {
            MIN_SEQUENCE_ENTITIES
        };
        if lengths.iter().filter(|&&k| k > 1).count() < fewest {
            continue;
        }
        for o in 0..names.len() {
            let order = &values[o];
            if o == e || !present[o] || order.distinct < 2 {
                continue;
            }
            let alone = order.distinct == rows;
            let unique = alone
                || entity.distinct >= order.most && jointly_unique(&entity.codes, &order.codes);
            // An order with a few ties (several diagnoses on one day) only for an entity whose
            // rows say so (it points at another table, or its rows stand together), and only a
            // time or a number that never falls within an entity as the file reads and rises
            // at least MIN_RISING of the time: not the days of lab tests measured in panels,
            // where a step is as often a tie as a rise.
            if !unique {
                let tied = order_kind(o) >= 1 && (referenced(e) || grouped(entity)) && {
                    let keys = sort_keys_of.entry(o).or_insert_with(|| sort_keys(t, o));
                    rising_share(&entity.codes, keys, true) >= 1.0 - 1e-12
                        && rising_share(&entity.codes, keys, false) >= MIN_RISING
                };
                if !tied {
                    continue;
                }
            }
            // A row number (1..n) orders nothing but the file: any column of values the file
            // is sorted by (diamonds by price) would seem to have each value's rows stand
            // together, in its order.
            if alone && *row_index.entry(o).or_insert_with(|| row_numbers(t, o)) {
                continue;
            }
            // An order is a time, or a grid of values the entities share (years, a visit's
            // number), or rises within the entities as the file reads: a measurement that
            // happens to differ within each entity is none.
            let time = order_kind(o) == 2;
            let shared = order.distinct * 4 <= rows;
            if unique && !time && !shared {
                let sort_keys = sort_keys_of.entry(o).or_insert_with(|| sort_keys(t, o));
                if rising_share(&entity.codes, sort_keys, false) < MIN_RISING {
                    continue;
                }
            }
            let (level, evidence) = evidence_of
                .entry(e)
                .or_insert_with(|| {
                    if referenced(e) {
                        return (3, format!("'{}' points at another table", names[e]));
                    }
                    if grouped(entity) {
                        return (2, format!("the rows of each '{}' stand together", names[e]));
                    }
                    if hinted(e) {
                        return (2, format!("'{}' is named as an identifier", names[e]));
                    }
                    let attributes = entity_attributes(&values, &entity.codes, &[e]);
                    if let Some(&first) = attributes.first() {
                        let text = format!(
                            "'{}' keeps one value within each '{}'",
                            names[first], names[e]
                        );
                        attributes_of.insert(e, attributes);
                        return (1, text);
                    }
                    (0, String::new())
                })
                .clone();
            // An order unique on its own (a row number, an encounter's) tells nothing of the
            // entity: it must stand on its own (columns of one value per entity are no such
            // evidence: age and an `older` flag, a model and its engine).
            if alone && (level < 2 || entity.distinct * entity.distinct < rows) {
                continue;
            }
            let why = match (level, alone, unique) {
                (0, _, _) => format!(
                    "'{}' repeats, and is unique within each '{}'",
                    names[o], names[e]
                ),
                (_, true, _) => evidence,
                (_, false, true) => format!(
                    "{evidence}; '{}' is unique within each '{}'",
                    names[o], names[e]
                ),
                (_, false, false) => format!(
                    "{evidence}; '{}' never falls within each '{}' as the file reads (some \
                     rows share one)",
                    names[o], names[e]
                ),
            };
            let rank = (
                level,
                unique,
                time,
                !alone,
                order_kind(o),
                std::cmp::Reverse(order.distinct),
                entity.distinct,
            );
            found.push((rank, e, o, why));
        }
    }
    // The likeliest first; ties in column order.
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    // A column splitting each entity into runs at long gaps joins the entity (a storm's name
    // and its year). An entity with no other evidence is proposed only so split.
    let mut chosen = None;
    for (rank, e, o, evidence) in found.iter().take(4) {
        let (e, o) = (*e, *o);
        let order_values = sort_keys_of.remove(&o).unwrap_or_else(|| sort_keys(t, o));
        let split = if !referenced(e) && order_kind(o) > 0 {
            let candidates: Vec<(usize, &Coded)> = (0..names.len())
                .filter(|&c| c != e && c != o && entity_like(c))
                .map(|c| (c, &values[c]))
                .collect();
            splitting_column(&values[e].codes, &order_values, &candidates)
        } else {
            None
        };
        if rank.0 == 0 && split.is_none() {
            continue;
        }
        chosen = Some((e, o, evidence.clone(), split));
        break;
    }
    let (e, o, mut evidence, split) = chosen?;
    let mut entity_columns = vec![e];
    let mut codes = values[e].codes.clone();
    let mut count = values[e].distinct;
    if let Some((c, runs)) = split {
        entity_columns.push(c);
        (codes, count) = entity_codes(&[&values[e], &values[c]], rows);
        debug_assert_eq!(count, runs);
        evidence.push_str(&format!(
            "; '{}' splits each '{}' into runs at long gaps of '{}'",
            names[c], names[e], names[o]
        ));
        attributes_of.remove(&e);
    }
    let mut lengths: HashMap<u32, usize> = HashMap::new();
    for &code in &codes {
        *lengths.entry(code).or_default() += 1;
    }
    let mut sorted: Vec<usize> = lengths.values().copied().collect();
    sorted.sort_unstable();
    let attributes = if referenced(e) {
        Vec::new()
    } else {
        let mut skip = entity_columns.clone();
        skip.push(o);
        let attributes = match attributes_of.remove(&e) {
            Some(found) => found.into_iter().filter(|c| !skip.contains(c)).collect(),
            None => entity_attributes(&values, &codes, &skip),
        };
        attributes.into_iter().map(|c| names[c].clone()).collect()
    };
    let alternatives = found
        .iter()
        .filter(|(rank, a, b, _)| (*a, *b) != (e, o) && rank.0 > 0)
        .take(3)
        .map(|(_, e, o, _)| (vec![names[*e].clone()], names[*o].clone()))
        .collect();
    Some(SequenceProposal {
        table: table.name.to_string(),
        entity: entity_columns.iter().map(|&c| names[c].clone()).collect(),
        order: names[o].clone(),
        entities: count,
        several: sorted.iter().filter(|&&k| k > 1).count(),
        median_length: sorted[sorted.len() / 2],
        attributes,
        evidence,
        alternatives,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_names_a_key_by_its_name_or_the_tables_and_its() {
        assert!(names_the_key("id", "subjects", "id"));
        assert!(names_the_key("school_id", "schools", "id"));
        assert!(names_the_key("SchoolID", "schools", "id"));
        assert!(names_the_key("city.id", "cities", "id"));
        assert!(names_the_key("class_id", "classes", "id"));
        assert!(names_the_key("patient_id", "patient", "id"));
        // A code of another thing, or of nothing, names no key.
        assert!(!names_the_key("admission_type_id", "patients", "id"));
        assert!(!names_the_key("age", "patients", "id"));
        // "_id" is "id" once separators are dropped: the key's own name.
        assert!(names_the_key("_id", "s", "id"));
    }

    #[test]
    fn a_numbering_is_dense_when_it_fills_half_its_range() {
        let set = |values: &[i64]| values.iter().map(|v| v.to_string()).collect::<HashSet<_>>();
        assert!(is_dense_numbers(&set(&[1, 2, 3, 4])));
        assert!(is_dense_numbers(&set(&[1, 2, 4])));
        assert!(!is_dense_numbers(&set(&[1, 2, 40])));
        assert!(!is_dense_numbers(&set(&[12_522, 443_867_166])));
        assert!(!is_dense_numbers(
            &["a".to_string(), "b".to_string()].into_iter().collect()
        ));
    }
}

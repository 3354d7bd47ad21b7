//! Hybrid releases (`[hybrid]`): the synthetic rows with a declared share of real training
//! rows, chosen by seed among the training rows (never the holdout) and shuffled in, so the
//! data file alone does not say which row is real. Which is which goes to a file of its own,
//! `origin/origin.parquet` (`row`, `origin`: `real` or `synthetic`), shipped or withheld by
//! the spec; the report's metrics score the synthetic rows alone and name the real ones as
//! real (`hybrid.real_share`, `hybrid.real_rows`), never blending them into a risk figure.

use synthgate_core::{Result, Schema, Seed, SemanticType, Table, unit_f64};
use synthgate_eval::Metric;
use synthgate_io::{append_rows, labels_table, take_rows};

use crate::spec::{HybridSpec, ShareRule};

/// The origin file, relative to the bundle.
pub const ORIGIN_FILE: &str = "origin/origin.parquet";

/// A hybrid release's rows and their origins.
#[derive(Debug)]
pub struct Mixed {
    /// Synthetic and real rows, shuffled together.
    pub table: Table,
    /// Each row's origin (`row`, `origin`), in the data file's order.
    pub origin: Table,
    /// Real rows among them.
    pub real_rows: usize,
    /// Their share of all rows.
    pub real_share: f64,
}

/// A seeded permutation of `0..rows` (Fisher-Yates on `seed`'s stream `purpose`).
pub(crate) fn permutation(rows: usize, seed: Seed, purpose: &str) -> Vec<u32> {
    let mut rng = seed.stream(purpose, 0);
    let mut order: Vec<u32> = (0..rows as u32).collect();
    for i in (1..rows).rev() {
        let j = ((unit_f64(&mut rng) * (i + 1) as f64) as usize).min(i);
        order.swap(i, j);
    }
    order
}

/// `table` with every identifier column of `schema` holding fresh keys 1, 2, ... in row
/// order: after rows from several draws (or real rows) are shuffled together, keys that
/// repeat, name a person or follow the draws would tell the rows apart.
pub(crate) fn fresh_identifiers(mut table: Table, schema: &Schema) -> Result<Table> {
    for column in schema
        .columns
        .iter()
        .filter(|c| c.semantic == SemanticType::Identifier)
    {
        let position = table
            .column_names()
            .iter()
            .position(|name| *name == column.name);
        if let Some(index) = position {
            let keys = synthgate_synth::codec::identifier_column(
                table.storage_type(index),
                0,
                table.num_rows(),
            );
            table = table.with_column(&column.name, keys)?;
        }
    }
    Ok(table)
}

/// How many real rows make `share` of a release with `synthetic` synthetic rows (at least
/// one, at most `train`).
pub fn real_rows_for(share: f64, synthetic: usize, train: usize) -> usize {
    ((synthetic as f64 * share / (1.0 - share)).round() as usize).clamp(1, train.max(1))
}

/// How many real rows a hybrid release carries: `real_share` of the release, or with
/// `choose_share = "marginal_value"` the share of the training rows `utility.real_share_needed`
/// reports in `metrics` (possibly none), at most `real_share` of the release. Also says how
/// the count was chosen, for the log.
pub fn real_rows(
    hybrid: &HybridSpec,
    synthetic: usize,
    train: usize,
    metrics: &[Metric],
) -> Result<(usize, serde_json::Value)> {
    let most = real_rows_for(hybrid.real_share, synthetic, train);
    match hybrid.choose_share {
        None => Ok((most, serde_json::json!({ "rule": "declared" }))),
        Some(ShareRule::MarginalValue) => {
            let needed = metrics
                .iter()
                .find(|m| m.id == "utility.real_share_needed")
                .map(|m| m.value)
                .ok_or_else(|| {
                    synthgate_core::Error::input(
                        "hybrid.choose_share = \"marginal_value\": the evaluation reported no \
                         utility.real_share_needed (the mix curve needs a target with scores \
                         at every share).",
                    )
                })?;
            let wanted = (needed * train as f64).ceil() as usize;
            Ok((
                wanted.min(most),
                serde_json::json!({ "rule": "marginal_value", "real_share_needed": needed,
                    "training_rows_needed": wanted, "capped_at": most }),
            ))
        }
    }
}

/// `synthetic` with `count` real rows of `train` mixed in, chosen and shuffled by `hybrid`'s
/// seed. The real rows keep the synthetic table's columns (a column the synthesizer dropped is
/// dropped from them too), and every identifier column of `schema` gets fresh keys 1, 2, ...
/// in the release's order: a real row's key would name its person, and keys continuing the
/// synthetic ones would tell which rows are real.
pub fn mix(
    synthetic: &Table,
    train: &Table,
    schema: &Schema,
    hybrid: &HybridSpec,
    count: usize,
) -> Result<Mixed> {
    let seed = Seed(hybrid.seed);
    let names: Vec<String> = synthetic
        .column_names()
        .iter()
        .map(|name| name.to_string())
        .collect();
    let train = train.select(&names)?;
    let train = &train;
    let chosen = permutation(train.num_rows(), seed, "hybrid/real rows");
    let real = take_rows(train, &chosen[..count])?;
    let all = append_rows(synthetic, &real)?;
    let order = permutation(all.num_rows(), seed, "hybrid/shuffle");
    let table = fresh_identifiers(take_rows(&all, &order)?, schema)?;
    let synthetic_rows = synthetic.num_rows() as u32;
    let labels: Vec<&str> = order
        .iter()
        .map(|&row| {
            if row < synthetic_rows {
                "synthetic"
            } else {
                "real"
            }
        })
        .collect();
    Ok(Mixed {
        table,
        origin: labels_table("origin", &labels)?,
        real_rows: count,
        real_share: count as f64 / all.num_rows() as f64,
    })
}

/// The report's statement of a hybrid release's composition.
pub fn composition(mixed: &Mixed, hybrid: &HybridSpec) -> String {
    let total = mixed.table.num_rows();
    format!(
        "A hybrid release: {total} rows, of which {} ({:.2}%) are real training rows released as \
         they are (chosen by seed {} among the training rows, never from the holdout) and {} are \
         synthetic.{} Legal basis for the real rows: {}. Every metric of this report scores \
         the synthetic rows alone; none describes the real ones. Which row is real is in {}.",
        mixed.real_rows,
        100.0 * mixed.real_share,
        hybrid.seed,
        total - mixed.real_rows,
        match hybrid.choose_share {
            Some(ShareRule::MarginalValue) => format!(
                " Their number was chosen by the marginal value of real data \
                 (utility.real_share_needed: the smallest share of the training rows beyond \
                 which adding more to the synthetic rows brought no significant gain), at most \
                 {}% of the release.",
                hybrid.real_share * 100.0
            ),
            None => String::new(),
        },
        hybrid.legal_basis,
        match hybrid.origin {
            crate::spec::RealDataFiles::Ship => ORIGIN_FILE,
            crate::spec::RealDataFiles::Withhold =>
                "the operator's workspace only (the origin file is withheld)",
        }
    )
}

/// The report's metrics of the composition.
pub fn metrics(mixed: &Mixed) -> Vec<Metric> {
    let definition = |id: &str| synthgate_core::metrics::info(id).map_or("", |row| row.definition);
    vec![
        Metric::new(
            "hybrid.real_share",
            mixed.real_share,
            definition("hybrid.real_share"),
        ),
        Metric::new(
            "hybrid.real_rows",
            mixed.real_rows as f64,
            definition("hybrid.real_rows"),
        ),
    ]
}

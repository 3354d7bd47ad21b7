//! Metrics of a reference between two tables (issue 15), as SDMetrics 0.32 defines them, on
//! key texts (`synthgate_core::Table::composite_keys`: one text per row, `None` when missing).
//!
//! - [`cardinality_shape`] is SDMetrics' `CardinalityShapeSimilarity` for one relationship
//!   (`sdmetrics/multi_table/statistical/cardinality_shape_similarity.py` with
//!   `sdmetrics/utils.py: get_cardinality_distribution`): for every parent row, the number of
//!   child rows whose key equals its key (0 for none), in the real tables and in the synthetic
//!   ones; the score is `1 − D`, D the two-sample Kolmogorov–Smirnov statistic of the two
//!   distributions. SDMetrics' `compute` averages relationships keyed by (parent, child) table
//!   pair, so of two references between the same two tables it keeps the last; Synthgate
//!   reports every reference.
//! - [`referential_integrity`] is SDMetrics' `ReferentialIntegrity`
//!   (`sdmetrics/column_pairs/statistical/referential_integrity.py`): the share of synthetic
//!   child rows whose key names a synthetic parent row; rows with a missing key are left out
//!   when the real child column has missing values too (a single-column key), else they count
//!   as unresolved.

use std::collections::{HashMap, HashSet};

use crate::shapes::ks_complement;

/// For every parent row, how many child rows carry its key.
pub fn cardinality(parent: &[Option<String>], child: &[Option<String>]) -> Vec<f64> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for key in child.iter().flatten() {
        *counts.entry(key.as_str()).or_default() += 1;
    }
    parent
        .iter()
        .map(|key| {
            key.as_deref()
                .and_then(|key| counts.get(key))
                .copied()
                .unwrap_or(0) as f64
        })
        .collect()
}

/// `1 − D` between the real and the synthetic children-per-parent distributions; `None` when
/// either side has no parent row.
pub fn cardinality_shape(
    (real_parent, real_child): (&[Option<String>], &[Option<String>]),
    (synthetic_parent, synthetic_child): (&[Option<String>], &[Option<String>]),
) -> Option<f64> {
    ks_complement(
        &cardinality(real_parent, real_child),
        &cardinality(synthetic_parent, synthetic_child),
    )
}

/// The share of synthetic child rows whose key names a synthetic parent row (see the module
/// docs for missing keys); `None` when no child row counts. `columns` is the key's width.
pub fn referential_integrity(
    real_child: &[Option<String>],
    (synthetic_parent, synthetic_child): (&[Option<String>], &[Option<String>]),
    columns: usize,
) -> Option<f64> {
    let parents: HashSet<&str> = synthetic_parent
        .iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let drop_missing = columns == 1 && real_child.iter().any(Option::is_none);
    let mut counted = 0usize;
    let mut resolved = 0usize;
    for key in synthetic_child {
        match key {
            None if drop_missing => {}
            None => counted += 1,
            Some(key) => {
                counted += 1;
                resolved += usize::from(parents.contains(key.as_str()));
            }
        }
    }
    (counted > 0).then(|| resolved as f64 / counted as f64)
}

/// A child table of an entity, for [`entity_summaries`].
#[derive(Debug, Clone, Copy)]
pub struct Children<'a> {
    /// Its name (the summary columns' prefix).
    pub name: &'a str,
    /// Its rows.
    pub table: &'a synthgate_core::Table,
    /// Its schema (which columns are numbers, which are identifiers).
    pub schema: &'a synthgate_core::Schema,
    /// Its key texts naming the entity (`Table::composite_keys` of the reference's columns).
    pub keys: &'a [Option<String>],
    /// The columns the summary leaves out (the reference's own columns).
    pub skip: &'a [usize],
    /// Its order column, for "first" (else the file's order).
    pub order: Option<usize>,
}

/// One row per entity (a patient with all their encounters as one record, as membership
/// risk should count them): the entity table's own columns (its key left out), and for each
/// child table the number of children, the mean of each numeric column over them and the
/// first child's value of every other column (`first` in the order column's order), with
/// identifiers left out. Entities without children have a count of 0 and missing summaries.
/// The harness scores such tables like any other: an entity-level DCR share, detection and
/// membership attack.
pub fn entity_summaries(
    entity: &synthgate_core::Table,
    entity_keys: &[Option<String>],
    entity_skip: &[usize],
    children: &[Children<'_>],
) -> synthgate_core::Result<synthgate_core::Table> {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema as ArrowSchema};
    use synthgate_core::{Error, SemanticType};

    let rows = entity.num_rows();
    let whole = entity.take(&(0..rows).map(Some).collect::<Vec<_>>())?;
    let mut fields: Vec<Field> = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (index, field) in entity.arrow_schema().fields().iter().enumerate() {
        if entity_skip.contains(&index) {
            continue;
        }
        fields.push(field.as_ref().clone());
        arrays.push(
            whole
                .batches()
                .first()
                .map(|b| b.column(index).clone())
                .unwrap_or_else(|| arrow_array::new_empty_array(field.data_type())),
        );
    }
    let position: HashMap<&str, usize> = entity_keys
        .iter()
        .enumerate()
        .filter_map(|(row, key)| key.as_deref().map(|k| (k, row)))
        .collect();
    for child in children {
        let owner: Vec<Option<usize>> = child
            .keys
            .iter()
            .map(|k| k.as_deref().and_then(|k| position.get(k).copied()))
            .collect();
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); rows];
        let order: Vec<f64> = match child.order {
            Some(column) => child.table.numbers(column),
            None => (0..child.table.num_rows()).map(|r| r as f64).collect(),
        };
        for (row, entity_row) in owner.iter().enumerate() {
            if let Some(e) = entity_row {
                members[*e].push(row);
            }
        }
        for list in &mut members {
            list.sort_by(|&a, &b| order[a].total_cmp(&order[b]).then(a.cmp(&b)));
        }
        fields.push(Field::new(
            format!("{}.count", child.name),
            DataType::Int64,
            false,
        ));
        arrays.push(Arc::new(Int64Array::from(
            members.iter().map(|m| m.len() as i64).collect::<Vec<_>>(),
        )));
        for (index, name) in child.table.column_names().iter().enumerate() {
            if child.skip.contains(&index) {
                continue;
            }
            let semantic = child.schema.column(name).map(|c| c.semantic);
            match semantic {
                Some(SemanticType::Identifier) | None => continue,
                Some(SemanticType::Continuous | SemanticType::Integer) => {
                    let values = child.table.numbers(index);
                    let means: Vec<Option<f64>> = members
                        .iter()
                        .map(|m| {
                            let present: Vec<f64> = m
                                .iter()
                                .map(|&r| values[r])
                                .filter(|v| !v.is_nan())
                                .collect();
                            (!present.is_empty())
                                .then(|| present.iter().sum::<f64>() / present.len() as f64)
                        })
                        .collect();
                    fields.push(Field::new(
                        format!("{}.{name}.mean", child.name),
                        DataType::Float64,
                        true,
                    ));
                    arrays.push(Arc::new(Float64Array::from(means)));
                }
                Some(_) => {
                    let texts = child.table.key_texts(index);
                    let first: Vec<Option<String>> = members
                        .iter()
                        .map(|m| m.first().and_then(|&r| texts[r].clone()))
                        .collect();
                    fields.push(Field::new(
                        format!("{}.{name}.first", child.name),
                        DataType::Utf8,
                        true,
                    ));
                    arrays.push(Arc::new(StringArray::from(first)));
                }
            }
        }
    }
    let schema = Arc::new(ArrowSchema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays)
        .map_err(|error| Error::internal(format!("entity summaries: {error}")))?;
    synthgate_core::Table::new(schema, vec![batch])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(values: &[Option<&str>]) -> Vec<Option<String>> {
        values.iter().map(|v| v.map(str::to_string)).collect()
    }

    #[test]
    fn counts_and_integrity_on_hand_computed_cases() {
        let parent = keys(&[Some("a"), Some("b"), Some("c")]);
        let child = keys(&[Some("a"), Some("a"), Some("b"), Some("x"), None]);
        assert_eq!(cardinality(&parent, &child), [2.0, 1.0, 0.0]);
        // Same shape: 1; counts {2, 1, 0} against {0, 0, 0}: D = 2/3.
        assert_eq!(
            cardinality_shape((&parent, &child), (&parent, &child)),
            Some(1.0)
        );
        let none: Vec<Option<String>> = Vec::new();
        let shape = cardinality_shape((&parent, &child), (&parent, &none)).expect("score");
        assert!((shape - 1.0 / 3.0).abs() < 1e-12, "{shape}");
        // 'x' dangles and the missing key is left out (the real column has missing keys too).
        assert_eq!(
            referential_integrity(&child, (&parent, &child), 1),
            Some(3.0 / 4.0)
        );
        // Without missing real keys, a missing synthetic key counts as unresolved.
        let complete = keys(&[Some("a")]);
        assert_eq!(
            referential_integrity(&complete, (&parent, &child), 1),
            Some(3.0 / 5.0)
        );
    }
}

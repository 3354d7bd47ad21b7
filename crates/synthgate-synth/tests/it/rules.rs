//! Schema rules (`age >= smokeyrs`) hold in every output row, for every synthesizer.

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use synthgate_core::{Seed, Table};

use crate::support::{builtins, fit_default, load};

fn violations(table: &Table) -> usize {
    let names = table.column_names();
    let age = names.iter().position(|n| *n == "age").expect("age");
    let years = names
        .iter()
        .position(|n| *n == "smokeyrs")
        .expect("smokeyrs");
    table
        .batches()
        .iter()
        .map(|batch| {
            let a = batch.column(age).as_primitive::<Int64Type>();
            let y = batch.column(years).as_primitive::<Int64Type>();
            a.iter()
                .zip(y.iter())
                .filter(|(a, y)| matches!((a, y), (Some(a), Some(y)) if a < y))
                .count()
        })
        .sum()
}

#[test]
fn rules_always_hold() {
    let (table, mut schema) = load("nhefs");
    assert_eq!(violations(&table), 0, "the real data satisfies the rule");
    for synthesizer in builtins() {
        let unruly = fit_default(&table, &schema, synthesizer.as_ref(), 1)
            .sample(20_000, Seed(2))
            .expect("samples");
        let before = violations(&unruly);
        schema.rules = vec!["age >= smokeyrs".to_string()];
        let model = fit_default(&table, &schema, synthesizer.as_ref(), 1);
        let ruled = model.sample(20_000, Seed(2)).expect("samples");
        schema.rules.clear();
        assert_eq!(
            violations(&ruled),
            0,
            "{}: a row breaks the rule",
            synthesizer.name()
        );
        if synthesizer.name() == "independent" {
            assert!(
                before > 100,
                "independent draws ignore the relation ({before} violations)"
            );
        }
        eprintln!(
            "{}: {before} violations without the rule, 0 with it",
            synthesizer.name()
        );
    }
}

/// Bounds and allowed categories from a (user-tightened) schema hold in every output row.
#[test]
fn schema_bounds_and_categories_always_hold() {
    let (table, mut schema) = load("adult");
    let age = schema.index_of("age").expect("age");
    schema.columns[age].max = Some(synthgate_core::Bound::Int(60));
    schema.columns[age].min = Some(synthgate_core::Bound::Int(21));
    let workclass = schema.index_of("workclass").expect("workclass");
    let allowed: Vec<String> = ["Private", "Self-emp-not-inc", "Local-gov"]
        .map(String::from)
        .to_vec();
    schema.columns[workclass].categories = Some(allowed.clone());
    for synthesizer in builtins() {
        let model = fit_default(&table, &schema, synthesizer.as_ref(), 1);
        let sample = model.sample(20_000, Seed(3)).expect("samples");
        let ages = crate::support::column_text(&sample, age);
        let classes = crate::support::column_text(&sample, workclass);
        for value in ages.iter().flatten() {
            let value: i64 = value.parse().expect("integer");
            assert!(
                (21..=60).contains(&value),
                "{}: age {value}",
                synthesizer.name()
            );
        }
        for value in classes.iter().flatten() {
            assert!(
                allowed.contains(value),
                "{}: workclass {value}",
                synthesizer.name()
            );
        }
        assert!(
            classes.iter().flatten().count() > 15_000,
            "values are kept, not blanked"
        );
    }
}

//! Schema rules (`age >= smokeyrs`) hold in every output row, for every synthesizer.

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use synthgate_core::{Seed, Table};
use synthgate_synth::builtins;

use crate::support::{fit_default, load};

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

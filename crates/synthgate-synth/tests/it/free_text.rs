//! Free text: values many rows hold pass through as categories; a column whose values are
//! nearly all rare (held by fewer rows than the rare-category threshold) is dropped with a
//! warning unless the schema says how to treat its rare values.

use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{Field, Schema as ArrowSchema};
use synthgate_core::{ColumnSchema, PrivacyRole, Schema, Seed, SemanticType, StorageType, Table};
use synthgate_synth::{Cart, Independent, Synthesizer};

use crate::support::fit_default;

fn table_with_notes(distinct_notes: usize) -> (Table, Schema) {
    let rows = 3000;
    let ids: Int64Array = (0..rows as i64).map(Some).collect();
    let notes: StringArray = (0..rows)
        .map(|row| {
            Some(format!(
                "patient reported symptom number {} after the visit",
                row % distinct_notes
            ))
        })
        .collect();
    let fields = vec![
        Field::new("id", StorageType::Int64.arrow_type(), true),
        Field::new("note", StorageType::String.arrow_type(), true),
    ];
    let arrow_schema = Arc::new(ArrowSchema::new(fields));
    let columns: Vec<ArrayRef> = vec![Arc::new(ids), Arc::new(notes)];
    let batch = RecordBatch::try_new(arrow_schema.clone(), columns).expect("batch");
    let table = Table::new(arrow_schema, vec![batch]).expect("table");
    let column = |name: &str, storage, semantic| ColumnSchema {
        name: name.to_string(),
        storage,
        semantic,
        role: PrivacyRole::None,
        min: None,
        max: None,
        categories: None,
        missing_token: None,
        decimals: None,
        point_masses: None,
        rare: None,
    };
    let schema = Schema::new(
        vec![String::new()],
        vec![
            column("id", StorageType::Int64, SemanticType::Identifier),
            column("note", StorageType::String, SemanticType::FreeText),
        ],
    )
    .expect("schema");
    (table, schema)
}

#[test]
fn free_text_is_categories_or_dropped_with_a_warning() {
    let synthesizers: [&dyn Synthesizer; 2] = [&Cart::default(), &Independent];
    for synthesizer in synthesizers {
        let (table, schema) = table_with_notes(20);
        let model = fit_default(&table, &schema, synthesizer, 1);
        let sample = model.sample(100, Seed(1)).expect("samples");
        assert_eq!(sample.column_names(), vec!["id", "note"]);
        assert!(model.warnings().is_empty(), "{:?}", model.warnings());

        // 1,500 notes in 3,000 rows: two rows each, all rare.
        let (table, schema) = table_with_notes(1500);
        let model = fit_default(&table, &schema, synthesizer, 1);
        let sample = model.sample(100, Seed(1)).expect("samples");
        assert_eq!(
            sample.column_names(),
            vec!["id"],
            "the note column is dropped"
        );
        assert!(
            model
                .warnings()
                .iter()
                .any(|w| w.contains("'note' dropped")),
            "{:?}",
            model.warnings()
        );
    }
}

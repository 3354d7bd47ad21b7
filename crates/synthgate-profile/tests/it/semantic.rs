//! Semantic types inferred from a table's values, on real names.

use std::io::Write;

use synthgate_core::SemanticType;
use synthgate_io::{ReadOptions, read_table};
use synthgate_profile::profile;

/// The 50 US states and the District of Columbia, as in a lookup table of states (stevedata's
/// `states`): ten of the 51 names hold a space.
const STATES: [&str; 51] = [
    "Alabama",
    "Alaska",
    "Arizona",
    "Arkansas",
    "California",
    "Colorado",
    "Connecticut",
    "Delaware",
    "District of Columbia",
    "Florida",
    "Georgia",
    "Hawaii",
    "Idaho",
    "Illinois",
    "Indiana",
    "Iowa",
    "Kansas",
    "Kentucky",
    "Louisiana",
    "Maine",
    "Maryland",
    "Massachusetts",
    "Michigan",
    "Minnesota",
    "Mississippi",
    "Missouri",
    "Montana",
    "Nebraska",
    "Nevada",
    "New Hampshire",
    "New Jersey",
    "New Mexico",
    "New York",
    "North Carolina",
    "North Dakota",
    "Ohio",
    "Oklahoma",
    "Oregon",
    "Pennsylvania",
    "Rhode Island",
    "South Carolina",
    "South Dakota",
    "Tennessee",
    "Texas",
    "Utah",
    "Vermont",
    "Virginia",
    "Washington",
    "West Virginia",
    "Wisconsin",
    "Wyoming",
];

fn semantic_types(csv: &str) -> Vec<(String, SemanticType)> {
    let mut file = tempfile::Builder::new()
        .suffix(".csv")
        .tempfile()
        .expect("temp file");
    file.write_all(csv.as_bytes()).expect("written");
    let table = read_table(file.path(), &ReadOptions::default())
        .expect("reads")
        .table;
    profile(&table, None, &[])
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.semantic))
        .collect()
}

/// A short name held by one row each labels its row as a key does: profiled as an identifier
/// (so it is never scored as a category "associated" with every other column, nor synthesized
/// as one). Red with the rule for names taken out: `statename` came out categorical, and
/// stevedata's states scored 0.000 parent-child pair trends for the holdout and synthetic alike.
#[test]
fn a_name_for_each_row_is_an_identifier_and_shared_or_long_text_is_not() {
    let regions = ["South", "West", "North Central", "Northeast"];
    let mut csv = String::from("statename,capital_state,region,note\n");
    for (i, name) in STATES.iter().enumerate() {
        // Names of two words each (as people's are) are names too; a sentence per row, long
        // and of many words, is free text.
        csv.push_str(&format!(
            "{name},Capital {name},{},\"The state listed at position {i} of the alphabetical table of states\"\n",
            regions[i % 4]
        ));
    }
    let types = semantic_types(&csv);
    assert_eq!(
        types,
        vec![
            ("statename".to_string(), SemanticType::Identifier),
            ("capital_state".to_string(), SemanticType::Identifier),
            ("region".to_string(), SemanticType::Categorical),
            ("note".to_string(), SemanticType::FreeText),
        ]
    );

    // The same names on fewer than 20 rows, or with one repeated, stay categories.
    let few: String = std::iter::once("statename\n".to_string())
        .chain(STATES[..19].iter().map(|n| format!("{n}\n")))
        .collect();
    assert_eq!(semantic_types(&few)[0].1, SemanticType::Categorical);
    let repeated: String = std::iter::once("statename\n".to_string())
        .chain(STATES.iter().map(|n| format!("{n}\n")))
        .chain(std::iter::once("Ohio\n".to_string()))
        .collect();
    assert_eq!(semantic_types(&repeated)[0].1, SemanticType::Categorical);
}

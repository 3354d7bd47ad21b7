//! Property tests of the parsers model output and spec text go through: arbitrary content never
//! panics the record parser and is either a valid record or a counted reject; templates render
//! every variable they name and keep literal braces.

use std::collections::BTreeMap;

use proptest::prelude::*;
use synthgate_llm::check::{Deduplicator, Validator, exact_key};
use synthgate_llm::spec::{ColumnSpec, ColumnType, render, template_variables};

fn columns() -> Vec<ColumnSpec> {
    let column = |name: &str, kind| ColumnSpec {
        name: name.into(),
        kind,
        allowed: None,
        min: Some(0.0),
        max: Some(120.0),
        pattern: None,
        min_length: None,
        max_length: Some(40),
        nullable: false,
    };
    vec![
        column("age", ColumnType::Integer),
        ColumnSpec {
            allowed: Some(vec!["F".into(), "M".into()]),
            ..column("sex", ColumnType::String)
        },
        column("note", ColumnType::Text),
    ]
}

proptest! {
    #[test]
    fn any_content_is_a_record_or_a_reject(content in ".{0,200}") {
        let validator = Validator::new(&columns());
        match validator.parse_record(&content) {
            Ok(record) => {
                prop_assert_eq!(record.len(), 3);
                let age = record["age"].as_i64().expect("validated integer");
                prop_assert!((0..=120).contains(&age));
            }
            Err(reject) => prop_assert!(!reject.reason.is_empty()),
        }
    }

    #[test]
    fn valid_records_pass_and_their_duplicates_do_not(
        age in 0i64..=120,
        male in any::<bool>(),
        note in "[a-z ]{1,40}",
        trailing in ".{0,30}",
    ) {
        let validator = Validator::new(&columns());
        let json = serde_json::json!({"age": age, "sex": if male {"M"} else {"F"}, "note": note});
        let record = validator
            .parse_record(&format!("{json}\n{trailing}"))
            .expect("a valid object followed by anything");
        let mut dedup = Deduplicator::new(&columns(), 0.9);
        prop_assert!(dedup.admit(&record).is_ok());
        prop_assert!(dedup.admit(&record).is_err());
        prop_assert_eq!(exact_key(&record), exact_key(&record.clone()));
    }

    #[test]
    fn templates_render_each_variable_and_literal_braces(
        pieces in proptest::collection::vec(("[a-z ,.:]{0,8}", proptest::option::of("[a-z]{1,6}")), 0..6),
        value in "[A-Z0-9]{1,5}",
    ) {
        let mut template = String::from("{{");
        let mut expected = String::from("{");
        for (text, variable) in &pieces {
            template.push_str(text);
            expected.push_str(text);
            if let Some(name) = variable {
                template.push_str(&format!("{{{name}}}"));
                expected.push_str(&value);
            }
        }
        template.push_str("}}");
        expected.push('}');
        let names = template_variables(&template).expect("well formed");
        prop_assert_eq!(names.len(), pieces.iter().filter(|(_, v)| v.is_some()).count());
        let values: BTreeMap<&str, String> =
            names.iter().map(|(n, _)| (n.as_str(), value.clone())).collect();
        prop_assert_eq!(render(&template, &values), expected);
    }

    #[test]
    fn template_parsing_never_panics(template in ".{0,80}") {
        let _ = template_variables(&template);
        let _ = render(&template, &BTreeMap::new());
    }
}

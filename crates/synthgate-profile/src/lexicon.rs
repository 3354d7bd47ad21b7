//! Column-name vocabularies for privacy roles and identifiers.
//!
//! Names are split into lower-case tokens at every non-alphanumeric character and at
//! lower-to-upper case changes (`patientID` → `patient`, `id`), and trailing digits are dropped
//! from a token (`diag1` → `diag`). A vocabulary word matches a whole token, never a substring,
//! so `age` matches `age` and `age_band` but not `agent` or `page`.
//!
//! The lists follow the usual categories of re-identification guidance (HIPAA's eighteen
//! identifiers for direct identifiers; demographic and geographic attributes and dates for
//! quasi-identifiers; GDPR Article 9's special categories plus income for sensitive
//! attributes), including the standard U.S. Census ACS variable names (`AGEP`, `RAC1P`,
//! `PINCP`, ...). They are a starting point: the schema file is where a user corrects them.

/// Tokens that name a direct identifier.
const DIRECT_IDENTIFIER: &[&str] = &[
    "name",
    "firstname",
    "lastname",
    "surname",
    "fullname",
    "forename",
    "email",
    "mail",
    "phone",
    "telephone",
    "tel",
    "mobile",
    "fax",
    "ssn",
    "passport",
    "address",
    "street",
    "mrn",
    "nhs",
    "iban",
    "licence",
    "license",
    "ip",
    "url",
    "username",
    "login",
];

/// Tokens that name a quasi-identifier.
const QUASI_IDENTIFIER: &[&str] = &[
    "age",
    "agep",
    "sex",
    "gender",
    "race",
    "rac1p",
    "ethnicity",
    "ethnic",
    "hisp",
    "hispanic",
    "zip",
    "zipcode",
    "postcode",
    "postal",
    "puma",
    "county",
    "city",
    "state",
    "country",
    "region",
    "district",
    "birth",
    "birthplace",
    "dob",
    "birthdate",
    "birthday",
    "marital",
    "msp",
    "nationality",
    "occupation",
    "occp",
];

/// Tokens that name a sensitive attribute.
const SENSITIVE: &[&str] = &[
    "income",
    "salary",
    "wage",
    "wages",
    "earnings",
    "pincp",
    "diag",
    "diagnosis",
    "disease",
    "condition",
    "diabetes",
    "diabetic",
    "asthma",
    "cancer",
    "hiv",
    "aids",
    "hepatitis",
    "depression",
    "mental",
    "psychiatric",
    "pregnant",
    "pregnancy",
    "pregnancies",
    "disability",
    "disabled",
    "drem",
    "deye",
    "dear",
    "dphy",
    "medication",
    "medications",
    "drug",
    "insulin",
    "readmitted",
    "death",
    "died",
    "dead",
    "mortality",
    "cholesterol",
    "chol",
    "sbp",
    "dbp",
    "hypertension",
    "glucose",
    "a1c",
    "religion",
    "sexual",
    "orientation",
    "criminal",
    "conviction",
    "smoker",
    "smoking",
    "alcohol",
    "treatment",
    "therapy",
    "procedure",
];

/// Tokens that suggest a key or record identifier.
const IDENTIFIER_HINT: &[&str] = &[
    "id", "ids", "uuid", "guid", "key", "nbr", "seqn", "rownames", "rowname", "index", "idx",
    "record", "serial",
];

/// Tokens that suggest a coded category (`admission_type_id`).
const CODE_HINT: &[&str] = &[
    "code",
    "type",
    "cat",
    "category",
    "class",
    "status",
    "group",
    "level",
    "kind",
    "source",
    "disposition",
];

/// The lower-case tokens of a column name.
pub(crate) fn tokens(name: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for character in name.chars() {
        if !character.is_alphanumeric() {
            push_token(&mut tokens, &mut current);
            previous_lower = false;
            continue;
        }
        if character.is_uppercase() && previous_lower {
            push_token(&mut tokens, &mut current);
        }
        previous_lower = character.is_lowercase();
        current.extend(character.to_lowercase());
    }
    push_token(&mut tokens, &mut current);
    tokens
}

fn push_token(tokens: &mut Vec<String>, current: &mut String) {
    let trimmed = current.trim_end_matches(|c: char| c.is_ascii_digit());
    // A token of digits only ("1" in diag_1) carries no meaning; keep "rac1p" whole.
    if !trimmed.is_empty() {
        tokens.push(trimmed.to_string());
    }
    current.clear();
}

fn matches(tokens: &[String], vocabulary: &[&str]) -> Option<String> {
    tokens
        .iter()
        .find(|token| vocabulary.contains(&token.as_str()))
        .cloned()
}

/// The name token that marks a direct identifier, if any.
pub(crate) fn direct_identifier(tokens: &[String]) -> Option<String> {
    matches(tokens, DIRECT_IDENTIFIER)
}

/// The name token that marks a quasi-identifier, if any.
pub(crate) fn quasi_identifier(tokens: &[String]) -> Option<String> {
    matches(tokens, QUASI_IDENTIFIER)
}

/// The name token that marks a sensitive attribute, if any.
pub(crate) fn sensitive(tokens: &[String]) -> Option<String> {
    matches(tokens, SENSITIVE)
}

/// Whether the name suggests a key or record id.
pub(crate) fn identifier_hint(tokens: &[String]) -> bool {
    matches(tokens, IDENTIFIER_HINT).is_some()
}

/// Whether the name suggests a coded category.
pub(crate) fn code_hint(tokens: &[String]) -> bool {
    matches(tokens, CODE_HINT).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, expected: &[&str]) {
        assert_eq!(tokens(name), expected, "{name}");
    }

    #[test]
    fn names_split_into_tokens() {
        check("hours-per-week", &["hours", "per", "week"]);
        check("admission_type_id", &["admission", "type", "id"]);
        check("patientID", &["patient", "id"]);
        check("diag_1", &["diag"]);
        check("RAC1P", &["rac1p"]);
        check("wt82_71", &["wt"]);
        check("A1Cresult", &["a1cresult"]);
    }

    #[test]
    fn vocabularies_match_whole_tokens() {
        assert!(quasi_identifier(&tokens("age")).is_some());
        assert!(quasi_identifier(&tokens("age_band")).is_some());
        assert!(quasi_identifier(&tokens("agent")).is_none());
        assert!(quasi_identifier(&tokens("native-country")).is_some());
        assert!(sensitive(&tokens("PINCP_DECILE")).is_some());
        assert!(direct_identifier(&tokens("rownames")).is_none());
        assert!(identifier_hint(&tokens("encounter_id")));
        assert!(code_hint(&tokens("admission_type_id")));
    }
}

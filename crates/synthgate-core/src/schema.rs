//! Synthgate's schema: the editable description of a table that profiling writes and every
//! later command accepts (`--schema`).
//!
//! A schema file is TOML. Its top level carries `format_version` and the missing-value tokens
//! the data was read with; each `[[columns]]` table names one column in file order with its
//! storage type (how values are stored), semantic type (what they mean, which decides how a
//! synthesizer models them) and privacy role. Unknown keys are errors, so a typo never silently
//! does nothing.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use arrow_schema::{DataType, TimeUnit};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Location, Result};

/// The schema file format this version writes, and the newest it reads.
pub const SCHEMA_FORMAT_VERSION: u32 = 1;

/// Missing-value tokens every reader recognises unless told otherwise (matched ignoring ASCII
/// letter case, after trimming surrounding spaces).
pub const DEFAULT_NA_TOKENS: [&str; 6] = ["", "NA", "N/A", "null", "NULL", "NaN"];

/// How a column's values are stored (its Arrow type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageType {
    /// 64-bit signed integers.
    Int64,
    /// 64-bit floating point.
    Float64,
    /// `true` / `false`.
    Boolean,
    /// UTF-8 text.
    String,
    /// Calendar dates (days since 1970-01-01).
    Date,
    /// Date and time without a zone, microsecond precision.
    Timestamp,
    /// Instants in UTC, microsecond precision.
    TimestampUtc,
}

impl StorageType {
    /// The Arrow type that holds this storage type.
    pub fn arrow_type(self) -> DataType {
        match self {
            StorageType::Int64 => DataType::Int64,
            StorageType::Float64 => DataType::Float64,
            StorageType::Boolean => DataType::Boolean,
            StorageType::String => DataType::Utf8,
            StorageType::Date => DataType::Date32,
            StorageType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            StorageType::TimestampUtc => {
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
            }
        }
    }

    /// The storage type of an Arrow type, if it is one Synthgate tables hold.
    pub fn from_arrow(data_type: &DataType) -> Option<StorageType> {
        match data_type {
            DataType::Int64 => Some(StorageType::Int64),
            DataType::Float64 => Some(StorageType::Float64),
            DataType::Boolean => Some(StorageType::Boolean),
            DataType::Utf8 => Some(StorageType::String),
            DataType::Date32 => Some(StorageType::Date),
            DataType::Timestamp(TimeUnit::Microsecond, None) => Some(StorageType::Timestamp),
            DataType::Timestamp(TimeUnit::Microsecond, Some(zone)) if zone.as_ref() == "UTC" => {
                Some(StorageType::TimestampUtc)
            }
            _ => None,
        }
    }

    /// True for integer and floating-point storage.
    pub fn is_numeric(self) -> bool {
        matches!(self, StorageType::Int64 | StorageType::Float64)
    }

    /// True for date and timestamp storage.
    pub fn is_temporal(self) -> bool {
        matches!(
            self,
            StorageType::Date | StorageType::Timestamp | StorageType::TimestampUtc
        )
    }

    /// The name used in schema files.
    pub fn name(self) -> &'static str {
        match self {
            StorageType::Int64 => "int64",
            StorageType::Float64 => "float64",
            StorageType::Boolean => "boolean",
            StorageType::String => "string",
            StorageType::Date => "date",
            StorageType::Timestamp => "timestamp",
            StorageType::TimestampUtc => "timestamp_utc",
        }
    }
}

impl fmt::Display for StorageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a column's values mean. Synthesizers and metrics model a column by this type, not by
/// its storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SemanticType {
    /// Real-valued measurements (weights, prices, blood pressure as a float).
    Continuous,
    /// Whole-number quantities and counts (age in years, hours per week).
    Integer,
    /// Unordered categories, including high-cardinality codes (ICD-9 codes, tail numbers).
    Categorical,
    /// Small integer codes whose order may carry meaning (education level 1..5).
    OrdinalCode,
    /// Two-valued flags (0/1, true/false, yes/no).
    Boolean,
    /// Date and time.
    Datetime,
    /// Calendar date.
    Date,
    /// Keys and record identifiers: regenerated, never modelled.
    Identifier,
    /// Free text (notes, comments).
    FreeText,
    /// A single value (or none) in every row.
    Constant,
}

impl SemanticType {
    /// The name used in schema files.
    pub fn name(self) -> &'static str {
        match self {
            SemanticType::Continuous => "continuous",
            SemanticType::Integer => "integer",
            SemanticType::Categorical => "categorical",
            SemanticType::OrdinalCode => "ordinal_code",
            SemanticType::Boolean => "boolean",
            SemanticType::Datetime => "datetime",
            SemanticType::Date => "date",
            SemanticType::Identifier => "identifier",
            SemanticType::FreeText => "free_text",
            SemanticType::Constant => "constant",
        }
    }

    /// Whether values of `storage` can carry this meaning.
    pub fn fits_storage(self, storage: StorageType) -> bool {
        use SemanticType as S;
        use StorageType as T;
        match self {
            S::Continuous | S::Integer => storage.is_numeric(),
            S::Datetime => matches!(storage, T::Timestamp | T::TimestampUtc | T::Date),
            S::Date => matches!(storage, T::Date | T::Timestamp | T::TimestampUtc),
            S::FreeText => storage == T::String,
            S::Categorical | S::OrdinalCode | S::Boolean | S::Identifier | S::Constant => true,
        }
    }
}

impl fmt::Display for SemanticType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The part a column plays in re-identification risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrivacyRole {
    /// Identifies a person on its own (name, email, phone, national ID, record id).
    DirectIdentifier,
    /// Identifies a person in combination with others (age, sex, race, geography, dates).
    QuasiIdentifier,
    /// What must not be learned about a person (health conditions, income).
    Sensitive,
    /// No particular role.
    None,
}

impl PrivacyRole {
    /// The name used in schema files.
    pub fn name(self) -> &'static str {
        match self {
            PrivacyRole::DirectIdentifier => "direct_identifier",
            PrivacyRole::QuasiIdentifier => "quasi_identifier",
            PrivacyRole::Sensitive => "sensitive",
            PrivacyRole::None => "none",
        }
    }
}

impl fmt::Display for PrivacyRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A lower or upper bound of a column: a number for numeric columns, an ISO-8601 text for dates
/// and timestamps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Bound {
    /// A whole number.
    Int(i64),
    /// A real number.
    Float(f64),
    /// An ISO-8601 date or timestamp.
    Text(String),
}

impl Bound {
    fn as_f64(&self) -> Option<f64> {
        match self {
            Bound::Int(value) => Some(*value as f64),
            Bound::Float(value) => Some(*value),
            Bound::Text(_) => None,
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Int(value) => write!(f, "{value}"),
            Bound::Float(value) => write!(f, "{value}"),
            Bound::Text(value) => f.write_str(value),
        }
    }
}

/// One column of a [`Schema`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSchema {
    /// The column's name as in the data's header.
    pub name: String,
    /// How values are stored.
    pub storage: StorageType,
    /// What values mean.
    pub semantic: SemanticType,
    /// The column's part in re-identification risk.
    pub role: PrivacyRole,
    /// Smallest allowed value, where bounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Bound>,
    /// Largest allowed value, where bounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Bound>,
    /// The allowed categories, where listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    /// The text the source writes for a missing value in this column (such as `?`), written
    /// back for missing values in CSV output; absent: an empty field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_token: Option<String>,
    /// Decimal places the source writes (a float column whose values all have at most this
    /// many); output values are rounded to them. Absent: learned from the training values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u32>,
    /// Values kept exactly where many rows hold them (point masses, such as 40 hours a week or
    /// a gain of 0), of a numeric column. A value is kept only if at least the rare-category
    /// threshold of training rows hold it. Absent: every value that many rows hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_masses: Option<Vec<f64>>,
    /// What becomes of a text column's values held by fewer training rows than the
    /// rare-category threshold. Absent: `pool` for text columns (`drop` for free text whose
    /// values are nearly all rare), `redistribute` for others and for columns with a
    /// `categories` list (whose output stays among the listed values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rare: Option<RareValues>,
}

/// The token rare values of a text column are pooled into (as MOSTLY AI's `_RARE_`).
pub const RARE_TOKEN: &str = "_RARE_";

/// What becomes of values held by fewer training rows than the rare-category threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RareValues {
    /// Pooled into one category written [`RARE_TOKEN`], which keeps their total share (text
    /// columns only).
    Pool,
    /// Given categories drawn from the kept ones in proportion to their counts: their mass
    /// moves onto frequent values (MOSTLY AI's "sample" replacement; a warning says how much).
    Redistribute,
    /// Pooled as with `Pool`, then written as new values from a word model learned only from
    /// the values at least the threshold of rows hold, never one of those (text columns only).
    Generate,
    /// The whole column is left out of the output.
    Drop,
}

/// The Arrow field metadata key under which a table carries a column's missing-value token:
/// readers set it to the token the source writes, the codec to the schema's `missing_token`,
/// and the CSV writer writes it for missing values.
pub const MISSING_TOKEN_KEY: &str = "synthgate.missing_token";

/// Most decimal places a schema may give a column.
pub const MAX_DECIMALS: u32 = 15;

/// The description of a table: its columns in order and the tokens read as missing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// The schema file format version ([`SCHEMA_FORMAT_VERSION`] when written by this version).
    pub format_version: u32,
    /// Text values read as missing (case-insensitive, surrounding spaces ignored).
    pub na_tokens: Vec<String>,
    /// The user vouches that every column's domain here (bounds, categories, decimals, point
    /// masses) is public knowledge, not learned from the rows it describes: the condition for a
    /// differentially private fit, which reads domains only from the schema. `inspect` writes
    /// it only when asked (`--public-domains`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub public_domains: bool,
    /// The columns, in file order.
    pub columns: Vec<ColumnSchema>,
    /// Inequalities between columns every output row must satisfy, as `"end >= start"`
    /// (see [`Rule`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
}

/// How a [`Rule`] compares its two columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `left >= right`.
    AtLeast,
    /// `left <= right`.
    AtMost,
}

/// An inequality between two numeric, date or timestamp columns, written `left >= right` or
/// `left <= right` in a schema's `rules`. A row where either side is missing satisfies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The column on the left.
    pub left: String,
    /// The comparison.
    pub comparison: Comparison,
    /// The column on the right.
    pub right: String,
}

impl Rule {
    /// Parse `"left >= right"` or `"left <= right"`.
    pub fn parse(text: &str) -> Option<Rule> {
        let (comparison, (left, right)) = if let Some(parts) = text.split_once(">=") {
            (Comparison::AtLeast, parts)
        } else {
            (Comparison::AtMost, text.split_once("<=")?)
        };
        let (left, right) = (left.trim(), right.trim());
        if left.is_empty() || right.is_empty() || right.contains(['<', '>', '=']) {
            return None;
        }
        Some(Rule {
            left: left.to_string(),
            comparison,
            right: right.to_string(),
        })
    }

    /// Whether `left` and `right` values satisfy the rule (missing values always do).
    pub fn holds(&self, left: f64, right: f64) -> bool {
        if left.is_nan() || right.is_nan() {
            return true;
        }
        match self.comparison {
            Comparison::AtLeast => left >= right,
            Comparison::AtMost => left <= right,
        }
    }
}

const SCHEMA_HEADER: &str = "\
# Synthgate schema. Edit it to correct what profiling guessed, then pass it with --schema.
# storage:  int64 | float64 | boolean | string | date | timestamp | timestamp_utc
# semantic: continuous | integer | categorical | ordinal_code | boolean | datetime | date
#           | identifier | free_text | constant
# role:     direct_identifier | quasi_identifier | sensitive | none
# min / max bound numeric, date and timestamp columns; categories lists allowed values.
# missing_token: the text written for a missing value (as the source wrote it; default empty).
# decimals: decimal places of a float column's output (default: as the training values have).
# point_masses: values of a numeric column kept exact (default: every value held by at least
#           the rare-category threshold of training rows; only such values are ever kept).
# rare: pool | generate | redistribute | drop: values held by fewer rows than the rare-category
#           threshold pooled into _RARE_ (default for text columns), written as new values from
#           a word model of the frequent values, given frequent categories in proportion
#           (default otherwise; moves their mass), or the column left out.
# rules = [\"end >= start\"] (top level, before the columns) makes every output row satisfy the
# inequalities (>= or <=) between numeric, date or timestamp columns.
# public_domains = true (top level) vouches that every bound, category list, decimals and point
# masses here is public knowledge, not learned from these rows: a differentially private fit
# (--synthesizer mst) reads domains only from the schema and refuses one without it.
";

impl Schema {
    /// A schema with these columns and NA tokens, checked for the invariants
    /// [`Schema::from_toml`] checks.
    pub fn new(na_tokens: Vec<String>, columns: Vec<ColumnSchema>) -> Result<Schema> {
        let schema = Schema {
            format_version: SCHEMA_FORMAT_VERSION,
            na_tokens,
            public_domains: false,
            columns,
            rules: Vec::new(),
        };
        schema.validate(None)?;
        Ok(schema)
    }

    /// The index of the column called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|column| column.name == name)
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnSchema> {
        self.columns.iter().find(|column| column.name == name)
    }

    /// The rules, parsed (they were checked when the schema was made or read).
    pub fn parsed_rules(&self) -> Vec<Rule> {
        self.rules
            .iter()
            .filter_map(|text| Rule::parse(text))
            .collect()
    }

    /// The schema as TOML, with a header comment that lists the allowed values.
    pub fn to_toml(&self) -> String {
        // Serialising plain data with string keys cannot fail; an error here is a bug.
        let body = toml::to_string(self)
            .unwrap_or_else(|error| panic!("schema serialisation failed, which is a bug: {error}"));
        format!("{SCHEMA_HEADER}\n{body}")
    }

    /// Parse and check a schema file's text. `path` names the file in error messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<Schema> {
        let schema: Schema = parse_toml(
            text,
            path,
            "schema",
            "Compare it with a schema written by `synthgate inspect DATA --schema-out FILE`; the \
             header comment lists the allowed values.",
        )?;
        schema.validate(Some(path))?;
        Ok(schema)
    }

    fn validate(&self, path: Option<&Path>) -> Result<()> {
        let fail = |message: String, column: Option<&str>| {
            let mut error = Error::spec(message);
            if let Some(path) = path {
                let mut location = Location::file(path);
                if let Some(column) = column {
                    location = location.column(column);
                }
                error = error.at(location);
            }
            error
        };
        if self.format_version > SCHEMA_FORMAT_VERSION {
            return Err(fail(
                format!(
                    "this schema has format_version {} but this Synthgate reads versions up to \
                     {SCHEMA_FORMAT_VERSION}.",
                    self.format_version
                ),
                None,
            )
            .hint("Upgrade Synthgate, or write the schema again with this version."));
        }
        if self.format_version == 0 {
            return Err(fail("format_version must be 1 or more.".into(), None));
        }
        if self.columns.is_empty() {
            return Err(fail("the schema lists no columns.".into(), None));
        }
        let mut seen = HashSet::new();
        for column in &self.columns {
            if column.name.trim().is_empty() {
                return Err(fail(
                    "a column has an empty name.".into(),
                    Some(&column.name),
                ));
            }
            if !seen.insert(column.name.as_str()) {
                return Err(fail(
                    "this column is listed twice.".into(),
                    Some(&column.name),
                ));
            }
            if !column.semantic.fits_storage(column.storage) {
                return Err(fail(
                    format!(
                        "semantic type '{}' cannot be stored as '{}'.",
                        column.semantic, column.storage
                    ),
                    Some(&column.name),
                )
                .hint("Change `semantic` or `storage` so they agree."));
            }
            for bound in [&column.min, &column.max].into_iter().flatten() {
                if let Bound::Float(value) = bound
                    && !value.is_finite()
                {
                    return Err(fail(
                        format!("bound {value} is not a finite number."),
                        Some(&column.name),
                    )
                    .hint("Give min and max as finite numbers, or remove the bound."));
                }
            }
            if let Some(decimals) = column.decimals
                && (decimals > MAX_DECIMALS || column.storage != StorageType::Float64)
            {
                return Err(fail(
                    format!(
                        "decimals = {decimals} needs a float64 column and at most \
                         {MAX_DECIMALS} places."
                    ),
                    Some(&column.name),
                ));
            }
            if matches!(column.rare, Some(RareValues::Pool | RareValues::Generate))
                && column.storage != StorageType::String
            {
                return Err(fail(
                    format!(
                        "rare = \"pool\" and \"generate\" write text ({RARE_TOKEN} or new \
                         values), which needs a string column."
                    ),
                    Some(&column.name),
                )
                .hint("Use rare = \"redistribute\" or \"drop\", or store the column as string."));
            }
            if let Some(masses) = &column.point_masses {
                if !column.storage.is_numeric() {
                    return Err(fail(
                        "point_masses are numbers, for int64 and float64 columns.".into(),
                        Some(&column.name),
                    ));
                }
                if let Some(bad) = masses.iter().find(|value| !value.is_finite()) {
                    return Err(fail(
                        format!("point mass {bad} is not a finite number."),
                        Some(&column.name),
                    ));
                }
            }
            if let (Some(min), Some(max)) = (&column.min, &column.max) {
                let out_of_order = match (min.as_f64(), max.as_f64()) {
                    (Some(low), Some(high)) => low > high,
                    _ => match (min, max) {
                        (Bound::Text(low), Bound::Text(high)) => low > high,
                        _ => true,
                    },
                };
                if out_of_order {
                    return Err(fail(
                        format!("min ({min}) is greater than max ({max}), or of another kind."),
                        Some(&column.name),
                    ));
                }
            }
            for bound in [&column.min, &column.max].into_iter().flatten() {
                let fits = match bound {
                    Bound::Int(_) | Bound::Float(_) => column.storage.is_numeric(),
                    Bound::Text(_) => column.storage.is_temporal(),
                };
                if !fits {
                    return Err(fail(
                        format!(
                            "bound {bound} does not fit storage '{}': numeric columns take \
                             numbers, dates and timestamps take ISO-8601 text.",
                            column.storage
                        ),
                        Some(&column.name),
                    ));
                }
            }
        }
        for text in &self.rules {
            let rule = Rule::parse(text).ok_or_else(|| {
                fail(
                    format!("the rule '{text}' is not of the form `a >= b` or `a <= b`."),
                    None,
                )
            })?;
            for name in [&rule.left, &rule.right] {
                let column = self.column(name).ok_or_else(|| {
                    fail(
                        format!("the rule '{text}' names column '{name}', which the schema lacks."),
                        None,
                    )
                })?;
                if !(column.storage.is_numeric() || column.storage.is_temporal()) {
                    return Err(fail(
                        format!(
                            "the rule '{text}' compares '{name}', which is not a number, date or timestamp."
                        ),
                        Some(name),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Parse `text` (the TOML file at `path`, a `what` file) into `T`: a syntax error or an
/// unknown or mistyped key is a spec error naming the file and line, with `hint`.
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
    what: &str,
    hint: &str,
) -> Result<T> {
    toml::from_str(text).map_err(|error| {
        let mut location = Location::file(path);
        if let Some(span) = error.span() {
            location = location.line(crate::error::line_of(text, span.start));
        }
        Error::spec(format!(
            "this {what} file is not valid: {}",
            error.message()
        ))
        .at(location)
        .hint(hint)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn column(name: &str, storage: StorageType, semantic: SemanticType) -> ColumnSchema {
        ColumnSchema {
            name: name.into(),
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
        }
    }

    fn sample() -> Schema {
        let mut age = column("age", StorageType::Int64, SemanticType::Integer);
        age.role = PrivacyRole::QuasiIdentifier;
        age.min = Some(Bound::Int(17));
        age.max = Some(Bound::Int(90));
        let mut income = column("income", StorageType::String, SemanticType::Categorical);
        income.categories = Some(vec!["<=50K".into(), ">50K".into()]);
        let mut weight = column("wt", StorageType::Float64, SemanticType::Continuous);
        weight.min = Some(Bound::Float(36.17));
        weight.decimals = Some(2);
        weight.point_masses = Some(vec![40.0, 50.5]);
        weight.missing_token = Some("?".into());
        Schema::new(vec!["".into(), "?".into()], vec![age, income, weight]).expect("valid")
    }

    #[test]
    fn toml_round_trips() {
        let schema = sample();
        let text = schema.to_toml();
        let back = Schema::from_toml(&text, Path::new("s.toml")).expect("parses");
        assert_eq!(back, schema);
        assert_eq!(back.to_toml(), text);
    }

    fn check_rejects(text: &str, expected: &str) {
        let error = Schema::from_toml(text, Path::new("s.toml")).expect_err("must be rejected");
        let message = error.to_string();
        assert!(
            message.contains(expected),
            "expected {expected:?} in {message:?}"
        );
        assert_eq!(error.kind().exit_code(), 3);
    }

    #[test]
    fn rejects_bad_schemas_with_location() {
        let good = sample().to_toml();
        check_rejects(
            &good.replace("semantic = \"integer\"", "semantc = \"integer\""),
            "line",
        );
        check_rejects(
            &good.replace("format_version = 1", "format_version = 9"),
            "reads versions up to 1",
        );
        check_rejects(
            &good.replace("name = \"wt\"", "name = \"age\""),
            "column 'age': this column is listed twice",
        );
        check_rejects(
            &good.replace("storage = \"int64\"", "storage = \"string\""),
            "cannot be stored as 'string'",
        );
        check_rejects(
            &good.replace("max = 90", "max = 3"),
            "min (17) is greater than max (3)",
        );
        check_rejects(
            &good.replace("storage = \"int64\"", "storage = \"int32\""),
            "unknown variant",
        );
        check_rejects("", "missing field");
        for bad in ["nan", "inf", "-inf"] {
            check_rejects(
                &good.replace("min = 36.17", &format!("min = {bad}")),
                "is not a finite number",
            );
        }
        let with_rules = |rule: &str| {
            good.replacen(
                "[[columns]]",
                &format!("rules = [\"{rule}\"]\n\n[[columns]]"),
                1,
            )
        };
        check_rejects(
            &good.replace("decimals = 2", "decimals = 16"),
            "at most 15 places",
        );
        check_rejects(
            &good.replace("point_masses = [40.0, 50.5]", "point_masses = [nan]"),
            "is not a finite number",
        );
        check_rejects(&with_rules("age > wt"), "not of the form");
        check_rejects(&with_rules("age >= height"), "names column 'height'");
        check_rejects(&with_rules("income >= age"), "not a number");
        let schema =
            Schema::from_toml(&with_rules("wt >= age"), Path::new("s.toml")).expect("valid rule");
        let rule = &schema.parsed_rules()[0];
        assert!(rule.holds(80.0, 40.0) && !rule.holds(30.0, 40.0) && rule.holds(f64::NAN, 40.0));
    }

    proptest! {
        /// The schema parser never panics, whatever bytes it is given.
        #[test]
        fn parser_never_panics(text in ".{0,400}") {
            let _ = Schema::from_toml(&text, Path::new("fuzz.toml"));
        }

        /// Mutating a valid schema never panics the parser either.
        #[test]
        fn mutated_schema_never_panics(position in 0usize..600, byte in any::<u8>()) {
            let mut bytes = sample().to_toml().into_bytes();
            let index = position % bytes.len();
            bytes[index] = byte;
            let text = String::from_utf8_lossy(&bytes);
            let _ = Schema::from_toml(&text, Path::new("fuzz.toml"));
        }
    }
}

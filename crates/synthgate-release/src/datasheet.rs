//! The release's documentation: `datasheet.json`, Croissant 1.1 JSON-LD with the Responsible-AI
//! 1.0 fields, PROV-O links and an `sdg:` extension for synthetic-data facts; and
//! `DATASHEET.md`, the same facts for people, rendered from that JSON so the two never disagree.
//!
//! Everything is filled from the run: the spec's release facts, the schema, the split, the
//! generator, the evaluation and the gates. The source appears only as an opaque digest URN and
//! row and column counts. Field mapping: `research/governance.md` §2.3.

use std::fmt::Write as _;

use serde_json::{Value, json};
use synthgate_core::metrics::Family;
use synthgate_core::{PrivacyRole, StorageType};
use synthgate_eval::Metric;

use crate::run::Release;

/// Croissant's vocabulary version this datasheet conforms to.
pub const CROISSANT: &str = "http://mlcommons.org/croissant/1.1";
/// Croissant RAI's version.
pub const CROISSANT_RAI: &str = "http://mlcommons.org/croissant/RAI/1.0";
/// The namespace of Synthgate's synthetic-data extension.
pub const SDG_NAMESPACE: &str = "https://synthgate.dev/ns/sdg/1#";

/// The standard Croissant 1.1 `@context`, plus PROV-O and the `sdg:` extension.
fn context() -> Value {
    json!({
        "@language": "en",
        "@vocab": "https://schema.org/",
        "sc": "https://schema.org/",
        "cr": "http://mlcommons.org/croissant/",
        "rai": "http://mlcommons.org/croissant/RAI/",
        "dct": "http://purl.org/dc/terms/",
        "prov": "http://www.w3.org/ns/prov#",
        "sdg": SDG_NAMESPACE,
        "citeAs": "cr:citeAs",
        "column": "cr:column",
        "conformsTo": "dct:conformsTo",
        "data": {"@id": "cr:data", "@type": "@json"},
        "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
        "equivalentProperty": "cr:equivalentProperty",
        "examples": {"@id": "cr:examples", "@type": "@json"},
        "extract": "cr:extract",
        "field": "cr:field",
        "fileProperty": "cr:fileProperty",
        "fileObject": "cr:fileObject",
        "fileSet": "cr:fileSet",
        "format": "cr:format",
        "includes": "cr:includes",
        "isLiveDataset": "cr:isLiveDataset",
        "jsonPath": "cr:jsonPath",
        "key": "cr:key",
        "md5": "cr:md5",
        "parentField": "cr:parentField",
        "path": "cr:path",
        "recordSet": "cr:recordSet",
        "references": "cr:references",
        "regex": "cr:regex",
        "repeated": "cr:repeated",
        "replace": "cr:replace",
        "samplingRate": "cr:samplingRate",
        "separator": "cr:separator",
        "source": "cr:source",
        "subField": "cr:subField",
        "transform": "cr:transform"
    })
}

fn data_type(storage: StorageType) -> &'static str {
    match storage {
        StorageType::Int64 => "sc:Integer",
        StorageType::Float64 => "sc:Float",
        StorageType::Boolean => "sc:Boolean",
        StorageType::String => "sc:Text",
        StorageType::Date => "sc:Date",
        StorageType::Timestamp | StorageType::TimestampUtc => "sc:DateTime",
    }
}

/// A JSON value carried as one literal (JSON-LD's `@json`), so nested facts keep their shape.
fn literal(value: Value) -> Value {
    json!({"@type": "@json", "@value": value})
}

fn metric<'a>(metrics: &'a [Metric], id: &str) -> Option<&'a Metric> {
    metrics.iter().find(|m| m.id == id)
}

/// `value [ci_low, ci_high]` to 3 decimals, or "not computed".
fn with_interval(m: Option<&Metric>) -> String {
    match m {
        Some(m) if m.value.is_finite() => match (m.ci_low, m.ci_high) {
            (Some(low), Some(high)) => format!("{:.3} [{low:.3}, {high:.3}]", m.value),
            _ => format!("{:.3}", m.value),
        },
        _ => "not computed".into(),
    }
}

fn join(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// Columns scored by `fidelity.column_shapes` under `threshold`, worst first.
fn weak_columns(metrics: &[Metric], threshold: f64) -> Vec<String> {
    let mut weak: Vec<(f64, String)> = metric(metrics, "fidelity.column_shapes")
        .and_then(|m| m.details.as_array())
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c["score"].as_f64()?, c["column"].as_str()?.to_string())))
        .filter(|(score, _)| *score < threshold)
        .collect();
    weak.sort_by(|a, b| a.0.total_cmp(&b.0));
    weak.into_iter()
        .map(|(score, column)| format!("{column} ({score:.3})"))
        .collect()
}

/// The `count` counted pairs with the lowest `fidelity.column_pair_trends` scores.
fn weak_pairs(metrics: &[Metric], count: usize) -> Vec<String> {
    let mut pairs: Vec<(f64, String)> = metric(metrics, "fidelity.column_pair_trends")
        .and_then(|m| m.details.as_array())
        .into_iter()
        .flatten()
        .filter(|p| p["counted"].as_bool() != Some(false))
        .filter_map(|p| {
            Some((
                p["score"].as_f64()?,
                format!(
                    "{} × {}",
                    p["first"].as_str()?,
                    p["second"].as_str().unwrap_or_default()
                ),
            ))
        })
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    pairs
        .into_iter()
        .take(count)
        .map(|(score, pair)| format!("{pair} ({score:.3})"))
        .collect()
}

/// One sentence per sensitive attribute: the groups' shares and the worst group's gap.
fn subgroup_findings(metrics: &[Metric]) -> Vec<String> {
    metrics
        .iter()
        .filter(|m| synthgate_core::metrics::family_of(&m.id) == Some(Family::Subgroup))
        .map(|m| {
            let d = &m.details;
            if !m.id.ends_with(".worst_gap") {
                return subgroup_fact(m);
            }
            let attribute = d["attribute"].as_str().unwrap_or_default();
            let groups: Vec<String> = d["groups"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|g| {
                    // The evaluation withholds a real share (null) that would give a small
                    // group away; the datasheet says so and never recomputes it.
                    let real = g["share_real"].as_f64().map_or_else(
                        || "a withheld share".to_string(),
                        |share| format!("{:.1}%", 100.0 * share),
                    );
                    Some(format!(
                        "{} {real} of real rows, {:.1}% of synthetic",
                        g["group"].as_str()?,
                        100.0 * g["share_synthetic"].as_f64()?
                    ))
                })
                .collect();
            let suppressed = d["suppressed_groups"].as_u64().unwrap_or(0);
            let mut text = format!(
                "'{attribute}': {}. The worst group ({}) differs from its real rows by {:.3} \
                 (1 - column shapes; holdout reference {}).",
                join(&groups),
                d["worst_group"].as_str().unwrap_or("none"),
                m.value,
                m.holdout_reference
                    .map_or_else(|| "none".into(), |r| format!("{r:.3}"))
            );
            if suppressed > 0 {
                let _ = write!(
                    text,
                    " {suppressed} group(s) with fewer than {} training rows are not reported.",
                    d["min_group_rows"]
                );
            }
            text
        })
        .collect()
}

/// A subgroup metric other than the fidelity gap (a group's privacy, an augmentation's
/// before/after), in words: its value, interval, group and the metric table's definition.
fn subgroup_fact(m: &Metric) -> String {
    let interval = match (m.ci_low, m.ci_high) {
        (Some(low), Some(high)) => format!(" [95%: {low:.3} to {high:.3}]"),
        _ => String::new(),
    };
    let group = match (
        m.details["worst_group"].as_str(),
        m.details["groups"].as_array(),
    ) {
        (Some(group), _) => format!(", group '{group}'"),
        (None, Some(names)) if !names.is_empty() => format!(
            ", groups {}",
            names
                .iter()
                .filter_map(|n| n.as_str().map(|n| format!("'{n}'")))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => String::new(),
    };
    let definition = synthgate_core::metrics::info(&m.id).map_or("", |row| row.definition);
    format!("{} = {:.3}{interval}{group}: {definition}", m.id, m.value)
}

/// The Croissant fields of one data file: its columns, with their semantic type, privacy
/// role and synthetic missing rate, and for a dataset's table the references each key column
/// makes.
fn fields_of(release: &Release, file: &crate::run::DataTable, record_set: &str) -> Vec<Value> {
    let rows = file.table.num_rows();
    let file_id = file
        .path
        .rsplit('/')
        .next()
        .unwrap_or(&file.path)
        .to_string();
    file.table
        .column_names()
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let column = file.schema.column(name);
            let mut description = column.map_or_else(String::new, |c| {
                format!(
                    "{} column; privacy role: {}.",
                    c.semantic.name(),
                    c.role.name()
                )
            });
            let missing = file.table.null_count(index);
            if missing > 0 {
                let _ = write!(
                    description,
                    " Missing in {:.1}% of {} rows.",
                    100.0 * missing as f64 / rows.max(1) as f64,
                    if file.copied { "the" } else { "synthetic" }
                );
            }
            let mut field = json!({
                "@type": "cr:Field",
                "@id": format!("{record_set}/{name}"),
                "name": name,
                "description": description.trim(),
                "dataType": data_type(file.table.storage_type(index)),
                "source": {
                    "fileObject": {"@id": file_id},
                    "extract": {"column": name}
                }
            });
            if let Some(dataset) = &release.dataset {
                for reference in dataset.references.iter().filter(|r| r.from == file.name) {
                    if let Some(at) = reference.columns.iter().position(|c| c == name) {
                        let to = &dataset.target_columns(reference)[at];
                        field["references"] =
                            json!({"field": {"@id": format!("{}/{to}", reference.to)}});
                    }
                }
            }
            field
        })
        .collect()
}

/// `datasheet.json` for `release`, whose data files (path, sha256) were written, made at
/// `created_at`.
pub fn croissant(release: &Release, data_files: &[(String, String)], created_at: &str) -> Value {
    let spec = &release.spec;
    let facts = &spec.release;
    let metrics = &release.report.metrics;
    let synthesizer = &spec.synthesizer;
    let tool = format!("synthgate {}", env!("CARGO_PKG_VERSION"));
    let generator = format!("{} {}", synthesizer.name, release.synthesizer_version);
    let source_urn = format!("urn:sha256:{}", release.source_sha256);
    let (train_rows, holdout_rows) = release.split_rows;
    let rows = release.synthetic_rows();
    let single = release.dataset.is_none();
    // A hybrid release's composition, and how many of its rows are real.
    let hybrid = release
        .origin
        .as_ref()
        .map(|(_, statement)| statement.as_str());
    let real_rows = metrics
        .iter()
        .find(|m| m.id == "hybrid.real_rows")
        .map_or(0, |m| m.value as usize);
    let record_set_id = |file: &crate::run::DataTable| {
        if single {
            "synthetic".to_string()
        } else {
            file.name.clone()
        }
    };
    let sha256_of = |path: &str| {
        data_files
            .iter()
            .find(|(p, _)| p == path)
            .map_or("", |(_, sha)| sha.as_str())
            .to_string()
    };
    let mut distribution: Vec<Value> = release
        .data
        .iter()
        .map(|file| {
            let name = file.path.rsplit('/').next().unwrap_or(&file.path);
            json!({
                "@type": "cr:FileObject",
                "@id": name,
                "name": name,
                "description": if file.copied {
                    format!("Table '{}' (Apache Parquet), copied as it is: the dataset file \
                             declares it public reference data.", file.name)
                } else if hybrid.is_some() {
                    format!("The released records (Apache Parquet): {} synthetic rows and \
                             {real_rows} real training rows, shuffled together.",
                        file.table.num_rows() - real_rows)
                } else if single {
                    "The synthetic records (Apache Parquet). Every row is synthetic.".to_string()
                } else {
                    format!("Table '{}' (Apache Parquet). Every row is synthetic.", file.name)
                },
                "contentUrl": file.path,
                "encodingFormat": "application/x-parquet",
                "sha256": sha256_of(&file.path)
            })
        })
        .collect();
    let record_sets: Vec<Value> = release
        .data
        .iter()
        .map(|file| {
            let id = record_set_id(file);
            let mut set = json!({
                "@type": "cr:RecordSet",
                "@id": id,
                "name": id,
                "description": if file.copied {
                    format!("{} records of a public reference table, copied.", file.table.num_rows())
                } else if hybrid.is_some() {
                    format!("{} records: {} synthetic, {real_rows} real training rows.",
                        file.table.num_rows(), file.table.num_rows() - real_rows)
                } else {
                    format!("{} synthetic records.", file.table.num_rows())
                },
                "field": fields_of(release, file, &id)
            });
            if let Some(key) = release
                .dataset
                .as_ref()
                .and_then(|d| d.table(&file.name))
                .map(|t| &t.primary_key)
                .filter(|key| !key.is_empty())
            {
                set["key"] = json!(key
                    .iter()
                    .map(|c| json!({"@id": format!("{id}/{c}")}))
                    .collect::<Vec<_>>());
            }
            set
        })
        .collect();

    let with_role = |role: PrivacyRole| -> Vec<String> {
        let mut names = Vec::new();
        for file in release.data.iter().filter(|f| !f.copied) {
            for column in file.schema.columns.iter().filter(|c| c.role == role) {
                names.push(if single {
                    column.name.clone()
                } else {
                    format!("{}.{}", file.name, column.name)
                });
            }
        }
        names
    };
    if let (Some((origin, _)), Some(spec_hybrid)) = (&release.origin, &spec.hybrid)
        && spec_hybrid.origin == crate::spec::RealDataFiles::Ship
    {
        let sha256 = synthgate_io::parquet_bytes(origin)
            .map(|bytes| synthgate_io::sha256_bytes(&bytes))
            .unwrap_or_default();
        distribution.push(json!({
            "@type": "cr:FileObject",
            "@id": "origin.parquet",
            "name": "origin.parquet",
            "description": "Which rows of the data file are real training rows: columns row \
                (0-based, in the data file's order) and origin ('real' or 'synthetic'). A \
                file of its own, so access to it can differ from access to the data.",
            "contentUrl": crate::hybrid::ORIGIN_FILE,
            "encodingFormat": "application/x-parquet",
            "sha256": sha256
        }));
    }
    let sensitive = with_role(PrivacyRole::Sensitive);
    let quasi = with_role(PrivacyRole::QuasiIdentifier);
    let direct = with_role(PrivacyRole::DirectIdentifier);

    let source_description = if spec.source.description.trim().is_empty() {
        "The pipeline spec does not describe how the real source was collected.".to_string()
    } else {
        spec.source.description.trim().to_string()
    };
    let mut data_collection = format!(
        "Every record is synthetic: generated by {tool} with the '{generator}' synthesizer \
         (seed {}), fitted on {train_rows} training rows of a real source table of {} rows and \
         {} columns (sha256 {}). {holdout_rows} source rows were held out for evaluation and \
         never seen by the synthesizer. No record describes a real person. The real source: \
         {source_description}",
        synthesizer.seed, release.source_rows, release.source_columns, release.source_sha256
    );
    let mut preprocessing = format!(
        "The schema was {}. Each column is modelled by its semantic type; identifiers are \
         regenerated, not modelled; free text is not modelled. The source was split into \
         training and holdout rows by a seeded permutation (seed {}, holdout fraction {}).",
        if spec.source.schema.is_some() {
            "given by the pipeline"
        } else {
            "inferred from the source by synthgate's profiler"
        },
        spec.split.seed,
        spec.split.holdout_fraction
    );
    if let Some(statement) = hybrid {
        data_collection = format!(
            "{statement} The synthetic records were generated by {tool} with the '{generator}' \
             synthesizer (seed {}), fitted on {train_rows} training rows of a real source table \
             of {} rows and {} columns (sha256 {}). {holdout_rows} source rows were held out for \
             evaluation; none of them is in this release. The real source: \
             {source_description}",
            synthesizer.seed, release.source_rows, release.source_columns, release.source_sha256
        );
    }
    if let Some(dataset) = &release.dataset {
        let tables = |copied: bool| -> Vec<String> {
            release
                .data
                .iter()
                .filter(|d| d.copied == copied)
                .map(|d| format!("{} ({} rows)", d.name, d.table.num_rows()))
                .collect()
        };
        let copied = tables(true);
        data_collection = format!(
            "Every record of the tables {} is synthetic: generated by {tool} with the \
             '{generator}' synthesizer (seed {}), table by table, parents first, each table's \
             models given its parent's rows, fitted on {train_rows} training rows of a real \
             dataset of {} ({} rows and {} columns over its synthesized tables; sha256 \
             {} over the dataset file and its tables' files). {holdout_rows} rows were held out \
             for evaluation, whole entities with all their children, and never seen by the \
             synthesizer. Keys are new sequence numbers (1, 2, ...) or SYN- codes, never taken \
             from the real rows. {}No synthetic record \
             describes a real person. The real source: {source_description}",
            tables(false).join(", "),
            synthesizer.seed,
            match dataset.tables.len() {
                1 => "one table".to_string(),
                n => format!("{n} tables"),
            },
            release.source_rows,
            release.source_columns,
            release.source_sha256,
            if copied.is_empty() {
                String::new()
            } else {
                format!(
                    "Copied as they are, because the dataset file declares them public \
                     reference data: {}. ",
                    copied.join(", ")
                )
            }
        );
        preprocessing = format!(
            "Each table's schema was its dataset file's, else inferred by synthgate's \
             profiler. The split went table by table, parents first (seed {}, holdout fraction \
             {}): a table generated under no parent by a seeded permutation of its rows, a \
             child on its parent row's side; {}",
            spec.split.seed,
            spec.split.holdout_fraction,
            "the evaluation scores whole entities and the tables' structure (cardinality, \
             referential integrity, parent-child pair trends)."
        );
    }
    let parameters = if synthesizer.params.is_empty() {
        "defaults".to_string()
    } else {
        synthesizer
            .params
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let manipulation = format!(
        "Fully synthetic records sampled from the '{generator}' synthesizer (parameters: \
         {parameters}; seed {}; {rows} rows). No differential-privacy guarantee is claimed. \
         Re-running the recorded pipeline on the same source gives byte-identical data \
         (synthgate verify --reproduce).",
        synthesizer.seed
    );
    let missing_data = "Missing values in the source are modelled as their own state of each \
                        column and reproduced at the rates the synthesizer learned; the \
                        evaluation compares missing rates column by column \
                        (fidelity.missing_rates)."
        .to_string();

    if let (Some(run), Some(generation)) = (&release.llm, &spec.llm) {
        data_collection = format!(
            "Every record was generated by a language model ('{}' behind an OpenAI-compatible \
             server at {}), prompted {} times through {tool} with a logged template{}; each \
             response was parsed, validated against the columns and deduplicated. Real rows \
             of the source (sha256 {}) were used for evaluation{}. No record describes a real \
             person. The real source: {source_description}",
            generation.server.model,
            run.generation.summary.model["base_url_host"]
                .as_str()
                .unwrap_or("?"),
            run.generation.summary.responses,
            if generation.examples.rows.is_empty() {
                ""
            } else {
                " and written examples"
            },
            release.source_sha256,
            if generation.examples.from_training {
                " and shown to the model as few-shot seed rows from the training split"
            } else {
                ""
            }
        );
    }
    let mut limitations = vec![
        "Synthetic records: not for decisions about real individuals. Statistics computed on \
         this data approximate, and can differ from, those of the real source."
            .to_string(),
    ];
    if !facts.prohibited_use.is_empty() {
        limitations.push(format!(
            "Prohibited uses: {}.",
            facts.prohibited_use.join("; ")
        ));
    }
    let weak = weak_columns(metrics, 0.9);
    if !weak.is_empty() {
        limitations.push(format!(
            "Columns whose distribution is reproduced less well (column shapes below 0.9): {}.",
            join(&weak)
        ));
    }
    let pairs = weak_pairs(metrics, 5);
    if !pairs.is_empty() {
        limitations.push(format!(
            "Relationships least preserved (pair trend scores): {}.",
            join(&pairs)
        ));
    }
    if let Some(ratio) = metric(metrics, "utility.tstr_ratio") {
        limitations.push(format!(
            "A model trained on this data and tested on real rows reaches {} of the \
             real-trained model's score (target '{}').",
            with_interval(Some(ratio)),
            ratio.details["target"].as_str().unwrap_or_default()
        ));
    }
    if let Some(run) = &release.llm {
        limitations.push(format!(
            "Generated by a language model: what it learned in pre-training (and so what the \
             records may echo) is not traceable; the records are archived, with every prompt \
             and response in log/generation.jsonl{}, and cannot be re-derived by querying the \
             model again.",
            if run.replaced > 0 {
                " (each real row a prompt showed is replaced there by a keyed digest, \
                 HMAC-SHA256 under a key the operator keeps; the full log a re-derivation \
                 replays stays in the operator's workspace)"
            } else {
                ""
            }
        ));
    }
    for warning in &release.report.warnings {
        limitations.push(format!("Evaluation warning: {warning}"));
    }
    if !release.decision.releasable {
        limitations.push(format!(
            "NOT RELEASABLE: policy gates failed: {}.",
            release.decision.failures().join(", ")
        ));
    }

    let findings = subgroup_findings(metrics);
    let biases = if findings.is_empty() {
        "No sensitive attributes were declared, so subgroup fidelity was not measured; \
         representation of groups is not checked."
            .to_string()
    } else {
        format!(
            "Subgroup fidelity by sensitive attribute. {}",
            findings.join(" ")
        )
    };

    let privacy = format!(
        "The records are synthetic, but they mirror a real table that contains personal data. \
         Columns marked sensitive: {}. Quasi-identifiers: {}. Direct identifiers (regenerated, \
         never copied): {}. No formal anonymity guarantee is claimed; the measured risks \
         (value [95% interval]) are: exact copies of training rows {}; DCR share {} (0.5 means \
         no memorisation); membership-inference AUC {}; singling-out risk {}; linkability risk \
         {}; attribute-inference risk {}.",
        join(&sensitive),
        join(&quasi),
        join(&direct),
        with_interval(metric(metrics, "privacy.exact_copy_rate")),
        with_interval(metric(metrics, "privacy.dcr_share")),
        with_interval(metric(metrics, "privacy.mia_auc")),
        with_interval(metric(metrics, "privacy.singling_out_risk")),
        with_interval(metric(metrics, "privacy.linkability_risk")),
        with_interval(metric(metrics, "privacy.inference_risk")),
    );

    let mut use_cases: Vec<String> = facts.intended_use.clone();
    use_cases.push(format!(
        "Release environment: {}.",
        environment_name(facts.environment)
    ));
    let maintenance = format!(
        "Maintained by {}. The release is recorded in the producer's registry with its lineage; \
         a later version of '{}' supersedes this one. Drift of new real data against this \
         release's source is checked with synthgate drift.",
        if facts.owner.is_empty() {
            "the release's owner (not named in the spec)"
        } else {
            &facts.owner
        },
        facts.name
    );

    let evaluation: serde_json::Map<String, Value> = metrics
        .iter()
        .map(|m| {
            (
                m.id.clone(),
                json!({"value": m.value, "ci_low": m.ci_low, "ci_high": m.ci_high,
                       "holdout_reference": m.holdout_reference}),
            )
        })
        .collect();

    let mut sheet = json!({
        "@context": context(),
        "@type": "sc:Dataset",
        "conformsTo": [CROISSANT, CROISSANT_RAI],
        "name": facts.name,
        "description": if facts.description.is_empty() {
            format!("Synthetic data release {} {}.", facts.name, facts.version)
        } else {
            facts.description.clone()
        },
        "license": facts.license,
        "url": format!("urn:synthgate:release:{}:{}", facts.name, facts.version),
        "version": facts.version,
        "datePublished": created_at,
        "dateCreated": created_at,
        "creator": {
            "@type": "sc:Organization",
            "name": if facts.owner.is_empty() { "unnamed owner" } else { &facts.owner }
        },
        "keywords": ["synthetic data", "synthgate", synthesizer.name.as_str()],
        "citeAs": format!("{}, version {} (synthetic data, made with {tool})",
            facts.name, facts.version),
        "isLiveDataset": false,
        "rai:dataCollection": data_collection,
        "rai:dataCollectionType": ["Others", "Synthetic generation from a real source table"],
        "rai:dataCollectionMissingData": missing_data,
        "rai:dataCollectionRawData": format!(
            "A real table of {} rows and {} columns, identified only by its digest ({}). \
             {}{}.",
            release.source_rows, release.source_columns, source_urn,
            if hybrid.is_some() {
                format!("{real_rows} of its training rows are part of this release, as they \
                         are, in its data file and nowhere else; no other raw row is in its \
                         data, its report or its logs")
            } else {
                "The raw rows are not part of this release: not in its data, its report or its \
                 logs".to_string()
            },
            if release.llm.as_ref().is_some_and(|run| run.replaced > 0) {
                " (the prompts that showed real rows to the language model keep them only as \
                 keyed digests)"
            } else {
                ""
            }),
        "rai:dataPreprocessingProtocol": preprocessing,
        "rai:dataManipulationProtocol": manipulation,
        "rai:dataImputationProtocol": "No imputation: missing values stay missing.",
        "rai:dataUseCases": use_cases,
        "rai:dataLimitations": limitations,
        "rai:dataBiases": biases,
        "rai:personalSensitiveInformation": privacy,
        "rai:dataReleaseMaintenancePlan": maintenance,
        "prov:wasDerivedFrom": {"@id": source_urn},
        "prov:wasGeneratedBy": {
            "@type": "prov:Activity",
            "prov:label": format!("synthgate run: fit '{}' on the training split, sample, \
                evaluate, gate", synthesizer.name),
            "prov:startedAtTime": created_at,
            "prov:used": [{"@id": source_urn},
                {"@id": format!("urn:sha256:{}", release.decision.policy_sha256)}],
            "prov:wasAssociatedWith": {"@type": "prov:SoftwareAgent", "prov:label": tool}
        },
        "prov:wasAttributedTo": {"@type": "prov:Agent", "prov:label": generator},
        "sdg:dataKind": if release.llm.is_some() { "llm_generated" } else { "replicative_from_real" },
        "sdg:synthesisType": if hybrid.is_some() { "hybrid" } else { "fully_synthetic" },
        "sdg:releaseEnvironment": environment_name(facts.environment),
        "sdg:anonymityClaim": "none: risks are measured (rai:personalSensitiveInformation), \
            no formal guarantee",
        "sdg:differentialPrivacy": false,
        "sdg:generator": literal(json!({
            "name": synthesizer.name, "version": release.synthesizer_version,
            "parameters": synthesizer.params, "seed": synthesizer.seed, "rows": rows,
            "tool": tool
        })),
        "sdg:source": literal(json!({
            "sha256": release.source_sha256, "rows": release.source_rows,
            "columns": release.source_columns, "train_rows": train_rows,
            "holdout_rows": holdout_rows, "split_seed": spec.split.seed
        })),
        "sdg:evaluationSummary": literal(json!({
            "harness_version": release.report.harness_version,
            "metrics": evaluation
        })),
        "sdg:policy": literal(json!({
            "policy_sha256": release.decision.policy_sha256,
            "releasable": release.decision.releasable,
            "failed_gates": release.decision.failures()
        })),
        "distribution": distribution,
        "recordSet": record_sets
    });
    if spec
        .policy
        .withholds_real_data_files(spec.release.environment)
    {
        sheet["sdg:withheldFiles"] = literal(json!({
            "policy": "real_data_files = withhold",
            "where": "the operator's workspace; manifest.json lists each by digest",
            "files": crate::layout::REAL_DATA_FILES,
        }));
    }
    if let Some(statement) = hybrid {
        sheet["sdg:composition"] = json!(statement);
    }
    if let Some(statement) = &release.augmentation {
        sheet["sdg:augmentation"] = json!(statement);
    }
    if let Some((_, statement)) = &release.dp_model {
        sheet["sdg:differentialPrivacy"] = json!(true);
        sheet["sdg:anonymityClaim"] = json!(format!(
            "formal, for the model and the synthetic data only: ({}, {})-differential privacy \
             (ρ = {} zero-concentrated), unit of privacy {}; every other risk figure here is \
             measured by attacks, not guaranteed",
            statement.epsilon, statement.delta, statement.rho, statement.unit
        ));
        sheet["sdg:privacyGuarantee"] = literal(json!({
            "epsilon": statement.epsilon,
            "delta": statement.delta,
            "rho": statement.rho,
            "epsilon_budget": statement.epsilon_budget,
            "unit_of_privacy": statement.unit,
            "mechanism": statement.mechanism,
            "noise_source": statement.noise_source,
            "dataset_id": spec.source.dataset_id,
            "covered_files": [crate::layout::DATA_FILE, crate::layout::DP_MODEL_FILE],
            "not_covered_files": {
                (crate::layout::REPORT_FILE): "real-data values of every metric and chart (computed from the training and holdout rows)",
                (crate::layout::REPORT_HTML_FILE): "the same, rendered",
                (crate::layout::PROFILE_FILE): "the source's aggregates for drift monitoring",
                "datasheet.json": "the source's row and column counts and the split sizes (sdg:source)",
                "DATASHEET.md": "the same, as text",
                (crate::layout::LOG_FILE): "the run's steps with the split sizes",
                "manifest.json": "the source's digest and counts",
            },
        }));
    }
    if let Some(run) = &release.llm {
        let summary = &run.generation.summary;
        sheet["sdg:llm"] = literal(json!({
            "model": summary.model,
            "responses": summary.responses,
            "usage": summary.usage,
            "rejects": summary.rejects,
            "leakage": summary.leakage,
            "reproducibility": "archived",
        }));
    }
    sheet
}

fn environment_name(environment: crate::spec::ReleaseEnvironment) -> &'static str {
    use crate::spec::ReleaseEnvironment::*;
    match environment {
        Public => "public",
        Licensed => "licensed",
        ControlledAccess => "controlled access",
        SecureEnclave => "secure enclave",
    }
}

/// The text of a datasheet field: a string, or a list joined into bullet points.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| format!("- {}", text(i)))
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Null => "N/A".into(),
        other => other.to_string(),
    }
}

/// `DATASHEET.md`: the Datasheets-for-Datasets questions, each answered from `datasheet`
/// (the value [`croissant`] made).
pub fn markdown(datasheet: &Value) -> String {
    let field = |key: &str| text(&datasheet[key]);
    let nested = |key: &str| datasheet[key]["@value"].clone();
    let generator = nested("sdg:generator");
    let source = nested("sdg:source");
    let policy = nested("sdg:policy");
    let metrics = nested("sdg:evaluationSummary")["metrics"].clone();
    let withheld: Vec<String> = nested("sdg:withheldFiles")["files"]
        .as_array()
        .map(|files| files.iter().map(text).collect())
        .unwrap_or_default();
    let mut out = String::new();
    let mut composition = match datasheet["sdg:composition"].as_str() {
        Some(statement) => format!("*{statement}*"),
        None => "*Every record in this release is synthetic.*".to_string(),
    };
    if let Some(statement) = datasheet["sdg:augmentation"].as_str() {
        composition.push_str(&format!(" *{statement}*"));
    }
    let _ = writeln!(
        out,
        "# Datasheet: {} {}\n\n{}\n\n\
         {composition} Machine-readable form: `datasheet.json` \
         (Croissant 1.1 with Responsible-AI 1.0 fields). Integrity: `synthgate verify .`\n",
        field("name"),
        field("version"),
        field("description")
    );
    let mut section = |title: &str, answers: &[(&str, String)]| {
        let _ = writeln!(out, "## {title}\n");
        for (question, answer) in answers {
            let answer = if answer.trim().is_empty() {
                "N/A: not recorded for this release.".to_string()
            } else {
                answer.clone()
            };
            let _ = writeln!(out, "**{question}**\n\n{answer}\n");
        }
    };
    section(
        "Motivation",
        &[
            (
                "For what purpose was the dataset created?",
                field("rai:dataUseCases"),
            ),
            (
                "Who created it, on behalf of whom?",
                text(&datasheet["creator"]["name"]),
            ),
        ],
    );
    section(
        "Composition",
        &[
            (
                "What do the instances represent, and how many are there?",
                format!(
                    "Synthetic records with the columns of the real source: {} rows, {} \
                     columns{}. See `datasheet.json` (recordSet) for each column's type and \
                     privacy role.",
                    generator["rows"],
                    datasheet["recordSet"].as_array().map_or(0, |sets| sets
                        .iter()
                        .map(|set| set["field"].as_array().map_or(0, Vec::len))
                        .sum::<usize>()),
                    match datasheet["recordSet"].as_array() {
                        Some(sets) if sets.len() > 1 => format!(
                            ", in {} tables ({})",
                            sets.len(),
                            sets.iter()
                                .map(|set| format!(
                                    "{}: {}",
                                    set["name"].as_str().unwrap_or("?"),
                                    set["description"].as_str().unwrap_or("")
                                ))
                                .collect::<Vec<_>>()
                                .join("; ")
                        ),
                        _ => String::new(),
                    }
                ),
            ),
            (
                "Is it a sample from a larger set?",
                format!(
                    "No: it is generated. The synthesizer saw {} of the source's {} rows; {} \
                     were held out to evaluate it.",
                    source["train_rows"], source["rows"], source["holdout_rows"]
                ),
            ),
            (
                "Does it contain confidential or sensitive data?",
                field("rai:personalSensitiveInformation"),
            ),
            (
                "Are there errors, noise or known gaps?",
                field("rai:dataLimitations"),
            ),
        ],
    );
    section(
        "Collection process",
        &[
            ("How was the data acquired?", field("rai:dataCollection")),
            ("What was the raw data?", field("rai:dataCollectionRawData")),
            (
                "How were missing values handled?",
                field("rai:dataCollectionMissingData"),
            ),
        ],
    );
    section(
        "Preprocessing, generation and labelling",
        &[
            (
                "What preprocessing was done?",
                field("rai:dataPreprocessingProtocol"),
            ),
            (
                "How were the records generated?",
                field("rai:dataManipulationProtocol"),
            ),
            (
                "Was any imputation done?",
                field("rai:dataImputationProtocol"),
            ),
            (
                "Were labels annotated?",
                "N/A: no labels were annotated; every column is generated.".into(),
            ),
        ],
    );
    let mut quality =
        String::from("| Metric | Value [95% interval] | Holdout reference |\n|---|---|---|\n");
    if let Some(metrics) = metrics.as_object() {
        for (id, m) in metrics {
            let number = |key: &str| {
                m[key]
                    .as_f64()
                    .filter(|v| v.is_finite())
                    .map_or_else(|| "n/a".into(), |v| format!("{v:.3}"))
            };
            let _ = writeln!(
                quality,
                "| `{id}` | {} [{}, {}] | {} |",
                number("value"),
                number("ci_low"),
                number("ci_high"),
                number("holdout_reference")
            );
        }
    }
    section(
        "Uses",
        &[
            ("What are the intended uses?", field("rai:dataUseCases")),
            (
                "Are there biases a user should know of?",
                field("rai:dataBiases"),
            ),
            (
                if withheld.is_empty() {
                    "How good is it? (the evaluation, `report/report.html`)"
                } else {
                    "How good is it? (the evaluation summary in `manifest.json`; the full \
                     report is computed from real rows and was withheld from this bundle by its \
                     policy: it stays with the operator)"
                },
                quality,
            ),
            (
                "Did it pass its release policy?",
                if policy["releasable"].as_bool() == Some(true) {
                    "Yes: every policy gate passed or was waived (`policy/decision.json`)."
                        .to_string()
                } else {
                    format!(
                        "No: failed gates {} (`policy/decision.json`).",
                        policy["failed_gates"]
                    )
                },
            ),
        ],
    );
    section(
        "Distribution",
        &[
            ("Under what licence?", field("license")),
            (
                "Where may it go?",
                datasheet["sdg:releaseEnvironment"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ),
            ("How should it be cited?", field("citeAs")),
        ],
    );
    section(
        "Maintenance",
        &[(
            "Who maintains it, and how is it updated?",
            field("rai:dataReleaseMaintenancePlan"),
        )],
    );
    let guarantee = nested("sdg:privacyGuarantee");
    if guarantee.is_object() {
        let not_covered = guarantee["not_covered_files"]
            .as_object()
            .map(|files| {
                files
                    .iter()
                    .map(|(file, what)| {
                        let held = if withheld.iter().any(|w| w == file) {
                            " (withheld: not in this bundle)"
                        } else {
                            ""
                        };
                        format!("- `{file}`{held}: {}", text(what))
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        section(
            "Differential privacy",
            &[
                (
                    "What is guaranteed?",
                    format!(
                        "The model (`{}`) and every synthetic record are ({}, {})-differentially \
                         private (ρ = {} zero-concentrated DP), for {}. Mechanism: {}. Noise: {}.",
                        crate::layout::DP_MODEL_FILE,
                        text(&guarantee["epsilon"]),
                        text(&guarantee["delta"]),
                        text(&guarantee["rho"]),
                        text(&guarantee["unit_of_privacy"]),
                        text(&guarantee["mechanism"]),
                        text(&guarantee["noise_source"]),
                    ),
                ),
                (
                    "What is not covered?",
                    format!(
                        "These files are computed from the real rows outside the guarantee; \
                         the policy key `real_data_files` decides whether the report and the \
                         source profile ship in the bundle or stay in the operator's workspace \
                         (withheld by default when the environment is public):\n\n{not_covered}"
                    ),
                ),
                (
                    "Which privacy figures are empirical?",
                    "Every privacy metric in the evaluation report (distances, membership and \
                     anonymeter attacks) is measured, not guaranteed."
                        .to_string(),
                ),
            ],
        );
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The datasheet publishes the subgroup numbers as the evaluation protected them: a
    /// withheld real share stays withheld (never recomputed, never dropped with its group),
    /// and suppressed groups are a count.
    #[test]
    fn withheld_subgroup_shares_stay_withheld_in_the_datasheet() {
        let mut metric = Metric::new("subgroup.country.worst_gap", 0.1, "");
        metric.details = json!({
            "attribute": "country", "worst_group": "A", "min_group_rows": 100,
            "groups": [
                {"group": "A", "train_rows": 600, "share_real": 0.6, "share_synthetic": 0.55,
                 "withheld": []},
                {"group": "B", "train_rows": null, "share_real": null, "share_synthetic": 0.4,
                 "withheld": ["train_rows", "share_real"]},
            ],
            "suppressed_groups": 1,
        });
        let mut privacy = Metric::new("subgroup.country.worst_dcr_share", 0.52, "");
        privacy.ci_low = Some(0.5);
        privacy.ci_high = Some(0.54);
        privacy.details = json!({ "worst_group": "A" });
        let findings = subgroup_findings(&[metric, privacy]);
        assert_eq!(findings.len(), 2);
        // A privacy metric is described as itself, never as a column-shapes gap.
        assert!(
            findings[1].starts_with(
                "subgroup.country.worst_dcr_share = 0.520 [95%: 0.500 to 0.540], group 'A': The \
                 largest DCR share"
            ),
            "{}",
            findings[1]
        );
        assert!(!findings[1].contains("column shapes"), "{}", findings[1]);
        let text = &findings[0];
        assert!(
            text.contains("A 60.0% of real rows, 55.0% of synthetic"),
            "{text}"
        );
        assert!(
            text.contains("B a withheld share of real rows, 40.0% of synthetic"),
            "{text}"
        );
        assert!(
            text.contains("1 group(s) with fewer than 100 training rows"),
            "{text}"
        );
        assert!(!text.contains("39.0%"), "{text}");
    }
}

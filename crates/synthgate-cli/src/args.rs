//! The command line, as clap definitions only; each verb's handler lives in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const ABOUT: &str = "Synthetic data you can release: generate, evaluate, govern.";

const LONG_ABOUT: &str = "\
Synthgate turns a sensitive table into a synthetic dataset that can be released: made by a named \
synthesizer from a hashed source, scored by a standard evaluation harness, held to a written \
policy, signed off and reproducible byte for byte.

Start by profiling your data:

    synthgate inspect data.csv --schema-out schema.toml

then correct the schema (types, privacy roles) and pass it to later commands with --schema.";

const AFTER_HELP: &str = "\
Exit codes: 0 success, 1 internal error (a bug), 2 usage error, 3 input data or spec error, \
4 policy gate failed, 5 verification failed, 6 environment error (unwritable path, full disk).";

/// The `synthgate` command line.
#[derive(Debug, Parser)]
#[command(
    name = "synthgate",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP,
    arg_required_else_help = true,
    propagate_version = true
)]
pub(crate) struct Cli {
    /// Print nothing but results and errors: no progress bars, no notes.
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,

    /// Keep the registry and the audit log on a shared PostgreSQL server
    /// (postgres://user:password@host:port/database) instead of the workspace's own files, for
    /// a team; its schema is made on first use. Default: the workspace's config.toml
    /// `registry`, else its SQLite registry and audit.jsonl.
    #[arg(
        long,
        global = true,
        env = "SYNTHGATE_REGISTRY",
        value_name = "URL",
        hide_env_values = true
    )]
    pub(crate) registry: Option<String>,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Profile a table: types, meaning, privacy roles, missing values, ranges.
    #[command(long_about = INSPECT_ABOUT)]
    Inspect(InspectArgs),
    /// Convert a table between CSV and Parquet (by the output's extension).
    #[command(long_about = CONVERT_ABOUT)]
    Convert(ConvertArgs),
    /// Fit a synthesizer on a table and save the model.
    #[command(long_about = FIT_ABOUT)]
    Fit(FitArgs),
    /// Sample synthetic rows from a saved model.
    #[command(long_about = SAMPLE_ABOUT)]
    Sample(SampleArgs),
    /// List the available synthesizers.
    Synthesizers(SynthesizersArgs),
    /// Generate records by prompting a language model (OpenAI-compatible server).
    #[command(long_about = GENERATE_ABOUT)]
    Generate(GenerateArgs),
    /// Run a release pipeline: split, fit, sample, evaluate, gate, bundle.
    #[command(long_about = run_about())]
    Run(RunArgs),
    /// Check a release bundle's files, digests, approvals and decision; optionally reproduce it.
    #[command(long_about = VERIFY_ABOUT)]
    Verify(VerifyArgs),
    /// Compare a new real snapshot with the source a release was made from.
    #[command(long_about = drift_about())]
    Drift(DriftArgs),
    /// Make an Ed25519 key pair for signing approvals.
    #[command(long_about = KEYGEN_ABOUT)]
    Keygen(KeygenArgs),
    /// Sign a decision on a release bundle for a role.
    #[command(long_about = APPROVE_ABOUT)]
    Approve(ApproveArgs),
    /// Check the workspace's audit log.
    #[command(long_about = AUDIT_ABOUT)]
    Audit(AuditArgs),
    /// List and look up the releases recorded in the registry.
    #[command(long_about = REGISTRY_ABOUT)]
    Registry(RegistryArgs),
    /// Serve the team's review pages and HTTP API over this workspace's registry.
    #[command(long_about = SERVE_ABOUT, after_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// Score a synthetic table against the real train and holdout tables.
    #[command(long_about = evaluate_about())]
    Evaluate(EvaluateArgs),
    /// Datasets of several tables: check keys, references and sequences; synthesize them.
    #[command(long_about = DATASET_ABOUT)]
    Dataset(DatasetArgs),
}

const DATASET_ABOUT: &str = "\
A dataset of several tables is described by a TOML file (dataset.toml): its tables (name, \
path relative to the file, na, schema, primary_key, public for a reference table that may be \
copied as it is), its references (from a child's columns to a parent's primary key, composite \
keys and a table referencing itself included; dangling = \"keep\" synthesizes real gaps at \
their rate, \"drop\" never) and its sequences (table, entity columns, order column). \
A table can also be split from another by the file alone: `split_from = \"encounters\"` \
with `primary_key = [\"patient_nbr\"]` and `columns = [\"race\", \"gender\"]` makes a table \
of one row per patient, holding the key and those columns (each patient's first row's values), \
and the encounters reference it through the key. A table of sequences that stands alone (no \
parent keyed by its entity, no reference to another synthesized table, no table referencing \
it: one file of several rows per patient) gets such a table implied, `TABLE_entities` with \
the entity's key and no columns, so its rows are drawn patient by patient and held out whole \
patients at a time; the implied table is scored (rows per entity) but never written. In a \
sequence, a text column that names the entity as its key does (a record number: one value per \
patient, a different one for each) is written fresh, one per synthetic patient, and a column \
that never changes within a real patient keeps its first row's value.

`dataset check` reads every table and refuses, naming the file, table, column and the \
offending values and rows: a reference to a table the file does not list, a reference whose \
columns do not match the parent's key, a cycle of references between tables (no table of it \
could be made first), a primary key that is missing or repeats, an entity or order column of a \
sequence with missing values, a column a table does not have. Real referential gaps are facts, \
not errors: each reference is reported with its rows, missing references and dangling ones \
(naming the most frequent dangling values), and its children per parent.

Example (dataset.toml):
    format_version = 1
    [[tables]]
    name = \"planes\"
    path = \"planes.csv\"
    primary_key = [\"tailnum\"]
    [[tables]]
    name = \"flights\"
    path = \"flights.csv\"
    [[references]]
    from = \"flights\"
    columns = [\"tailnum\"]
    to = \"planes\"
    [[sequences]]
    table = \"flights\"
    entity = [\"tailnum\"]
    order = \"time_hour\"

    synthgate dataset check dataset.toml
    synthgate dataset check dataset.toml --json

`dataset synth` synthesizes every table together, parents first: a public table is copied as \
it is; a synthesized table's single-column key is regenerated; each child is generated under \
its first reference to a synthesized table, as many children per parent row as the parent's \
model draws given its values, each child drawn given its parent's values (cart trees with the \
parent's columns as predictors); a sequence whose entity is that parent is drawn row by row, \
given the previous row (numbers as their change from it; an order column keeps increasing, \
by at least the smallest real gap, its gaps drawn as the real ones are; a text order column \
whose values sort as each entity's rows follow one another, such as quarters \"1998 Q1\", is \
drawn as its rank among them; a column no real entity of several rows changes, such as \
a patient's sex, keeps its first row's value). \
Real children without a parent are made at their rate, with a missing key or a fresh one that \
resolves nowhere (dangling = \"drop\" leaves real rows with a dangling key out). Other \
references to synthesized tables take slots of the parents in proportion to the children each \
has; references to public tables are modelled as values, so they resolve as often as the real \
ones. Same data, file and seed: byte-identical tables.

    synthgate dataset synth examples/diabetes-encounters/dataset.toml --out synthetic/

`dataset entities` writes one row per entity: the entity table's columns, and for each table \
referencing it the number of children, the mean of each numeric column and, of every other, \
the first child's value in a sequence's order or else the value most children hold \
(identifiers left out). Scoring such summaries of the training, holdout \
and synthetic datasets with `synthgate evaluate` measures privacy at the entity level: a \
patient's whole history is one record.

    synthgate dataset entities dataset.toml --entity patients --out train_entities.csv
    synthgate dataset entities dataset.toml --entity patients --from synthetic/ --out syn.csv

`dataset propose` drafts such a file from the values of one or more tables: of each table's \
columns (else pairs of columns) whose values are present and unique in every row, the one a \
column of its name in another table points at (else the first) becomes its primary key (a \
numbering that fills half its range or more, such as 1..n, only where a column that names it \
in another table, `id` or `school_id` for `schools.id`, with repeated values, points at it: \
any age or day count would fall inside it), and a column of another table whose distinct \
values fall at least 80% inside that key becomes a reference; the file's comments give each \
reference's share and the other candidate keys. In each table it looks for a sequence: an \
entity column and an order column (a time, values the entities share such as years or a visit's \
number, or values rising within each entity as the file reads) unique within each entity (or, \
for an entity that points at another table or whose rows stand together, a time or number that \
never falls within an entity as the file reads and rises on 90% of its steps: diagnoses, some on \
one day; never a numbering of the rows); a \
column splitting each entity into runs at long gaps joins the entity (a storm's name and its \
year), and the columns keeping one value within nearly every entity (a patient's sex) move to a \
table of entities split from the file. Every line is a guess to confirm.

    synthgate dataset propose planes.csv flights.csv airports.csv --out dataset.toml
    synthgate dataset propose patients=p.csv visits=v.csv
    synthgate dataset propose encounters.csv --out dataset.toml";

/// `synthgate dataset`.
#[derive(Debug, Args)]
pub(crate) struct DatasetArgs {
    #[command(subcommand)]
    pub(crate) command: DatasetCommand,
}

/// Dataset subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum DatasetCommand {
    /// Propose keys, references and sequences from the values of one or more tables, as a
    /// draft dataset file to confirm.
    Propose {
        /// The tables: FILE (named by its stem, or its folder for data.csv) or NAME=FILE.
        #[arg(required = true, num_args = 1..)]
        tables: Vec<String>,
        /// Extra missing-value tokens (repeatable), for every table.
        #[arg(long, value_name = "TOKEN")]
        na: Vec<String>,
        /// Write the draft here (default: print it).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Replace an existing --out file.
        #[arg(long)]
        force: bool,
    },
    /// Synthesize every table of a dataset together, parents first, one file per table.
    Synth {
        /// The dataset file (dataset.toml).
        dataset: PathBuf,
        /// The folder to write the synthetic tables to (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The master seed: the same data, dataset file and seed give byte-identical tables.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// The tables' file format.
        #[arg(long, default_value = "csv", value_parser = ["csv", "parquet"])]
        format: String,
        /// Categories held by fewer real rows are not reproduced (also the smallest point
        /// mass and child count kept exactly).
        #[arg(long, default_value_t = 10, value_name = "ROWS")]
        min_category_count: usize,
        /// Numbers are clipped to the ROWS-th smallest and largest real value.
        #[arg(long, default_value_t = 10, value_name = "ROWS")]
        tail_count: usize,
        /// Fewest real rows in a leaf of every table's cart models: smaller follows the data
        /// more closely (and describes fewer rows per leaf).
        #[arg(long, default_value_t = 50, value_name = "ROWS")]
        min_leaf: usize,
        /// Replace existing files in --out.
        #[arg(long)]
        force: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One row per entity (a patient with all their encounters), for scoring whole
    /// entities with `synthgate evaluate`.
    Entities {
        /// The dataset file (dataset.toml).
        dataset: PathBuf,
        /// The entity table: one output row per row of it.
        #[arg(long, value_name = "TABLE")]
        entity: String,
        /// Read the tables from this folder (NAME.csv or NAME.parquet, as `dataset synth`
        /// writes them) under the dataset's real schemas.
        #[arg(long, value_name = "DIR")]
        from: Option<PathBuf>,
        /// The output table (CSV or Parquet, by extension).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace an existing --out file.
        #[arg(long)]
        force: bool,
    },
    /// Check a dataset file against its tables' data.
    Check {
        /// The dataset file (dataset.toml).
        dataset: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

const EVALUATE_INTRO: &str = "\
Score a synthetic table (from Synthgate or any other tool) against the real training table it \
was made from and a real holdout the generator never saw. Writes DIR/report.json (for machines) \
and DIR/report.html (one self-contained page for people), and prints a summary.

Every metric has a stable id, a 95% confidence interval (bootstrap over fixed distances and \
predictions; Wilson intervals for the anonymeter attacks) and the score real data the generator \
never saw gets in the synthetic table's place (the honest reference). Each metric below with \
which way it is better, the peer whose definition it follows, when it is reported, what it \
measures and the status report.html gives it (against fixed levels or the reference); a \
pipeline's gates name these ids:";

const EVALUATE_OUTRO: &str = "\
The three files are read with one schema (from --schema, else inferred from the training \
table), so columns may come in any order and numbers as 517 or 517.0. The same inputs and seed \
give a byte-identical report.json.

Comparing tools: give --synthetic several times as NAME=FILE (the outputs of SDV, MOSTLY AI, \
synthpop, Synthgate, ...). Each table is scored as it would be alone (the same schema, seed, \
folds and resamples: DIR/NAME/report.json is byte for byte the report `evaluate` writes for \
that table by itself), and DIR/comparison.json, .md, .tex and .html put every metric side by \
side with its 95% interval and the holdout's score, naming the significant differences: two \
tables differ on a metric when their intervals do not overlap (a conservative test: a \
difference it names is one a reader can trust). The Markdown and LaTeX tables name the \
harness version and seed, for a paper to cite.

Examples:
    synthgate evaluate --train train.csv --holdout holdout.csv --synthetic synthetic.csv --out report
    synthgate evaluate --train t.csv --holdout h.csv --synthetic sdv.csv --na '?' \\
        --target income --sensitive sex,race --out sdv-report
    synthgate evaluate --train t.csv --holdout h.csv --synthetic sdv=sdv.csv \\
        --synthetic ours=ours.parquet --target income --out comparison";

/// `synthgate evaluate --help`: the metric list comes from the metric table.
pub(crate) fn evaluate_about() -> String {
    format!(
        "{EVALUATE_INTRO}\n\n{}\n\n{EVALUATE_OUTRO}",
        crate::help::metric_list()
    )
}

const RUN_ABOUT: &str = "\
Run a release pipeline from its spec (TOML): read the source, take its schema (given or \
profiled), split it into train and holdout by a seeded permutation, fit the synthesizer on the \
training rows only, sample, evaluate against train and holdout, decide the policy's gates, and \
write a release bundle: data/synthetic.parquet, datasheet.json (Croissant 1.1 with \
Responsible-AI fields) and DATASHEET.md, report/report.json and report.html, \
policy/decision.json, log/generation.jsonl (for llm, real seed rows as keyed digests; the full \
log stays in the workspace), monitor/source_profile.json (aggregates for \
`synthgate drift`) and manifest.json (every file's sha256 and size, the \
source's digest and counts but never its rows, generator, seeds, evaluation summary, policy \
digest, environment). Exits 4 when a gate fails: the bundle is still written, marked not \
releasable, with the failing gates named.

The spec (relative paths resolve from its folder; unknown keys are errors):

    [release]            name (required: names the bundle folder), version = \"1.0.0\",
                         description, owner, license = \"proprietary\", intended_use = [],
                         prohibited_use = [\"decisions about real individuals\"],
                         environment = \"controlled_access\" (public, licensed, secure_enclave)
    [source]             path (CSV or Parquet) or dataset (below), na = [], schema (default:
                         profiled), columns (default: all), description (how the real data was
                         collected, for the datasheet), dataset_id (the protected dataset's
                         name in the privacy ledger; required with epsilon)
    [split]              holdout_fraction = 0.2, seed = 0, entity = [] (the columns naming
                         the entity of a row, e.g. [\"patient_nbr\"]: each entity's rows stay
                         on one side, so the holdout holds whole unseen entities)
    [synthesizer]        name = \"cart\", seed = 0, rows (default: the training rows),
                         min_category_count = 10, tail_count = 10 (the privacy protections of
                         `fit`), [synthesizer.params] as `fit --param`; name = \"llm\"
                         generates with a language model from the [llm] section; name =
                         \"mst\" with epsilon and delta = 1e-9 fits with differential privacy
                         (as `fit --epsilon`; the schema must mark its domains public)
    [llm]                the generation spec of `synthgate generate` as [llm.server],
                         [llm.generation], [[llm.columns]] (the source's columns),
                         [[llm.conditions]], [llm.examples] (from_training = true shows real
                         training rows as few-shot seed rows); adds the gateable metrics
{llm_metrics}
    [evaluation]         target, sensitive = [], resamples = 50, attacks = 2000 (targets of
                         the linkability and inference attacks; more narrows their risks'
                         intervals), entity (with a dataset)
    [hybrid]             a hybrid release: real_share (of the release's rows that are real
                         training rows, at most 0.5), legal_basis and approver_role (a role
                         of [[policy.approvers]]) required, origin = \"ship\" or \"withhold\"
                         (the file saying which rows are real: origin/origin.parquet in the
                         bundle, or the workspace only), seed = 0, choose_share =
                         \"marginal_value\" (as many real rows as utility.real_share_needed
                         says are worth adding, at most real_share; needs a target); never
                         with environment = \"public\" nor with epsilon; adds
                         hybrid.real_share, hybrid.real_rows
    [augment]            column (a categorical attribute of [evaluation] sensitive; needs a
                         target) and [[augment.groups]]: value, share (of the release after
                         augmentation, at most 0.9) or rows, where = { COLUMN = VALUE } (the
                         added rows' other fixed values; optional). Up-samples each group by
                         sampling the model conditionally (cart, independent); every added
                         row is synthetic and the rows sampled before are kept; adds
                         subgroup.<column>.augment_utility_loss (the largest drop in a
                         group's TSTR on its holdout rows, before against after),
                         .augment_fidelity_loss and .augment_share_gap (to the declared share)
    [[policy.gates]]     metric (a metric id of `synthgate evaluate`), min or max, bound =
{gate_bounds}
    [[policy.waivers]]   metric, role, reason: a failing gate becomes waived, recorded
    [policy]             operators = [] (fingerprints of the keys allowed to sign bundles;
                         default: any), privacy_budget (the most ε all DP releases of the
                         dataset_id may spend together; default: no cap), privacy_delta =
                         1e-9, real_data_files = \"ship\" or \"withhold\" (the report and the
                         source profile are computed from real rows: withheld ones stay in the
                         workspace's withheld/ folder, listed in the manifest by digest, and
                         verify and drift read them there; default: withhold when environment
                         is public, else ship)
    [policy.drift]       max_psi = 0.25, fail_on_schema_change = true, min_cell = 10 (the
                         smallest count the bundle's source profile records), bins = 10

Several tables: [source] dataset = \"dataset.toml\" (tables, keys, references, sequences; see \
`synthgate dataset --help`) instead of path. Every table is synthesized by cart, parents first, \
each given its parent's rows; public tables are copied. The split is by entity: a table \
generated under no parent is split by its rows (kept whole when other tables' secondary \
references name it), a child follows its parent row. The bundle holds data/TABLE.parquet per \
table and a datasheet with one RecordSet per table and its references. The single-table \
metrics score whole entities of [evaluation] entity (default: the table generated under no \
parent with the most rows under it): one row per entity with its children summarised, so \
privacy.* is entity-level; the dataset metrics fidelity.cardinality_shape, \
fidelity.parent_child_pair_trends, fidelity.referential_integrity, fidelity.dangling_gap and \
fidelity.table.TABLE.column_shapes score the structure. source.schema, na, columns, \
split.entity, synthesizer.rows and evaluation.target do not apply; synthesizer.params takes \
min_leaf only.

The bundle goes to --out (default: releases/NAME-VERSION beside the spec; name and version may \
hold only letters, digits, '-', '_' and '.', never start with '.' nor contain '..'). The path is \
resolved and checked before any work: an existing folder is replaced only with --force and only \
when it is itself a Synthgate bundle; never the source, the schema, the spec, the spec's folder, \
the workspace or a folder holding any of them. Times in the manifest come from SOURCE_DATE_EPOCH when it is set. \
The run is recorded in the hash-chained audit log .synthgate/audit.jsonl (the folder is \
$SYNTHGATE_HOME when set) once its bundle is in place (a failed run records one `failed` entry; \
a log that does not verify refuses the run before it starts), and the bundle carries its segment \
and a checkpoint signed by the operator's key (--key, else .synthgate/operator.key, made on \
first use).

Examples:
    synthgate run examples/nhefs/pipeline.toml
    synthgate run examples/diabetes-encounters/pipeline.toml
    synthgate run pipeline.toml --out /releases/adult-1.0.0 --force";

/// `synthgate run --help`: the llm metrics and the gates' default bounds come from the metric
/// table.
pub(crate) fn run_about() -> String {
    let indent = 25;
    RUN_ABOUT
        .replace(
            "{llm_metrics}",
            &crate::help::wrap(&crate::help::llm_metrics(), indent, indent),
        )
        .replace(
            "{gate_bounds}",
            &crate::help::wrap(
                &format!(
                    "value | ci_low | ci_high (default: {})",
                    crate::help::gate_bound_defaults()
                ),
                indent,
                indent,
            ),
        )
}

const VERIFY_ABOUT: &str = "\
Check a release bundle: the manifest reads, every file it lists is present with the recorded \
size and sha256, no unlisted file was added, the manifest's statements (data digest, evaluation \
summary, releasable flag) agree with the files (a file that cannot be read or parsed is named, \
never skipped), the operator's signatures (manifest.sig, audit/checkpoint.json) verify, and each \
decision in approvals.jsonl is signed, bound to this manifest and linked to the decision before \
it. Names exactly what is wrong and exits 5 when anything is. With --reproduce, the recorded \
pipeline runs again from its source (whose digest must be unchanged) and the synthetic data \
must come out byte for byte. An llm release whose prompts showed real rows keeps them in its \
log only as keyed digests: it is replayed from the full log in the workspace that made it \
(SYNTHGATE_HOME, generation-logs/), and verify says which file it lacks elsewhere.

What each check proves, and against whom (the trust model):
  - Digests and signatures alone prove the bundle is whole and was signed by the key inside it. \
Anyone who can rewrite a bundle can re-sign it with a key of their own, so without a trust root \
`verify` says: integrity checked, origin not authenticated.
  - A trust root from outside the bundle names who may sign: --trust-operator FINGERPRINT, \
--trust FILE (the organisation's published operators and approvers per role), or the \
workspace's registry, which recorded the operator of every bundle it registered. With one, a \
bundle signed by any other key fails, naming the key.
  - The decisions form a chain (each signs the one before it and its time), so a decision cannot \
be dropped from the middle, reordered or re-appended. Only a record of the newest decision (the \
registry, or [[decisions]] in a trust file) shows that the newest one was not cut off; without \
one, `verify` says the completeness of the decision history is not authenticated.
  - --require-approved refuses to answer without a trust root.

With a workspace (.synthgate, or $SYNTHGATE_HOME), its registry is consulted (unless \
--no-registry) and the verification is recorded in its audit log.

Examples:
    synthgate verify releases/nhefs-demo-1.0.0
    synthgate verify releases/nhefs-demo-1.0.0 --reproduce
    synthgate verify bundle --require-approved --trust-operator 9090…(64 hex digits)
    synthgate verify bundle --require-approved --trust org-trust.toml";

const AUDIT_ABOUT: &str = "\
`synthgate audit verify` checks the workspace's audit log (.synthgate/audit.jsonl, or in \
$SYNTHGATE_HOME): every entry's hash, the links between entries, that it starts at seq 1; then \
that every release the registry recorded ends at the log entry it recorded, and that each bundle \
still in place carries exactly the log's entries. Exits 5 naming every contradiction.

What interrupted work leaves behind is explained, not failed: an append cut off by a kill or a \
full disk (never committed: the next writer removes it), a run whose bundle was written but \
which was not registered, a bundle replaced by a later run. A run refuses to append to a log \
that does not verify.

Example:
    synthgate audit verify";

const GENERATE_ABOUT: &str = "\
Generate records by prompting a language model through the OpenAI-compatible API \
(/v1/chat/completions, or /v1/completions for base models): vLLM, llama.cpp, Ollama, TGI and \
hosted APIs all speak it. Every response is parsed and validated locally against the columns \
(a backend may ignore parts of a JSON schema; a response cut by max_tokens is rejected), \
deduplicated (exact, and near-duplicate free text by character-trigram Jaccard similarity), and \
counted by reject reason; a rejected record is asked again with a new seed derived from the \
master seed, up to max_attempts. With examples or real seed rows, the output is checked for \
copies of them, verbatim text overlap and PII patterns.

Every request and response goes to the log (JSON lines; default OUT.generation.jsonl): the \
rendered prompt, the request body as sent, the derived seed, the model id and \
system_fingerprint the server returned, usage, timings, the raw content, the outcome and the \
wall time. The API key (read from server.api_key_env) is never written. --resume continues an \
interrupted run from its log: logged responses are reused, not asked again.

The spec (TOML; relative paths resolve from its folder; unknown keys are errors):

    [server]        base_url (with or without /v1), model (an id the server lists),
                    api_key_env, endpoint = \"chat\" | \"completions\", timeout_seconds = 120,
                    retries = 4, backoff_seconds = 1, concurrency = 1,
                    structured_output = true, [server.extra] copied into every request body
    [generation]    records (required), seed = 0, prompt (required), system, temperature = 0.8,
                    top_p, max_tokens = 256, max_attempts = 5, near_duplicate_threshold = 0.9
    [[columns]]     name, type = integer | number | boolean | string | text, enum, min, max,
                    pattern (whole value), min_length, max_length, nullable = false
    [[conditions]]  name, values, weights: one value drawn per record, a template variable
    [examples]      [[examples.rows]] written examples; from = a real table to draw seed rows
                    from, na, per_prompt = 3

Template variables: {examples} (JSON lines), {record}, {records}, {columns}, {schema}, and \
each condition's name; {{ and }} are literal braces.

Exit codes: 3 for a bad spec (file, line and key named); 6 when the server cannot be reached, \
times out, fails past its retries, does not serve the model or refuses a request (the log of \
what was generated before is kept).

Examples:
    synthgate generate examples/llm/generate.toml --out records.csv
    synthgate generate examples/llm/generate.toml --out records.csv --resume";

const DRIFT_ABOUT: &str = "\
Compare a new snapshot of the real data with the statistics a release recorded about its source \
(monitor/source_profile.json in the bundle: quantile bins and category counts, with small cells \
withheld; never rows). The bundle is verified first (exit 5 if it does not verify).

Per column: the population stability index (PSI) over the recorded bins or categories and \
missingness (under 0.1 stable, up to the threshold moderate, above it drifted), the largest CDF \
gap at the recorded bin edges (a lower bound of the KS statistic), categories new in the \
snapshot (or too rare in the source to be recorded) and categories that vanished. Schema \
changes: vanished, added and retyped columns.

Then the release's gates are re-decided as if the snapshot were the real data: the synthetic \
data is scored against the snapshot (split in two halves as train and holdout) for gates on \
{rescored}; gates on {kept} keep the release's values, since they concern the training rows or \
the generation, which new data does not change.

Exits 4 when the drift exceeds the policy's threshold: a column's PSI above \
[policy.drift] max_psi (default 0.25), a schema change (unless fail_on_schema_change = false), \
or a gate that would fail. The check is recorded in the audit log.

Examples:
    synthgate drift releases/adult-census-1.0.0 adult-2027.csv
    synthgate drift releases/adult-census-1.0.0 adult-2027.csv --json drift.json";

/// `synthgate drift --help`: what drift re-scores and keeps comes from the metric table.
pub(crate) fn drift_about() -> String {
    let (rescored, kept) = crate::help::drift_split();
    DRIFT_ABOUT
        .replace("{rescored}", &rescored)
        .replace("{kept}", &kept)
}

const KEYGEN_ABOUT: &str = "\
Make an Ed25519 key pair: KEY holds the secret (keep it private; mode 0600) and KEY.pub the \
public half. Prints the key's fingerprint (the SHA-256 of the public key), which a pipeline's \
[[policy.approvers]] lists for each role allowed to approve. Never overwrites a file.

Example:
    synthgate keygen --out ~/.synthgate/dpo.key";

const APPROVE_ABOUT: &str = "\
Sign a decision (approve, or --reject) on a release bundle for a role, bound to the SHA-256 of \
its manifest and to the bundle's previous decision (the chain `verify` checks), and append it to \
the bundle's approvals.jsonl under a lock, so concurrent decisions are all kept. The bundle must \
verify (against the workspace's registry record of it, when there is one, and any --trust given), \
the role must be one its policy requires and the key one the policy allows for that role. A \
decision on a chain that lacks the registry's newest decision is refused. `verify` reports each \
role's newest decision as approved, rejected or pending; the release is approved when it is \
releasable and every required role has approved.

Examples:
    synthgate approve releases/nhefs-demo-1.0.0 --role dpo --key dpo.key
    synthgate approve releases/nhefs-demo-1.0.0 --role data_steward --key steward.key --reject \\
        --comment \"category coverage too low for teaching use\"";

const REGISTRY_ABOUT: &str = "\
The registry is an SQLite database, .synthgate/registry.sqlite in the working directory (the \
folder is $SYNTHGATE_HOME when set), made on first use; a team keeps it on a PostgreSQL server \
instead (--registry postgres://..., SYNTHGATE_REGISTRY, or registry = \"...\" in the \
workspace's config.toml). `run` records each release (bundle, manifest and source digests, \
generator, gate outcomes; a release supersedes the previous one of the same name), `approve` \
its decisions, `registry withdraw` its withdrawal.

Examples:
    synthgate registry list
    synthgate registry show 3
    synthgate registry lineage e7491b4e
    synthgate registry withdraw 3 --reason \"the source had a mislabelled column\"
    synthgate --registry postgres://synthgate:PASSWORD@db.internal/synthgate registry list";

const FIT_ABOUT: &str = "\
Fit a synthesizer on a table and save the model file. Without --schema the table is profiled \
first (as `inspect` does) and the inferred schema is stored in the model.

Privacy protections apply to every synthesizer that sees rows: categories held by fewer than \
--min-category-count training rows are not reproduced, and numeric values are clipped to the \
--tail-count-th smallest and largest training values (in a column with few present values, at a \
rank that leaves its two tails at most a fifth of them, and never below the 2nd). A model file holds statistics of the \
training data: keep it as safe as the data itself.

Differential privacy (--synthesizer mst --epsilon E [--delta D]):
  What it promises. The model file, and every row ever sampled from it, is (ε, δ)-differentially private: whether or not any one row was in the training table changes the probability of any outcome by at most a factor e^ε, except with probability δ. ε = 1 is a common choice; smaller is more private and less accurate. δ (default 1e-9) must stay far below one over the number of rows.
  The unit of privacy is one row (add/remove neighbours). A table with several rows per person protects each row, not each person: a DP fit refuses a table whose identifier column repeats.
  The domain must be public. Bounds, categories, decimals and point masses come only from the schema, never from the data, and the schema must say `public_domains = true` (write one with `synthgate inspect DATA --public-domains --schema-out FILE`, then check that every value in it is public knowledge). Values outside the bounds are clamped; values outside the categories count as missing.
  The noise comes from the operating system's CSPRNG, never from --seed: refitting gives another model. --seed only sets the model's default sampling seed; sampling is post-processing and stays reproducible. The privacy statement (ε, δ, ρ of zero-concentrated DP, every measurement's share) is in the model file.
  Not covered: anything else computed from the real rows, such as an evaluation report's real-data numbers. Attacks the report measures are empirical checks, not the guarantee. In a pipeline whose release environment is public, the report and the drift profile stay in the workspace (`[policy] real_data_files`).
  Budgets: each fit spends its ε on its own. In a pipeline (`synthgate run`), `[source] dataset_id` names the protected dataset and the registry's ledger composes the spends of all its releases in zero-concentrated DP (two releases at ε = 1 cost about ε = 1.4 together at δ = 1e-9, not 2); `[policy] privacy_budget` caps the total. A run that would pass the cap is refused with exit 4 before any noise is drawn; once noise is drawn the spend is never refunded, even if a gate then fails. `synthgate registry budget DATASET_ID` shows the ledger.

Examples:
    synthgate fit data.csv --out model.json
    synthgate fit adult.csv --na '?' --seed 7 --synthesizer independent --out adult.model.json
    synthgate inspect train.csv --na '?' --public-domains --schema-out adult.schema.toml
    synthgate fit train.csv --na '?' --schema adult.schema.toml --synthesizer mst --epsilon 1 \
        --delta 1e-9 --out dp.model.json";

const SAMPLE_ABOUT: &str = "\
Sample synthetic rows from a model file and write them as CSV or Parquet (by the output's \
extension). The same model, seed and row count give byte-identical files on any machine and \
with any number of threads. The seed defaults to the one the model was fitted with.

Examples:
    synthgate sample model.json --rows 10000 --out synthetic.csv
    synthgate sample model.json --rows 1000000 --seed 3 --out synthetic.parquet";

const INSPECT_ABOUT: &str = "\
Profile a table: for each column its storage type, semantic type (continuous, integer, \
categorical, ordinal code, boolean, datetime, date, identifier, free text, constant), privacy \
role (direct identifier, quasi-identifier, sensitive, none), missing values, cardinality, range, \
quantiles and most frequent values.

With --schema-out, write the inferred schema as editable TOML. Correct a type or a role there and \
pass the file to any later command with --schema; `inspect --schema` shows the profile under your \
corrections.

Examples:
    synthgate inspect adult.csv --na '?'
    synthgate inspect flights.parquet --json > profile.json
    synthgate inspect data.csv --schema-out schema.toml";

const CONVERT_ABOUT: &str = "\
Read a table (CSV or Parquet, with the same type inference and missing-value handling as every \
other command) and write it as CSV or Parquet, chosen by the output's extension. The output is \
written to a temporary file and renamed into place, so it is never half-written.

Examples:
    synthgate convert data.csv --out data.parquet
    synthgate convert data.parquet --out data.csv --force";

/// How to read an input table; shared by every verb that reads data.
#[derive(Debug, Args)]
pub(crate) struct DataArgs {
    /// Also read this text as a missing value (repeatable), e.g. --na '?' for UCI files.
    /// Defaults always apply: empty, NA, N/A, null, NULL, NaN (any letter case).
    #[arg(long = "na", value_name = "TOKEN")]
    pub(crate) na: Vec<String>,

    /// A schema file (from `inspect --schema-out`) fixing each column's types and role.
    #[arg(long, value_name = "SCHEMA.toml")]
    pub(crate) schema: Option<PathBuf>,

    /// The CSV delimiter, instead of detecting it: ',', ';', 'tab' or any single character.
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub(crate) delimiter: Option<u8>,
}

fn parse_parameter(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.trim().to_string()))
        }
        _ => Err("write it as KEY=VALUE".to_string()),
    }
}

fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if text.len() == 1 && text.is_ascii() => Ok(text.as_bytes()[0]),
        _ => Err("give one ASCII character, or 'tab'".to_string()),
    }
}

/// `synthgate inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The table to profile (.csv, .tsv or .parquet).
    #[arg(value_name = "DATA")]
    pub(crate) data: PathBuf,

    #[command(flatten)]
    pub(crate) input: DataArgs,

    /// Write the schema (types, roles, bounds, missing-value tokens) as editable TOML.
    #[arg(long, value_name = "FILE")]
    pub(crate) schema_out: Option<PathBuf>,

    /// Print the profile as JSON instead of a table.
    #[arg(long)]
    pub(crate) json: bool,

    /// Replace the --schema-out file if it exists.
    #[arg(long)]
    pub(crate) force: bool,

    /// Mark the written schema's domains public (`public_domains = true`). You vouch that its
    /// bounds, category lists, decimals and point masses are public knowledge (a code book, a
    /// legal range), not facts learned from these rows: a differentially private fit
    /// (`fit --synthesizer mst`) takes domains only from such a schema. Check and edit the
    /// file before using it: profiling read these values from the data.
    #[arg(long, requires = "schema_out")]
    pub(crate) public_domains: bool,
}

/// `synthgate convert`.
#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    /// The table to read (.csv, .tsv or .parquet).
    #[arg(value_name = "DATA")]
    pub(crate) data: PathBuf,

    #[command(flatten)]
    pub(crate) input: DataArgs,

    /// Where to write (.csv or .parquet).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,

    /// Replace the output file if it exists.
    #[arg(long)]
    pub(crate) force: bool,
}

/// `synthgate fit`.
#[derive(Debug, Args)]
pub(crate) struct FitArgs {
    /// The training table (.csv, .tsv or .parquet).
    #[arg(value_name = "DATA")]
    pub(crate) data: PathBuf,

    #[command(flatten)]
    pub(crate) input: DataArgs,

    /// The synthesizer (see `synthgate synthesizers`).
    #[arg(long, value_name = "NAME", default_value = synthgate_engine::types::DEFAULT_SYNTHESIZER)]
    pub(crate) synthesizer: String,

    /// A synthesizer setting as KEY=VALUE (repeatable), e.g. --param min_leaf=50 for cart.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_parameter)]
    pub(crate) parameters: Vec<(String, String)>,

    /// The master seed: the same data, schema, synthesizer and seed give the same model.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) seed: u64,

    /// Categories held by fewer training rows are not reproduced.
    #[arg(long, value_name = "K", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) min_category_count: u64,

    /// Numeric values are clipped to the K-th smallest and largest training values (lower in
    /// a column with few present values, so its two tails hold at most a fifth of them).
    #[arg(long, value_name = "K", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) tail_count: u64,

    /// Where to write the model file (JSON).
    #[arg(long, value_name = "MODEL")]
    pub(crate) out: PathBuf,

    /// Replace the model file if it exists.
    #[arg(long)]
    pub(crate) force: bool,

    /// The privacy budget ε of a differentially private fit (`--synthesizer mst`): smaller is
    /// more private and less accurate; 1 is a common choice. See "Differential privacy" below.
    #[arg(long, value_name = "EPSILON")]
    pub(crate) epsilon: Option<f64>,

    /// δ of a differentially private fit: the chance the ε bound may fail. Keep it far below
    /// one over the number of rows.
    #[arg(long, value_name = "DELTA", default_value_t = synthgate_engine::DEFAULT_DELTA, requires = "epsilon")]
    pub(crate) delta: f64,
}

/// `synthgate sample`.
#[derive(Debug, Args)]
pub(crate) struct SampleArgs {
    /// A model file written by `synthgate fit`.
    #[arg(value_name = "MODEL")]
    pub(crate) model: PathBuf,

    /// How many rows to sample (at least 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) rows: u64,

    /// Sample only rows with COLUMN=VALUE (repeatable), drawn from the model's conditional
    /// distribution, e.g. --where sex=Female to up-sample a subgroup. Categorical, boolean and
    /// coded columns only.
    #[arg(long = "where", value_name = "COLUMN=VALUE", value_parser = parse_parameter)]
    pub(crate) conditions: Vec<(String, String)>,

    /// The sampling seed (default: the model's fit seed).
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,

    /// Where to write the rows (.csv or .parquet).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,

    /// Replace the output file if it exists.
    #[arg(long)]
    pub(crate) force: bool,
}

/// `synthgate synthesizers`.
#[derive(Debug, Args)]
pub(crate) struct SynthesizersArgs {
    /// Print the list as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `synthgate evaluate`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The pipeline spec (TOML).
    pub(crate) spec: PathBuf,

    /// The bundle folder (default: releases/NAME-VERSION beside the spec).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,

    /// Replace an existing bundle folder.
    #[arg(long)]
    pub(crate) force: bool,

    /// The operator's key that signs the bundle's audit checkpoint (default: the key in
    /// .synthgate/operator.key, made on first use).
    #[arg(long, value_name = "FILE")]
    pub(crate) key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The bundle folder.
    pub(crate) bundle: PathBuf,

    /// Also run the recorded pipeline again and compare the synthetic data byte for byte.
    #[arg(long)]
    pub(crate) reproduce: bool,

    /// Fail (exit 5) unless the release is releasable and every required role has approved,
    /// against a trust root from outside the bundle (--trust-operator, --trust, or the
    /// workspace's registry).
    #[arg(long)]
    pub(crate) require_approved: bool,

    /// Trust this operator key (its fingerprint, as `synthgate keygen` printed it): the bundle
    /// must be signed by it (repeatable).
    #[arg(long, value_name = "FINGERPRINT")]
    pub(crate) trust_operator: Vec<String>,

    /// A trust file as the organisation publishes it: `operators = [...]`, and per role
    /// `[[approvers]] role = "..." keys = [...]`; optionally `[[decisions]]` (manifest_sha256,
    /// head_sha256, decisions) records of the newest decision per bundle.
    #[arg(long, value_name = "FILE")]
    pub(crate) trust: Option<PathBuf>,

    /// Do not use the workspace's registry as a trust source.
    #[arg(long)]
    pub(crate) no_registry: bool,
}

const SERVE_ABOUT: &str = "Serve the team's review pages and HTTP JSON API over this workspace's \
registry (or the PostgreSQL server --registry names): the releases with their status and \
filters; each release's verdict, gates, embedded report, datasheet, decisions by role with the \
roles still to decide, lineage and audit trail. The API's OpenAPI 3.1 document is at \
/openapi.json; /health needs no credentials, everything else does: an API token \
(Authorization: Bearer TOKEN) of a user in the server config, or a browser session.

The server config (default .synthgate/serve.toml) lists users, their approver roles and the \
SHA-256 of each one's API token (never the token). With none, the first start makes one admin \
user, prints its token once, and prints a one-time login link to open in a browser, as Jupyter \
does; each later start prints a new link. It listens on loopback only. Logins are recorded in \
the audit log with the user's name.

Jobs: admins and the config's [jobs] users may submit a pipeline run (POST /api/jobs with \
{\"spec\": PATH}); it runs on the server, one at a time, with its step and progress at \
GET /api/jobs/ID and a cancel at POST /api/jobs/ID/cancel. A job reads only under the config's \
[jobs] data_roots (the spec and every file it names, links followed), writes its bundle only to \
the workspace's releases/ folder, and calls only the language-model servers of [jobs] llm_urls. \
A job the server was running when it stopped is marked failed at the next start, with nothing \
registered. Stop the server with Ctrl-C.";

const SERVE_EXAMPLES: &str = "Examples:
    synthgate run examples/nhefs/pipeline.toml && synthgate serve
    synthgate serve --bind 127.0.0.1:9000 --config team.toml
    curl -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:8765/api/releases?status=pending
    curl -H \"Authorization: Bearer $TOKEN\" -d '{\"spec\": \"study/pipeline.toml\"}' \\
        http://127.0.0.1:8765/api/jobs";

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Where to listen (loopback only without TLS; port 0 picks a free one).
    #[arg(long, value_name = "ADDRESS:PORT", default_value = "127.0.0.1:8765")]
    pub(crate) bind: std::net::SocketAddr,
    /// Speak HTTPS with this certificate chain (PEM, the server's certificate first); needed
    /// to listen beyond loopback, since reviewers sign in the browser, which WebCrypto allows
    /// only in a secure context.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// The server config (users, roles, token digests); default serve.toml in the workspace,
    /// made on first start.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Requests answered at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub(crate) threads: usize,
}

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    #[command(subcommand)]
    pub(crate) command: AuditCommand,
}

/// Audit-log checks.
#[derive(Debug, Clone, Copy, Subcommand)]
pub(crate) enum AuditCommand {
    /// Check the whole hash chain of the workspace's audit log and its agreement with the
    /// registry and the bundles the registry knows (exit 5 on any contradiction).
    Verify,
}

#[derive(Debug, Args)]
pub(crate) struct RegistryArgs {
    #[command(subcommand)]
    pub(crate) command: RegistryCommand,
}

/// Registry look-ups.
#[derive(Debug, Subcommand)]
pub(crate) enum RegistryCommand {
    /// Every release, oldest first.
    List,
    /// One release with its gates and approvals (JSON).
    Show {
        /// The release's registry id (from `list`).
        id: i64,
    },
    /// The releases made from a source, by its sha256 (a prefix is enough).
    Lineage {
        /// The source's sha256 or a prefix of it.
        source: String,
    },
    /// Withdraw a release: recorded in the registry and the audit log; from then on its status
    /// is withdrawn and `verify --require-approved` fails wherever this registry is consulted.
    Withdraw {
        /// The release's registry id (from `list`).
        id: i64,
        /// Why (reviewers and auditors read it).
        #[arg(long)]
        reason: String,
        /// Who withdraws it (default: $USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// A protected dataset's privacy ledger: every differentially private release's spend
    /// (ε, δ, ρ), the total composed in zCDP and what is left of the policy's budget.
    Budget {
        /// The dataset, as `[source] dataset_id` names it.
        dataset_id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Where to write the secret key (the public key goes to FILE.pub).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// The generation spec (TOML).
    pub(crate) spec: PathBuf,

    /// Where to write the records (.csv or .parquet).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,

    /// The request log (default: OUT.generation.jsonl).
    #[arg(long, value_name = "FILE")]
    pub(crate) log: Option<PathBuf>,

    /// Continue the run recorded in the log.
    #[arg(long)]
    pub(crate) resume: bool,

    /// Replace an existing output and start a new log.
    #[arg(long)]
    pub(crate) force: bool,

    /// Also write the run's summary (yield, rejects, diversity, leakage, usage) as JSON.
    #[arg(long, value_name = "FILE")]
    pub(crate) summary: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct DriftArgs {
    /// The release bundle folder.
    pub(crate) bundle: PathBuf,

    /// The new real snapshot (CSV or Parquet), with the source's columns.
    pub(crate) new_data: PathBuf,

    /// Also write the full drift report as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) json: Option<PathBuf>,

    /// Replace an existing --json file.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ApproveArgs {
    /// The bundle folder.
    pub(crate) bundle: PathBuf,

    /// The approver role, as the policy names it.
    #[arg(long)]
    pub(crate) role: String,

    /// The secret key to sign with.
    #[arg(long, value_name = "FILE")]
    pub(crate) key: PathBuf,

    /// Record a rejection instead of an approval.
    #[arg(long)]
    pub(crate) reject: bool,

    /// Conditions or remarks, recorded with the decision.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub(crate) comment: String,

    /// The bundle must be signed by this operator before anyone signs it (repeatable).
    #[arg(long, value_name = "FINGERPRINT")]
    pub(crate) trust_operator: Vec<String>,

    /// A trust file the bundle must meet before anyone signs it (see `verify --help`).
    #[arg(long, value_name = "FILE")]
    pub(crate) trust: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct EvaluateArgs {
    /// The real table the generator was fitted on.
    #[arg(long, value_name = "FILE")]
    pub(crate) train: PathBuf,

    /// Real rows the generator never saw.
    #[arg(long, value_name = "FILE")]
    pub(crate) holdout: PathBuf,

    /// The synthetic table to score; repeat it as NAME=FILE to compare several tables from
    /// any tools against the same train and holdout with the same seeds.
    #[arg(long, value_name = "[NAME=]FILE", required = true)]
    pub(crate) synthetic: Vec<String>,

    #[command(flatten)]
    pub(crate) input: DataArgs,

    /// The column utility metrics predict (TSTR, TRTR, mix curve, the real share needed);
    /// without it they are skipped.
    #[arg(long, value_name = "COLUMN")]
    pub(crate) target: Option<String>,

    /// Sensitive attributes for subgroup fidelity (comma-separated or repeated).
    #[arg(long, value_name = "COLUMN[,COLUMN...]", value_delimiter = ',')]
    pub(crate) sensitive: Vec<String>,

    /// Groups with fewer training rows than this are suppressed in subgroup results, and a real
    /// table's count under it is withheld from the report's column distributions.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) min_group_rows: u64,

    /// The column the inference attack guesses (default: --target, else the last column).
    #[arg(long, value_name = "COLUMN")]
    pub(crate) secret: Option<String>,

    /// Targets of the linkability and inference attacks, each side (training rows attacked,
    /// holdout rows as control; at most as many as either holds). More targets narrow the
    /// risks' intervals (with 2,000, a secret the other columns guess 80% of the time leaves
    /// the inference risk about 0.12 either side) at a proportional cost in time.
    #[arg(long, value_name = "N", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(100..))]
    pub(crate) attacks: u64,

    /// Seed of every sample, fold and bootstrap resample.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) seed: u64,

    /// Bootstrap resamples per confidence interval.
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u64).range(10..=10_000))]
    pub(crate) resamples: u64,

    /// The folder to write report.json and report.html into (created if missing); with
    /// several synthetic tables, the comparison's files and a report folder per table.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,

    /// Replace an existing report.
    #[arg(long)]
    pub(crate) force: bool,
}

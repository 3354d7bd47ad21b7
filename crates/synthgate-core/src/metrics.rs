//! The metric table: what every metric id means, in one place.
//!
//! Each [`MetricInfo`] row says, as plain data, the metric's [`Family`], which way it is
//! better ([`Direction`]), which number a gate compares when the spec does not say
//! ([`GateBounds`]), the status bands report.html and `synthgate evaluate` show ([`Bands`],
//! each edge a [`Level`]: fixed, or relative to the holdout reference with its tolerance),
//! whether `synthgate drift` re-scores it or keeps the release's value ([`Drift`]), what the
//! evaluation must be given for it to exist ([`Needs`]), the peer whose definition it follows
//! ([`Peer`]) and a one-line definition. [`TABLE`] holds every row; [`info`] finds the row of
//! an id.
//!
//! No code outside this module decides a metric's direction, gate bound, bands or drift
//! behaviour by its id: gates, report.html, the datasheet, drift, spec validation and the
//! `--help` text read the row. The metric's own module computes it and names its id; adding a
//! metric adds one row here. Subgroup metrics are a pattern: the row `subgroup.*.worst_gap`
//! stands for one metric per sensitive attribute, `*` the attribute's name.
//!
//! The evaluation harness and the language-model generation both report metrics, and neither
//! depends on the other, so the table lives here, below both.

use serde::{Deserialize, Serialize};

use Direction::{HigherIsBetter, Informational, LowerIsBetter};

/// The part of the evaluation a metric belongs to: the first segment of its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// Does the synthetic data look like the real data?
    Fidelity,
    /// Does it train models as well as real data?
    Utility,
    /// Does it give away the people in the training data?
    Privacy,
    /// Is every group of a sensitive attribute served as well as the whole?
    Subgroup,
    /// Were a language model's answers usable, and did it copy what it was shown?
    Llm,
    /// Which of a hybrid release's rows are real?
    Hybrid,
}

impl Family {
    /// Every family, in the order reports show them.
    pub const ALL: [Family; 6] = [
        Family::Fidelity,
        Family::Utility,
        Family::Privacy,
        Family::Subgroup,
        Family::Llm,
        Family::Hybrid,
    ];

    /// The family's key: the first segment of its metrics' ids (`fidelity`).
    pub fn key(self) -> &'static str {
        match self {
            Family::Fidelity => "fidelity",
            Family::Utility => "utility",
            Family::Privacy => "privacy",
            Family::Subgroup => "subgroup",
            Family::Llm => "llm",
            Family::Hybrid => "hybrid",
        }
    }
}

/// Which way a metric is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A higher value is better.
    HigherIsBetter,
    /// A lower value is better (a risk, a gap, a detection).
    LowerIsBetter,
    /// Neither: a fact to read, not a score to push (e.g. how well real data predicts).
    Informational,
}

impl Direction {
    /// How `--help` says it.
    pub fn describe(self) -> &'static str {
        match self {
            Direction::HigherIsBetter => "higher is better",
            Direction::LowerIsBetter => "lower is better",
            Direction::Informational => "informational",
        }
    }
}

/// Which number of a metric a gate compares (`bound` in `[[policy.gates]]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// The point value.
    Value,
    /// The lower end of its interval.
    CiLow,
    /// The upper end of its interval.
    CiHigh,
}

impl Bound {
    /// The name a spec and `policy/decision.json` use (`ci_high`).
    pub fn name(self) -> &'static str {
        match self {
            Bound::Value => "value",
            Bound::CiLow => "ci_low",
            Bound::CiHigh => "ci_high",
        }
    }
}

/// The number a gate compares when the spec names no `bound`, for a `min` and a `max` gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateBounds {
    /// For a `min` gate.
    pub min: Bound,
    /// For a `max` gate.
    pub max: Bound,
}

/// Both gates compare the value.
const VALUE: GateBounds = GateBounds {
    min: Bound::Value,
    max: Bound::Value,
};

/// A `max` gate on a risk compares the interval's upper end, so the risk is not understated.
const RISK: GateBounds = GateBounds {
    min: Bound::Value,
    max: Bound::CiHigh,
};

/// A count, which has no interval: both gates compare the value.
const COUNT: GateBounds = GateBounds {
    min: Bound::Value,
    max: Bound::Value,
};

/// One edge of a status band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Level {
    /// A fixed number.
    Fixed(f64),
    /// `times` × the holdout reference + `plus`. Without a reference, `without` stands in for
    /// it; when that is `None` too, the metric has no status (info).
    Reference {
        /// Factor on the reference.
        times: f64,
        /// Tolerance added (negative: below the reference).
        plus: f64,
        /// The reference to assume when there is none.
        without: Option<f64>,
    },
    /// No edge: every number is within it, even one that is not a number.
    Open,
}

impl Level {
    /// The edge for a metric whose holdout reference is `reference`; `None` when it depends on
    /// a reference there is not, and for [`Level::Open`], which has no edge.
    pub fn at(self, reference: Option<f64>) -> Option<f64> {
        match self {
            Level::Fixed(level) => Some(level),
            Level::Reference {
                times,
                plus,
                without,
            } => reference.or(without).map(|r| times * r + plus),
            Level::Open => None,
        }
    }

    /// The edge in words: `0.53`, `reference - 0.02`, `1.5 x reference + 0.001 (reference 0
    /// when there is none)`.
    pub fn describe(self) -> String {
        match self {
            Level::Fixed(level) => format!("{level}"),
            Level::Reference {
                times,
                plus,
                without,
            } => {
                let mut text = if times == 1.0 {
                    "reference".to_string()
                } else {
                    format!("{times} x reference")
                };
                if plus > 0.0 {
                    text.push_str(&format!(" + {plus}"));
                } else if plus < 0.0 {
                    text.push_str(&format!(" - {}", -plus));
                }
                if let Some(without) = without {
                    text.push_str(&format!(" (reference {without} when there is none)"));
                }
                text
            }
            Level::Open => "any number".to_string(),
        }
    }
}

/// `plus` around the holdout reference, no status without one.
const fn around_reference(plus: f64) -> Level {
    Level::Reference {
        times: 1.0,
        plus,
        without: None,
    }
}

/// How good a metric's number is, as report.html and `synthgate evaluate` show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// As good as real data, or no risk above it.
    Good,
    /// Worth a look.
    Watch,
    /// Clearly worse than real data, or a clear risk.
    Poor,
    /// Informational.
    Info,
}

impl Status {
    /// The status's name.
    pub fn label(self) -> &'static str {
        match self {
            Status::Good => "good",
            Status::Watch => "watch",
            Status::Poor => "poor",
            Status::Info => "info",
        }
    }
}

/// The rule that gives a metric its [`Status`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bands {
    /// Always [`Status::Info`].
    Info,
    /// The number `on` (the value when the metric lacks that end of its interval) is good
    /// up to the `good` edge, worth watching up to the `watch` edge and poor past it, "up to"
    /// in the row's [`Direction`] (at least the edge when higher is better, at most when
    /// lower is better; a number that is not a number is poor).
    Levels {
        /// Which number is compared.
        on: Bound,
        /// The edge of good.
        good: Level,
        /// The edge of watch.
        watch: Level,
    },
}

/// Whether `synthgate drift`, re-deciding a release's gates against a new real snapshot,
/// re-scores the metric or keeps the release's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drift {
    /// Scored again: the synthetic data against the new snapshot.
    Rescore,
    /// The release's own value: the metric is about the training rows or the generation,
    /// which a new snapshot does not change.
    Keep,
}

/// What the evaluation must be given for the metric to be reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Nothing: every evaluation reports it (when computable on the data).
    Nothing,
    /// A target column (`--target`, `[evaluation] target`).
    Target,
    /// A sensitive attribute: one metric per attribute, its name in place of the id's `*`.
    SensitiveAttribute,
    /// Prompt-based generation (`synthesizer.name = "llm"` in a pipeline).
    LlmSynthesizer,
    /// A pipeline whose source is a dataset of several tables (`[source] dataset`); a pattern
    /// row stands for one metric per synthesized table, `*` its name.
    Dataset,
    /// A hybrid release (`[hybrid]` in a pipeline): synthetic rows with real training rows.
    Hybrid,
    /// An augmented release (`[augment]` in a pipeline): groups of one sensitive attribute
    /// up-sampled; a pattern row stands for that attribute, `*` its name.
    Augment,
}

/// Whose published definition a metric follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// SDMetrics 0.32 (DataCebo).
    SdMetrics,
    /// mostlyai-qa 1.10 (MOSTLY AI).
    MostlyAiQa,
    /// anonymeter 1.1 (Statice).
    Anonymeter,
    /// NIST SDNist 2.4.
    SdNist,
    /// Synthgate's own definition.
    Synthgate,
}

impl Peer {
    /// The peer and the version Synthgate's tests compare with.
    pub fn name(self) -> &'static str {
        match self {
            Peer::SdMetrics => "SDMetrics 0.32",
            Peer::MostlyAiQa => "mostlyai-qa 1.10",
            Peer::Anonymeter => "anonymeter 1.1",
            Peer::SdNist => "SDNist 2.4",
            Peer::Synthgate => "synthgate",
        }
    }
}

/// One metric's row of the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricInfo {
    /// The stable id; `*` stands for a sensitive attribute's name.
    pub id: &'static str,
    /// The part of the evaluation it belongs to (the id's first segment).
    pub family: Family,
    /// Which way it is better.
    pub direction: Direction,
    /// What a gate compares by default.
    pub gate: GateBounds,
    /// Its status bands.
    pub bands: Bands,
    /// What drift does with it.
    pub drift: Drift,
    /// What the evaluation must be given for it.
    pub needs: Needs,
    /// The peer it follows.
    pub peer: Peer,
    /// What it measures, in one line (report.json's `definition` has the full text).
    pub definition: &'static str,
}

impl MetricInfo {
    /// Whether `id` is this row's metric (for a pattern row, with any non-empty attribute).
    pub fn matches(&self, id: &str) -> bool {
        match self.id.split_once('*') {
            None => self.id == id,
            Some((head, tail)) => {
                id.len() > head.len() + tail.len() && id.starts_with(head) && id.ends_with(tail)
            }
        }
    }

    /// Whether the row stands for one metric per sensitive attribute.
    pub fn is_pattern(&self) -> bool {
        self.id.contains('*')
    }

    /// What a pattern row's `*` stands for, as `--help` shows it: `<table>` or `<attribute>`.
    pub fn placeholder(&self) -> &'static str {
        match self.needs {
            Needs::Dataset => "<table>",
            _ => "<attribute>",
        }
    }

    /// The id of this row's metric for `attribute` (the id itself when it is no pattern).
    pub fn id_for(&self, attribute: &str) -> String {
        self.id.replacen('*', attribute, 1)
    }

    /// The number a gate compares when it names no bound: for a `max` gate or a `min` one.
    pub fn gate_bound(&self, max: bool) -> Bound {
        if max { self.gate.max } else { self.gate.min }
    }

    /// The status of a metric with this row: its `value`, interval ends and holdout
    /// `reference`.
    pub fn status(
        &self,
        value: f64,
        (ci_low, ci_high): (Option<f64>, Option<f64>),
        reference: Option<f64>,
    ) -> Status {
        let Bands::Levels { on, good, watch } = self.bands else {
            return Status::Info;
        };
        let number = match on {
            Bound::Value => value,
            Bound::CiLow => ci_low.unwrap_or(value),
            Bound::CiHigh => ci_high.unwrap_or(value),
        };
        // Whether the number is within an edge; `None` when the edge needs a reference there
        // is not.
        let within = |level: Level| match level {
            Level::Open => Some(true),
            _ => level.at(reference).map(|edge| match self.direction {
                Direction::LowerIsBetter => number <= edge,
                Direction::HigherIsBetter | Direction::Informational => number >= edge,
            }),
        };
        match (within(good), within(watch)) {
            (Some(true), Some(_)) => Status::Good,
            (Some(false), Some(true)) => Status::Watch,
            (Some(false), Some(false)) => Status::Poor,
            (None, _) | (_, None) => Status::Info,
        }
    }

    /// The status bands in words, e.g. `good >= reference - 0.02, watch >= reference - 0.08,
    /// else poor` or `info`.
    pub fn describe_bands(&self) -> String {
        let Bands::Levels { on, good, watch } = self.bands else {
            return "info".to_string();
        };
        let relation = match self.direction {
            Direction::LowerIsBetter => "<=",
            Direction::HigherIsBetter | Direction::Informational => ">=",
        };
        let on = match on {
            Bound::Value => String::new(),
            bound => format!("by {} (the value without one): ", bound.name()),
        };
        let text = format!("{on}good {relation} {}", good.describe());
        if watch == Level::Open {
            format!("{text}, else watch")
        } else if watch == good {
            format!("{text}, else poor")
        } else {
            format!("{text}, watch {relation} {}, else poor", watch.describe())
        }
    }
}

/// The row of metric `id`, if the table has one.
pub fn info(id: &str) -> Option<&'static MetricInfo> {
    TABLE.iter().find(|row| row.matches(id))
}

/// The family of metric `id`: its row's, or for an id the table does not know, the family
/// its first segment names (so a report section still shows it, with no status).
pub fn family_of(id: &str) -> Option<Family> {
    info(id).map(|row| row.family).or_else(|| {
        let key = id.split_once('.').map_or(id, |(key, _)| key);
        Family::ALL.into_iter().find(|family| family.key() == key)
    })
}

/// The rows of `family`, in table order.
pub fn of_family(family: Family) -> impl Iterator<Item = &'static MetricInfo> {
    TABLE.iter().filter(move |row| row.family == family)
}

/// Fidelity against the holdout reference: good within 0.02 below it, watch within 0.08.
const BELOW_REFERENCE: Bands = Bands::Levels {
    on: Bound::Value,
    good: around_reference(-0.02),
    watch: around_reference(-0.08),
};

/// A fixed pair of edges on the value.
const fn fixed(good: f64, watch: f64) -> Bands {
    Bands::Levels {
        on: Bound::Value,
        good: Level::Fixed(good),
        watch: Level::Fixed(watch),
    }
}

/// A fidelity score in [0, 1] where higher is better, banded against the holdout reference.
const fn fidelity(id: &'static str, peer: Peer, definition: &'static str) -> MetricInfo {
    MetricInfo {
        id,
        family: Family::Fidelity,
        direction: Direction::HigherIsBetter,
        gate: VALUE,
        bands: BELOW_REFERENCE,
        drift: Drift::Rescore,
        needs: Needs::Nothing,
        peer,
        definition,
    }
}

/// A utility metric (needs a target; re-scored by drift).
const fn utility(
    id: &'static str,
    direction: Direction,
    bands: Bands,
    definition: &'static str,
) -> MetricInfo {
    MetricInfo {
        id,
        family: Family::Utility,
        direction,
        gate: VALUE,
        bands,
        drift: Drift::Rescore,
        needs: Needs::Target,
        peer: Peer::Synthgate,
        definition,
    }
}

/// A privacy risk: lower is better, a `max` gate compares the interval's upper end, and drift
/// keeps the release's value (the risk concerns the training rows).
/// A per-attribute privacy metric of the subgroup family: lower is better, gated on the upper
/// end of its interval.
const fn subgroup_privacy(
    id: &'static str,
    gate: GateBounds,
    bands: Bands,
    definition: &'static str,
) -> MetricInfo {
    MetricInfo {
        id,
        family: Family::Subgroup,
        direction: LowerIsBetter,
        gate,
        bands,
        drift: Drift::Rescore,
        needs: Needs::SensitiveAttribute,
        peer: Peer::Synthgate,
        definition,
    }
}

/// A metric of a dataset of several tables (its rows' structure across tables): scored
/// against the training tables, with the holdout tables' score as reference; drift keeps it.
const fn dataset(
    id: &'static str,
    direction: Direction,
    bands: Bands,
    peer: Peer,
    definition: &'static str,
) -> MetricInfo {
    MetricInfo {
        id,
        family: Family::Fidelity,
        direction,
        gate: VALUE,
        bands,
        drift: Drift::Keep,
        needs: Needs::Dataset,
        peer,
        definition,
    }
}

const fn privacy(
    id: &'static str,
    direction: Direction,
    bands: Bands,
    peer: Peer,
    definition: &'static str,
) -> MetricInfo {
    MetricInfo {
        id,
        family: Family::Privacy,
        direction,
        gate: RISK,
        bands,
        drift: Drift::Keep,
        needs: Needs::Nothing,
        peer,
        definition,
    }
}

/// A fact of a language model's generation, at fixed levels, kept by drift.
const fn llm(
    id: &'static str,
    direction: Direction,
    bands: Bands,
    definition: &'static str,
) -> MetricInfo {
    MetricInfo {
        id,
        family: Family::Llm,
        direction,
        gate: VALUE,
        bands,
        drift: Drift::Keep,
        needs: Needs::LlmSynthesizer,
        peer: Peer::Synthgate,
        definition,
    }
}

/// A fact of a hybrid release's composition, informational, kept by drift.
const fn hybrid(id: &'static str, definition: &'static str) -> MetricInfo {
    MetricInfo {
        id,
        family: Family::Hybrid,
        direction: Informational,
        gate: VALUE,
        bands: Bands::Info,
        drift: Drift::Keep,
        needs: Needs::Hybrid,
        peer: Peer::Synthgate,
        definition,
    }
}

/// A before/after comparison of an augmented release, per group of the augmented attribute,
/// kept by drift (drift has no "before").
const fn augment(id: &'static str, bands: Bands, definition: &'static str) -> MetricInfo {
    MetricInfo {
        id,
        family: Family::Subgroup,
        direction: LowerIsBetter,
        gate: VALUE,
        bands,
        drift: Drift::Keep,
        needs: Needs::Augment,
        peer: Peer::Synthgate,
        definition,
    }
}

/// An anonymeter attack's risk: banded by the interval's lower end at 0.02 and 0.1.
const ATTACK_RISK: Bands = Bands::Levels {
    on: Bound::CiLow,
    good: Level::Fixed(0.02),
    watch: Level::Fixed(0.1),
};

/// Every metric Synthgate reports, in the order reports list them.
pub const TABLE: &[MetricInfo] = &[
    fidelity(
        "fidelity.column_shapes",
        Peer::SdMetrics,
        "Quality Report 'Column Shapes': mean KSComplement (numbers, dates) or TVComplement \
         (categories) over the columns.",
    ),
    fidelity(
        "fidelity.column_pair_trends",
        Peer::SdMetrics,
        "Quality Report 'Column Pair Trends': mean CorrelationSimilarity or \
         ContingencySimilarity over the related column pairs.",
    ),
    fidelity(
        "fidelity.accuracy.univariate",
        Peer::MostlyAiQa,
        "Mean over columns of 1 - total variation distance of the binned values.",
    ),
    fidelity(
        "fidelity.accuracy.bivariate",
        Peer::MostlyAiQa,
        "Mean over column pairs of 1 - total variation distance of the joint bins.",
    ),
    fidelity(
        "fidelity.accuracy.overall",
        Peer::MostlyAiQa,
        "Mean of univariate, bivariate and trivariate accuracy.",
    ),
    MetricInfo {
        bands: Bands::Levels {
            on: Bound::Value,
            good: around_reference(-25.0),
            watch: around_reference(-100.0),
        },
        ..fidelity(
            "fidelity.kway_marginal",
            Peer::SdNist,
            "k-marginal score (k = 2) from 0 to 1000: 1000 = identical pair distributions.",
        )
    },
    MetricInfo {
        direction: LowerIsBetter,
        bands: Bands::Levels {
            on: Bound::Value,
            good: Level::Reference {
                times: 1.0,
                plus: 0.05,
                without: Some(0.5),
            },
            watch: Level::Fixed(0.75),
        },
        ..fidelity(
            "fidelity.detection_auc",
            Peer::Synthgate,
            "ROC AUC of boosted trees telling synthetic from training rows (SDMetrics' \
             detection folds); 0.5 = indistinguishable.",
        )
    },
    fidelity(
        "fidelity.missing_rates",
        Peer::SdMetrics,
        "Mean MissingValueSimilarity over the columns: 1 - |missing share real - synthetic|.",
    ),
    fidelity(
        "fidelity.text",
        Peer::Synthgate,
        "Free-text columns as text: TV complement of pooled shares (values at least 10 training \
         rows hold on their own, the rest in one bucket); lengths and words in the details.",
    ),
    fidelity(
        "fidelity.category_coverage",
        Peer::SdMetrics,
        "Mean CategoryCoverage: the share of training categories the synthetic data has.",
    ),
    fidelity(
        "fidelity.range_coverage",
        Peer::SdMetrics,
        "Mean RangeCoverage: how much of each training range the synthetic values span.",
    ),
    MetricInfo {
        direction: LowerIsBetter,
        bands: Bands::Levels {
            on: Bound::Value,
            good: Level::Reference {
                times: 1.5,
                plus: 0.01,
                without: Some(0.0),
            },
            watch: Level::Reference {
                times: 3.0,
                plus: 0.02,
                without: Some(0.0),
            },
        },
        ..fidelity(
            "fidelity.duplicate_rate",
            Peer::Synthgate,
            "Share of synthetic rows repeating an earlier synthetic row, at the holdout's size; \
             a collapsed generator repeats rows.",
        )
    },
    utility(
        "utility.tstr",
        HigherIsBetter,
        BELOW_REFERENCE,
        "Train on synthetic, test on real: the holdout score (ROC AUC, macro F1 or R2) of a \
         model trained on the synthetic rows.",
    ),
    utility(
        "utility.trtr",
        Informational,
        Bands::Info,
        "Train on real, test on real: the same model trained on all training rows.",
    ),
    utility(
        "utility.tstr_ratio",
        HigherIsBetter,
        fixed(0.97, 0.9),
        "utility.tstr / utility.trtr: 1 = synthetic rows train as good a model as real ones.",
    ),
    utility(
        "utility.mix_curve",
        HigherIsBetter,
        Bands::Info,
        "Mean gain in holdout score that the synthetic rows add to 1-25% of the real rows.",
    ),
    utility(
        "utility.real_share_needed",
        Informational,
        Bands::Info,
        "The share of the real training rows, added to the synthetic rows, beyond which more \
         real rows bring no significant gain in holdout score (paired bootstrap, 95%): the \
         marginal value of real data.",
    ),
    privacy(
        "privacy.dcr_share",
        LowerIsBetter,
        fixed(0.53, 0.56),
        Peer::MostlyAiQa,
        "Share of synthetic rows closer to a train sample than to an equal-size holdout \
         sample; 0.5 = no memorisation signal.",
    ),
    privacy(
        "privacy.dcr_closer_to_training",
        LowerIsBetter,
        Bands::Levels {
            on: Bound::Value,
            good: around_reference(0.03),
            watch: around_reference(0.08),
        },
        Peer::SdMetrics,
        "DCROverfittingProtection's 'closer_to_training': share of synthetic rows nearer the \
         training rows than the holdout rows.",
    ),
    privacy(
        "privacy.nndr",
        HigherIsBetter,
        Bands::Info,
        Peer::MostlyAiQa,
        "Mean nearest-neighbour distance ratio of synthetic rows to training rows; low values \
         sit on single training rows.",
    ),
    privacy(
        "privacy.exact_copy_rate",
        LowerIsBetter,
        Bands::Levels {
            on: Bound::Value,
            good: Level::Reference {
                times: 1.5,
                plus: 0.001,
                without: Some(0.0),
            },
            watch: Level::Reference {
                times: 3.0,
                plus: 0.005,
                without: Some(0.0),
            },
        },
        Peer::Synthgate,
        "Share of synthetic rows equal to a training row on every scored column.",
    ),
    privacy(
        "privacy.mia_auc",
        LowerIsBetter,
        fixed(0.53, 0.6),
        Peer::Synthgate,
        "Membership inference by distance to the closest synthetic row: ROC AUC of training \
         rows against holdout rows; 0.5 = hidden.",
    ),
    privacy(
        "privacy.density_mia_auc",
        LowerIsBetter,
        fixed(0.53, 0.6),
        Peer::Synthgate,
        "Membership inference by density ratio (DOMIAS): how much denser the synthetic data is \
         than real population rows around a candidate; ROC AUC of training rows against \
         holdout rows; 0.5 = hidden.",
    ),
    privacy(
        "privacy.singling_out_risk",
        LowerIsBetter,
        ATTACK_RISK,
        Peer::Anonymeter,
        "Singling-out attack: predicates from synthetic rows that pick out one training row, \
         beyond what they do on the holdout.",
    ),
    privacy(
        "privacy.linkability_risk",
        LowerIsBetter,
        ATTACK_RISK,
        Peer::Anonymeter,
        "Linkability attack: two column sets of a training row lead to the same synthetic \
         row, beyond the holdout's rate.",
    ),
    privacy(
        "privacy.inference_risk",
        LowerIsBetter,
        ATTACK_RISK,
        Peer::Anonymeter,
        "Inference attack: a secret column guessed from the nearest synthetic row, beyond the \
         holdout's rate.",
    ),
    MetricInfo {
        id: "subgroup.*.worst_gap",
        family: Family::Subgroup,
        direction: LowerIsBetter,
        gate: RISK,
        bands: Bands::Levels {
            on: Bound::Value,
            good: around_reference(0.02),
            watch: around_reference(0.08),
        },
        drift: Drift::Rescore,
        needs: Needs::SensitiveAttribute,
        peer: Peer::Synthgate,
        definition: "The largest 1 - column shapes of a group of the attribute against its \
                     training rows (small groups suppressed).",
    },
    subgroup_privacy(
        "subgroup.*.worst_dcr_share",
        RISK,
        fixed(0.53, 0.56),
        "The largest DCR share of a group's synthetic rows, with that group's interval (small \
         groups suppressed).",
    ),
    subgroup_privacy(
        "subgroup.*.worst_mia_auc",
        RISK,
        fixed(0.53, 0.6),
        "The largest density-ratio membership attack AUC on one group's training and holdout \
         rows, with that group's interval (small groups suppressed).",
    ),
    subgroup_privacy(
        "subgroup.*.exposed_groups",
        COUNT,
        fixed(0.0, 0.0),
        "Groups whose DCR share or membership attack interval lies wholly above the whole \
         table's: more exposed than the whole (gate max = 0).",
    ),
    augment(
        "subgroup.*.augment_utility_loss",
        fixed(0.01, 0.03),
        "The largest drop in a group's TSTR on its holdout rows from the synthetic rows before \
         augmentation to the augmented ones (negative: every group gained), with that group's \
         paired-bootstrap interval; gate max = the tolerance.",
    ),
    augment(
        "subgroup.*.augment_fidelity_loss",
        fixed(0.01, 0.03),
        "The largest drop in a group's column shapes against its training rows from before \
         augmentation to after (negative: every group gained).",
    ),
    augment(
        "subgroup.*.augment_share_gap",
        fixed(0.005, 0.02),
        "The largest distance between an up-sampled group's share of the release and the \
         share [augment] declared for it (not its share of the source).",
    ),
    hybrid(
        "hybrid.real_share",
        "A hybrid release's share of rows that are real training rows, released as they are \
         (chosen by seed, never from the holdout). They are real people's records: every \
         privacy metric here scores the synthetic rows alone, and none of them describes the \
         real ones.",
    ),
    hybrid(
        "hybrid.real_rows",
        "The number of real training rows in a hybrid release.",
    ),
    llm(
        "llm.yield",
        HigherIsBetter,
        fixed(0.8, 0.5),
        "Records produced per response (valid and distinct / responses used).",
    ),
    llm(
        "llm.exact_seed_copies",
        LowerIsBetter,
        fixed(0.0, 0.0),
        "Generated records equal to a real seed row or example on every column.",
    ),
    llm(
        "llm.near_seed_copies",
        LowerIsBetter,
        Bands::Levels {
            on: Bound::Value,
            good: Level::Fixed(0.0),
            watch: Level::Open,
        },
        "Generated records equal to a real seed row or example on every column but one.",
    ),
    llm(
        "llm.max_verbatim_overlap",
        LowerIsBetter,
        fixed(20.0, 50.0),
        "The longest text, in characters, a generated value shares with a real one.",
    ),
    llm(
        "llm.pii_records",
        LowerIsBetter,
        fixed(0.0, 0.0),
        "Generated records whose free text holds an e-mail, phone, SSN, card or IP pattern.",
    ),
    dataset(
        "fidelity.cardinality_shape",
        HigherIsBetter,
        BELOW_REFERENCE,
        Peer::SdMetrics,
        "Multi-table 'Cardinality': mean over references between synthesized tables of \
         CardinalityShapeSimilarity, 1 - KS of the children-per-parent counts.",
    ),
    dataset(
        "fidelity.parent_child_pair_trends",
        HigherIsBetter,
        BELOW_REFERENCE,
        Peer::SdMetrics,
        "Multi-table 'Intertable Trends': Column Pair Trends of every parent column with every \
         child column, on children joined to their parent, mean over the references.",
    ),
    dataset(
        "fidelity.referential_integrity",
        HigherIsBetter,
        fixed(0.99, 0.95),
        Peer::SdMetrics,
        "The lowest ReferentialIntegrity of a reference: the share of synthetic child rows \
         whose key names a synthetic (or copied public) parent row.",
    ),
    dataset(
        "fidelity.dangling_gap",
        LowerIsBetter,
        fixed(0.01, 0.03),
        Peer::Synthgate,
        "The largest gap over references between the synthetic and the training share of \
         child rows whose key is missing or names no parent row.",
    ),
    dataset(
        "fidelity.sequence_lengths",
        HigherIsBetter,
        BELOW_REFERENCE,
        Peer::Synthgate,
        "1 - KS between the training and the synthetic rows per entity of each sequence \
         table.",
    ),
    dataset(
        "fidelity.sequence_gaps",
        HigherIsBetter,
        BELOW_REFERENCE,
        Peer::Synthgate,
        "1 - KS between the training and the synthetic gaps between consecutive order values \
         (times, numbers) within an entity.",
    ),
    dataset(
        "fidelity.sequence_transitions",
        HigherIsBetter,
        BELOW_REFERENCE,
        Peer::Synthgate,
        "1 - total variation distance of the lag-1 (previous value, value) pairs of each \
         categorical column within an entity, mean over the columns.",
    ),
    dataset(
        "fidelity.sequence_autocorrelation",
        HigherIsBetter,
        BELOW_REFERENCE,
        Peer::Synthgate,
        "1 - |difference| / 2 of the lag-1 autocorrelation of each numeric column's changes \
         within an entity, mean over the columns.",
    ),
    dataset(
        "fidelity.table.*.column_shapes",
        HigherIsBetter,
        BELOW_REFERENCE,
        Peer::SdMetrics,
        "Column Shapes of one synthesized table against its training rows.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_has_exactly_one_row_and_its_family_prefix() {
        for row in TABLE {
            let instance = row.id_for("sex");
            let matching: Vec<&str> = TABLE
                .iter()
                .filter(|other| other.matches(&instance))
                .map(|other| other.id)
                .collect();
            assert_eq!(matching, [row.id], "{instance}");
            assert_eq!(info(&instance), Some(row));
            let prefix = format!("{}.", row.family.key());
            assert!(
                row.id.starts_with(&prefix),
                "{} is not under {prefix}",
                row.id
            );
            assert!(row.definition.ends_with('.'), "{}", row.id);
        }
        assert_eq!(info("privacy.dcr"), None);
        assert_eq!(family_of("privacy.dcr"), Some(Family::Privacy));
        assert_eq!(family_of("subgroup.sex.worst_gap"), Some(Family::Subgroup));
        assert_eq!(family_of("quality.score"), None);
        assert_eq!(info("subgroup..worst_gap"), None);
        assert_eq!(
            info("subgroup.a.b.worst_gap").map(|row| row.id),
            Some("subgroup.*.worst_gap")
        );
    }

    #[test]
    fn rows_are_consistent_with_themselves() {
        for row in TABLE {
            // One metric per attribute exactly when the id is a pattern (or one per table of
            // a dataset, or one for the augmented attribute).
            if row.needs == Needs::SensitiveAttribute {
                assert!(row.is_pattern(), "{}", row.id);
            }
            if row.is_pattern() {
                assert!(
                    matches!(
                        row.needs,
                        Needs::SensitiveAttribute | Needs::Dataset | Needs::Augment
                    ),
                    "{}",
                    row.id
                );
            }
            assert!(row.id.matches('*').count() <= 1, "{}", row.id);
            if let Bands::Levels { good, watch, .. } = row.bands {
                assert_ne!(row.direction, Informational, "{} has bands", row.id);
                // Good is never looser than watch, where both edges are of one kind (a
                // detection AUC near a detectable holdout is good even past the fixed 0.75).
                let same_kind = matches!(
                    (good, watch),
                    (Level::Fixed(_), Level::Fixed(_))
                        | (Level::Reference { .. }, Level::Reference { .. })
                );
                let references = if same_kind {
                    vec![None, Some(0.0), Some(0.5), Some(900.0)]
                } else {
                    Vec::new()
                };
                for reference in references {
                    if let (Some(good), Some(watch)) = (good.at(reference), watch.at(reference)) {
                        let ordered = match row.direction {
                            LowerIsBetter => good <= watch,
                            _ => good >= watch,
                        };
                        assert!(ordered, "{}: good {good}, watch {watch}", row.id);
                    }
                }
            }
        }
    }

    #[test]
    fn bands_read_as_words() {
        let row = |id| info(id).expect("a row");
        assert_eq!(
            row("fidelity.column_shapes").describe_bands(),
            "good >= reference - 0.02, watch >= reference - 0.08, else poor"
        );
        assert_eq!(
            row("privacy.inference_risk").describe_bands(),
            "by ci_low (the value without one): good <= 0.02, watch <= 0.1, else poor"
        );
        assert_eq!(
            row("privacy.exact_copy_rate").describe_bands(),
            "good <= 1.5 x reference + 0.001 (reference 0 when there is none), watch <= 3 x \
             reference + 0.005 (reference 0 when there is none), else poor"
        );
        assert_eq!(row("privacy.nndr").describe_bands(), "info");
        assert_eq!(
            row("llm.near_seed_copies").describe_bands(),
            "good <= 0, else watch"
        );
        assert_eq!(
            row("llm.pii_records").describe_bands(),
            "good <= 0, else poor"
        );
    }
}

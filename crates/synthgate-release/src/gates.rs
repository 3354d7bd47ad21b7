//! Policy gates: each gate compares one number of one metric (its value or an end of its
//! interval) with a threshold and passes, fails, or is waived by a recorded role and reason.
//! A gate whose metric is missing from the report (e.g. not computable on this data) fails,
//! saying so: a gate never passes silently.

use serde::Serialize;
use synthgate_eval::Metric;

use crate::spec::{Bound, PolicySpec};

/// A gate's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The threshold is met.
    Pass,
    /// It is not.
    Fail,
    /// It is not, and a waiver says who accepted that and why.
    Waived,
}

/// One gate's decision, as `policy/decision.json` records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateResult {
    /// The metric id.
    pub metric: String,
    /// Which number was compared.
    pub bound: Bound,
    /// `min` or `max`.
    pub kind: &'static str,
    /// The threshold.
    pub threshold: f64,
    /// The compared number (`None` when the report lacks it).
    pub observed: Option<f64>,
    /// The result.
    pub outcome: Outcome,
    /// Why, in a sentence.
    pub reason: String,
    /// The waiver's role and reason, when waived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<serde_json::Value>,
}

/// Every gate's decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The decision file's format version.
    pub format_version: u32,
    /// SHA-256 of the policy (the spec's `[policy]` section as canonical JSON).
    pub policy_sha256: String,
    /// Whether every gate passed or was waived.
    pub releasable: bool,
    /// The gates, in the policy's order.
    pub gates: Vec<GateResult>,
}

impl Decision {
    /// The gates that failed, as `metric (observed vs threshold)`.
    pub fn failures(&self) -> Vec<String> {
        self.gates
            .iter()
            .filter(|g| g.outcome == Outcome::Fail)
            .map(|g| format!("{}: {}", g.metric, g.reason))
            .collect()
    }
}

/// The compared number; a NaN (a metric that could not be computed) is no number.
fn pick(metric: &Metric, bound: Bound) -> Option<f64> {
    match bound {
        Bound::Value => Some(metric.value),
        Bound::CiLow => metric.ci_low,
        Bound::CiHigh => metric.ci_high,
    }
    .filter(|value| !value.is_nan())
}

/// Decide every gate of `policy` against the report's `metrics`.
pub fn decide(policy: &PolicySpec, metrics: &[Metric]) -> synthgate_core::Result<Decision> {
    let mut gates = Vec::new();
    for gate in &policy.gates {
        let bound = gate.bound();
        let (kind, threshold) = match (gate.min, gate.max) {
            (Some(min), _) => ("min", min),
            (None, Some(max)) => ("max", max),
            (None, None) => ("max", f64::NAN),
        };
        let observed = metrics
            .iter()
            .find(|m| m.id == gate.metric)
            .and_then(|m| pick(m, bound));
        let bound_name = bound.name();
        let (met, reason) = match observed {
            None => (
                false,
                format!("the report has no {bound_name} for this metric"),
            ),
            Some(x) => {
                let met = if kind == "min" {
                    x >= threshold
                } else {
                    x <= threshold
                };
                let relation = match (kind, met) {
                    ("min", true) => ">=",
                    ("min", false) => "<",
                    (_, true) => "<=",
                    (_, false) => ">",
                };
                (met, format!("{bound_name} {x:.4} {relation} {threshold}"))
            }
        };
        let waiver = policy.waivers.iter().find(|w| w.metric == gate.metric);
        let outcome = match (met, waiver) {
            (true, _) => Outcome::Pass,
            (false, Some(_)) => Outcome::Waived,
            (false, None) => Outcome::Fail,
        };
        gates.push(GateResult {
            metric: gate.metric.clone(),
            bound,
            kind,
            threshold,
            observed,
            outcome,
            reason,
            waiver: waiver
                .filter(|_| outcome == Outcome::Waived)
                .map(|w| serde_json::json!({ "role": w.role, "reason": w.reason })),
        });
    }
    let policy_json = synthgate_core::canonical::to_json(policy, "the policy")?;
    Ok(Decision {
        format_version: 1,
        policy_sha256: synthgate_io::sha256_bytes(&policy_json),
        releasable: gates.iter().all(|g| g.outcome != Outcome::Fail),
        gates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{GateSpec, WaiverSpec};

    fn metric(id: &str, value: f64, low: f64, high: f64) -> Metric {
        Metric {
            id: id.into(),
            value,
            ci_low: Some(low),
            ci_high: Some(high),
            holdout_reference: None,
            reference_ci_low: None,
            reference_ci_high: None,
            definition: String::new(),
            details: serde_json::Value::Null,
        }
    }

    #[test]
    fn gates_compare_the_right_bound_and_record_waivers() {
        let metrics = [
            metric("privacy.dcr_share", 0.52, 0.51, 0.56),
            metric("fidelity.column_shapes", 0.95, 0.94, 0.96),
        ];
        let gate = |metric: &str, min: Option<f64>, max: Option<f64>| GateSpec {
            metric: metric.into(),
            min,
            max,
            bound: None,
        };
        let policy = PolicySpec {
            gates: vec![
                // The value 0.52 passes 0.55, but the upper bound 0.56 does not.
                gate("privacy.dcr_share", None, Some(0.55)),
                gate("fidelity.column_shapes", Some(0.9), None),
                gate("fidelity.detection_auc", None, Some(0.7)),
            ],
            ..PolicySpec::default()
        };
        let decision = decide(&policy, &metrics).expect("finite policy");
        let outcomes: Vec<Outcome> = decision.gates.iter().map(|g| g.outcome).collect();
        assert_eq!(outcomes, [Outcome::Fail, Outcome::Pass, Outcome::Fail]);
        assert!(!decision.releasable);
        assert!(decision.gates[2].reason.contains("no value"));
        let waived = PolicySpec {
            waivers: vec![
                WaiverSpec {
                    metric: "privacy.dcr_share".into(),
                    role: "dpo".into(),
                    reason: "controlled access only".into(),
                },
                WaiverSpec {
                    metric: "fidelity.detection_auc".into(),
                    role: "data_steward".into(),
                    reason: "not computed on this data".into(),
                },
            ],
            ..policy
        };
        let decision = decide(&waived, &metrics).expect("finite policy");
        assert!(decision.releasable);
        assert_eq!(decision.gates[0].outcome, Outcome::Waived);
        assert_eq!(
            decision.gates[0].waiver.as_ref().expect("waiver")["role"],
            "dpo"
        );
        assert!(
            decision.gates[1].waiver.is_none(),
            "a passing gate needs no waiver"
        );
    }
}

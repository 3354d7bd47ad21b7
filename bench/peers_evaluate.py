"""Times the peers' own packages on the parts of Synthgate's evaluation harness they cover, on
the same files `synthgate evaluate` scores (bench/evaluate runs both and prints the ratio).

Parts (one process per package set, as each needs its own environment):
- sdmetrics: SDMetrics 0.32 QualityReport (column shapes, column pair trends),
  DCROverfittingProtection on the full sets, and the single-column coverage metrics
  (sdmetrics-quality: without the DCR; sdmetrics-dcr-1000: the DCR of 1,000 synthetic rows);
- mostlyai-qa: mostlyai-qa 1.10 report() (accuracy, similarity, distances / DCR share);
- anonymeter: anonymeter 1.1 singling out (multivariate, 500 attacks), linkability (2000
  attacks) and inference (secret = income, 2000 attacks).

Usage: python bench/peers_evaluate.py PART TRAIN HOLDOUT SYNTHETIC
Prints one JSON object: {"part": ..., "seconds": ...}.
"""

import json
import sys
import tempfile
import time

from adult_tables import NUMERIC, load

def sdmetrics_part(train, holdout, synthetic, dcr_rows=None):
    from sdmetrics.reports.single_table import QualityReport
    from sdmetrics.single_column import CategoryCoverage, MissingValueSimilarity, RangeCoverage
    from sdmetrics.single_table import DCROverfittingProtection

    metadata = {
        "columns": {
            c: {"sdtype": "numerical" if c in NUMERIC else "categorical"} for c in train.columns
        }
    }
    report = QualityReport()
    report.generate(train, synthetic[train.columns], metadata, verbose=False)
    for column in train.columns:
        MissingValueSimilarity.compute(train[column], synthetic[column])
        if column in NUMERIC:
            RangeCoverage.compute(train[column], synthetic[column])
        else:
            CategoryCoverage.compute(train[column], synthetic[column])
    if dcr_rows == 0:
        return
    DCROverfittingProtection.compute_breakdown(
        real_training_data=train,
        synthetic_data=synthetic if dcr_rows is None else synthetic.iloc[:dcr_rows],
        real_validation_data=holdout,
        metadata=metadata,
        table_name=None,
    )


def mostlyai_qa_part(train, holdout, synthetic):
    from mostlyai import qa

    with tempfile.TemporaryDirectory() as folder:
        qa.report(
            syn_tgt_data=synthetic,
            trn_tgt_data=train,
            hol_tgt_data=holdout,
            report_path=f"{folder}/report.html",
        )


def anonymeter_part(train, holdout, synthetic):
    from anonymeter.evaluators import (
        InferenceEvaluator,
        LinkabilityEvaluator,
        SinglingOutEvaluator,
    )

    SinglingOutEvaluator(ori=train, syn=synthetic, control=holdout, n_attacks=500).evaluate(
        mode="multivariate"
    )
    columns = list(train.columns)
    half = (len(columns) + 1) // 2
    LinkabilityEvaluator(
        ori=train,
        syn=synthetic,
        control=holdout,
        aux_cols=(columns[:half], columns[half:]),
        n_attacks=2000,
    ).evaluate(n_jobs=-2)
    InferenceEvaluator(
        ori=train,
        syn=synthetic,
        control=holdout,
        aux_cols=[c for c in columns if c != "income"],
        secret="income",
        n_attacks=2000,
    ).evaluate(n_jobs=-2)


PARTS = {
    "sdmetrics": sdmetrics_part,
    # The quality report and coverage metrics only.
    "sdmetrics-quality": lambda t, h, s: sdmetrics_part(t, h, s, dcr_rows=0),
    # Exact DCR of the first 1,000 synthetic rows against the full train and holdout sets (the
    # full run scales with the synthetic rows).
    "sdmetrics-dcr-1000": lambda t, h, s: sdmetrics_part(t, h, s, dcr_rows=1000),
    "mostlyai-qa": mostlyai_qa_part,
    "anonymeter": anonymeter_part,
}


def main():
    part, train, holdout, synthetic = sys.argv[1:5]
    train, holdout, synthetic = load(train), load(holdout), load(synthetic)
    start = time.perf_counter()
    PARTS[part](train, holdout, synthetic)
    print(json.dumps({"part": part, "seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    main()

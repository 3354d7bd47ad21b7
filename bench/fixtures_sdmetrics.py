"""Reference numbers for the evaluation harness's tests, computed by SDMetrics' own package.

Writes crates/synthgate-eval/tests/it/fixtures/sdmetrics_adult.json: SDMetrics 0.32.0 Quality
Report (Column Shapes with per-column scores, Column Pair Trends) on fixed real tables from the
Adult split (bench/adult_split.py must have written bench/out/ first):
- train_vs_holdout: the train split as real, the holdout as synthetic;
- holdout_vs_train_head: the holdout as real, the first 5,000 train rows as synthetic;
plus, per column, MissingValueSimilarity, CategoryCoverage and RangeCoverage.
Usage (from bench/): ../bench/.venv-eval/bin/python fixtures_sdmetrics.py
"""

import json

import sdmetrics
from sdmetrics.reports.single_table import QualityReport
from sdmetrics.single_column import CategoryCoverage, MissingValueSimilarity, RangeCoverage

from score import NUMERIC, load, metadata


def main():
    train = load("out/adult_train.csv")
    holdout = load("out/adult_holdout.csv")
    cases = {
        "train_vs_holdout": (train, holdout),
        "holdout_vs_train_head": (holdout, train.iloc[:5000]),
    }
    out = {"sdmetrics_version": sdmetrics.__version__, "cases": {}}
    for name, (real, synthetic) in cases.items():
        report = QualityReport()
        report.generate(real, synthetic[real.columns], metadata(real), verbose=False)
        properties = report.get_properties().set_index("Property")["Score"]
        details = report.get_details("Column Shapes")
        out["cases"][name] = {
            "column_shapes": float(properties["Column Shapes"]),
            "column_pair_trends": float(properties["Column Pair Trends"]),
            "columns": {row.Column: float(row.Score) for row in details.itertuples()},
            "missing_value_similarity": {
                c: float(MissingValueSimilarity.compute(real[c], synthetic[c])) for c in real.columns
            },
            "category_coverage": {
                c: float(CategoryCoverage.compute(real[c], synthetic[c]))
                for c in real.columns
                if c not in NUMERIC
            },
            "range_coverage": {
                c: float(RangeCoverage.compute(real[c], synthetic[c])) for c in NUMERIC
            },
        }
    path = "../crates/synthgate-eval/tests/it/fixtures/sdmetrics_adult.json"
    with open(path, "w") as file:
        json.dump(out, file, indent=1)
        file.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

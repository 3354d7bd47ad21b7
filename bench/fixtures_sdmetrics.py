"""Reference numbers for the evaluation harness's tests, computed by SDMetrics' own package.

Writes crates/synthgate-eval/tests/it/fixtures/sdmetrics_adult.json: SDMetrics 0.32.0 Quality
Report (Column Shapes with per-column scores, Column Pair Trends) on fixed real tables from the
Adult split (bench/adult_split.py must have written bench/out/ first):
- train_vs_holdout: the train split as real, the holdout as synthetic;
- holdout_vs_train_head: the holdout as real, the first 5,000 train rows as synthetic;
- train_vs_sdv_gaussian_copula, train_vs_mostlyai_argn: the train split as real, the peers'
  anchor outputs (crates/synthgate-eval/tests/it/fixtures/*.parquet) as synthetic;
plus, per column, MissingValueSimilarity, CategoryCoverage and RangeCoverage.
Usage (from bench/): ../bench/.venv-eval/bin/python fixtures_sdmetrics.py
"""

import json

import sdmetrics
from sdmetrics.reports.single_table import QualityReport
from sdmetrics.single_column import CategoryCoverage, MissingValueSimilarity, RangeCoverage

from adult_tables import NUMERIC, anchor, load
from score import metadata


def main():
    train = load("out/adult_train.csv")
    holdout = load("out/adult_holdout.csv")
    cases = {
        "train_vs_holdout": (train, holdout),
        "holdout_vs_train_head": (holdout, train.iloc[:5000]),
        "train_vs_sdv_gaussian_copula": (train, anchor("adult_sdv_gaussian_copula.parquet")),
        "train_vs_mostlyai_argn": (train, anchor("adult_mostlyai_argn.parquet")),
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


if __name__ == "__main__" and "--dcr" not in __import__("sys").argv:
    main()


def dcr_cases():
    """SDMetrics' DCROverfittingProtection breakdown on fixed real tables (no subsampling)."""
    from sdmetrics.single_table import DCROverfittingProtection

    import numpy

    # The holdout in file order, as the Rust test builds it (adult_split.py writes it in
    # permutation order).
    data = load("../../shared/datasets/adult/data.csv")
    order = numpy.random.default_rng(0).permutation(32561)
    train = data.iloc[order[:26049]]
    holdout = data.iloc[numpy.sort(order[26049:])]
    meta = metadata(train)
    cases = {
        # "synthetic" = real rows the train sample never saw: about half closer to train.
        "holdout_head": (train.iloc[:2000], holdout.iloc[:1000], holdout.iloc[1000:3000]),
        # "synthetic" = copies of training rows: all closer to train.
        "train_copies": (train.iloc[:2000], train.iloc[:1000], holdout.iloc[1000:3000]),
        # "synthetic" = the first 1,000 rows of SDV's Gaussian-copula output.
        "sdv_head": (
            train.iloc[:2000],
            anchor("adult_sdv_gaussian_copula.parquet").iloc[:1000],
            holdout.iloc[1000:3000],
        ),
    }
    out = {}
    for name, (training, synthetic, validation) in cases.items():
        result = DCROverfittingProtection.compute_breakdown(
            real_training_data=training.reset_index(drop=True),
            synthetic_data=synthetic.reset_index(drop=True),
            real_validation_data=validation.reset_index(drop=True),
            metadata=meta,
            table_name=None,
        )
        out[name] = result["synthetic_data_percentages"]["closer_to_training"]
    return out


if __name__ == "__main__" and "--dcr" in __import__("sys").argv:
    path = "../crates/synthgate-eval/tests/it/fixtures/sdmetrics_adult.json"
    with open(path) as file:
        data = json.load(file)
    data["dcr_closer_to_training"] = dcr_cases()
    with open(path, "w") as file:
        json.dump(data, file, indent=1)
        file.write("\n")
    print(data["dcr_closer_to_training"])

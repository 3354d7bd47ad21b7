"""SDMetrics column shapes of a conditional sample against the real rows of that subgroup.

Usage: python bench/subgroup.py TRAIN SYNTHETIC COLUMN VALUE
Prints the Column Shapes score over every column but COLUMN (SDMetrics 0.32 Quality Report).
"""

import sys

from score import NUMERIC, load, metadata
from sdmetrics.reports.single_table import QualityReport


def main():
    train_path, synthetic_path, column, value = sys.argv[1:5]
    real = load(train_path)
    synthetic = load(synthetic_path)
    assert (synthetic[column] == value).all(), "a row breaks the condition"
    real = real[real[column] == value].drop(columns=[column])
    synthetic = synthetic.drop(columns=[column])
    report = QualityReport()
    report.generate(real, synthetic[real.columns], metadata(real), verbose=False)
    shapes = report.get_properties().set_index("Property")["Score"]["Column Shapes"]
    print(f"{shapes:.4f}")


if __name__ == "__main__":
    assert all(name for name in NUMERIC)
    main()

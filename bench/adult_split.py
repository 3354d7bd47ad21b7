"""Writes the Adult train / holdout split every issue measures on.

train = the rows at positions numpy.random.default_rng(0).permutation(32561)[:26049],
holdout = the other 6,512. Only this script is kept in the repository, never the data.
Usage: python bench/adult_split.py DATASETS_DIR OUT_DIR
"""

import os
import sys

import numpy
import pandas


def main():
    datasets, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    data = pandas.read_csv(os.path.join(datasets, "adult", "data.csv"), dtype=str, keep_default_na=False)
    assert len(data) == 32561, len(data)
    order = numpy.random.default_rng(0).permutation(32561)
    train, holdout = data.iloc[order[:26049]], data.iloc[order[26049:]]
    train.to_csv(os.path.join(out, "adult_train.csv"), index=False)
    holdout.to_csv(os.path.join(out, "adult_holdout.csv"), index=False)
    print(f"train {len(train)} rows, holdout {len(holdout)} rows -> {out}")


if __name__ == "__main__":
    main()

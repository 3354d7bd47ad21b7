"""Fits smartnoise-synth's MST or AIM on the Adult training split with public domains, samples
a synthetic table and writes it as CSV (missing written `?`, as bench/adult_split.py does).

Public domains: every column gets an explicit smartnoise transformer built from Synthgate's
schema file (`synthgate inspect --public-domains --schema-out`), so the preprocessor spends no
budget (preprocessor_eps=0.0 and the script checks the odometer stayed at 0):

* numeric columns: smartnoise's own BinTransformer(lower=min, upper=max) from the schema, with
  smartnoise's default bin count (10, overridable with --bins); smartnoise writes a bin's
  midpoint back, which this script rounds to an integer (the schema says int64);
* categorical columns: a LabelTransformer subclass whose categories are the schema's list
  (smartnoise's LabelTransformer learns its categories from the data, without spending budget),
  plus a missing level where the schema gives a `missing_token` for the column; a value outside
  the list counts as missing.

Timing: `fit_seconds` / `sample_seconds` are perf_counter around smartnoise's fit() and sample()
calls only (no imports, no CSV I/O). bench/dp/dp.py also times this whole process.

Usage: python bench/dp/smartnoise_adult.py {mst,aim} TRAIN SCHEMA OUT_CSV
           [--epsilon 1] [--delta 1e-9] [--rows N] [--bins 10]
Prints one JSON line.
"""

import argparse
import json
import math
import os
import sys
import time
import tomllib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy  # noqa: E402
import pandas  # noqa: E402
from snsynth import Synthesizer  # noqa: E402
from snsynth.transform import BinTransformer, LabelTransformer, TableTransformer  # noqa: E402

from adult_tables import load  # noqa: E402


class PublicLabelTransformer(LabelTransformer):
    """smartnoise's LabelTransformer with a fixed, public category list (fitting learns nothing)."""

    def __init__(self, categories, nullable):
        self.public = sorted(categories)
        self.nullable = nullable
        super().__init__(nullable=nullable)

    def _clear_fit(self):
        self._reset_fit()
        self.categories = list(self.public)
        if self.nullable:
            self.categories.append(None)
        self.labels = {value: index for index, value in enumerate(self.categories)}
        self.category = len(self.categories)
        self._fit_complete = True
        self.output_width = 1

    def _fit(self, val):
        pass

    def _fit_finish(self):
        self._fit_complete = True
        self.output_width = 1

    def _transform(self, val):
        if val is None or (isinstance(val, float) and math.isnan(val)) or val not in self.labels:
            if not self.nullable:
                raise ValueError(f"value {val!r} outside the public categories of a column without missing values")
            return self.labels[None]
        return self.labels[val]


def transformer(schema, columns, bins):
    by_name = {column["name"]: column for column in schema["columns"]}
    parts, numeric = [], []
    for name in columns:
        column = by_name[name]
        if "categories" in column:
            parts.append(PublicLabelTransformer(column["categories"], nullable="missing_token" in column))
        elif "min" in column and "max" in column:
            parts.append(BinTransformer(bins=bins, lower=column["min"], upper=column["max"], nullable=False))
            numeric.append(name)
        else:
            raise SystemExit(f"column {name}: the schema gives neither categories nor min/max")
    return TableTransformer(parts), numeric


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("synth", choices=["mst", "aim"])
    parser.add_argument("train")
    parser.add_argument("schema")
    parser.add_argument("out")
    parser.add_argument("--epsilon", type=float, default=1.0)
    parser.add_argument("--delta", type=float, default=1e-9)
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--bins", type=int, default=10)
    args = parser.parse_args()

    with open(args.schema, "rb") as handle:
        schema = tomllib.load(handle)
    assert schema.get("public_domains") is True, "the schema must say public_domains = true"
    train = load(args.train)
    table, numeric = transformer(schema, list(train.columns), args.bins)
    rows = args.rows or len(train)

    synth = Synthesizer.create(args.synth, epsilon=args.epsilon, delta=args.delta)
    start = time.perf_counter()
    synth.fit(train, transformer=table, preprocessor_eps=0.0)
    fitted = time.perf_counter()
    synthetic = synth.sample(rows)
    sampled = time.perf_counter()

    spent = float(table.odometer.spent[0])
    assert spent == 0.0, f"the preprocessor spent epsilon {spent}"
    assert synth.epsilon == args.epsilon, (synth.epsilon, args.epsilon)

    synthetic = pandas.DataFrame(synthetic, columns=train.columns)
    for name in numeric:
        synthetic[name] = numpy.rint(synthetic[name].astype(float)).astype("int64")
    synthetic.to_csv(args.out, index=False, na_rep="?")

    print(json.dumps({
        "synthesizer": f"smartnoise-synth {args.synth}",
        "epsilon": args.epsilon,
        "delta": args.delta,
        "preprocessor_epsilon": spent,
        "bins": args.bins,
        "rows": len(synthetic),
        "fit_seconds": round(fitted - start, 3),
        "sample_seconds": round(sampled - fitted, 3),
        "fit_sample_seconds": round(sampled - start, 3),
    }))


if __name__ == "__main__":
    main()

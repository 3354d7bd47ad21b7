"""Classifier two-sample test (C2ST) of synthetic tables against real training rows, exactly as
issue 13 defines it, so every generator is scored the same way:

- equal numbers of real training rows and synthetic rows, the smaller count, each table
  subsampled with a fresh numpy.random.default_rng(0) (its permutation's first rows);
- categorical (text) columns as pandas `category` dtype, or frequency-coded (each value replaced
  by its share of the combined rows) above 250 levels; text timestamps parsed to seconds;
- sklearn HistGradientBoostingClassifier(random_state=k, categorical_features="from_dtype"),
  otherwise at its defaults, k the fold's index, in StratifiedKFold(5, shuffle=True,
  random_state=0);
- the out-of-fold ROC AUC (0.5: the classifier cannot tell synthetic from real).

Also prints what the detector uses most: permutation importance (ROC AUC drop, 3 repeats,
random_state=0) on each fold's held-out rows, averaged over the folds; and, outside the test, the
share of each table's rows (all of them) that are an exact copy of a training row.

Usage: python bench/c2st/c2st.py TRAIN.csv NAME=SYNTHETIC.csv [NAME=SYNTHETIC.csv ...]
       [--na TOKEN ...] [--importance N]
Prints one line per table: name, rows compared, AUC, exact copies; then what each detector
uses most.
"""

import argparse
import sys

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

MAX_LEVELS = 250


def read(path, na):
    return pd.read_csv(path, na_values=na, keep_default_na=True, low_memory=False)


def subsample(frame, rows):
    order = np.random.default_rng(0).permutation(len(frame))[:rows]
    return frame.iloc[order].reset_index(drop=True)


def is_timestamp(series):
    values = series.dropna().astype(str)
    if values.empty or not values.str.contains(r"\d{4}-\d{2}-\d{2}", regex=True).all():
        return False
    parsed = pd.to_datetime(values, errors="coerce", utc=True)
    return parsed.notna().mean() > 0.99


def features(real, synthetic):
    """The combined frame (real first) with the issue's column treatment, and the labels."""
    data = pd.concat([real, synthetic], ignore_index=True)
    for name in data.columns:
        column = data[name]
        if column.dtype == object:
            if is_timestamp(column):
                parsed = pd.to_datetime(column, errors="coerce", utc=True)
                data[name] = (parsed - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds()
            elif column.nunique(dropna=True) > MAX_LEVELS:
                shares = column.value_counts(normalize=True, dropna=False)
                data[name] = column.map(shares).astype(float)
            else:
                data[name] = column.astype("category")
        elif str(column.dtype) == "bool":
            data[name] = column.astype("category")
    labels = np.r_[np.zeros(len(real), dtype=int), np.ones(len(synthetic), dtype=int)]
    return data, labels


def exact_copies(train, synthetic):
    """The share of the synthetic rows equal in every column to some training row (values as read;
    numbers compared as numbers, anything else as text)."""
    real, fake = train.copy(), synthetic[train.columns].copy()
    for name in train.columns:
        if pd.api.types.is_numeric_dtype(real[name]) and pd.api.types.is_numeric_dtype(fake[name]):
            real[name], fake[name] = real[name].astype(float), fake[name].astype(float)
        else:
            real[name], fake[name] = real[name].astype(str), fake[name].astype(str)
    real = real.drop_duplicates()
    found = fake.merge(real, how="left", on=list(train.columns), indicator=True)["_merge"]
    return (found == "both").mean()


def c2st(train, synthetic, importance):
    rows = min(len(train), len(synthetic))
    real, fake = subsample(train, rows), subsample(synthetic[train.columns], rows)
    data, labels = features(real, fake)
    predictions = np.zeros(len(data))
    drops = pd.Series(0.0, index=data.columns)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    for k, (fit_rows, test_rows) in enumerate(folds.split(data, labels)):
        model = HistGradientBoostingClassifier(random_state=k, categorical_features="from_dtype")
        model.fit(data.iloc[fit_rows], labels[fit_rows])
        predictions[test_rows] = model.predict_proba(data.iloc[test_rows])[:, 1]
        if importance:
            result = permutation_importance(
                model,
                data.iloc[test_rows],
                labels[test_rows],
                scoring="roc_auc",
                n_repeats=3,
                random_state=0,
            )
            drops += pd.Series(result.importances_mean, index=data.columns) / 5
    return rows, roc_auc_score(labels, predictions), drops.sort_values(ascending=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("train")
    parser.add_argument("synthetic", nargs="+", help="NAME=PATH")
    parser.add_argument("--na", action="append", default=[])
    parser.add_argument("--importance", type=int, default=5)
    args = parser.parse_args()
    train = read(args.train, args.na)
    tables = []
    for item in args.synthetic:
        name, _, path = item.partition("=")
        if not path:
            sys.exit(f"c2st: '{item}' is not NAME=PATH")
        tables.append((name, read(path, args.na)))
    width = max(24, *(len(name) for name, _ in tables))
    print(f"{'table':<{width}} {'rows':>7} {'C2ST AUC':>9} {'copies':>7}")
    importances = []
    for name, synthetic in tables:
        missing = [c for c in train.columns if c not in synthetic.columns]
        if missing:
            sys.exit(f"c2st: {name} lacks the training columns {missing}")
        rows, auc, drops = c2st(train, synthetic, args.importance > 0)
        copies = exact_copies(train, synthetic)
        print(f"{name:<{width}} {rows:>7} {auc:>9.3f} {copies:>7.2%}", flush=True)
        importances.append((name, drops))
    if args.importance > 0:
        for name, drops in importances:
            top = ", ".join(f"{c} {v:.3f}" for c, v in drops.head(args.importance).items())
            print(f"uses most ({name}): {top}")


if __name__ == "__main__":
    main()

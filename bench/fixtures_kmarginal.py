"""Reference k-marginal scores for the evaluation harness's tests, computed by NIST SDNist's own class.

Writes crates/synthgate-eval/tests/it/fixtures/sdnist_kmarginal_adult.json with scores from
sdnist 2.4 (PyPI `sdnist==2.4`), class sdnist.metrics.kmarginal.KMarginal (all 2-way marginals,
score = (2 - mean total-variation-sum) * 500), no group feature, on:
- train_vs_holdout: target = bench/out/adult_train.csv, deid = bench/out/adult_holdout.csv;
- train_vs_sdv_gaussian_copula: target = the same train split, deid =
  crates/synthgate-eval/tests/it/fixtures/adult_sdv_gaussian_copula.parquet.

Pre-processing, applied identically to both tables (SDNist's KMarginal only groups by raw values):
- the numeric columns (NUMERIC below) are cut into 10 equal-width bins over the TRAIN column's
  [lo, hi] = [min, max]: bin = floor((x - lo) * 10 / (hi - lo)), then clipped to [0, 9] (so
  x == hi lands in bin 9, and deid values outside the train range go to bin 0 or 9); the
  quotient is computed in float64 exactly as written (multiply by 10 first, then divide);
- missing values (CSV "?" / empty, parquet null), numeric or categorical, become their own
  category "__NA__" (as SDNist's report pipeline does with its -1 "N" bin), in the "na_as_category"
  numbers. The "na_dropped" numbers leave them as NaN instead, which pandas' groupby silently
  drops from the counts while the denominator stays the full row count (what KMarginal does when
  given frames with NaNs).
All 15 Adult columns (income included) take part; 15 columns -> 105 pairs.

Usage (from /work/main):
  python3 -m venv bench/.venv-sdnist && bench/.venv-sdnist/bin/pip install sdnist==2.4
  bench/.venv-sdnist/bin/python bench/fixtures_kmarginal.py
(bench/out/adult_*.csv come from `bench/.venv-eval/bin/python bench/adult_split.py ../shared/datasets bench/out`.)
"""

import json
from pathlib import Path

import numpy as np
import pandas
import sdnist.report  # noqa: F401  (must come first: importing sdnist.metrics.kmarginal directly hits a circular import in 2.4)
import sdnist.version
from sdnist.metrics.kmarginal import KMarginal

from adult_tables import NUMERIC, load

ROOT = Path(__file__).resolve().parent.parent
N_BINS = 10
NA = "__NA__"
OUT = ROOT / "crates/synthgate-eval/tests/it/fixtures/sdnist_kmarginal_adult.json"


def ranges(train):
    return {c: (float(train[c].min()), float(train[c].max())) for c in NUMERIC}


def discretise(frame, rng, na_as_category):
    out = pandas.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        if column in NUMERIC:
            lo, hi = rng[column]
            x = values.astype("float64").to_numpy()
            idx = np.floor((x - lo) * N_BINS / (hi - lo))
            idx = np.clip(idx, 0, N_BINS - 1)
            binned = pandas.Series(idx, index=frame.index).map(
                lambda v: None if np.isnan(v) else f"b{int(v)}"
            )
        else:
            binned = values.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
        if na_as_category:
            binned = binned.where(binned.notna(), NA)
        out[column] = binned.astype("object")
    return out


def score(target, deid):
    km = KMarginal(target, deid[target.columns])
    value = float(km.compute_score())
    per_pair = {}
    for pair in km.marginal_pairs():
        _, _, diff = km.marginal_densities(km.td, pair)
        per_pair["|".join(pair)] = float(diff.sum())
    return value, len(km.marginals), per_pair


def main():
    train = load(ROOT / "bench/out/adult_train.csv")
    deids = {
        "train_vs_holdout": load(ROOT / "bench/out/adult_holdout.csv"),
        "train_vs_sdv_gaussian_copula": load(
            ROOT / "crates/synthgate-eval/tests/it/fixtures/adult_sdv_gaussian_copula.parquet"
        ),
    }
    rng = ranges(train)
    out = {
        "sdnist_version": sdnist.version.__version__,
        "metric": "sdnist.metrics.kmarginal.KMarginal (k=2, all pairs, no group), score=(2-mean_tvd_sum)*500",
        "binning": {
            "rule": "bin=clip(floor((x-lo)*10/(hi-lo)),0,9), lo/hi = train min/max, float64",
            "ranges": {c: list(v) for c, v in rng.items()},
        },
        "columns": list(train.columns),
        "cases": {},
    }
    for name, deid in deids.items():
        case = {"deid_rows": int(len(deid)), "target_rows": int(len(train))}
        for variant, na_cat in (("na_as_category", True), ("na_dropped", False)):
            t = discretise(train, rng, na_cat)
            d = discretise(deid, rng, na_cat)
            value, n_pairs, per_pair = score(t, d)
            case[variant] = {"score": value, "n_marginals": n_pairs, "tvd_sum_per_pair": per_pair}
        out["cases"][name] = case
        print(name, {v: case[v]["score"] for v in ("na_as_category", "na_dropped")})
    OUT.write_text(json.dumps(out, indent=1, sort_keys=False) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()

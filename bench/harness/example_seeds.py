#!/usr/bin/env python3
"""One privacy metric of an example pipeline over many synthesizer seeds.

A gate on a noisy estimate passes or fails with the seed; this runs the example once per
seed (its `[synthesizer] seed` replaced, everything else as shipped) and prints, per seed, the
metric's risk, the upper end of its interval (what a `max` gate compares), the attack and
control success rates behind it, and whether the example's gate on it passed; then the means
and the number of seeds failing. Standard library only.

    python3 bench/harness/example_seeds.py --synthgate BIN [--example examples/nhefs]
        [--metric privacy.inference_risk] [--seeds 0-19] [--out DIR]

BENCHMARKS.md's "Few-valued numeric columns" section records its output for two samplers.
"""

import argparse
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile


def seeds(text):
    if "-" in text:
        low, high = text.split("-", 1)
        return list(range(int(low), int(high) + 1))
    return [int(part) for part in text.split(",")]


def find(node, metric):
    if isinstance(node, dict):
        if node.get("id") == metric:
            return node
        node = list(node.values())
    if isinstance(node, list):
        for child in node:
            found = find(child, metric)
            if found is not None:
                return found
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthgate", required=True, help="the synthgate binary")
    parser.add_argument("--example", default="examples/nhefs", help="example directory")
    parser.add_argument("--metric", default="privacy.inference_risk")
    parser.add_argument("--seeds", type=seeds, default=seeds("0-19"), help="0-19 or 1,2,7")
    parser.add_argument("--out", help="keep the bundles here (default: a temporary directory)")
    args = parser.parse_args()

    example = pathlib.Path(args.example).resolve()
    spec = (example / "pipeline.toml").read_text()
    section = re.search(r"(?ms)^\[synthesizer\]\n(.*?)(?=^\[)", spec)
    if section is None or not re.search(r"(?m)^seed = \d+$", section.group(1)):
        sys.exit(f"{example / 'pipeline.toml'}: no `seed = N` under [synthesizer]")
    gate = re.search(
        r'(?m)^metric = "' + re.escape(args.metric) + r'"\nmax = ([0-9.]+)$', spec
    )
    limit = float(gate.group(1)) if gate else None

    work = pathlib.Path(args.out or tempfile.mkdtemp(prefix="example-seeds-"))
    work.mkdir(parents=True, exist_ok=True)
    copy = work / "example"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(example, copy)

    print(f"{args.metric} of {example.name} (gate: max {limit}), synthesizer seeds {args.seeds}")
    print("seed | risk | ci_high | attack rate | control rate | gate")
    rows = []
    for seed in args.seeds:
        start, end = section.span(1)
        body = re.sub(r"(?m)^seed = \d+$", f"seed = {seed}", section.group(1))
        (copy / "pipeline.toml").write_text(spec[:start] + body + spec[end:])
        bundle = work / f"seed-{seed}"
        run = subprocess.run(
            [args.synthgate, "run", str(copy / "pipeline.toml"), "--out", str(bundle), "--force"],
            capture_output=True,
            text=True,
        )
        report = bundle / "report" / "report.json"
        if not report.exists():
            sys.exit(f"seed {seed}: no report\n{run.stderr}")
        metric = find(json.loads(report.read_text()), args.metric)
        if metric is None:
            sys.exit(f"seed {seed}: {args.metric} not in {report}")
        details = metric.get("details", {})
        row = (
            metric["value"],
            metric["ci_high"],
            details["attack_rate"]["value"],
            details["control_rate"]["value"],
        )
        passed = limit is None or row[1] <= limit
        rows.append((row, passed))
        print(f"{seed} | {row[0]:.3f} | {row[1]:.3f} | {row[2]:.3f} | {row[3]:.3f} | "
              f"{'pass' if passed else 'FAIL'}")
    count = len(rows)
    means = [sum(r[0][i] for r in rows) / count for i in range(4)]
    print(f"mean | {means[0]:.3f} | {means[1]:.3f} | {means[2]:.3f} | {means[3]:.3f} | "
          f"{sum(not p for _, p in rows)} of {count} fail")


if __name__ == "__main__":
    main()

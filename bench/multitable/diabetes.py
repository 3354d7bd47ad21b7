"""Patients and their encounters (diabetes130): Synthgate's `dataset synth` against SDV 2.0's
HMASynthesizer on the same split, both scored by SDMetrics 0.32's own multi-table QualityReport.

The split is by patient, never by row: the distinct patient_nbr values, sorted, are shuffled
with numpy.random.default_rng(0) and the first 80% are training patients (all their
encounters), the rest the holdout. The training encounters are written as one CSV, and
Synthgate splits it into patients (patient_nbr, race, gender: each patient's first encounter's
values) and encounters by its dataset file alone (examples/diabetes-encounters/dataset.toml's
layout); SDV receives the same two tables, split here the same way, with the metadata SDV's
detect_from_dataframes finds, corrected to the real keys (patient_nbr and encounter_id ids,
the foreign key encounters.patient_nbr -> patients.patient_nbr).

SDMetrics scores column pairs of tables above 50,000 rows on random 50,000-row subsamples;
numpy's global generator is seeded (0) before each report so the scores reproduce. On this
split the Intertable Trends property counts a single pair (gender x diag_3, whose real
association is near SDMetrics' 0.3 threshold only because diag_3 has ~700 sparse levels), so
an unseeded run can report it as NaN.

Reported per synthesizer: fit + sample seconds (wall clock, the two run one after the other on
the same machine), SDMetrics' QualityReport overall score and its four properties (Column
Shapes, Column Pair Trends, Cardinality, Intertable Trends), referential integrity, and privacy
at the entity level: every patient with all their encounters as one record (`synthgate dataset
entities`), training, holdout and synthetic patients scored by `synthgate evaluate` (its DCR
share: the share of synthetic patients closer to a training patient than to a holdout one,
equal-sized samples; 0.5 is ideal).

Usage: bench/.venv-eval/bin/python bench/multitable/diabetes.py --synthgate BIN [--seeds N]
       [--no-hma] [--out DIR] [--rescore]

Parent-child pair trends are also reported as bench/multitable/flights.py computes them: every
encounter joined to its patient, SDMetrics' ColumnPairTrends over all rows (no subsample) on
the pairs of one patient column and one encounter column, keys left out: over all such pairs,
and over those whose real association passes 0.3.
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
sys.path.insert(0, HERE)
ROOT = os.path.join(HERE, "..", "..")


def split(datasets, out):
    data = pd.read_csv(os.path.join(datasets, "diabetes130", "data.csv"), na_values=["?"],
                       keep_default_na=False, low_memory=False)
    patients = np.sort(data["patient_nbr"].unique())
    rng = np.random.default_rng(0)
    rng.shuffle(patients)
    train_ids = set(patients[: int(0.8 * len(patients))].tolist())
    is_train = data["patient_nbr"].isin(train_ids)
    raw = pd.read_csv(os.path.join(datasets, "diabetes130", "data.csv"), dtype=str,
                      keep_default_na=False)
    os.makedirs(out, exist_ok=True)
    raw[is_train.values].to_csv(os.path.join(out, "train.csv"), index=False)
    raw[~is_train.values].to_csv(os.path.join(out, "holdout.csv"), index=False)
    return data[is_train.values].reset_index(drop=True), data[~is_train.values].reset_index(drop=True)


def two_tables(encounters):
    """patients (first encounter's race and gender, in encounter_id order) and encounters."""
    ordered = encounters.sort_values("encounter_id", kind="stable")
    patients = ordered.groupby("patient_nbr", sort=True, as_index=False).first()[
        ["patient_nbr", "race", "gender"]]
    return {"patients": patients, "encounters": encounters.drop(columns=["race", "gender"])}


def metadata_for(tables):
    from sdv.metadata import Metadata

    metadata = Metadata.detect_from_dataframes(tables)
    for table, key in (("patients", "patient_nbr"), ("encounters", "encounter_id")):
        metadata.update_column(table_name=table, column_name=key, sdtype="id")
        metadata.set_primary_key(table_name=table, column_name=key)
    metadata.update_column(table_name="encounters", column_name="patient_nbr", sdtype="id")
    for relationship in list(metadata.relationships):
        metadata.remove_relationship(relationship["parent_table_name"],
                                     relationship["child_table_name"])
    metadata.add_relationship(parent_table_name="patients", child_table_name="encounters",
                              parent_primary_key="patient_nbr", child_foreign_key="patient_nbr")
    metadata.validate()
    return metadata


def dataset_toml(out, data="train.csv", name="dataset.toml"):
    path = os.path.join(out, name)
    with open(path, "w") as f:
        f.write(
            f'format_version = 1\n\n[[tables]]\nname = "encounters"\npath = "{data}"\n'
            'na = ["?"]\nprimary_key = ["encounter_id"]\n\n[[tables]]\nname = "patients"\n'
            'split_from = "encounters"\nprimary_key = ["patient_nbr"]\n'
            'columns = ["race", "gender"]\n\n[[sequences]]\ntable = "encounters"\n'
            'entity = ["patient_nbr"]\norder = "encounter_id"\n')
    return path


def entity_privacy(synthgate, out, toml, holdout_toml, folder, label):
    """Entity-level privacy: each patient with all their encounters as one record
    (`synthgate dataset entities`), scored by `synthgate evaluate` (training, holdout and
    synthetic patients): its DCR share and its nearest-record distances."""
    entities = os.path.join(out, "entities")
    os.makedirs(entities, exist_ok=True)
    paths = {}
    for which, dataset, extra in (("train", toml, []), ("holdout", holdout_toml, []),
                                  (label, toml, ["--from", folder])):
        paths[which] = os.path.join(entities, f"{which}.csv")
        if which in ("train", "holdout") and os.path.exists(paths[which]):
            continue
        subprocess.run([synthgate, "--quiet", "dataset", "entities", dataset, "--entity",
                        "patients", "--out", paths[which], "--force", *extra], check=True,
                       stdout=subprocess.DEVNULL)
    report = os.path.join(entities, f"report-{label}")
    subprocess.run([synthgate, "--quiet", "evaluate", "--train", paths["train"], "--holdout",
                    paths["holdout"], "--synthetic", paths[label], "--out", report, "--force"],
                   check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(report, "report.json")) as f:
        metrics = json.load(f)["metrics"]
    found = {}
    for metric in metrics:
        if metric["id"] in ("privacy.dcr_share", "privacy.exact_copy_rate",
                            "fidelity.detection_auc", "privacy.mia_auc"):
            found["entity_" + metric["id"].split(".")[1]] = metric.get("value")
    return found


def read_synthgate(folder):
    read = lambda name: pd.read_csv(os.path.join(folder, f"{name}.csv"), na_values=["?"],
                                    keep_default_na=False, low_memory=False)
    return {"patients": read("patients"), "encounters": read("encounters")}


def score(real, synthetic, metadata):
    from sdmetrics.reports.multi_table import QualityReport

    # SDMetrics scores column pairs on random 50,000-row subsamples of tables larger than that
    # (pandas .sample from numpy's global generator): seeded, so every score here reproduces.
    np.random.seed(0)
    report = QualityReport()
    report.generate(real, synthetic, metadata.to_dict(), verbose=False)
    properties = report.get_properties()
    result = {"quality": float(report.get_score())}
    for _, row in properties.iterrows():
        result[row["Property"]] = float(row["Score"])
    from flights import parent_child_trends

    trends = parent_child_trends(real, synthetic, "encounters", ["patient_nbr"], "patients",
                                 ["patient_nbr"], keys={"encounters": ["encounter_id"]})
    result["parent_child_trends_all_pairs"] = trends["all_pairs"]
    result["parent_child_trends_associated"] = trends["associated"]
    result["parent_child_pairs"] = [trends["all_pairs_pairs"], trends["associated_pairs"]]
    fk = synthetic["encounters"]["patient_nbr"]
    result["referential_integrity"] = float(fk.isin(set(synthetic["patients"]["patient_nbr"])).mean())
    result["patients"] = int(len(synthetic["patients"]))
    result["encounters"] = int(len(synthetic["encounters"]))
    return result


def align(synthetic, real):
    """Column types as the real tables' (CSV round trips turn ints with gaps into floats)."""
    for name, frame in synthetic.items():
        for column in frame.columns:
            if column in real[name].columns and real[name][column].dtype != frame[column].dtype:
                try:
                    frame[column] = frame[column].astype(real[name][column].dtype)
                except (TypeError, ValueError):
                    pass
    return synthetic


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthgate", required=True)
    parser.add_argument("--datasets", default=os.path.join(ROOT, "..", "shared", "datasets"))
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "multitable"))
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--no-hma", action="store_true")
    parser.add_argument("--hma-fraction", type=float, default=1.0,
                        help="HMA samples this share of the training patients (its sampling of "
                             "all 57k patients did not finish in 43 minutes here); the fit is "
                             "on every training row all the same")
    parser.add_argument("--rescore", action="store_true",
                        help="score the outputs of an earlier run again (its timings kept)")
    args = parser.parse_args()
    if args.rescore:
        return rescore(args)

    train, holdout = split(args.datasets, args.out)
    real = two_tables(train)
    metadata = metadata_for(real)
    results = {"split": {"train_patients": int(real["patients"].shape[0]),
                         "train_encounters": int(real["encounters"].shape[0]),
                         "holdout_patients": int(holdout["patient_nbr"].nunique()),
                         "holdout_encounters": int(holdout.shape[0])},
               "synthgate": [], "hma": []}
    toml = dataset_toml(args.out)
    holdout_toml = dataset_toml(args.out, "holdout.csv", "holdout.toml")
    for seed in range(args.seeds):
        folder = os.path.join(args.out, f"synthgate-{seed}")
        start = time.perf_counter()
        subprocess.run([args.synthgate, "--quiet", "dataset", "synth", toml, "--out", folder,
                        "--seed", str(seed), "--force"], check=True)
        seconds = time.perf_counter() - start
        synthetic = align(read_synthgate(folder), real)
        entry = score(real, synthetic, metadata)
        entry["seconds"] = seconds
        entry["seed"] = seed
        entry.update(entity_privacy(args.synthgate, args.out, toml, holdout_toml, folder,
                                    f"synthgate-{seed}"))
        results["synthgate"].append(entry)
        print(json.dumps({"synthgate": entry}), file=sys.stderr)
    if not args.no_hma:
        from sdv.multi_table import HMASynthesizer

        start = time.perf_counter()
        synthesizer = HMASynthesizer(metadata)
        synthesizer.fit(real)
        fitted = time.perf_counter() - start
        synthesizer.save(os.path.join(args.out, "hma.pkl"))
        print(json.dumps({"hma_fit_seconds": fitted}), file=sys.stderr)
        start = time.perf_counter()
        # As many patients as the training data has (times --hma-fraction); HMA draws their
        # encounters.
        patients = max(1, round(len(real["patients"]) * args.hma_fraction))
        synthetic = synthesizer.sample(num_rows=patients, main_table_name="patients")
        sampled = time.perf_counter() - start
        seconds = fitted + sampled
        os.makedirs(os.path.join(args.out, "hma"), exist_ok=True)
        for name, frame in synthetic.items():
            frame.to_csv(os.path.join(args.out, "hma", f"{name}.csv"), index=False)
        entry = score(real, synthetic, metadata)
        entry["seconds"] = seconds
        entry["fit_seconds"] = fitted
        entry["sample_seconds"] = sampled
        entry["patients_sampled"] = patients
        entry["fraction"] = args.hma_fraction
        entry.update(entity_privacy(args.synthgate, args.out, toml, holdout_toml,
                                    os.path.join(args.out, "hma"), "hma"))
        results["hma"].append(entry)
        print(json.dumps({"hma": entry}), file=sys.stderr)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(json.dumps(results, indent=1))


def rescore(args):
    train = pd.read_csv(os.path.join(args.out, "train.csv"), na_values=["?"],
                        keep_default_na=False, low_memory=False)
    real = two_tables(train)
    metadata = metadata_for(real)
    toml = dataset_toml(args.out)
    holdout_toml = dataset_toml(args.out, "holdout.csv", "holdout.toml")
    with open(os.path.join(args.out, "results.json")) as f:
        results = json.load(f)
    for entry in results["synthgate"]:
        folder = os.path.join(args.out, f"synthgate-{entry['seed']}")
        entry.update(score(real, align(read_synthgate(folder), real), metadata))
        entry.update(entity_privacy(args.synthgate, args.out, toml, holdout_toml, folder,
                                    f"synthgate-{entry['seed']}"))
    for entry in results["hma"]:
        folder = os.path.join(args.out, "hma")
        entry.update(score(real, align(read_synthgate(folder), real), metadata))
        entry.update(entity_privacy(args.synthgate, args.out, toml, holdout_toml, folder, "hma"))
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

"""Reference accuracy numbers for the evaluation harness's tests, computed by mostlyai-qa's own package.

Writes crates/synthgate-eval/tests/it/fixtures/mostlyqa_adult.json: mostlyai-qa 1.10.11's accuracy
metrics (overall, univariate, bivariate, trivariate and their `_max` "expected holdout" values, plus
every per-column univariate, per-pair bivariate accuracy and per-column bins) for a flat table
without context, computed with the same internal functions and defaults that `mostlyai.qa.report()`
runs (prepare_data_for_accuracy -> bin_data(bins=10) -> calculate_univariates / calculate_bivariates /
calculate_trivariates -> reporting._calculate_metrics). Nothing is reimplemented here.

Cases (trn = the real reference, syn = the compared table; Adult split by bench/adult_split.py):
- train_vs_holdout:             trn = out/adult_train.csv, syn = out/adult_holdout.csv
- train_vs_sdv_gaussian_copula: trn = out/adult_train.csv, syn = fixtures/adult_sdv_gaussian_copula.parquet
- train_vs_mostlyai_argn:       trn = out/adult_train.csv, syn = fixtures/adult_mostlyai_argn.parquet
These three pass no holdout (report(hol_tgt_data=None)), so the reference ("ori") is the train table
alone. Two extra cases mirror bench/score.py's report() call, which passes the holdout: then
report() bins and counts ori = concat(train, holdout):
- train+holdout_vs_sdv_gaussian_copula, train+holdout_vs_mostlyai_argn.

Sampling: report()'s default max_sample_size_accuracy=None keeps every row (the rows are only
shuffled, which does not change the accuracies unless categorical top-10 counts tie at the cut;
the JSON records whether any such tie exists). The global RNG is seeded (set_random_state(0)) so
the run is reproducible anyway. "max_sample_size": null in the JSON means all rows were used.

Tables are loaded like bench/score.py's load(): CSV with na_values=["?"], NUMERIC columns to
numbers, the rest object with None for missing; the parquet files with pandas.read_parquet, cast
the same way.

Usage (from bench/, after bench/adult_split.py has written out/):
    .venv-eval/bin/python fixtures_mostlyqa.py [--check-report]
--check-report also runs the public mostlyai.qa.report() on each case (small embedding sample)
and asserts that its accuracy metrics equal the ones written.
"""

import json
import sys
import tempfile
from importlib.metadata import version

import numpy
import pandas

from mostlyai.qa import reporting
from mostlyai.qa._accuracy import (
    bin_data,
    calculate_bivariates,
    calculate_trivariates,
    calculate_univariates,
)
from mostlyai.qa._common import OTHER_BIN, TGT_COLUMN_PREFIX
from mostlyai.qa._sampling import prepare_data_for_accuracy
from mostlyai.qa.random_state import set_random_state

from adult_tables import NUMERIC, load

FIXTURES = "../crates/synthgate-eval/tests/it/fixtures"
OUT = f"{FIXTURES}/mostlyqa_adult.json"
SEED = 0


def strip(name):
    return name[len(TGT_COLUMN_PREFIX) :] if name.startswith(TGT_COLUMN_PREFIX) else name


def plain(value):
    if isinstance(value, (numpy.floating, float)):
        return float(value)
    if isinstance(value, (numpy.integer, int)):
        return int(value)
    return str(value)


def accuracy(trn_tgt, syn_tgt, hol_tgt=None):
    """The accuracy part of mostlyai.qa.report() for a flat table without context (setup "1:1")."""
    set_random_state(SEED)
    syn_tgt = syn_tgt[trn_tgt.columns]
    trn = prepare_data_for_accuracy(df_tgt=trn_tgt, max_sample_size=None, setup="1:1")
    if hol_tgt is not None:
        hol = prepare_data_for_accuracy(
            df_tgt=hol_tgt[trn_tgt.columns], max_sample_size=None, setup="1:1", ori_dtypes=trn.dtypes.to_dict()
        )
        ori = pandas.concat([trn, hol], axis=0, ignore_index=True)
    else:
        ori = trn
    syn = prepare_data_for_accuracy(
        df_tgt=syn_tgt, max_sample_size=None, setup="1:1", ori_dtypes=trn.dtypes.to_dict()
    )
    # binning_data() without the Statistics side effect: same two bin_data calls
    ori_bin, bins = bin_data(df=ori, bins=10)
    syn_bin, _ = bin_data(df=syn, bins=bins)
    acc_uni = calculate_univariates(ori_bin, syn_bin)
    acc_biv = calculate_bivariates(ori_bin, syn_bin)
    acc_triv = calculate_trivariates(ori_bin, syn_bin)
    # report()'s own aggregation; distances/similarity inputs are dummies (not part of accuracy)
    dummy = numpy.zeros(10)
    metrics = reporting._calculate_metrics(
        acc_uni=acc_uni,
        acc_biv=acc_biv,
        acc_triv=acc_triv,
        dcr_syn_trn=dummy,
        dcr_syn_hol=None,
        dcr_trn_hol=None,
        nndr_syn_trn=dummy,
        nndr_syn_hol=None,
        nndr_trn_hol=None,
        sim_cosine_trn_hol=None,
        sim_cosine_trn_syn=0.5,
        sim_auc_trn_hol=None,
        sim_auc_trn_syn=0.5,
        acc_cats_per_seq=pandas.DataFrame({"column": [], "accuracy": [], "accuracy_max": []}),
        acc_seqs_per_cat=pandas.DataFrame({"column": [], "accuracy": [], "accuracy_max": []}),
    )
    acc = metrics.accuracy

    # tie at the categorical top-10 cut (would make the "(other)" grouping depend on row order)
    ties = {}
    for column in ori.columns:
        if not (pandas.api.types.is_numeric_dtype(ori[column]) or pandas.api.types.is_datetime64_any_dtype(ori[column])):
            counts = ori[column].astype("string[pyarrow]").fillna("(n/a)").replace("", "(empty)").value_counts()
            if len(counts) > 10 and counts.iloc[9] == counts.iloc[10] and counts.iloc[9] >= 5:
                ties[strip(column)] = int(counts.iloc[9])

    biv_once = acc_biv.loc[acc_biv.col1 < acc_biv.col2]
    return {
        "rows_ori": len(ori),
        "rows_syn": len(syn),
        "overall": acc.overall,
        "univariate": acc.univariate,
        "bivariate": acc.bivariate,
        "trivariate": acc.trivariate,
        "overall_max": acc.overall_max,
        "univariate_max": acc.univariate_max,
        "bivariate_max": acc.bivariate_max,
        "trivariate_max": acc.trivariate_max,
        "n_univariate": len(acc_uni),
        "n_bivariate_pairs": len(biv_once),
        "n_trivariate_triples": len(acc_triv),
        "columns": {strip(r.column): float(r.accuracy) for r in acc_uni.itertuples()},
        "columns_max": {strip(r.column): float(r.accuracy_max) for r in acc_uni.itertuples()},
        "pairs": {f"{strip(r.col1)}|{strip(r.col2)}": float(r.accuracy) for r in biv_once.itertuples()},
        "pairs_max": {f"{strip(r.col1)}|{strip(r.col2)}": float(r.accuracy_max) for r in biv_once.itertuples()},
        "bins": {strip(c): [plain(b) for b in v] for c, v in bins.items()},
        "top10_ties": ties,
    }


def check_report(trn_tgt, syn_tgt, hol_tgt, expected):
    from mostlyai import qa

    with tempfile.TemporaryDirectory() as folder:
        _, metrics = qa.report(
            syn_tgt_data=syn_tgt,
            trn_tgt_data=trn_tgt,
            hol_tgt_data=hol_tgt,
            report_path=f"{folder}/report.html",
            max_sample_size_embeddings=500,
        )
    for key in ("overall", "univariate", "bivariate", "trivariate", "overall_max", "univariate_max", "bivariate_max"):
        got = getattr(metrics.accuracy, key)
        assert got == expected[key], (key, got, expected[key])


def main():
    train = load("out/adult_train.csv")
    holdout = load("out/adult_holdout.csv")
    sdv = load(f"{FIXTURES}/adult_sdv_gaussian_copula.parquet")
    argn = load(f"{FIXTURES}/adult_mostlyai_argn.parquet")
    cases = {
        "train_vs_holdout": ("out/adult_train.csv", None, "out/adult_holdout.csv", train, None, holdout),
        "train_vs_sdv_gaussian_copula": (
            "out/adult_train.csv", None, "adult_sdv_gaussian_copula.parquet", train, None, sdv,
        ),
        "train_vs_mostlyai_argn": ("out/adult_train.csv", None, "adult_mostlyai_argn.parquet", train, None, argn),
        "train+holdout_vs_sdv_gaussian_copula": (
            "out/adult_train.csv", "out/adult_holdout.csv", "adult_sdv_gaussian_copula.parquet", train, holdout, sdv,
        ),
        "train+holdout_vs_mostlyai_argn": (
            "out/adult_train.csv", "out/adult_holdout.csv", "adult_mostlyai_argn.parquet", train, holdout, argn,
        ),
    }
    out = {
        "mostlyai_qa_version": version("mostlyai-qa"),
        "pandas_version": pandas.__version__,
        "numpy_version": numpy.__version__,
        "max_sample_size": None,
        "bins": 10,
        "seed": SEED,
        "note": "max_sample_size null = all rows used (report() default max_sample_size_accuracy=None). "
        "ori = trn, or trn+hol where 'hol' is set. Per-column/pair accuracies are rounded to 5 decimals by "
        "mostlyai-qa; the aggregates are means of those, rounded to 7 decimals. overall = mean(univariate, "
        "bivariate, trivariate). Pairs keyed 'col1|col2' with col1 < col2.",
        "cases": {},
    }
    for name, (trn_path, hol_path, syn_path, trn, hol, syn) in cases.items():
        result = accuracy(trn, syn, hol)
        if "--check-report" in sys.argv:
            check_report(trn, syn, hol, result)
            print(f"{name}: report() agrees")
        out["cases"][name] = {"trn": trn_path, "hol": hol_path, "syn": syn_path, **result}
        print(
            name,
            {k: result[k] for k in ("overall", "univariate", "bivariate", "trivariate", "top10_ties")},
        )
    with open(OUT, "w") as file:
        json.dump(out, file, indent=1, ensure_ascii=False)
        file.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

"""Scores a synthetic Adult table with the peers' own packages (until Synthgate's harness
exists): SDMetrics 0.32 Quality Report (column shapes, column pair trends), TSTR / TRTR ROC AUC
with scikit-learn's HistGradientBoostingClassifier on `income` scored on the holdout, the
exact-copy rate of training rows (next to the holdout's own rate), and the DCR share.

DCR share here: synthetic rows are compared with equal-size seeded samples of train and
holdout; the share of synthetic rows strictly closer to a train row than to any holdout row,
ties counted half (0.5 = no memorisation signal). The distance is SDMetrics' `calculate_dcr`
mixed distance: |a - b| / range for numbers, 0/1 for categories (missing equals missing),
averaged over columns.

mostlyai-qa 1.10's own `report()` adds its overall accuracy and its DCR share (computed on
its model2vec embeddings); pass --no-qa to skip it.

Usage: python bench/score.py TRAIN HOLDOUT SYNTHETIC [--no-qa]
"""

import json
import sys

import numpy
import pandas
from sdmetrics.reports.single_table import QualityReport
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from adult_tables import NUMERIC, load

TARGET = "income"


def metadata(frame):
    return {
        "columns": {
            column: {"sdtype": "numerical" if column in NUMERIC else "categorical"}
            for column in frame.columns
        }
    }


def quality(real, synthetic):
    report = QualityReport()
    report.generate(real, synthetic[real.columns], metadata(real), verbose=False)
    properties = report.get_properties().set_index("Property")["Score"]
    return float(properties["Column Shapes"]), float(properties["Column Pair Trends"])


def features(frame):
    out = frame.drop(columns=[TARGET]).copy()
    for column in out.columns:
        if column not in NUMERIC:
            out[column] = out[column].astype("category")
    return out


def utility(train, holdout, synthetic):
    categories = {
        column: sorted(set(train[column].dropna()) | set(holdout[column].dropna()) | set(synthetic[column].dropna()))
        for column in train.columns
        if column not in NUMERIC and column != TARGET
    }

    def prepared(frame):
        out = features(frame)
        for column, levels in categories.items():
            out[column] = pandas.Categorical(out[column], categories=levels)
        return out

    def auc(fit_frame):
        model = HistGradientBoostingClassifier(random_state=0, categorical_features="from_dtype")
        model.fit(prepared(fit_frame), (fit_frame[TARGET] == ">50K").astype(int))
        return roc_auc_score((holdout[TARGET] == ">50K").astype(int), model.predict_proba(prepared(holdout))[:, 1])

    tstr, trtr = auc(synthetic), auc(train)
    return tstr, trtr


def copy_rate(reference, candidate):
    keys = set(map(tuple, reference.astype(str).itertuples(index=False, name=None)))
    rows = list(map(tuple, candidate.astype(str).itertuples(index=False, name=None)))
    return sum(row in keys for row in rows) / len(rows)


def encode(frame, columns, ranges, levels):
    parts = []
    for column in columns:
        values = frame[column]
        if column in NUMERIC:
            parts.append(values.to_numpy(dtype=float) / ranges[column])
        else:
            codes = values.map(levels[column]).fillna(-1).to_numpy(dtype=float)
            parts.append(codes)
    return numpy.stack(parts, axis=1)


def nearest(query, reference, numeric_mask):
    best = numpy.empty(len(query))
    for start in range(0, len(query), 128):
        block = query[start : start + 128, None, :]
        difference = numpy.abs(block - reference[None, :, :])
        numeric = numpy.where(numpy.isnan(difference), 1.0, numpy.minimum(difference, 1.0))
        both_missing = numpy.isnan(block) & numpy.isnan(reference[None, :, :])
        numeric = numpy.where(both_missing, 0.0, numeric)
        categorical = (difference != 0).astype(float)
        distance = numpy.where(numeric_mask[None, None, :], numeric, categorical).mean(axis=2)
        best[start : start + 128] = distance.min(axis=1)
    return best


def dcr_share(train, holdout, synthetic, seed=0):
    rng = numpy.random.default_rng(seed)
    size = min(len(train), len(holdout))
    train_sample = train.iloc[rng.choice(len(train), size, replace=False)]
    holdout_sample = holdout.iloc[rng.choice(len(holdout), size, replace=False)]
    synthetic_sample = synthetic.iloc[rng.choice(len(synthetic), min(size, len(synthetic)), replace=False)]
    columns = list(train.columns)
    ranges = {c: float(train[c].max() - train[c].min()) or 1.0 for c in NUMERIC}
    levels = {}
    for column in columns:
        if column not in NUMERIC:
            values = pandas.concat([train[column], holdout[column], synthetic[column]]).dropna().unique()
            levels[column] = {value: index for index, value in enumerate(sorted(values))}
    numeric_mask = numpy.array([column in NUMERIC for column in columns])
    encoded = [encode(frame, columns, ranges, levels) for frame in (synthetic_sample, train_sample, holdout_sample)]
    to_train = nearest(encoded[0], encoded[1], numeric_mask)
    to_holdout = nearest(encoded[0], encoded[2], numeric_mask)
    return float(numpy.mean((to_train < to_holdout) + 0.5 * (to_train == to_holdout)))


def mostlyai_qa(train, holdout, synthetic):
    """mostlyai-qa's own accuracy and DCR share (its embeddings, its sampling)."""
    import tempfile

    from mostlyai import qa

    with tempfile.TemporaryDirectory() as folder:
        _, metrics = qa.report(
            syn_tgt_data=synthetic,
            trn_tgt_data=train,
            hol_tgt_data=holdout,
            report_path=f"{folder}/report.html",
        )
    return {
        "qa_accuracy_overall": round(metrics.accuracy.overall, 4),
        "qa_accuracy_univariate": round(metrics.accuracy.univariate, 4),
        "qa_accuracy_bivariate": round(metrics.accuracy.bivariate, 4),
        "qa_dcr_share": round(metrics.distances.dcr_share, 4),
    }


def main():
    train, holdout, synthetic = (load(path) for path in sys.argv[1:4])
    shapes, trends = quality(train, synthetic)
    tstr, trtr = utility(train, holdout, synthetic)
    result = {
        "column_shapes": round(shapes, 4),
        "column_pair_trends": round(trends, 4),
        "tstr_auc": round(tstr, 4),
        "trtr_auc": round(trtr, 4),
        "tstr_trtr_ratio": round(tstr / trtr, 4),
        "exact_copy_rate": round(copy_rate(train, synthetic), 5),
        "holdout_copy_rate": round(copy_rate(train, holdout), 5),
        "dcr_share": round(dcr_share(train, holdout, synthetic), 4),
    }
    if "--no-qa" not in sys.argv:
        result.update(mostlyai_qa(train, holdout, synthetic))
    print(json.dumps(result))


if __name__ == "__main__":
    main()

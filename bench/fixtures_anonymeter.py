"""Reference numbers for the privacy part of the evaluation harness, computed by anonymeter's own
package (anonymeter 1.1.0, environment pinned in bench/requirements-anonymeter.txt).

Writes crates/synthgate-eval/tests/it/fixtures/anonymeter_adult.json: for each case, anonymeter's
three evaluators run with ori = bench/out/adult_train.csv and control = bench/out/adult_holdout.csv
(bench/adult_split.py must have written bench/out/ first) and syn =
- sdv_gaussian_copula: crates/synthgate-eval/tests/it/fixtures/adult_sdv_gaussian_copula.parquet
- mostlyai_argn:       crates/synthgate-eval/tests/it/fixtures/adult_mostlyai_argn.parquet
- train_as_synthetic:  the train split itself (a synthesizer that copies; risk should be high)
- train_10pct_mostlyai_argn, train_25pct_mostlyai_argn: a synthesizer that partly leaks, so
  that every evaluator has a case whose risk is clearly above 0 (an attack that never succeeds
  must fail the agreement test). Built deterministically by `leak()` below: the first
  m = round(p * |train|) rows of the train split in file order (bench/adult_split.py writes
  them in a random permutation's order, so they are a uniform sample of train), followed by the
  rows m, m+1, ..., |train| - 1 of the ARGN fixture (which has |train| rows too), p = 0.10 and
  0.25. The Rust test builds the same tables from the same row ranges.

Evaluators (anonymeter defaults unless listed):
- SinglingOutEvaluator, mode "univariate" and "multivariate" (n_attacks=500, n_cols=3, seed fixed);
- LinkabilityEvaluator, aux_cols = (AUX_A, AUX_B) below, n_attacks=2000: entry "linkability" with
  n_neighbors=1 (the default), entry "linkability_k10" with n_neighbors=10, read out at k=10 and
  at k=1 (`results(n_neighbors=1)`: the same full argsort, so its attack and control counts must
  equal those of "linkability" for the same seed; only the unseeded random baseline differs);
- InferenceEvaluator, secret "income", aux_cols = every other column, n_attacks=2000.
numpy's global seed is set before each evaluator (pandas' `sample` draws the targets from it);
anonymeter's own unseeded generators (linkability baseline, polars' samples in the singling-out
control correction, polars' unordered `unique`/`group_by`) still vary from run to run.
Seed 0 is the main run; each entry's `repeats` holds the counts and risks of the same evaluator
with seeds 1 and 2 (--repeat-seeds), to show the spread of anonymeter's own estimate.
Each entry holds the counts, attack / baseline / control rates (Wilson value and error), the
risk (value and CI), the parameters, and the wall time; see bench/notes/anonymeter.md.

Usage (from bench/):
    OMP_NUM_THREADS=1 .venv-anonymeter/bin/python fixtures_anonymeter.py [--cases a,b] [--out PATH]
"""

import argparse
import json
import os
import platform
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("POLARS_MAX_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import anonymeter  # noqa: E402
import numba  # noqa: E402
import numpy  # noqa: E402
import pandas  # noqa: E402
import polars  # noqa: E402
import scipy  # noqa: E402
import sklearn  # noqa: E402
from anonymeter.evaluators import InferenceEvaluator, LinkabilityEvaluator, SinglingOutEvaluator  # noqa: E402
from anonymeter.evaluators import singling_out_evaluator as so_module  # noqa: E402
from importlib.metadata import version  # noqa: E402

from adult_tables import FIXTURES, NUMERIC, load  # noqa: E402,F401
AUX_A = ["age", "sex", "race", "native-country", "marital-status", "relationship", "workclass"]
AUX_B = ["education", "occupation", "hours-per-week", "capital-gain", "capital-loss", "income",
         "fnlwgt", "education-num"]
SECRET = "income"
SEED = 0
REPEAT_SEEDS = (1, 2)
CONFIDENCE = 0.95
SO_N_ATTACKS = 500
LINK_N_ATTACKS = 2000
INF_N_ATTACKS = 2000
# Leaking cases: (name, share of the train split's rows copied into the ARGN fixture).
LEAKS = (("train_10pct_mostlyai_argn", 0.10), ("train_25pct_mostlyai_argn", 0.25))


def leak(train, synthetic, share):
    """The first round(share * |train|) train rows, then the synthetic rows from that position
    on (same columns, `synthetic` has |train| rows): a table of |train| rows of which that share
    are copies of training rows."""
    assert len(synthetic) == len(train), (len(synthetic), len(train))
    copied = round(share * len(train))
    rows = pandas.concat([train.iloc[:copied], synthetic[train.columns].iloc[copied:]], ignore_index=True)
    return rows, copied


def rate(success_rate):
    return {"value": float(success_rate.value), "error": float(success_rate.error)}


def summary(results, risk):
    return {
        "n_attacks": [int(results.n_attacks_ori), int(results.n_attacks_baseline), int(results.n_attacks_control)],
        "n_success": int(results.n_success),
        "n_baseline": int(results.n_baseline),
        "n_control": None if results.n_control is None else float(results.n_control),
        "attack_rate": rate(results.attack_rate),
        "baseline_rate": rate(results.baseline_rate),
        "control_rate": None if results.control_rate is None else rate(results.control_rate),
        "risk": {"value": float(risk.value), "ci": [float(risk.ci[0]), float(risk.ci[1])]},
    }


class SinglingOutProbe:
    """Records what SinglingOutEvaluator keeps to itself: how many queries the attack generated
    (they single out in syn) and the control-size correction. Wraps module functions only to
    observe; arguments and results pass through unchanged."""

    def __init__(self):
        self.generated = None
        self.correction = None
        self._generate = so_module._generate_singling_out_queries
        self._fit = so_module.fit_correction_term

    def __enter__(self):
        def generate(**kwargs):
            queries = self._generate(**kwargs)
            self.generated = len(queries)
            return queries

        def fit(df, queries):
            model = self._fit(df=df, queries=queries)
            self.correction = model
            return model

        so_module._generate_singling_out_queries = generate
        so_module.fit_correction_term = fit
        return self

    def __exit__(self, *exc):
        so_module._generate_singling_out_queries = self._generate
        so_module.fit_correction_term = self._fit


def singling_out(ori, syn, control, mode, seed):
    params = {"mode": mode, "n_attacks": SO_N_ATTACKS, "n_cols": 3, "max_attempts": 10_000_000,
              "seed": seed, "confidence_level": CONFIDENCE}
    numpy.random.seed(seed)
    start = time.perf_counter()
    with SinglingOutProbe() as probe:
        evaluator = SinglingOutEvaluator(ori=ori, syn=syn, control=control, n_attacks=SO_N_ATTACKS,
                                         n_cols=3, max_attempts=10_000_000, seed=seed)
        evaluator.evaluate(mode=mode)
    results = evaluator.results(confidence_level=CONFIDENCE)
    risk = evaluator.risk(confidence_level=CONFIDENCE)
    wall = time.perf_counter() - start
    out = summary(results, risk)
    n_ori, n_control = len(evaluator._ori), len(evaluator._control)
    fit = None
    if probe.correction is not None:
        factor = float(probe.correction(n_ori) / probe.correction(n_control))
        # `_fit_model` returns `lambda x: _model(x, *popt)`: popt is its only closure cell.
        w_eff, norm = (float(v) for v in probe.correction.__closure__[0].cell_contents)
        fit = {"w_eff": w_eff, "norm": norm}
    else:
        factor = 1.0
    out.update({
        "parameters": params,
        "n_queries_generated": probe.generated,
        "n_control_uncorrected": round(float(results.n_control) / factor),
        "control_size_correction": factor,
        "correction_fit": fit,
        "rows_after_dedup": {"ori": n_ori, "syn": len(evaluator._syn), "control": n_control},
        "wall_s": round(wall, 2),
    })
    return out


def linkability(ori, syn, control, seed, k_max):
    aux_a = [c for c in AUX_A]
    aux_b = [c for c in dict.fromkeys(AUX_B) if c not in aux_a]
    params = {"aux_cols": [aux_a, aux_b], "n_attacks": LINK_N_ATTACKS, "n_neighbors": k_max,
              "numpy_global_seed": seed, "confidence_level": CONFIDENCE, "n_jobs": -2}
    numpy.random.seed(seed)
    start = time.perf_counter()
    evaluator = LinkabilityEvaluator(ori=ori, syn=syn, control=control, aux_cols=(aux_a, aux_b),
                                     n_attacks=LINK_N_ATTACKS, n_neighbors=k_max)
    evaluator.evaluate(n_jobs=-2)
    wall = time.perf_counter() - start
    out = {"parameters": params, "wall_s": round(wall, 2)}
    for k in sorted({1, k_max}):
        results = evaluator.results(confidence_level=CONFIDENCE, n_neighbors=k)
        risk = evaluator.risk(confidence_level=CONFIDENCE, n_neighbors=k)
        out[f"n_neighbors_{k}"] = summary(results, risk)
    return out


def inference(ori, syn, control, seed):
    aux = [c for c in ori.columns if c != SECRET]
    params = {"secret": SECRET, "aux_cols": aux, "n_attacks": INF_N_ATTACKS, "regression": False,
              "numpy_global_seed": seed, "confidence_level": CONFIDENCE, "n_jobs": -2}
    numpy.random.seed(seed)
    start = time.perf_counter()
    evaluator = InferenceEvaluator(ori=ori, syn=syn, control=control, aux_cols=aux, secret=SECRET,
                                   n_attacks=INF_N_ATTACKS)
    evaluator.evaluate(n_jobs=-2)
    results = evaluator.results(confidence_level=CONFIDENCE)
    risk = evaluator.risk(confidence_level=CONFIDENCE)
    wall = time.perf_counter() - start
    out = summary(results, risk)
    # The naive baseline's guesses are reindexed onto the targets' labels (see the notes): count
    # the guesses that survived as non-missing, to show how small the effective baseline is.
    out["baseline_guesses_non_missing"] = int(evaluator._guesses_baseline.notna().sum())
    out.update({"parameters": params, "wall_s": round(wall, 2)})
    return out


def compact(entry, seed):
    """The counts and risk of a repeat run (different seed), for the spread of anonymeter's own
    estimate."""
    keys = ("n_success", "n_baseline", "n_control", "risk")
    if "risk" in entry:
        out = {k: entry[k] for k in keys}
    else:
        out = {sub: {k: entry[sub][k] for k in keys} for sub in entry if sub.startswith("n_neighbors_")}
    out.update({"seed": seed, "wall_s": entry["wall_s"]})
    return out


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default=",".join(
        ["sdv_gaussian_copula", "mostlyai_argn", "train_as_synthetic"] + [name for name, _ in LEAKS]))
    parser.add_argument("--out", default=f"{FIXTURES}/anonymeter_adult.json")
    parser.add_argument("--repeat-seeds", default=",".join(map(str, REPEAT_SEEDS)),
                        help="extra seeds whose counts and risks go under each entry's `repeats` ('' for none)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)

    ori = load("out/adult_train.csv")
    control = load("out/adult_holdout.csv")
    syn_sources = {
        "sdv_gaussian_copula": lambda: load(f"{FIXTURES}/adult_sdv_gaussian_copula.parquet"),
        "mostlyai_argn": lambda: load(f"{FIXTURES}/adult_mostlyai_argn.parquet"),
        "train_as_synthetic": lambda: ori,
    }
    for leak_name, share in LEAKS:
        syn_sources[leak_name] = lambda share=share: leak(
            ori, load(f"{FIXTURES}/adult_mostlyai_argn.parquet"), share)[0]
    leak_rows = {name: round(share * len(ori)) for name, share in LEAKS}

    out = {
        "anonymeter_version": version("anonymeter"),
        "environment": {
            "python": platform.python_version(), "numpy": numpy.__version__, "pandas": pandas.__version__,
            "polars": polars.__version__, "numba": numba.__version__, "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
            "threads": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "POLARS_MAX_THREADS", "NUMBA_NUM_THREADS")},
        },
        "ori": "bench/out/adult_train.csv", "control": "bench/out/adult_holdout.csv",
        "rows": {"ori": len(ori), "control": len(control)},
        "note": "Risks are anonymeter's residual risks against the control set; see bench/notes/anonymeter.md.",
        "cases": {},
    }
    if os.path.exists(args.out):
        previous = json.load(open(args.out))
        if previous.get("anonymeter_version") == out["anonymeter_version"]:
            out["cases"] = previous.get("cases", {})

    def save():
        with open(args.out, "w") as file:
            json.dump(out, file, indent=1)
            file.write("\n")

    repeat_seeds = [int(v) for v in args.repeat_seeds.split(",") if v.strip()]
    for name in args.cases.split(","):
        syn = syn_sources[name]()
        syn = syn[ori.columns]
        case = {"syn": name, "rows": len(syn)}
        if name in leak_rows:
            case["train_rows_copied"] = leak_rows[name]
            case["construction"] = (f"train split rows 0..{leak_rows[name]} then mostlyai_argn rows "
                                    f"{leak_rows[name]}..{len(syn)} (leak() in bench/fixtures_anonymeter.py)")
        out["cases"][name] = case
        evaluators = {
            "singling_out_univariate": lambda seed: singling_out(ori, syn, control, "univariate", seed),
            "singling_out_multivariate": lambda seed: singling_out(ori, syn, control, "multivariate", seed),
            "linkability": lambda seed: linkability(ori, syn, control, seed, 1),
            "linkability_k10": lambda seed: linkability(ori, syn, control, seed, 10),
            "inference": lambda seed: inference(ori, syn, control, seed),
        }
        for key, run in evaluators.items():
            log(f"{name}: {key} (seed {SEED}) ...")
            case[key] = run(SEED)
            log(f"{name}: {key} done in {case[key]['wall_s']} s")
            save()
        for seed in repeat_seeds:
            for key, run in evaluators.items():
                log(f"{name}: {key} (seed {seed}) ...")
                case[key].setdefault("repeats", []).append(compact(run(seed), seed))
                save()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

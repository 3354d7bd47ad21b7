"""Reference for the singling-out size correction Synthgate ships, computed without Synthgate's
code: anonymeter 1.1.0's own fitting function on Synthgate's own subsample counts.

Synthgate's singling-out risk scales the control's successes to the training set's size by
anonymeter's singling-out probability model fitted to the successes on control subsamples
(crates/synthgate-eval/src/anonymeter.rs, `SizeCorrection`), as anonymeter intends; anonymeter
1.1.0's package feeds its fit a constant instead (bench/notes/anonymeter.md, section 2.6). The
counts depend on Synthgate's own queries, so they are the input here: the Rust test
`singling_out_size_correction_matches_anonymeters_fit` (crates/synthgate-eval/tests/it/peers.rs)
records them under each case's `measured` in
crates/synthgate-eval/tests/it/fixtures/anonymeter_size_correction_adult.json (rerun it with
UPDATE_SNAPSHOTS=1 when they change). This script adds each case's `reference`:

- `w_eff`, `norm`: the least-squares fit of anonymeter's model `_model(x, w_eff, norm) = norm *
  singling_out_probability_integral(x, 0, w_eff)` to the 50 (size, successes) subsamples, by
  scipy's `curve_fit` with anonymeter's bounds (0, (1, inf)) (TRF), as
  `anonymeter.evaluators.singling_out_evaluator._fit_model` (what `fit_correction_term`
  calls) does: run from anonymeter's own starting point (`anonymeter_fit_model`) and from the
  best point of a grid (below), keeping the smaller squared error. From its own starting
  point curve_fit sometimes stops far from the optimum (on these counts: a correction of 0.25
  with 90 times the squared error), so that run alone is recorded, not used;
- `profile_fit`: the same least squares solved a second way (norm in closed form for each w; a
  grid of 4001 points over log10 w from -8 to 0, refined by a bounded scalar minimisation); the
  script fails unless the kept fit is at least as good and its correction within 1e-5;
- `correction` = model(train_rows) / model(control_rows), as `SinglingOutEvaluator.evaluate`;
- `risk`: `anonymeter.stats.confidence.EvaluationResults(attacks, successes, baseline
  successes, control_uncorrected * correction).risk()` (confidence 0.95).

Usage (from bench/, after the test has written the counts):
    .venv-anonymeter/bin/python fixtures_anonymeter_correction.py [--fixture PATH]
"""

import argparse
import json
import os
from importlib.metadata import version

import numpy
import scipy
from anonymeter.evaluators.singling_out_evaluator import _fit_model, _model, singling_out_probability_integral
from anonymeter.stats.confidence import EvaluationResults
from scipy.optimize import curve_fit, minimize_scalar

from adult_tables import FIXTURES

CONFIDENCE = 0.95


def model(x, w, norm):
    return norm * singling_out_probability_integral(n=x, w_min=0, w_max=w)


def profile_fit(sizes, successes):
    """Least squares of norm * model(x, w) by a grid over log10 w, refined by a bounded scalar
    minimisation, with norm in closed form for each w."""
    sizes, successes = sizes.astype(float), successes.astype(float)

    def best_norm(w):
        m = numpy.array([singling_out_probability_integral(n=x, w_min=0, w_max=w) for x in sizes])
        denominator = float(m @ m)
        norm = float(m @ successes) / denominator if denominator > 0 else 0.0
        return norm, float(((successes - norm * m) ** 2).sum())

    grid = numpy.linspace(-8.0, 0.0, 4001)
    errors = [best_norm(10.0 ** g)[1] for g in grid]
    k = int(numpy.argmin(errors))
    low, high = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    result = minimize_scalar(lambda g: best_norm(10.0 ** g)[1], bounds=(low, high), method="bounded",
                             options={"xatol": 1e-12})
    w = 10.0 ** result.x
    norm, error = best_norm(w)
    return w, norm, error


def curve_fit_from(sizes, successes, p0):
    """anonymeter's `_fit_model` with another starting point: `curve_fit` of its `_model` with
    its bounds (TRF), as (w_eff, norm, squared error)."""
    popt, _ = curve_fit(_model, xdata=sizes, ydata=successes, bounds=(0, (1, numpy.inf)), p0=p0)
    w_eff, norm = (float(v) for v in popt)
    return w_eff, norm, float(((successes - _model(sizes, w_eff, norm)) ** 2).sum())


def reference(measured):
    sizes = numpy.array([size for size, _ in measured["subsamples"]])
    successes = numpy.array([found for _, found in measured["subsamples"]])
    train_rows, control_rows = measured["train_rows"], measured["control_rows"]

    def correction(w, norm):
        return float(model(train_rows, w, norm) / model(control_rows, w, norm))

    # anonymeter's own fit, from its own starting point.
    fitted = _fit_model(sizes=sizes, successes=successes)
    # `_fit_model` returns `lambda x: _model(x, *popt)`: popt is its only closure cell.
    w_own, norm_own = (float(v) for v in fitted.__closure__[0].cell_contents)
    error_own = float(((successes - _model(sizes, w_own, norm_own)) ** 2).sum())
    # The same curve_fit started from the least-squares grid's best point; the better of the two.
    w_grid, norm_grid, error_grid = profile_fit(sizes, successes)
    w_again, norm_again, error_again = curve_fit_from(sizes, successes, (w_grid, norm_grid))
    error, w_eff, norm = min((error_own, w_own, norm_own), (error_again, w_again, norm_again))
    assert error <= error_grid * (1 + 1e-9), (error, error_grid)
    assert abs(correction(w_eff, norm) - correction(w_grid, norm_grid)) <= 1e-5 * correction(w_grid, norm_grid)

    n_control = measured["control_uncorrected"] * correction(w_eff, norm)
    results = EvaluationResults(n_attacks=int(measured["attacks"]), n_success=int(measured["successes"]),
                                n_baseline=int(measured["baseline_successes"]), n_control=n_control,
                                confidence_level=CONFIDENCE)
    risk = results.risk()
    return {
        "w_eff": w_eff, "norm": norm, "squared_error": error,
        "correction": correction(w_eff, norm),
        "n_control": n_control,
        "risk": {"value": float(risk.value), "ci": [float(risk.ci[0]), float(risk.ci[1])]},
        "anonymeter_fit_model": {"w_eff": w_own, "norm": norm_own, "squared_error": error_own,
                                 "correction": correction(w_own, norm_own)},
        "profile_fit": {"w": w_grid, "norm": norm_grid, "squared_error": error_grid,
                        "correction": correction(w_grid, norm_grid)},
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixture", default=os.path.join(FIXTURES, "anonymeter_size_correction_adult.json"))
    args = parser.parse_args()
    with open(args.fixture) as file:
        fixture = json.load(file)
    assert fixture["anonymeter_version"] == version("anonymeter"), fixture["anonymeter_version"]
    fixture["environment"] = {"anonymeter": version("anonymeter"), "numpy": numpy.__version__,
                              "scipy": scipy.__version__}
    for case, entry in fixture["cases"].items():
        entry["reference"] = reference(entry["measured"])
        r = entry["reference"]
        own = r["anonymeter_fit_model"]
        print(f"{case}: correction {r['correction']:.6f} (w_eff {r['w_eff']:.4g}, squared error "
              f"{r['squared_error']:.1f}; anonymeter's _fit_model alone {own['correction']:.6f}, "
              f"squared error {own['squared_error']:.1f}), risk {r['risk']['value']:.4f} {r['risk']['ci']}")
    with open(args.fixture, "w") as file:
        json.dump(fixture, file, indent=2)
        file.write("\n")
    print(f"wrote {args.fixture}")


if __name__ == "__main__":
    main()

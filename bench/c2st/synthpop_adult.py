"""synthpop's synthetic Adult table for the C2ST bench (bench/c2st/run), made with synthpop-py
(a Python port of R's synthpop) in its own environment, bench/.venv-synthpop.

Fits synthpop's default synthesiser (CART for every column, in the file's column order) on the
training split, '?' read as missing, with a fixed seed; samples as many rows as the split has
and writes missing values back as '?', the source's form.
Usage: python bench/c2st/synthpop_adult.py TRAIN.csv OUT.csv [--seed N]
"""

import argparse
import time

import pandas as pd
from synthpop import Synthesiser

NA = "?"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("train")
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    train = pd.read_csv(args.train, na_values=[NA], keep_default_na=False, low_memory=False)
    start = time.perf_counter()
    synthesiser = Synthesiser(random_seed=args.seed).fit(train)
    synthetic = synthesiser.generate(n=len(train))
    seconds = time.perf_counter() - start
    synthetic = synthetic[train.columns]
    # Numeric columns keep their training dtypes (CART samples observed values), so integers stay
    # integers; a column that came out other than the training dtype fails here, not in scoring.
    mismatched = {c: (str(train[c].dtype), str(synthetic[c].dtype)) for c in train.columns
                  if pd.api.types.is_numeric_dtype(train[c]) and train[c].dtype != synthetic[c].dtype}
    if mismatched:
        raise SystemExit(f"synthpop_adult: numeric dtypes changed: {mismatched}")
    synthetic.to_csv(args.out, index=False, na_rep=NA)
    print(f"synthpop (synthpop-py CART, seed {args.seed}): {len(synthetic)} rows, "
          f"fit + sample {seconds:.1f} s -> {args.out}")


if __name__ == "__main__":
    main()

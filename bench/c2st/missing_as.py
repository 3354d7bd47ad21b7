"""Rewrites a CSV's missing values (empty fields) in the given columns as TOKEN, leaving every
other field as it is, so a peer's output can be scored in the source's missing-value form.
Usage: python bench/c2st/missing_as.py IN.csv OUT.csv TOKEN COLUMN [COLUMN ...]
"""

import sys

import pandas as pd


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__.strip().splitlines()[-1])
    source, out, token, columns = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    data = pd.read_csv(source, dtype=str, keep_default_na=False)
    absent = [c for c in columns if c not in data.columns]
    if absent:
        sys.exit(f"missing_as: {source} has no columns {absent}")
    for name in columns:
        if (data[name] == token).any():
            sys.exit(f"missing_as: {source} already has '{token}' in {name}")
        data.loc[data[name] == "", name] = token
    data.to_csv(out, index=False)
    print(f"missing_as: {source} -> {out}, missing as '{token}' in {', '.join(columns)}")


if __name__ == "__main__":
    main()

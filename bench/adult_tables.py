"""The Adult tables as every bench script reads them: `?` is missing, the six numeric columns
are numbers, every other column is text with None for missing (pandas only, so any peer's
virtual environment can import it).

`load(path)` reads a CSV (bench/out/adult_*.csv) or a Parquet file (the peers' anchor outputs
in crates/synthgate-eval/tests/it/fixtures/); `anchor(name)` reads one of those by file name.
"""

import os

import pandas

NUMERIC = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "crates", "synthgate-eval", "tests", "it", "fixtures")


def cast(frame):
    """NUMERIC columns to numbers, the others to objects with None for missing."""
    frame = frame.copy()
    for column in frame.columns:
        if column in NUMERIC:
            frame[column] = pandas.to_numeric(frame[column], errors="coerce")
        else:
            frame[column] = frame[column].astype("object").where(frame[column].notna(), None)
    return frame


def load(path):
    path = str(path)
    if path.endswith(".parquet"):
        return cast(pandas.read_parquet(path))
    return cast(pandas.read_csv(path, na_values=["?"], keep_default_na=True))


def anchor(name):
    """A peer's synthetic Adult table from the test fixtures."""
    return load(os.path.join(FIXTURES, name))

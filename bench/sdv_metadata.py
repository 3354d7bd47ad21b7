"""SDV's own metadata for the Python package's migration test: SDV 2.0 detects the
metadata of UCI Adult and of nycflights13's weather table (a datetime column) from pandas
frames, and writes it as SDV's JSON, into crates/synthgate-python/tests/fixtures/.
Usage: bench/.venv-eval/bin/python bench/sdv_metadata.py DATASETS   (the shared datasets)
"""
import json
import sys
from pathlib import Path

import pandas as pd
from sdv.metadata import Metadata

datasets = Path(sys.argv[1])
out = Path(__file__).resolve().parent.parent / "crates/synthgate-python/tests/fixtures"
out.mkdir(parents=True, exist_ok=True)
frames = {
    "adult": pd.read_csv(datasets / "adult/data.csv", na_values=["?"]),
    "weather": pd.read_csv(datasets / "nycflights13_weather/data.csv"),
}
for name, frame in frames.items():
    metadata = Metadata.detect_from_dataframes({name: frame})
    # SDV's two forms: the Metadata object's dict (tables, relationships) and one table's
    # (columns, primary key), as SDV's single-table synthesizers saved it.
    forms = {
        f"sdv_metadata_{name}.json": metadata.to_dict(),
        f"sdv_table_metadata_{name}.json": metadata.to_dict()["tables"][name],
    }
    for file, value in forms.items():
        path = out / file
        path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")
        print(path)

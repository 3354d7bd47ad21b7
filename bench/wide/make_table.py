"""Writes the wide table of bench/wide/run: real columns of the shared datasets side by side.

Blocks of whole tables (adult, diabetes130 without its two identifiers, nist_acs_national2019,
nhefs without seqn, nycflights13_weather) are put side by side, each block on its own seeded
choice of rows, and the sequence repeats (columns named `block_name`, then `block_name_2`, `block_name_3`, ... and rows
drawn again) until there are COLUMNS columns. Columns inside a block keep their real
relations; columns of different blocks are independent. Missing markers (`?`, NIST's `N`)
become empty fields. The first TRAIN rows are written as the train table, the next HOLDOUT
rows as the holdout. Standard library only; the same arguments give the same bytes.

Usage: python3 bench/wide/make_table.py DATASETS_DIR OUT_DIR [COLUMNS] [TRAIN] [HOLDOUT]
"""

import csv
import os
import random
import sys

# (folder, missing marker, columns left out)
BLOCKS = [
    ("adult", "?", set()),
    ("diabetes130", "?", {"encounter_id", "patient_nbr"}),
    ("nist_acs_national2019", "N", set()),
    ("nhefs", "", {"seqn"}),
    ("nycflights13_weather", "", set()),
]
# Column name prefixes, so names stay unique across blocks (adult and diabetes130 both have
# `age` and `race`).
PREFIX = {"adult": "a", "diabetes130": "d", "nist_acs_national2019": "n", "nhefs": "h",
          "nycflights13_weather": "w"}


def read(datasets, folder, marker, dropped):
    with open(os.path.join(datasets, folder, "data.csv"), newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    keep = [i for i, name in enumerate(header) if name not in dropped]
    names = [header[i] for i in keep]
    body = [["" if row[i] == marker else row[i] for i in keep] for row in rows[1:]]
    return [f"{PREFIX[folder]}_{name}" for name in names], body


def main():
    datasets, out = sys.argv[1], sys.argv[2]
    columns = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    train = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
    holdout = int(sys.argv[5]) if len(sys.argv) > 5 else 2000
    rows = train + holdout
    tables = [read(datasets, *block) for block in BLOCKS]
    rng = random.Random(20261201)
    header, cells = [], [[] for _ in range(rows)]
    repeat = 0
    while len(header) < columns:
        repeat += 1
        for names, body in tables:
            if len(header) >= columns:
                break
            take = min(len(names), columns - len(header))
            # Rows with replacement only when the table is smaller than the draw (nhefs).
            if len(body) >= rows:
                chosen = rng.sample(range(len(body)), rows)
            else:
                chosen = [rng.randrange(len(body)) for _ in range(rows)]
            suffix = "" if repeat == 1 else f"_{repeat}"
            header.extend(name + suffix for name in names[:take])
            for out_row, source_row in zip(cells, chosen):
                out_row.extend(body[source_row][:take])
    os.makedirs(out, exist_ok=True)
    for name, part in (("train", cells[:train]), ("holdout", cells[train:])):
        path = os.path.join(out, f"wide_{name}.csv")
        with open(path, "w", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(part)
    print(f"{len(header)} columns; train {train} rows, holdout {holdout} rows -> {out}")


if __name__ == "__main__":
    main()

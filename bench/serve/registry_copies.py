"""Copy a registry's releases (with their gates and decisions) until it holds N releases: the
copies point at the same bundles, so the service answers for N rows without N pipeline runs.
Usage: python3 registry_copies.py REGISTRY.sqlite N"""

import sqlite3
import sys

path, wanted = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(path)
columns = [r[1] for r in db.execute("PRAGMA table_info(releases)") if r[1] != "id"]
have = db.execute("SELECT COUNT(*) FROM releases").fetchone()[0]
originals = [r[0] for r in db.execute("SELECT id FROM releases ORDER BY id")]
copy = 0
while have < wanted:
    source = originals[copy % len(originals)]
    copy += 1
    cursor = db.execute(
        f"INSERT INTO releases ({', '.join(columns)}) SELECT "
        + ", ".join("version || '-copy" + str(copy) + "'" if c == "version" else ("NULL" if c == "supersedes" else c) for c in columns)
        + " FROM releases WHERE id = ?",
        (source,),
    )
    new = cursor.lastrowid
    db.execute("INSERT INTO gates SELECT ?, metric, outcome, observed, threshold FROM gates WHERE release_id = ?", (new, source))
    approval_columns = [r[1] for r in db.execute("PRAGMA table_info(approvals)") if r[1] != "release_id"]
    db.execute(
        f"INSERT INTO approvals (release_id, {', '.join(approval_columns)}) SELECT ?, {', '.join(approval_columns)} FROM approvals WHERE release_id = ?",
        (new, source),
    )
    have += 1
db.commit()
print(f"{have} releases in {path}", file=sys.stderr)

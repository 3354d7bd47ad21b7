"""An augmented release's before/after table (subgroup.<attribute>.augment_utility_loss's
details) as markdown, with the three augmentation metrics.
Usage: python3 bench/augment/table.py REPORT.json
"""
import json
import sys

metrics = {m["id"]: m for m in json.load(open(sys.argv[1]))["metrics"]}
fmt = lambda x: "" if x is None else f"{x:.4f}"
for id, m in metrics.items():
    if ".augment_" not in id:
        continue
    interval = f" [{fmt(m.get('ci_low'))}, {fmt(m.get('ci_high'))}]" if m.get("ci_low") is not None else ""
    print(f"- {id} = {fmt(m['value'])}{interval} (worst group: {m['details'].get('worst_group')})")
    if "before_after" not in m["details"]:
        continue
    print()
    print("| group | declared share | share before | share after | shapes before | shapes after | TSTR before | TSTR after | change [95%] | TRTR |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for g in m["details"]["before_after"]:
        low, high = g["tstr_change_interval"] or (None, None)
        print(f"| {g['group']} | {fmt(g['declared_share'])} | {fmt(g['share_before'])} | {fmt(g['share_after'])} "
              f"| {fmt(g['column_shapes_before'])} | {fmt(g['column_shapes_after'])} | {fmt(g['tstr_before'])} "
              f"| {fmt(g['tstr_after'])} | {fmt(g['tstr_change'])} [{fmt(low)}, {fmt(high)}] | {fmt(g['trtr'])} |")
    print()

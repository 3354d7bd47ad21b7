"""The marginal value of real data in a report: the mix curve's points (the holdout score of a
model trained on the synthetic rows plus a share of the real training rows, the same real rows
alone, what the real rows add over the synthetic rows alone with its 95% paired-bootstrap
interval) and utility.real_share_needed, as a markdown table.
Usage: python3 bench/harness/mix_curve.py REPORT.json   (e.g. bench/out/harness/report/report.json
after bench/harness/run)
"""
import json
import sys

report = json.load(open(sys.argv[1]))
metrics = {m["id"]: m for m in report["metrics"]}
curve = metrics["utility.mix_curve"]
print(f"measure: {curve['details']['measure']}")
print("| real share | real rows | synthetic + real [95%] | real alone | added by the real rows [95%] | significant |")
print("|---:|---:|---|---:|---|---|")
fmt = lambda x: "" if x is None else f"{x:.4f}"
for p in curve["details"]["points"]:
    mixed = f"{fmt(p['mixed'])} [{fmt(p['mixed_interval'][0])}, {fmt(p['mixed_interval'][1])}]"
    added = f"{fmt(p['real_added'])} [{fmt(p['real_added_interval'][0])}, {fmt(p['real_added_interval'][1])}]"
    print(f"| {p['real_fraction']:.0%} | {p['real_rows']:,} | {mixed} | {fmt(p['real_only'])} | {added} | {'yes' if p['real_added_significant'] else 'no'} |")
needed = metrics["utility.real_share_needed"]
print()
print(f"utility.real_share_needed = {needed['value']}: {needed['details']['statement']}")

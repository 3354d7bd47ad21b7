"""Which columns carry a synthetic table's DCR-share signal on the Adult split (a diagnosis, not
a metric of record): SDMetrics-style distance (numbers scaled by the training range, categories
0/1), equal-size seeded samples (the holdout's size) of train and synthetic, the share of
synthetic rows closer to train than to the holdout (ties half), on all columns, categories
only, numbers only, all but each number, and with fnlwgt jittered (5% and 20%); prints a
markdown table. Needs bench/out/adult_{train,holdout}.csv
(bench/adult_split.py). Usage (from the repository): bench/.venv-c2st/bin/python
bench/dcr_columns.py SYNTHETIC.csv
"""
import sys, numpy as np, pandas as pd
tr = pd.read_csv('bench/out/adult_train.csv', na_values=['?'])
ho = pd.read_csv('bench/out/adult_holdout.csv', na_values=['?'])
sy = pd.read_csv(sys.argv[1], na_values=['?'])
rng = np.random.default_rng(0)
n = len(ho)
trs = tr.sample(n, random_state=1).reset_index(drop=True)
sys_ = sy.sample(n, random_state=2).reset_index(drop=True)
num = [c for c in tr.columns if tr[c].dtype != object]
cat = [c for c in tr.columns if tr[c].dtype == object]
def enc(df, cols):
    out = []
    for c in cols:
        if c in num:
            lo, hi = tr[c].min(), tr[c].max()
            out.append(((df[c].fillna(lo - (hi-lo)) - lo) / (hi - lo)).to_numpy())
        else:
            cats = {v: i for i, v in enumerate(pd.concat([tr[c], ho[c], sy[c]]).fillna('<NA>').unique())}
            out.append(df[c].fillna('<NA>').map(cats).to_numpy().astype(float) * 1000)
    return np.stack(out, 1)
def nn(q, ref, ncols):
    best = np.full(len(q), np.inf)
    for i in range(0, len(ref), 500):
        r = ref[i:i+500]
        d = np.minimum(np.abs(q[:, None, :] - r[None, :, :]), 1.0).sum(2) / ncols
        best = np.minimum(best, d.min(1))
    return best
def share(cols):
    q, a, b = enc(sys_, cols), enc(trs, cols), enc(ho, cols)
    dt, dh = nn(q, a, len(cols)), nn(q, b, len(cols))
    return ((dt < dh) + 0.5 * (dt == dh)).mean(), (dt == dh).mean()
allc = list(tr.columns)
rows = [("all columns", allc), ("categories only", cat), ("numbers only", num)]
rows += [(f"all but {c}", [x for x in allc if x != c]) for c in num]
print("| columns | DCR share | ties |")
print("|---|---:|---:|")
for name, cols in rows:
    value, ties = share(cols)
    print(f"| {name} | {value:.4f} | {ties:.3f} |")
# fnlwgt, the one near-unique number, jittered by a multiplicative log-normal factor.
base = sys_.copy()
for sd in (0.05, 0.2):
    sys_ = base.copy()
    sys_["fnlwgt"] = (sys_["fnlwgt"] * np.exp(rng.normal(0, sd, n))).round()
    value, ties = share(allc)
    print(f"| all columns, fnlwgt jittered (sd {sd}) | {value:.4f} | {ties:.3f} |")
sys_ = base

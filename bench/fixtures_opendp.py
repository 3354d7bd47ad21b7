"""Reference values for Synthgate's zCDP accountant, computed by OpenDP.

Writes crates/synthgate-dp/tests/fixtures/opendp.json, read by
crates/synthgate-dp/tests/accountant.rs. Run with the environment of
requirements-opendp.txt:

    python3 -m venv .venv-opendp && .venv-opendp/bin/pip install -r requirements-opendp.txt
    .venv-opendp/bin/python fixtures_opendp.py

- "gaussian": OpenDP's `make_gaussian` on integer vectors with L2 sensitivity d_in and noise
  scale sigma (the discrete Gaussian): the rho of zero-concentrated DP it reports.
- "conversion": OpenDP's `make_zCDP_to_approxDP` (Canonne, Kamath and Steinke 2020,
  Corollary 13) on a mechanism of that rho: epsilon at delta.
"""

import json
import os
import sys

import opendp.prelude as dp

dp.enable_features("contrib")

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "crates", "synthgate-dp", "tests", "fixtures", "opendp.json",
)

gaussian = []
for sigma in [0.5, 1.0, 3.7, 10.0, 41.2, 400.0]:
    for d_in in [1, 2, 5]:
        meas = dp.m.make_gaussian(
            dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=int), scale=sigma
        )
        gaussian.append({"sigma": sigma, "sensitivity": d_in, "rho": meas.map(d_in)})

conversion = []
for sigma in [1.0, 5.0, 12.0, 30.0, 100.0]:
    meas = dp.m.make_gaussian(
        dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=int), scale=sigma
    )
    rho = meas.map(1)
    profile = dp.c.make_zCDP_to_approxDP(meas).map(1)
    for delta in [1e-5, 1e-9, 1e-12]:
        conversion.append({"rho": rho, "delta": delta, "epsilon": profile.epsilon(delta)})

with open(OUT, "w") as f:
    json.dump(
        {"opendp": "0.16.0", "gaussian": gaussian, "conversion": conversion}, f, indent=1
    )
    f.write("\n")
print(f"wrote {len(gaussian)} + {len(conversion)} references to {OUT}", file=sys.stderr)

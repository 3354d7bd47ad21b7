"""How much of the weather benchmark's correlation gap is humidity's own: for each synthetic
readings file a `weather.py --out DIR` run left (DIR/synthgate-*/readings.csv), the
correlations of temp, dewp and humid as they are, with each station-day's first-reading
humidity offset removed, and with every humidity replaced by the value its own temperature and
dew point imply (the Magnus formula, Alduchov and Eskridge's constants), against the training
readings (DIR/weather_train.csv). The last is an upper bound on fixing humidity alone. Also
each file's mean distance of humidity from that implied value, and the shares of readings with
the dew point above the temperature or the gust below the wind speed (no real reading has
either).

Usage: bench/.venv-eval/bin/python bench/multitable/weather_humidity.py DIR
"""

import glob
import os
import sys

import numpy as np
import pandas as pd

KEY = ["origin", "year", "month", "day"]


def implied(temp_f, dewp_f):
    t, d = (temp_f - 32) * 5 / 9, (dewp_f - 32) * 5 / 9
    return 100 * np.exp(17.625 * d / (243.04 + d)) / np.exp(17.625 * t / (243.04 + t))


def correlations(frame):
    c = frame[["temp", "dewp", "humid"]].corr()
    return {"temp-dewp": round(float(c.loc["temp", "dewp"]), 3),
            "temp-humid": round(float(c.loc["temp", "humid"]), 3),
            "dewp-humid": round(float(c.loc["dewp", "humid"]), 3)}


def main():
    folder = sys.argv[1]
    train = pd.read_csv(os.path.join(folder, "weather_train.csv"))
    train_residual = train["humid"] - implied(train["temp"], train["dewp"])
    print("training readings", correlations(train), "residual sd",
          round(float(train_residual.std()), 2), "mean distance from implied",
          round(float(train_residual.abs().mean()), 2), "dew point above temperature",
          round(float((train["dewp"] > train["temp"]).mean()), 4), "gust below wind speed",
          round(float((train["wind_gust"] < train["wind_speed"]).mean()), 4))
    for path in sorted(glob.glob(os.path.join(folder, "synthgate-*", "readings.csv"))):
        x = pd.read_csv(path)
        x["_t"] = pd.to_datetime(x["time_hour"], utc=True)
        x = x.sort_values(KEY + ["_t"])
        residual = x["humid"] - implied(x["temp"], x["dewp"])
        first = residual.groupby([x[k] for k in KEY]).transform("first")
        without_offset = x.assign(humid=(x["humid"] - first).clip(0, 100))
        as_implied = x.assign(humid=implied(x["temp"], x["dewp"]).clip(0, 100))
        print(path, "as drawn", correlations(x), "first offset removed",
              correlations(without_offset), "humidity as implied", correlations(as_implied),
              "residual sd", round(float(residual.std()), 2),
              "mean distance from implied", round(float(residual.abs().mean()), 2),
              "dew point above temperature", round(float((x["dewp"] > x["temp"]).mean()), 4),
              "gust below wind speed", round(float((x["wind_gust"] < x["wind_speed"]).mean()), 4))


if __name__ == "__main__":
    main()

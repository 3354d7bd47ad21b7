"""How a station-day's readings move together, in the training readings and in each synthetic
readings file a `weather.py --out DIR` run left (DIR/synthgate-*/readings.csv): the correlation
over station-days of temperature's and dew point's whole-day changes (last reading less
first), the same hour by hour (changes from the previous reading), and the dew point-humidity
correlation of the station-days' first readings. Issue 15's weather correlation floor is
mostly these: a day's temperature and dew point drift together over hours though hour to hour
they barely do, and humidity follows the two.

Usage: bench/.venv-eval/bin/python bench/multitable/weather_days.py DIR
"""

import glob
import os
import sys

import pandas as pd

KEY = ["origin", "year", "month", "day"]


def measures(path):
    x = pd.read_csv(path)
    x["_t"] = pd.to_datetime(x["time_hour"], utc=True)
    x = x.sort_values(KEY + ["_t"])
    days = x.groupby(KEY)
    whole = days[["temp", "dewp"]].last() - days[["temp", "dewp"]].first()
    hourly = days[["temp", "dewp"]].diff()
    first = days[["dewp", "humid"]].first()
    return {"day_change_temp_dewp": round(float(whole["temp"].corr(whole["dewp"])), 3),
            "hourly_change_temp_dewp": round(float(hourly["temp"].corr(hourly["dewp"])), 3),
            "first_reading_dewp_humid": round(float(first["dewp"].corr(first["humid"])), 3)}


def main():
    folder = sys.argv[1]
    print("training readings", measures(os.path.join(folder, "weather_train.csv")))
    for path in sorted(glob.glob(os.path.join(folder, "synthgate-*", "readings.csv"))):
        print(path, measures(path))


if __name__ == "__main__":
    main()

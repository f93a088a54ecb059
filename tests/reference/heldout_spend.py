# Held-out check of the seasonal anomaly detector and of budget status on daily spend series made
# like ../shared/data/series/llm_daily_spend_dev.csv (its truth file's generator: 300 a day,
# growth 0.004 a day, its weekday profile, log-normal noise sd 0.06, three one-day spikes of
# 2-2.8x at random days before the cut-off), in the manner of issue 4's acceptance:
# - `cost-ops anomalies`: are the three spike dates found, and nothing else?
# - `cost-ops budget status` for April as of 2025-04-16, with a budget of 84% of the month's actual
#   total (12,000 of 14,306 on the dev series): is the projection within 3% of the actual total and
#   the exhaustion date within a day? Does the interval hold the actual total?
# Plus series with no spend at weekends (zero days), where only the spikes may be flagged.
#
# Run: /usr/bin/python3 tests/reference/heldout_spend.py [--bin build/release/cli/cost-ops] [--n 200].
# Needs numpy (Debian: python3-numpy; not used by the test suite).
import argparse, datetime as dt, json, os, subprocess, tempfile

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--bin", default="build/release/cli/cost-ops")
ap.add_argument("--n", type=int, default=200)
args = ap.parse_args()
work = tempfile.mkdtemp(prefix="heldout-spend-")
profile = [1.148936, 1.191489, 1.170213, 1.159574, 1.085106, 0.659574, 0.585106]
start = dt.date(2025, 1, 1)


def write(path, values):
    with open(path, "w") as f:
        f.write("date,value\n")
        for t, v in enumerate(values):
            f.write(f"{start + dt.timedelta(t)},{v:.2f}\n")


def run(*cmd):
    return json.loads(subprocess.run([args.bin, *cmd, "--format", "json"], capture_output=True,
                                     text=True, check=True).stdout)


def flagged(path):
    return {(dt.date.fromisoformat(a["date"]) - start).days for a in run("anomalies", "--series", path)["anomalies"]}


exact = missed = false_alarms = within3 = within1 = covered = 0
errors = []
for seed in range(1000, 1000 + args.n):
    r = np.random.default_rng(seed)
    spikes = {int(x) for x in r.choice(np.arange(3, 105), 3, replace=False)}
    mult = {s: float(r.uniform(2.0, 2.8)) for s in sorted(spikes)}
    y = [round(300 * np.exp(0.004 * t) * profile[(start + dt.timedelta(t)).weekday()] *
               np.exp(r.normal(0, 0.06)) * mult.get(t, 1), 2) for t in range(120)]
    path = os.path.join(work, f"s{seed}.csv")
    write(path, y)
    found = flagged(path)
    exact += found == spikes
    missed += len(spikes - found)
    false_alarms += len(found - spikes)

    april = y[90:]
    total = sum(april)
    amount = round(0.84 * total, -2)
    cum, exhausted = 0.0, None
    for t, v in enumerate(april):
        cum += v
        if exhausted is None and cum >= amount:
            exhausted = dt.date(2025, 4, 1) + dt.timedelta(t)
    b = run("budget", "status", "--series", path, "--amount", str(amount), "--period", "2025-04",
            "--as-of", "2025-04-16")
    err = 100 * (b["projected_total"] - total) / total
    errors.append(err)
    within3 += abs(err) <= 3
    if b["exhaustion_date"] and exhausted:
        within1 += abs((dt.date.fromisoformat(b["exhaustion_date"]) - exhausted).days) <= 1
    covered += b["projected_lower"] <= total <= b["projected_upper"]

n = args.n
e = np.array(errors)
print(f"detector: exact on {exact} of {n} series; spikes missed {missed} of {3 * n}; "
      f"false alarms {false_alarms}")
print(f"budget: projection within 3% on {within3} of {n} (mean error {e.mean():+.2f}%, "
      f"sd {e.std():.2f}); exhaustion within a day on {within1}; 95% interval holds the total "
      f"on {covered}")

# Zero weekends: weekday spend growing 0-1.5% a day, two weekday spikes.
wrong = 0
for seed in range(n):
    r = np.random.default_rng(seed)
    g = r.uniform(0.0, 0.015)
    days = [t for t in range(3, 117) if (start + dt.timedelta(t)).weekday() < 5]
    spikes = {int(x) for x in r.choice(days, 2, replace=False)}
    y = [0.0 if (start + dt.timedelta(t)).weekday() > 4 else
         300 * np.exp(g * t + r.normal(0, 0.06)) * (r.uniform(2, 2.8) if t in spikes else 1)
         for t in range(120)]
    path = os.path.join(work, f"w{seed}.csv")
    write(path, y)
    wrong += flagged(path) != spikes
print(f"zero weekends: detector exact on {n - wrong} of {n} series")

# Held-out check of `cost-ops forecast` (automatic selection) on series it was not designed on, in
# the manner of issue 4's acceptance: with --holdout h, is the sMAPE at most the better of seasonal
# naive (naive without a season) and statsmodels' Holt-Winters additive (Holt without a season)?
#
# Series: real ones from statsmodels' bundled datasets (Mauna Loa CO2 monthly means, electrical
# equipment orders, El Nino sea temperatures, four US quarterly macro series, yearly sunspots), the
# four of ../shared/data/series when present, and 30 synthetic daily spend series made like
# llm_daily_spend_dev (weekly profile, growth, log-normal noise, three one-day spikes). --wide adds
# 54 more real series and 16 noisy yearly ones, --short windows of three and four seasons of the
# real monthly and quarterly ones, --exact N series from the truth file's own generator, --ets N
# series simulated from random exponential smoothing processes, --monthly 34 windows of US housing
# starts (monthly, strongly seasonal, like airpassengers and usaccdeaths). Per group it prints how often the
# bar is met and the geometric mean of sMAPE / bar, for ours and, to compare, for each half of the
# bar alone (the bar is the better of the two on every series, so each alone scores at least 1).
# The series are written to a temporary directory with meta.json listing them (group, name, path,
# season, h). Per group it also prints how many of the held-out points the 80% and 95% prediction
# intervals hold.
#
# Run: /usr/bin/python3 tests/reference/heldout_eval.py [--bin build/release/cli/cost-ops]
# [--exact N] [--wide] [--short] [--monthly] [--ets N [--ets-seed S]] [--bar hw|aicc] [-- extra forecast
# options]. Needs Debian's python3-statsmodels (not used by the test suite).
import argparse, json, math, os, subprocess, sys, tempfile, warnings

warnings.filterwarnings("ignore")
import numpy as np
import pandas as pd
from statsmodels.datasets import (co2, danish_data, elec_equip, elnino, fertility,
                                  interest_inflation, macrodata, nile, sunspots)
from statsmodels.tsa.holtwinters import ExponentialSmoothing

ap = argparse.ArgumentParser()
ap.add_argument("--bin", default="build/release/cli/cost-ops")
ap.add_argument("--exact", type=int, default=0,
                help="also N daily series from llm_daily_spend_dev's own generator (truth file)")
ap.add_argument("--wide", action="store_true",
                help="also groups 'wide': more real series (the other macrodata columns, Danish "
                     "money demand, German interest and inflation, 40 countries' yearly fertility), "
                     "and 'yearly': noisy yearly ones like nile (El Nino's yearly means, windows "
                     "of the sunspots and of the Nile)")
ap.add_argument("--short", action="store_true",
                help="also group 'short': windows of three and four seasons of the real monthly and "
                     "quarterly series (the --wide ones too when given), holding out one season")
ap.add_argument("--monthly", action="store_true",
                help="also group 'monthly': windows of 72 and 144 months (usaccdeaths' and "
                     "airpassengers' lengths, every 36 months) of US housing starts, the monthly "
                     "series statsmodels ships with its Holt-Winters tests")
ap.add_argument("--ets", type=int, default=0,
                help="also group 'ets': N series simulated from random exponential smoothing "
                     "processes (additive or multiplicative seasons of 4, 7 or 12, trends, damped "
                     "trends, noise), for heldout_sse.py's search of fits worse than statsmodels'")
ap.add_argument("--ets-seed", type=int, default=7, help="the random seed of --ets (default 7)")
ap.add_argument("--bar", choices=["hw", "aicc"], default="hw",
                help="the exponential smoothing reference: hw (default) Holt-Winters additive, "
                     "Holt without a season, as issue 4 quotes; aicc statsmodels' own choice, "
                     "the lowest AICc of its exponential smoothing models")
ap.add_argument("extra", nargs="*", help="more cost-ops forecast options")
args = ap.parse_args()
work = tempfile.mkdtemp(prefix="heldout-")
shared = os.path.join(os.path.dirname(__file__), "../../../shared/data/series")


def write(name, dates, values):
    path = os.path.join(work, name + ".csv")
    with open(path, "w") as f:
        f.write("date,value\n")
        for d, v in zip(dates, values):
            f.write(f"{d},{v:.6g}\n")
    return path


series = []  # (group, name, path, season, h)
s = elec_equip.load_pandas().data.iloc[:, 0]
series.append(("real", "elec_equip", write("elec_equip", [d.strftime("%Y-%m-01") for d in s.index], s.values), 12, 12))
c = co2.load_pandas().data["co2"].interpolate().resample("MS").mean().dropna()[-144:]
series.append(("real", "co2", write("co2", [d.strftime("%Y-%m-01") for d in c.index], c.values), 12, 12))
en = elnino.load_pandas().data
vals = en.iloc[:, 1:13].values.flatten()
dates = [f"{int(y)}-{m:02d}-01" for y in en["YEAR"].values for m in range(1, 13)]
series.append(("real", "elnino", write("elnino", dates[-144:], vals[-144:]), 12, 12))
md = macrodata.load_pandas().data
qd = [f"{int(y)}-{(int(q) - 1) * 3 + 1:02d}-01" for y, q in zip(md.year, md.quarter)]
for col in ["realgdp", "cpi", "m1", "realcons"]:
    series.append(("real", "q_" + col, write("q_" + col, qd, md[col].values), 4, 8))
ss = sunspots.load_pandas().data
series.append(("real", "sunspots", write("sunspots", [f"{int(y)}-01-01" for y in ss.YEAR.values[-100:]], ss.SUNACTIVITY.values[-100:] + 1), 0, 10))
if args.wide:
    for col in ["realinv", "realgovt", "realdpi", "unemp", "tbilrate", "pop", "infl"]:
        series.append(("wide", "q_" + col, write("q_" + col, qd, md[col].values), 4, 8))
    dd = danish_data.load_pandas().data
    for col in dd.columns:
        series.append(("wide", "dk_" + col, write("dk_" + col, [d.strftime("%Y-%m-01") for d in dd.index], dd[col].values), 4, 8))
    ii = interest_inflation.load_pandas().data
    iq = [f"{int(y)}-{(int(q) - 1) * 3 + 1:02d}-01" for y, q in zip(ii.year, ii.quarter)]
    for col in ["Dp", "R"]:
        series.append(("wide", "de_" + col, write("de_" + col, iq, ii[col].values), 4, 8))
    fe = fertility.load_pandas().data
    years = [c for c in fe.columns if c.isdigit() and int(c) <= 2011]
    full = fe.dropna(subset=years)
    for _, row in full.iloc[::max(1, len(full) // 40)][:40].iterrows():
        code = row["Country Code"]
        series.append(("wide", "fert_" + code, write("fert_" + code, [f"{y}-01-01" for y in years], row[years].values.astype(float)), 0, 10))
if args.wide:
    # Noisy yearly series like nile: El Nino's yearly means, 60-year windows of the sunspots and
    # 40-year windows of the Nile's own flow.
    yearly = [("elnino_yearly", en.iloc[:, 1:13].mean(axis=1).values)]
    spots = ss.SUNACTIVITY.values + 1
    yearly += [(f"sunspots_{st}", spots[st:st + 60]) for st in range(0, len(spots) - 60, 30)]
    flow = nile.load_pandas().data.volume.values
    yearly += [(f"nile_{st}", flow[st:st + 40]) for st in range(0, len(flow) - 40, 10)]
    for name, v in yearly:
        series.append(("yearly", name, write(name, [f"{1700 + i}-01-01" for i in range(len(v))], v), 0, 10))
for name, m, h in [("airpassengers", 12, 12), ("usaccdeaths", 12, 12), ("nile", 0, 10), ("llm_daily_spend_dev", 7, 14)]:
    p = os.path.join(shared, name + ".csv")
    if os.path.exists(p):
        series.append(("shared", name, p, m, h))
if args.short:
    for group, name, path, m, h in list(series):
        if m not in (4, 12):
            continue
        df = pd.read_csv(path)
        for seasons in (3, 4):
            length = m * seasons
            for start in range(0, len(df) - length + 1, max(length, len(df) // 4)):
                sub = df.iloc[start:start + length]
                series.append(("short", f"{name}_{seasons}s_{start}", write(f"{name}_{seasons}s_{start}", sub["date"].values, sub["value"].values), m, m))
if args.monthly:
    import statsmodels.tsa.holtwinters.tests.results as hw_results
    hs = pd.read_csv(os.path.join(os.path.dirname(hw_results.__file__), "housing-data.csv"))
    for length in (72, 144):
        for start in range(0, len(hs) - length + 1, 36):
            sub = hs.iloc[start:start + length]
            name = f"housing_{length}_{start}"
            series.append(("monthly", name, write(name, sub.DATE.values, sub.HOUSTNSA.values), 12, 12))
profile = [1.149, 1.191, 1.170, 1.160, 1.085, 0.660, 0.585]
for seed in range(200, 230):
    r = np.random.default_rng(seed)
    spikes = set(r.choice(np.arange(5, 105), 3, replace=False))
    g = r.uniform(0.001, 0.006)
    y = [300 * np.exp(g * t) * profile[t % 7] * np.exp(r.normal(0, 0.06)) * (r.uniform(2, 2.8) if t in spikes else 1) for t in range(120)]
    d = pd.date_range("2025-01-01", periods=120, freq="D")
    series.append(("daily", f"d{seed}", write(f"d{seed}", [x.strftime("%Y-%m-%d") for x in d], y), 7, 14))


def simulate_ets(r):
    """One series from a random exponential smoothing process, or None when it ran away (a level
    near zero that a multiplicative season's update divides by): values over a range of 100x or
    more, which no spend series has."""
    m = int(r.choice([4, 7, 12]))
    n = int(r.choice([3 * m, 4 * m, 6 * m, 10 * m])) if m != 7 else int(r.choice([28, 56, 120, 200]))
    kind = r.choice(["add", "mul", "trend", "damped", "noisy", "level"])
    level = r.uniform(50, 500)
    slope = r.uniform(-1, 3) * level / 200
    if kind == "level":
        slope = 0.0
    season = r.normal(0, 0.15, m)
    season -= season.mean()
    a, be, g = r.uniform(0.05, 0.9), r.uniform(0, 0.3), r.uniform(0, 0.4)
    sd = r.uniform(0.01, 0.15) * level * (3 if kind == "noisy" else 1)
    y = []
    for t in range(n):
        sf = season[t % m]
        if kind == "mul":
            pred = (level + slope) * (1 + sf)
        elif kind == "level":
            pred = level * (1 + sf)
        else:
            pred = level + slope + sf * level
        e = r.normal(0, sd)
        y.append(pred + e)
        new_level = level + slope + a * e
        if kind != "level":
            slope += a * be * e * (0.9 if kind == "damped" else 1)
            if kind == "damped":
                slope *= 0.9
        season[t % m] = sf + g * (1 - a) * e / max(level, 1e-9)
        level = new_level
    y = np.array(y)
    if y.min() <= 0:
        y = y - y.min() + r.uniform(1, 20)
    if not np.isfinite(y).all() or y.max() > 100 * y.min():
        return None
    return m, n, kind, y


r = np.random.default_rng(args.ets_seed)
for i in range(args.ets):
    sim = None
    while sim is None:
        sim = simulate_ets(r)
    m, n, kind, y = sim
    d = pd.date_range("2020-01-01", periods=n, freq={4: "QS", 7: "D", 12: "MS"}[m])
    series.append(("ets", f"x{i}_{kind}_{m}", write(f"x{i}", [x.strftime("%Y-%m-%d") for x in d], y), m, m))
# The truth file's generator exactly: growth 0.004, its Monday-first profile (2025-01-01 is a
# Wednesday), noise sd 0.06, three 2-2.8x spikes anywhere but the first and last days.
truth_profile = [1.148936, 1.191489, 1.170213, 1.159574, 1.085106, 0.659574, 0.585106]
for seed in range(5000, 5000 + args.exact):
    r = np.random.default_rng(seed)
    spikes = set(int(x) for x in r.choice(np.arange(3, 117), 3, replace=False))
    d = pd.date_range("2025-01-01", periods=120, freq="D")
    y = [round(300 * np.exp(0.004 * t) * truth_profile[d[t].weekday()] * np.exp(r.normal(0, 0.06)) *
               (r.uniform(2, 2.8) if t in spikes else 1), 2) for t in range(120)]
    series.append(("exact", f"e{seed}", write(f"e{seed}", [x.strftime("%Y-%m-%d") for x in d], y), 7, 14))


def aicc_best(tr, m):
    """statsmodels' own choice among its exponential smoothing models: the lowest AICc of every
    trend (none, additive, damped) and season (none, additive, multiplicative on positive data,
    with two seasons) it can fit."""
    best = None
    seasons = [None] + (["add"] + (["mul"] if (tr > 0).all() else []) if m and len(tr) >= 2 * m else [])
    for trend, damped in [(None, False), ("add", False), ("add", True)]:
        for season in seasons:
            try:
                r = ExponentialSmoothing(tr, trend=trend, damped_trend=damped, seasonal=season,
                                         seasonal_periods=m if season else None).fit()
            except Exception:
                continue
            if np.isfinite(r.aicc) and (best is None or r.aicc < best.aicc):
                best = r
    return best


def smape(a, f):
    return 100 * np.mean(2 * np.abs(f - a) / (np.abs(a) + np.abs(f)))


json.dump(series, open(os.path.join(work, "meta.json"), "w"))
print(f"series written to {work}", file=sys.stderr)
groups, cover = {}, {}
for group, name, path, m, h in series:
    y = pd.read_csv(path)["value"].values.astype(float)
    tr, te = y[:-h], y[-h:]
    if args.bar == "aicc":
        ref = aicc_best(tr, m).forecast(h)
    elif m:
        ref = ExponentialSmoothing(tr, trend="add", seasonal="add", seasonal_periods=m).fit().forecast(h)
    else:
        ref = ExponentialSmoothing(tr, trend="add").fit().forecast(h)
    if m:
        base = np.array([tr[len(tr) - m + (i % m)] for i in range(h)])
    else:
        base = np.repeat(tr[-1], h)
    s_ref, s_base = smape(te, ref), smape(te, base)
    target = min(s_ref, s_base)
    cmd = [args.bin, "forecast", "--series", path, "--season", str(m), "--horizon", str(h),
           "--holdout", str(h), "--format", "json"] + args.extra
    out = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    ours = out["holdout"]["smape"]
    ok = ours <= target + 1e-9
    lr = lambda v: math.log(max(v, 1e-9) / max(target, 1e-9))
    groups.setdefault(group, []).append((ok, lr(ours), lr(s_ref), lr(s_base)))
    c = cover.setdefault(group, [0, 0, 0])  # points, inside 80%, inside 95%
    for row, a in zip(out["forecast"], te):
        c[0] += 1
        c[1] += row["lower_80"] <= a <= row["upper_80"]
        c[2] += row["lower_95"] <= a <= row["upper_95"]
    print(f"{group:6s} {name:20s} ours {ours:8.3f}  target {target:8.3f}  {'ok  ' if ok else 'MISS'} {out['model']}")
for group, rows in groups.items():
    n, c80, c95 = cover[group]
    gm = lambda i: math.exp(sum(r[i] for r in rows) / len(rows))
    print(f"{group}: met on {sum(r[0] for r in rows)} of {len(rows)}; "
          f"geometric mean of ours / target {gm(1):.3f} (statsmodels' reference alone {gm(2):.3f}, "
          f"seasonal naive alone {gm(3):.3f}); "
          f"intervals hold {100 * c80 / n:.1f}% (80%), {100 * c95 / n:.1f}% (95%) of {n} points")

#!/usr/bin/env python3
"""Generates data/samples/usage.jsonl: a realistic, deterministic usage log for the quick start.

Several providers, models, projects, users and tags over 75 days, with weekday seasonality,
growth, prompt caching, reasoning tokens and two one-day spikes. Run from the repository root:
    python3 scripts/gen_sample_usage.py > data/samples/usage.jsonl
"""
import datetime as dt
import json
import random

rng = random.Random(20261101)
MODELS = [  # provider, model, weight, mean input, mean output, cache share, reasoning share
    ("openai", "gpt-4o", 18, 2400, 350, 0.30, 0.0),
    ("openai", "gpt-4o-mini", 30, 1800, 250, 0.20, 0.0),
    ("openai", "gpt-4.1", 8, 6000, 600, 0.40, 0.0),
    ("openai", "o3", 4, 3000, 1800, 0.10, 0.6),
    ("anthropic", "claude-sonnet-4-5", 14, 5200, 700, 0.50, 0.0),
    ("anthropic", "claude-3-5-haiku-latest", 10, 1500, 200, 0.30, 0.0),
    ("google", "gemini-2.5-flash", 10, 3000, 400, 0.15, 0.3),
    ("google", "gemini-2.5-pro", 3, 9000, 900, 0.20, 0.4),
    ("deepseek", "deepseek-chat", 3, 2500, 500, 0.40, 0.0),
]
PROJECTS = [("search", "team-search"), ("support-bot", "team-cx"), ("code-review", "team-dev"), ("analytics", "team-data")]
USERS = [f"user-{i:02d}" for i in range(1, 25)]
start = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
days = 75
spikes = {dt.date(2026, 8, 27): 4.0, dt.date(2026, 9, 30): 3.0}
n = 0
for d in range(days):
    day = start + dt.timedelta(days=d)
    weekday = day.weekday()
    base = 40 * (1 + d / 120) * (0.45 if weekday >= 5 else 1.0)
    count = int(base * spikes.get(day.date(), 1.0) + rng.randint(-4, 4))
    for _ in range(max(count, 1)):
        prov, model, _, mi, mo, cache, reason = rng.choices(MODELS, weights=[m[2] for m in MODELS])[0]
        proj, team = rng.choice(PROJECTS)
        ts = day + dt.timedelta(seconds=rng.randint(6 * 3600, 22 * 3600))
        inp = max(20, int(rng.lognormvariate(0, 0.6) * mi))
        out = max(1, int(rng.lognormvariate(0, 0.5) * mo))
        usage = {"input_tokens": inp, "output_tokens": out}
        if rng.random() < cache * 1.5:
            usage["cache_read_tokens"] = int(inp * rng.uniform(0.2, 0.8))
        if reason:
            usage["output_reasoning_tokens"] = int(out * reason)
        n += 1
        rec = {"id": f"req-{n:06d}", "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "provider": prov, "model": model,
               "organization_id": "acme", "project_id": proj, "user_id": rng.choice(USERS),
               "tags": {"team": team, "env": "prod" if rng.random() < 0.85 else "staging"}, "usage": usage}
        print(json.dumps(rec, separators=(",", ":")))

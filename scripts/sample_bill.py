#!/usr/bin/env python3
"""Writes data/samples/openai-costs.jsonl: a made-up OpenAI bill for September 2026, in the shape of
the pages of OpenAI's /v1/organization/costs API (group_by=line_item, a page of up to 7 daily
buckets per line), built from the bundled sample usage priced by cost-ops. Models carry the
snapshot names OpenAI bills under. Two differences from the sample usage are put in, for
`cost-ops reconcile` to find: on 2026-09-15, 0.42 USD of gpt-4o input that no stored record has
(a job that logs nowhere), and web search fees on three days.
Usage: scripts/sample_bill.py [path/to/cost-ops]"""
import collections, datetime, json, subprocess, sys
from decimal import Decimal

costops = sys.argv[1] if len(sys.argv) > 1 else 'build/release/cli/cost-ops'
snapshots = {'gpt-4o': 'gpt-4o-2024-08-06', 'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
             'gpt-4.1': 'gpt-4.1-2025-04-14', 'o3': 'o3-2025-04-16'}
records = [json.loads(l) for l in open('data/samples/usage.jsonl')]
priced = subprocess.run([costops, 'price', 'data/samples/usage.jsonl'], capture_output=True,
                        text=True, check=True).stdout.splitlines()
lines = collections.defaultdict(Decimal)  # (day, line item) -> amount
for r, p in zip(records, map(json.loads, priced)):
    day = r['timestamp'][:10]
    if r['provider'] != 'openai' or not day.startswith('2026-09'):
        continue
    model = snapshots[r['model']]
    lines[(day, model + ', input')] += Decimal(p['input_price'])
    lines[(day, model + ', output')] += Decimal(p['output_price'])
lines[('2026-09-15', 'gpt-4o-2024-08-06, input')] += Decimal('0.42')
for day in ('2026-09-08', '2026-09-09', '2026-09-22'):
    lines[(day, 'web search tool calls')] += Decimal('0.25')

start = datetime.datetime(2026, 9, 1, tzinfo=datetime.timezone.utc)
buckets = []
for i in range(30):
    t = start + datetime.timedelta(days=i)
    day = t.strftime('%Y-%m-%d')
    results = [f'{{"object": "organization.costs.result", "amount": {{"value": {amount}, '
               f'"currency": "usd"}}, "line_item": {json.dumps(item)}, "project_id": null}}'
               for (d, item), amount in sorted(lines.items()) if d == day]
    epoch = int(t.timestamp())
    buckets.append(f'{{"object": "bucket", "start_time": {epoch}, "end_time": {epoch + 86400}, '
                   f'"results": [{", ".join(results)}]}}')
with open('data/samples/openai-costs.jsonl', 'w') as out:
    for p in range(0, len(buckets), 7):
        more = p + 7 < len(buckets)
        nxt = json.dumps(f'page_{p // 7 + 2}') if more else 'null'
        out.write(f'{{"object": "page", "data": [{", ".join(buckets[p:p + 7])}], '
                  f'"has_more": {"true" if more else "false"}, "next_page": {nxt}}}\n')

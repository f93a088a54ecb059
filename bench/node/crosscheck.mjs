// Cross-check of `cost-ops price` against genai-prices' JavaScript library on the same catalog:
// random usages for every model of every provider (every unit the model prices, plus sometimes
// one it does not; counts across long-context tiers; timestamps across price changes and
// time-of-day windows), random response bodies for every usage extractor (each mapping given
// or left out), and names each model's match rule accepts. Both price each line; input and output prices must agree to 9 significant digits
// (the library computes in binary floating point), and a line must fail in both or neither.
//
// Usage: node crosscheck.mjs COST_OPS DATA_JSON UNITS_YML [SEED]
// Exit status 0 when every line agrees, 1 otherwise (the first differences are printed).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { calcPrice, extractUsage } from '@pydantic/genai-prices'

const [costops, dataPath, unitsPath, seedArg] = process.argv.slice(2)
const providers = JSON.parse(fs.readFileSync(dataPath, 'utf8'))
let seed = Number(seedArg || 1)
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
const pick = (a) => a[Math.floor(rnd() * a.length)]

// The unit registry: usage key, price key and dimensions of each unit.
const units = {}
let cur = null
for (const line of fs.readFileSync(unitsPath, 'utf8').split('\n')) {
  let m
  if ((m = /^([a-z0-9_]+):\s*$/.exec(line))) { cur = { key: m[1], priceKey: m[1], dims: {} }; units[m[1]] = cur; continue }
  if (!cur) continue
  if ((m = /^\s+price_key:\s*(\S+)/.exec(line))) cur.priceKey = m[1]
  if ((m = /^\s+dimensions:\s*\{(.*)\}/.exec(line))) {
    for (const kv of m[1].split(',')) { const [k, v] = kv.split(':').map(s => s.trim()); cur.dims[k] = v }
  }
}
const byPriceKey = Object.fromEntries(Object.values(units).map(u => [u.priceKey, u]))
// d is part of a: same family, and every dimension a sets, d sets alike.
const partOf = (d, a) => d !== a && Object.entries(a.dims).every(([k, v]) => d.dims[k] === v)
const tokenUnits = Object.values(units).filter(u => u.dims.family === 'tokens')

const stamps = ['2023-06-01T00:00:00Z', '2025-01-15T08:00:00Z', '2026-08-21T12:00:00Z',
  '2026-08-21T02:30:00Z', '2026-08-21T17:45:30Z', '2026-12-01T18:00:00Z']
const lines = [], want = []
function reference(usage, model, provider, at) {
  try {
    const r = calcPrice(usage, model, { provider, timestamp: new Date(at) })
    return r ? { input_price: r.input_price, output_price: r.output_price } : { error: 'no price' }
  } catch (err) { return { error: String(err.message || err) } }
}

// Usages: each unit of the set gets an exclusive count; a unit's usage is the sum over itself and
// its parts, so every whole holds its parts.
for (const p of providers) {
  for (const m of p.models) {
    const priceSets = Array.isArray(m.prices) ? m.prices.map(x => x.prices) : [m.prices]
    const priced = new Set()
    for (const s of priceSets) for (const k of Object.keys(s)) if (byPriceKey[k] && k !== 'requests_kcount') priced.add(byPriceKey[k].key)
    for (let rep = 0; rep < 6; rep++) {
      const set = new Set(priced)
      if (rnd() < 0.5) set.add(pick(tokenUnits).key)
      for (const k of [...set]) for (const a of Object.values(units)) if (partOf(units[k], a)) set.add(a.key)
      set.delete('requests')
      const scale = pick([1, 1000, 150000, 260000, 1200000, 3000000])
      const own = {}
      for (const k of set) own[k] = rnd() < 0.25 ? 0 : Math.floor(rnd() * scale) + (units[k].dims.family === 'tokens' ? 0 : 1)
      const usage = {}
      for (const k of set) { let t = 0; for (const v of set) if (v === k || partOf(units[v], units[k])) t += own[v]; usage[k] = t }
      const at = pick(stamps)
      lines.push({ provider: p.id, model: m.id, timestamp: at, usage })
      want.push(reference(usage, m.id, p, at))
    }
  }
}

// Bodies: every mapping of an extractor set (required ones always) at its path.
const steps = (p) => Array.isArray(p) ? p : [p]
function put(obj, path, value) {
  const s = steps(path)
  let o = obj
  for (let i = 0; i < s.length - 1; i++) {
    const st = s[i]
    if (typeof st === 'object') {  // an array, its element found by a field's value
      let el = o.find(x => x && x[st.field] === st.match.equals)
      if (!el) { el = { [st.field]: st.match.equals }; o.push(el) }
      o = el
      continue
    }
    if (o[st] === undefined) o[st] = typeof s[i + 1] === 'object' ? [] : {}
    o = o[st]
  }
  o[s[s.length - 1]] = value
}
const bodyAt = '2026-08-21T12:00:00Z'
for (const p of providers) {
  for (const ex of p.extractors || []) {
    for (let rep = 0; rep < 40; rep++) {
      const usage = {}
      for (const mp of ex.mappings) if (mp.required || rnd() < 0.7) put(usage, mp.path, Math.floor(rnd() * pick([10, 5000, 300000])))
      const body = {}
      put(body, steps(ex.root), usage)
      if (rnd() < 0.9) put(body, ex.model_path, pick(p.models).id)
      lines.push({ provider: p.id, api_flavor: ex.api_flavor, timestamp: bodyAt, body })
      try {
        const u = extractUsage(p, body, ex.api_flavor)
        want.push(reference(u.usage, u.model ?? '', p, bodyAt))
      } catch (err) { want.push({ error: String(err.message || err) }) }
    }
  }
}

// Names: each model's match rule gives names it accepts (its text as it is, upper-cased, with a
// date or suffix beside it); with the provider given, both must find the same prices.
function namesOf(rule) {
  if (rule.equals !== undefined) return [rule.equals, rule.equals.toUpperCase()]
  if (rule.starts_with !== undefined) return [rule.starts_with, rule.starts_with + '-20250101']
  if (rule.ends_with !== undefined) return ['x-' + rule.ends_with]
  if (rule.contains !== undefined) return ['x-' + rule.contains + '-latest']
  if (rule.or !== undefined) return rule.or.flatMap(namesOf)
  return []  // regex, and: not generated
}
for (const p of providers) {
  for (const m of p.models) {
    for (const name of namesOf(m.match || { equals: m.id })) {
      const usage = { input_tokens: 250000, cache_read_tokens: 1000, output_tokens: 1000 }
      const at = pick(stamps)
      lines.push({ provider: p.id, model: name, timestamp: at, usage })
      want.push(reference(usage, name, p, at))
    }
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosscheck-'))
fs.writeFileSync(path.join(dir, 'in.jsonl'), lines.map(l => JSON.stringify(l)).join('\n') + '\n')
let out
try {
  out = execFileSync(costops, ['price', '--catalog', dataPath, path.join(dir, 'in.jsonl')], { maxBuffer: 1 << 30 })
} catch (err) { out = err.stdout }  // exit status 1 when some line did not price
fs.rmSync(dir, { recursive: true })
const got = out.toString().trim().split('\n').map(l => JSON.parse(l))
if (got.length !== lines.length) { console.log(`expected ${lines.length} lines, got ${got.length}`); process.exit(1) }

// The library refuses an overlap it cannot split (cached audio not given beside cache reads and
// audio); cost-ops, like the Python library the responses' expected prices come from, takes it
// as none. Those lines are counted apart, not as differences.
const near = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b), 1e-6)
let agree = 0, overlap = 0
const diffs = []
for (let i = 0; i < lines.length; i++) {
  const w = want[i], g = got[i]
  if (w.error && /positive reported overlap/.test(w.error) && !g.error) { overlap++; continue }
  const same = w.error || g.error ? Boolean(w.error) === Boolean(g.error)
    : near(w.input_price, Number(g.input_price)) && near(w.output_price, Number(g.output_price))
  if (same) agree++
  else diffs.push(i)
}
console.log(`lines: ${lines.length}, agree: ${agree}, overlaps the library refuses: ${overlap}, differ: ${diffs.length}`)
for (const i of diffs.slice(0, 10)) {
  console.log(`  in:    ${JSON.stringify(lines[i]).slice(0, 300)}`)
  console.log(`  lib:   ${JSON.stringify(want[i]).slice(0, 200)}`)
  console.log(`  costs: ${JSON.stringify(got[i]).slice(0, 200)}`)
}
process.exit(diffs.length ? 1 : 0)

// Prices a JSON Lines file of {provider, model, usage} with genai-prices' JavaScript library and
// writes one JSON line per input line: the reference `cost-ops price` is measured against.
import fs from 'node:fs'
import { calcPrice } from '@pydantic/genai-prices'

const text = fs.readFileSync(process.argv[2], 'utf8')
const asOf = new Date(process.argv[3] || '2026-08-21T12:00:00Z')
const out = []
for (const line of text.split('\n')) {
  if (!line.trim()) continue
  try {
    const r = JSON.parse(line)
    const p = calcPrice(r.usage, r.model, { providerId: r.provider, timestamp: asOf })
    if (!p) {
      out.push(JSON.stringify({ error: `no price for ${r.provider}/${r.model}` }))
      continue
    }
    out.push(JSON.stringify({ provider: p.provider.id, model: p.model.id, usage: r.usage,
      input_price: String(p.input_price), output_price: String(p.output_price), total_price: String(p.total_price) }))
  } catch (e) {
    out.push(JSON.stringify({ error: String(e.message || e) }))
  }
}
process.stdout.write(out.join('\n') + '\n')

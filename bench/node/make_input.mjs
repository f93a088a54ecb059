// Writes N lines of {provider, model, usage} drawn (deterministically) from the bundled sample log.
import fs from 'node:fs'
const [sample, n] = [process.argv[2], Number(process.argv[3] || 200000)]
const recs = fs.readFileSync(sample, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
const out = []
for (let i = 0; i < n; i++) {
  const r = recs[(i * 7919) % recs.length]
  out.push(JSON.stringify({ provider: r.provider, model: r.model, usage: r.usage }))
}
process.stdout.write(out.join('\n') + '\n')

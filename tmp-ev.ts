import { readFileSync } from 'node:fs';
import { createHostModel } from './src/main/model/index.ts';
const base = JSON.parse(readFileSync('resources/scenarios/default.json', 'utf8'));
for (const [name, mod] of [['default', {}], ['nopoll', { knobs: { pollMaxNs: 0 } }], ['bignic', { nicGbps: 10000 }], ['nojit', { costs: { guestWorkJitter: 0 } }]] as const) {
  const sc = { ...base, host: { ...base.host, ...mod } };
  const m = createHostModel(sc, { seed: 1 });
  for (let i = 0; i < 20; i++) m.step();
  console.log(name.padEnd(8), (m.eventsProcessed / 2).toFixed(0), Array.from(m.eventKinds).map((x) => (x / 2).toFixed(0)).join(' '));
}

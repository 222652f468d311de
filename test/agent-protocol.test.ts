import { describe, expect, it } from 'vitest';
import { createHostModel } from '../src/main/model/host-model.ts';
import { loadScenario } from '../src/main/scenario/index.ts';
import { AGENT_PROTOCOL, agentMessageSchema, parseAgentMessage, parseClientMessage, versionError } from '../src/shared/agent-protocol.ts';

const model = createHostModel(loadScenario('rr-few'), { seed: 3, intervalMs: 100, observe: 'qemu' });
const snap = (() => {
  let s = model.step();
  for (let i = 0; i < 20; i++) s = model.step();
  return s;
})();

describe('agent protocol schemas', () => {
  it('accepts what the model really produces: snapshot, info, config', () => {
    const r = parseAgentMessage(JSON.stringify({ type: 'snapshot', snapshot: snap, config: model.config() }));
    expect(r.ok).toBe(true);
    if (r.ok && r.value.type === 'snapshot') expect(r.value.snapshot).toEqual(snap);
    expect(parseAgentMessage(JSON.stringify({ type: 'info', info: model.info(), config: model.config() })).ok).toBe(true);
  });

  it('refuses a snapshot with a wrong field, naming it', () => {
    const bad = { ...snap, cores: snap.cores.map((c, i) => (i === 1 ? { ...c, cycles: { ...c.cycles, idle: -5 } } : c)) };
    const r = parseAgentMessage(JSON.stringify({ type: 'snapshot', snapshot: bad, config: model.config() }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/'snapshot\.cores\.1\.cycles\.idle' must be at least 0/);
  });

  it('strips unknown fields of agent messages (a newer minor may add some)', () => {
    const r = agentMessageSchema.safeParse({ type: 'heartbeat', seq: 3, extra: 1 });
    expect(r.success && r.data).toEqual({ type: 'heartbeat', seq: 3 });
  });

  it('validates console commands strictly and names what was wrong', () => {
    expect(parseClientMessage('{"type":"control","id":1,"action":{"kind":"setSideCores","cores":[1,2]}}')).toEqual({ ok: true, value: { type: 'control', id: 1, action: { kind: 'setSideCores', cores: [1, 2] } } });
    const cases: [string, RegExp, number | null][] = [
      ['nope', /not valid JSON/, null],
      ['[1]', /JSON object with a 'type'/, null],
      ['{"id":4}', /needs a 'type'/, 4],
      ['{"type":"reboot","id":5}', /Unknown message type 'reboot'/, 5],
      ['{"type":"control","id":6,"action":{"kind":"setSideCores","cores":[-1]}}', /'action\.cores\.0' must be at least 0/, 6],
      ['{"type":"control","id":7,"action":{"kind":"setSideCores","cores":[1],"x":1}}', /'action\.x' is not a known field/, 7],
      ['{"type":"override","id":8,"cmd":{"kind":"pin"}}', /'cmd\.core' must be a number/, 8],
      ['{"type":"hello","protocol":{"major":1},"client":"c"}', /'protocol\.minor'/, null],
    ];
    for (const [text, re, id] of cases) {
      const r = parseClientMessage(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) {
        expect(r.error, text).toMatch(re);
        expect(r.id, text).toBe(id);
      }
    }
  });

  it('negotiates versions by major', () => {
    expect(versionError({ major: AGENT_PROTOCOL.major, minor: 99 })).toBeNull();
    expect(versionError({ major: AGENT_PROTOCOL.major + 1, minor: 0 })).toMatch(/same major version/);
  });
});

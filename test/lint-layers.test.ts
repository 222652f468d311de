/**
 * The layering rules of eslint.config.js, checked through ESLint's Node API on real import
 * statements placed (virtually) in each folder: every forbidden import is reported by
 * no-restricted-imports, every allowed one is not.
 */
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd: root });

/** Lint one import in a file at `filePath` and return the no-restricted-imports messages. */
async function layerErrors(filePath: string, specifier: string): Promise<string[]> {
  const code = `import * as m from '${specifier}';\nexport const x = m;\n`;
  const [result] = await eslint.lintText(code, { filePath });
  const fatal = result.messages.filter((msg) => msg.fatal);
  if (fatal.length) throw new Error(`parse error in ${filePath}: ${fatal[0].message}`);
  return result.messages.filter((msg) => msg.ruleId === 'no-restricted-imports').map((msg) => msg.message);
}

type Case = [file: string, specifier: string];

const forbidden: Case[] = [
  // src/shared: nothing from node, electron, main, renderer, preload, agent
  ['src/shared/api.ts', 'node:fs'],
  ['src/shared/api.ts', 'fs'],
  ['src/shared/api.ts', 'path'],
  ['src/shared/api.ts', 'electron'],
  ['src/shared/api.ts', '../main/model/api.ts'],
  ['src/shared/api.ts', '../renderer/App.vue'],
  ['src/shared/api.ts', '../preload/index.ts'],
  ['src/shared/api.ts', '../agent/index.ts'],
  // src/main/** outside the shell: never electron, the shell, the renderer
  ['src/main/services/index.ts', 'electron'],
  ['src/main/services/index.ts', 'electron/main'],
  ['src/main/services/index.ts', '../electron/ipc.ts'],
  ['src/main/model/engine.ts', '../../renderer/stores/live.ts'],
  ['src/main/server/http.ts', '../../preload/index.ts'],
  // src/main never imports the agent shell (bin/iocm.mjs routes `iocm agent` to src/agent/cli.ts)
  ['src/main/cli/iocm.ts', '../../agent/cli.ts'],
  ['src/main/services/agent-host.ts', '../../agent/server.ts'],
  // core folders: only the src/main folders their CONTEXT.md lists (eslint.config.js CORE_IMPORTS)
  ['src/main/policy/iocm.ts', '../model/api.ts'],
  ['src/main/policy/iocm.ts', '../loop/loop.ts'],
  ['src/main/policy/iocm.ts', '../sim/summary.ts'],
  ['src/main/model/host-model.ts', '../policy/helpers.ts'],
  ['src/main/model/host-model.ts', '../util/worker.ts'],
  ['src/main/scenario/load.ts', '../cli/errors.ts'],
  ['src/main/sim/summary.ts', '../loop/loop.ts'],
  ['src/main/host/model-source.ts', '../loop/loop.ts'],
  ['src/main/loop/loop.ts', '../services/index.ts'],
  ['src/main/loop/loop.ts', '../history/client.ts'],
  ['src/main/loop/loop.ts', '../cli/errors.ts'],
  ['src/main/history/whatif.ts', '../services/index.ts'],
  ['src/main/history/whatif.ts', '../cli/errors.ts'],
  ['src/main/services/index.ts', '../server/http-server.ts'],
  ['src/main/services/index.ts', '../cli/iocm.ts'],
  ['src/main/util/worker.ts', '../model/api.ts'],
  // the shell: still never the renderer
  ['src/main/electron/window.ts', '../../renderer/App.vue'],
  ['src/main/index.ts', '../renderer/main.ts'],
  // src/renderer: only shared, own files, vue, pinia, echarts, vue-echarts
  ['src/renderer/stores/live.ts', 'node:path'],
  ['src/renderer/stores/live.ts', 'events'],
  ['src/renderer/stores/live.ts', 'electron'],
  ['src/renderer/stores/live.ts', '../../main/services/index.ts'],
  ['src/renderer/stores/live.ts', '../../preload/index.ts'],
  ['src/renderer/stores/live.ts', '../../agent/index.ts'],
  ['src/renderer/stores/live.ts', 'ws'],
  ['src/renderer/stores/live.ts', 'zod'],
  ['src/renderer/components/CoreMap.vue', '../../main/model/api.ts'],
  ['src/renderer/components/CoreMap.vue', 'electron'],
  ['src/renderer/stores/live.test.ts', '../../main/services/index.ts'],
  // src/preload: only electron and shared
  ['src/preload/index.ts', 'node:fs'],
  ['src/preload/index.ts', '../main/services/index.ts'],
  ['src/preload/index.ts', '../renderer/main.ts'],
  ['src/preload/index.ts', 'ws'],
  ['src/preload/index.ts', 'vitest'],
  ['src/preload/index.test.ts', '../main/services/index.ts'],
  // src/agent: never electron, the shell, the renderer
  ['src/agent/index.ts', 'electron'],
  ['src/agent/index.ts', '../main/electron/ipc.ts'],
  ['src/agent/index.ts', '../renderer/main.ts'],
  // nothing outside src/renderer imports the renderer
  ['test/e2e-console.test.ts', '../src/renderer/stores/live.ts'],
  ['bench/renderer.ts', '../src/renderer/main.ts'],
  ['bench/renderer.ts', '../src/renderer/transport/ws-client.ts'],
  ['test/e2e-console.test.ts', '../src/renderer/stores/console.ts'],
];

const allowed: Case[] = [
  ['src/shared/api.ts', './snapshot.ts'],
  ['src/shared/api-schema.ts', 'zod'],
  ['src/main/services/index.ts', 'node:worker_threads'],
  ['src/main/services/index.ts', '../../shared/api.ts'],
  ['src/main/services/index.ts', '../model/api.ts'],
  ['src/main/server/http.ts', 'ws'],
  ['src/main/util/worker.ts', '../events/x.ts'],
  ['src/main/policy/iocm.ts', '../../shared/observe.ts'],
  ['src/main/loop/loop.ts', '../policy/registry.ts'],
  ['src/main/loop/session.ts', '../host/source.ts'],
  ['src/main/loop/simulation.ts', '../sim/summary.ts'],
  ['src/main/host/model-source.ts', '../model/host-model.ts'],
  ['src/main/history/whatif.ts', '../loop/loop.ts'],
  ['src/main/services/index.ts', '../history/client.ts'],
  ['src/main/cli/commands/simulate.ts', '../../loop/simulation.ts'],
  ['src/main/cli/commands/serve.ts', '../../server/http-server.ts'],
  ['src/main/electron/window.ts', 'electron'],
  ['src/main/electron/window.ts', 'node:path'],
  ['src/main/electron/window.ts', '../services/index.ts'],
  ['src/main/index.ts', 'electron'],
  ['src/main/index.ts', './electron/window.ts'],
  ['src/renderer/stores/live.ts', 'vue'],
  ['src/renderer/stores/live.ts', 'pinia'],
  ['src/renderer/stores/live.ts', 'echarts/core'],
  ['src/renderer/stores/live.ts', 'vue-echarts'],
  ['src/renderer/stores/live.ts', '../../shared/api.ts'],
  ['src/renderer/stores/live.ts', '../transport/index.ts'],
  ['src/renderer/components/CoreMap.vue', '../../shared/snapshot.ts'],
  ['src/renderer/stores/live.test.ts', 'vitest'],
  ['src/renderer/stores/live.test.ts', '@vue/test-utils'],
  ['src/preload/index.ts', 'electron'],
  ['src/preload/index.ts', '../shared/api.ts'],
  ['src/preload/index.test.ts', 'vitest'],
  ['src/agent/index.ts', 'node:net'],
  ['src/agent/index.ts', '../shared/snapshot.ts'],
  ['src/agent/index.ts', '../main/model/api.ts'],
  ['src/agent/server.ts', '../main/server/http-server.ts'],
  ['src/main/host/agent-source.ts', '../../shared/agent-protocol.ts'],
  ['test/server-auth.test.ts', '../src/main/server/index.ts'],
  ['test/server-ws.test.ts', '../src/renderer/transport/ws-client.ts'],
];

/** A .vue file needs a component wrapper; lint the import inside <script setup lang="ts">. */
async function layerErrorsAny(file: string, spec: string): Promise<string[]> {
  if (!file.endsWith('.vue')) return layerErrors(file, spec);
  const code = `<script setup lang="ts">\nimport * as m from '${spec}';\nconst x = m;\n</script>\n<template><div>{{ x }}</div></template>\n`;
  const [result] = await eslint.lintText(code, { filePath: file });
  const fatal = result.messages.filter((msg) => msg.fatal);
  if (fatal.length) throw new Error(`parse error in ${file}: ${fatal[0].message}`);
  return result.messages.filter((msg) => msg.ruleId === 'no-restricted-imports').map((msg) => msg.message);
}

describe('layering lint (eslint.config.js)', () => {
  it.each(forbidden)('%s must not import %s', async (file, spec) => {
    const errors = await layerErrorsAny(file, spec);
    expect(errors.length, `expected a layering error for '${spec}' in ${file}`).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(/layering:/);
  });

  it.each(allowed)('%s may import %s', async (file, spec) => {
    expect(await layerErrorsAny(file, spec)).toEqual([]);
  });
});

describe('CONTEXT.md ⇄ eslint.config.js', () => {
  it('every core folder of src/main lists the same src/main folders under "May import (src/main)" as CORE_IMPORTS', async () => {
    const { readFileSync, readdirSync, existsSync } = await import('node:fs');
    // A path in a variable: eslint.config.js is plain JS without declarations (TS7016 on a literal specifier).
    const configModule = '../eslint.config.js';
    const { CORE_IMPORTS } = (await import(configModule)) as { CORE_IMPORTS: Record<string, string[]> };
    for (const [folder, allowed] of Object.entries(CORE_IMPORTS)) {
      const file = `${root}src/main/${folder}/CONTEXT.md`;
      expect(existsSync(file), `${file} is missing`).toBe(true);
      const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('May import (src/main):'));
      expect(line, `${folder}/CONTEXT.md has no "May import (src/main):" line`).toBeDefined();
      const listed = line!.replace('May import (src/main):', '').replace(/\.$/, '').trim();
      const names = listed === 'none' ? [] : listed.split(',').map((x) => x.trim());
      expect([...names].sort(), `src/main/${folder}/CONTEXT.md vs CORE_IMPORTS.${folder}`).toEqual([...allowed].sort());
    }
    // Every src/main folder is either a core folder with rules or a shell folder.
    const folders = readdirSync(`${root}src/main`, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    for (const f of folders) expect(Object.keys(CORE_IMPORTS).includes(f) || ['cli', 'electron'].includes(f), `src/main/${f} has no layering rule`).toBe(true);
  });
});

// ESLint flat config for IOcm Console.
//
// Besides pragmatic recommended sets (JS, TypeScript, Vue), this file enforces the layering in
// DEVELOPERS.md with `no-restricted-imports`, one config block per folder (the blocks are disjoint,
// so each file gets exactly one set of layer restrictions):
//
//   src/shared                 imports nothing from node, electron, src/main, src/renderer, src/preload, src/agent
//   src/main/** (not shell)    never electron, never the shell (src/main/electron, src/main/index.ts), never renderer/preload/agent
//   src/main/<core folder>     besides: only the src/main folders its CONTEXT.md lists under "May import" (CORE_IMPORTS)
//   src/main/index.ts, src/main/electron/**   the Electron shell: may import electron; never renderer/preload
//   src/preload                only electron and src/shared
//   src/renderer               only src/shared, its own files, vue, pinia, echarts, vue-echarts
//   src/agent                  never electron, the shell or the renderer
//   everything else            never imports src/renderer (test/** may import src/renderer/transport)
//
// test/lint-layers.test.ts checks each rule against real import statements.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';
import { builtinModules } from 'node:module';

/** Node's built-in modules, bare or `node:`-prefixed (a regex: gitignore-style names would also match path segments). */
const nodeBuiltinsRegex = `^(node:.*|(${builtinModules
  .filter((m) => !m.startsWith('_'))
  .map((m) => m.replace(/[/]/g, '\\/'))
  .join('|')})(/.*)?)$`;

const electronRegex = '^electron(/.*)?$';

/** Relative or aliased paths into a top-level src folder (gitignore-style, matched on the import string). */
const into = (folder) => [`**/${folder}`, `**/${folder}/**`];

const group = (names, message) => ({ group: names, message });

const msg = {
  node: 'layering: this layer must not import Node built-ins (see DEVELOPERS.md "Layers")',
  electron: "layering: only the Electron shell (src/main/index.ts, src/main/electron/**) and src/preload may import 'electron'",
  main: 'layering: this layer must not import from src/main',
  shell: 'layering: nothing may import the Electron shell (src/main/index.ts, src/main/electron/**) except the shell itself',
  renderer: 'layering: nothing outside src/renderer may import from src/renderer',
  preload: 'layering: nothing may import from src/preload (it is a separate sandboxed bundle)',
  agent: 'layering: this layer must not import from src/agent',
  rendererDeps: 'layering: src/renderer may import only src/shared, its own files, vue, pinia, echarts and vue-echarts',
  preloadDeps: 'layering: src/preload may import only electron and src/shared',
};

/** Paths into the shell from elsewhere in src/main: ../electron/x, ./electron/x, ../index.ts (src/main/index.ts). */
const shellPaths = ['**/electron/**', './electron', '../electron', '**/main/electron/**', '**/main/index', '**/main/index.ts'];

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

/**
 * The core folders of src/main and the other src/main folders each may import — the "May import"
 * line of its CONTEXT.md (test/lint-layers.test.ts keeps the two in step). Shell folders (cli,
 * server, electron) and the core's top (services) are not listed as importable by lower folders.
 */
const MAIN_FOLDERS = ['cli', 'electron', 'history', 'host', 'loop', 'model', 'policy', 'scenario', 'server', 'services', 'sim', 'util'];
export const CORE_IMPORTS = {
  util: [],
  model: [],
  policy: [],
  sim: ['model'],
  scenario: ['model', 'util'],
  host: ['model', 'util'],
  loop: ['host', 'model', 'policy', 'scenario', 'sim', 'util'],
  history: ['loop', 'model', 'policy', 'sim', 'util'],
  services: ['history', 'host', 'loop', 'model', 'policy', 'scenario', 'util'],
  server: ['services', 'util'],
};
const folderMsg = (f) => `layering: src/main/${f} may import only src/shared and src/main/{${CORE_IMPORTS[f].join(',')}} (its CONTEXT.md, "May import")`;
/** Paths into sibling folder `x` of src/main from inside another src/main folder or one of its subfolders (src/main/host/ovs). */
const sibling = (x) => [`../${x}`, `../${x}/**`, `../../${x}`, `../../${x}/**`, `**/main/${x}`, `**/main/${x}/**`];

/** Bare specifiers the renderer may use (regex over the import string). */
const rendererAllowedBare = '^(?!(vue|pinia|echarts|vue-echarts)(/|$))[^./]';
/** Bare specifiers the preload may use. */
const preloadAllowedBare = '^(?!electron(/|$))[^./]';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'out/**',
      'dist/**',
      'coverage/**',
      'report/**',
      'test-artifacts/**',
      'native/**',
      'bench/results/**',
      '**/*.d.ts',
      '.vite/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/essential'],
  {
    files: ['**/*.vue'],
    languageOptions: {
      parser: vueParser,
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' },
    },
  },
  {
    // Pragmatic adjustments: TypeScript already checks undefined names; unused args prefixed _ are fine.
    files: ['**/*.{ts,vue,js,mjs,cjs}'],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: {
        // Node and browser globals used across the repo (tsc checks the real types per layer).
        process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly',
        clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', window: 'readonly',
        document: 'readonly', globalThis: 'readonly', queueMicrotask: 'readonly', structuredClone: 'readonly',
      },
    },
    rules: {
      'no-undef': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },

  // ---- Layering ----
  {
    files: ['src/shared/**'],
    rules: restrict([
      { regex: nodeBuiltinsRegex, message: msg.node },
      { regex: electronRegex, message: msg.electron },
      group(into('main'), msg.main),
      group(into('renderer'), msg.renderer),
      group(into('preload'), msg.preload),
      group(into('agent'), msg.agent),
    ]),
  },
  {
    files: ['src/main/**'],
    ignores: ['src/main/index.ts', 'src/main/electron/**'],
    rules: restrict([
      { regex: electronRegex, message: msg.electron },
      group(shellPaths, msg.shell),
      group(into('renderer'), msg.renderer),
      group(into('preload'), msg.preload),
      group(into('agent'), msg.agent),
    ]),
  },
  // Folder by folder inside the core: the general src/main restrictions plus the folders it may not import.
  ...Object.keys(CORE_IMPORTS).map((f) => ({
    files: [`src/main/${f}/**`],
    rules: restrict([
      { regex: electronRegex, message: msg.electron },
      group(shellPaths, msg.shell),
      group(into('renderer'), msg.renderer),
      group(into('preload'), msg.preload),
      group(into('agent'), msg.agent),
      ...MAIN_FOLDERS.filter((x) => x !== f && !CORE_IMPORTS[f].includes(x)).map((x) => group(sibling(x), folderMsg(f))),
    ]),
  })),
  {
    files: ['src/main/index.ts', 'src/main/electron/**'],
    rules: restrict([group(into('renderer'), msg.renderer), group(into('preload'), msg.preload)]),
  },
  {
    files: ['src/preload/**'],
    ignores: ['src/preload/**/*.test.ts'],
    rules: restrict([
      { regex: nodeBuiltinsRegex, message: msg.node },
      group(into('main'), msg.main),
      group(into('renderer'), msg.renderer),
      group(into('agent'), msg.agent),
      { regex: preloadAllowedBare, message: msg.preloadDeps },
    ]),
  },
  {
    // Preload tests run under Node (vitest) with electron stood in; still never main/renderer/agent.
    files: ['src/preload/**/*.test.ts'],
    rules: restrict([
      group(into('main'), msg.main),
      group(into('renderer'), msg.renderer),
      group(into('agent'), msg.agent),
    ]),
  },
  {
    files: ['src/renderer/**'],
    ignores: ['src/renderer/**/*.test.ts'],
    rules: restrict([
      { regex: nodeBuiltinsRegex, message: msg.node },
      { regex: electronRegex, message: msg.electron },
      group(into('main'), msg.main),
      group(into('preload'), msg.preload),
      group(into('agent'), msg.agent),
      { regex: rendererAllowedBare, message: msg.rendererDeps },
    ]),
  },
  {
    // Component tests may also use the test toolchain (vitest, @vue/test-utils, happy-dom), never the host side.
    files: ['src/renderer/**/*.test.ts'],
    rules: restrict([
      { regex: electronRegex, message: msg.electron },
      group(into('main'), msg.main),
      group(into('preload'), msg.preload),
      group(into('agent'), msg.agent),
    ]),
  },
  {
    files: ['src/agent/**'],
    rules: restrict([
      { regex: electronRegex, message: msg.electron },
      group(['**/main/electron', '**/main/electron/**', '**/main/index', '**/main/index.ts'], msg.shell),
      group(into('renderer'), msg.renderer),
      group(into('preload'), msg.preload),
    ]),
  },
  {
    files: ['**/*.{ts,vue,js,mjs,cjs}'],
    ignores: ['src/**', 'test/**'],
    rules: restrict([group(['**/src/renderer', '**/src/renderer/**'], msg.renderer)]),
  },
  {
    // Integration tests may drive the renderer's transport (DOM-free) against the real server.
    files: ['test/**'],
    rules: restrict([{ regex: '(^|/)src/renderer(/(?!transport/).*)?$', message: msg.renderer }]),
  },
);

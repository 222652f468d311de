/**
 * The application menu's template (Electron's Menu is replaced by a stand-in: no Electron
 * binary here): the View entries switch the five console views with Ctrl/Cmd+1…5, Loop has
 * pause/resume, File has Export, and standard Edit/Window roles are present.
 */
import { describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../../shared/shell.ts';

vi.mock('electron', () => ({ Menu: { setApplicationMenu: () => {}, buildFromTemplate: (t: unknown) => t } }));
const { menuTemplate } = await import('./menu.ts');

function find(items: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions {
  const item = items.find((i) => i.label?.replace('&', '') === label || i.role === label);
  if (!item) throw new Error(`no menu item ${label}`);
  return item;
}

describe('application menu', () => {
  it('has the view, loop, export shortcuts and the standard roles', () => {
    const sent: MenuCommand[] = [];
    let paused = 0;
    let resumed = 0;
    const tpl = menuTemplate({ send: (c) => sent.push(c), pauseLoop: () => paused++, resumeLoop: () => resumed++, dev: false });
    expect(tpl.some((i) => i.role === 'editMenu')).toBe(true);
    expect(tpl.some((i) => i.role === 'windowMenu')).toBe(true);

    const view = find(tpl, 'View').submenu as MenuItemConstructorOptions[];
    const views = view.filter((i) => i.accelerator?.startsWith('CmdOrCtrl+'));
    expect(views.map((i) => i.accelerator)).toEqual(['CmdOrCtrl+1', 'CmdOrCtrl+2', 'CmdOrCtrl+3', 'CmdOrCtrl+4', 'CmdOrCtrl+5']);
    for (const i of views) (i.click as () => void)();
    expect(sent).toEqual(['overview', 'side-cores', 'vms', 'decisions', 'sessions'].map((v) => ({ kind: 'view', view: v })));
    expect(view.some((i) => i.role === 'toggleDevTools')).toBe(false);

    const loop = find(tpl, 'Loop').submenu as MenuItemConstructorOptions[];
    (loop.find((i) => i.label === 'Pause')!.click as () => void)();
    (loop.find((i) => i.label === 'Resume')!.click as () => void)();
    expect([paused, resumed]).toEqual([1, 1]);

    const file = find(tpl, 'File').submenu as MenuItemConstructorOptions[];
    const exp = file.find((i) => i.label === 'Export…')!;
    expect(exp.accelerator).toBe('CmdOrCtrl+E');
    (exp.click as () => void)();
    expect(sent.at(-1)).toEqual({ kind: 'export' });
  });

  it('offers developer tools only in unpackaged runs', () => {
    const tpl = menuTemplate({ send: () => {}, pauseLoop: () => {}, resumeLoop: () => {}, dev: true });
    const view = find(tpl, 'View').submenu as MenuItemConstructorOptions[];
    expect(view.some((i) => i.role === 'toggleDevTools')).toBe(true);
  });
});

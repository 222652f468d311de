/**
 * The application menu and its shortcuts:
 * File (Export…, Quit), Edit (standard roles), View (the five console views, zoom,
 * full screen), Loop (Pause, Resume), Window (standard roles), Help.
 * View and Export commands go to the renderer ({@link MenuCommand}); Loop commands
 * call the services directly so they work whatever the renderer shows.
 */
import { Menu, type MenuItemConstructorOptions } from 'electron';
import type { ConsoleView, MenuCommand } from '../../shared/shell.ts';

/** What the menu's actions do. */
export interface MenuActions {
  /** Send a command to the renderer. */
  send(cmd: MenuCommand): void;
  pauseLoop(): void;
  resumeLoop(): void;
  /** Show developer tools entries (unpackaged runs). */
  dev: boolean;
}

const VIEW_ITEMS: { view: ConsoleView; label: string }[] = [
  { view: 'overview', label: 'Host Overview' },
  { view: 'side-cores', label: 'Side Cores' },
  { view: 'vms', label: 'VMs and Queues' },
  { view: 'decisions', label: 'Decisions' },
  { view: 'sessions', label: 'Sessions' },
];

/** The menu template (exported for inspection). */
export function menuTemplate(actions: MenuActions): MenuItemConstructorOptions[] {
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [];
  if (isMac) template.push({ role: 'appMenu' });
  template.push(
    {
      label: '&File',
      submenu: [
        { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: () => actions.send({ kind: 'export' }) },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        ...VIEW_ITEMS.map(
          (v, i): MenuItemConstructorOptions => ({
            label: v.label,
            accelerator: `CmdOrCtrl+${i + 1}`,
            click: () => actions.send({ kind: 'view', view: v.view }),
          }),
        ),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(actions.dev ? ([{ type: 'separator' }, { role: 'reload' }, { role: 'toggleDevTools' }] as MenuItemConstructorOptions[]) : []),
      ],
    },
    {
      label: '&Loop',
      submenu: [
        { label: 'Pause', accelerator: 'CmdOrCtrl+Shift+P', click: () => actions.pauseLoop() },
        { label: 'Resume', accelerator: 'CmdOrCtrl+Shift+R', click: () => actions.resumeLoop() },
      ],
    },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ role: 'about' }] },
  );
  return template;
}

/** Build and install the application menu. */
export function installMenu(actions: MenuActions): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(actions)));
}

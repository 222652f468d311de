/** The console's views and hash routing (#/overview, #/controls, …). No router dependency. */

/** A view key. */
export type ViewKey = 'overview' | 'side-cores' | 'vms' | 'decisions' | 'controls' | 'sessions' | 'fleet' | 'connect';

/** Views in navigation order with their titles. */
export const VIEWS: { key: ViewKey; title: string }[] = [
  { key: 'overview', title: 'Host overview' },
  { key: 'side-cores', title: 'Side cores' },
  { key: 'vms', title: 'VMs & queues' },
  { key: 'decisions', title: 'Decisions' },
  { key: 'controls', title: 'Controls' },
  { key: 'sessions', title: 'Sessions' },
  { key: 'fleet', title: 'Fleet' },
  { key: 'connect', title: 'Connect' },
];

/** The view named by a location hash ('#/vms' → 'vms'); overview when unknown. */
export function viewFromHash(hash: string): ViewKey {
  const key = hash.replace(/^#\/?/, '').split(/[?/]/)[0];
  return VIEWS.some((v) => v.key === key) ? (key as ViewKey) : 'overview';
}

/**
 * The loop's state in words, as the header chip and the overview's loop card show it. While the
 * link to a remote host is down the console's loop has no data and takes no decisions until it is
 * back ("waiting for the link"), and a loop the agent runs itself (`--loop`: its source is the
 * agent's own qemu or ovs driver) cannot be seen from here: neither is "running".
 */
import type { HostConnectionState } from '../../shared/control.ts';
import type { LoopStatus } from '../../shared/policy.ts';

/** Whether a host's link is down (a remote host's; the model has none). */
export function linkIsDown(link: HostConnectionState | null | undefined): boolean {
  return !!link && link.state !== 'connected';
}

/**
 * "running · iocm", "paused · iocm", "waiting for the link · iocm", "not known (link down) · iocm";
 * `noState` for a status that carries no state.
 */
export function loopStateText(
  loop: Pick<LoopStatus, 'state' | 'policy' | 'source'> | null | undefined,
  paused: boolean,
  link: HostConnectionState | null | undefined,
  noState = 'running',
): string {
  const policy = loop?.policy ?? '—';
  if (linkIsDown(link)) {
    const onAgent = loop?.source?.kind === 'qemu' || loop?.source?.kind === 'ovs';
    return `${onAgent ? 'not known (link down)' : 'waiting for the link'} · ${policy}`;
  }
  return `${paused ? 'paused' : (loop?.state ?? noState)} · ${policy}`;
}

/**
 * The loop's state in words, as the header chip and the overview's loop card show it. While the
 * link to a remote host is down the console's loop has no data and takes no decisions until it is
 * back ("waiting for the link"), and a loop the agent runs itself (`--loop`) goes on deciding where
 * it cannot be seen from here ("not known (link down)"): neither is "running".
 *
 * The two are told apart by the loop status's `source` (src/main/loop/session.ts: the kind of the
 * HostSource the loop runs over): the console's loop over an agent runs over the agent client,
 * `kind: 'agent'`; the agent's own loop runs over the agent's driver, `model`, `qemu` or `ovs`. A
 * host with a link is always an agent, so on such a host any source but `agent` is the agent's own
 * loop (the model driver's too: review 9 item 4).
 */
import type { HostConnectionState } from '../../shared/control.ts';
import type { LoopStatus } from '../../shared/policy.ts';

/** Whether a host's link is down (a remote host's; the model has none). */
export function linkIsDown(link: HostConnectionState | null | undefined): boolean {
  return !!link && link.state !== 'connected';
}

/** Whether a loop status is that of the loop an agent runs itself (`iocm agent --loop`), relayed to the console. */
export function loopRunsOnAgent(loop: Pick<LoopStatus, 'source'> | null | undefined): boolean {
  return !!loop?.source && loop.source.kind !== 'agent';
}

/** The loop card's title while the link is down: what the loop does meanwhile. */
export function loopLinkDownTitle(loop: Pick<LoopStatus, 'source'> | null | undefined): string {
  return loopRunsOnAgent(loop)
    ? 'The link to this host is down: the agent runs its own loop, which goes on deciding; what it decides is not known here until the link is back.'
    : 'The link to this host is down: no data reaches the loop, so it takes no decisions until the link is back.';
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
    return `${loopRunsOnAgent(loop) ? 'not known (link down)' : 'waiting for the link'} · ${policy}`;
  }
  return `${paused ? 'paused' : (loop?.state ?? noState)} · ${policy}`;
}

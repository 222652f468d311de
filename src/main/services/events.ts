/** A small typed event hub for the services' four streams (telemetry, status, progress, notice). */
import type { EventName, IocmEvents, Unsubscribe } from '../../shared/api.ts';

/** Subscribers per event stream; a throwing subscriber does not stop the others. */
export class EventHub {
  private subs = new Map<EventName, Set<(p: unknown) => void>>();

  /** Subscribe; returns the unsubscribe function. */
  on<E extends EventName>(event: E, cb: (payload: IocmEvents[E]) => void): Unsubscribe {
    let set = this.subs.get(event);
    if (!set) this.subs.set(event, (set = new Set()));
    const f = cb as (p: unknown) => void;
    set.add(f);
    return () => {
      set.delete(f);
    };
  }

  /** Deliver to every subscriber of `event`. */
  emit<E extends EventName>(event: E, payload: IocmEvents[E]): void {
    const set = this.subs.get(event);
    if (!set) return;
    for (const cb of [...set]) {
      try {
        cb(payload);
      } catch {
        // a broken subscriber must not break the services
      }
    }
  }

  /** Number of subscribers (tests, diagnostics). */
  count(event: EventName): number {
    return this.subs.get(event)?.size ?? 0;
  }

  clear(): void {
    this.subs.clear();
  }
}

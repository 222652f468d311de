/**
 * Throttled views of fast-changing values: tables and text that would be unreadable
 * (and costly to lay out) at 10 updates/s refresh at most every `ms` instead. Charts
 * keep the full rate.
 */
import { onBeforeUnmount, shallowRef, watch, type Ref, type ShallowRef } from 'vue';

/** A copy of `source` that follows it at most once per `ms` (the latest value always lands). */
export function useThrottled<T>(source: () => T, ms: number): ShallowRef<T> {
  const out = shallowRef(source()) as ShallowRef<T>;
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = (): void => {
    timer = null;
    last = Date.now();
    out.value = source();
  };
  watch(source, () => {
    if (timer) return;
    const wait = last + ms - Date.now();
    if (wait <= 0) flush();
    else timer = setTimeout(flush, wait);
  });
  onBeforeUnmount(() => {
    if (timer) clearTimeout(timer);
  });
  return out;
}

/** Re-export for callers that want the type. */
export type { Ref };

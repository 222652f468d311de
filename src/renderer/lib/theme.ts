/**
 * Follows the OS light/dark preference (prefers-color-scheme) and gives the
 * chart colours to match. One media-query listener shared by all charts.
 */
import { ref, type Ref } from 'vue';
import { DARK, LIGHT, type ChartTheme } from './charts.ts';

let theme: Ref<ChartTheme> | null = null;

/** The current chart theme; updates when the OS switches light/dark. */
export function useChartTheme(): Ref<ChartTheme> {
  if (theme) return theme;
  const mq = typeof window !== 'undefined' && typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  const t = ref<ChartTheme>(mq?.matches ? DARK : LIGHT);
  mq?.addEventListener?.('change', (e) => {
    t.value = e.matches ? DARK : LIGHT;
  });
  theme = t;
  return t;
}

/** Views loaded on first visit (their own chunks), with a visible note while loading or when the load fails. */
import { defineAsyncComponent, h, type Component } from 'vue';

/** An async view component for `load` (a dynamic import of a .vue file). */
export function lazyView(load: () => Promise<{ default: Component }>): Component {
  return defineAsyncComponent({
    loader: load,
    delay: 100,
    loadingComponent: { render: () => h('p', { class: 'muted', role: 'status' }, 'Loading the view…') },
    errorComponent: {
      props: { error: { type: Object, default: null } },
      render(this: { error: Error | null }) {
        return h('p', { class: 'notice-line error', role: 'alert' }, `Could not load this view: ${this.error?.message ?? 'unknown error'}. Reload the page to try again.`);
      },
    },
  });
}

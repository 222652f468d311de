/**
 * Keyboard handling of a modal dialog: focus moves into it when it opens, Tab and Shift+Tab
 * cycle inside it, Escape closes it, and focus returns to where it was when it closes.
 */
import { onBeforeUnmount, onMounted, type Ref } from 'vue';

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Trap focus in `root` while mounted; `onEscape` runs on Escape. */
export function useFocusTrap(root: Ref<HTMLElement | null>, onEscape: () => void): void {
  let previous: Element | null = null;
  function items(): HTMLElement[] {
    return root.value ? [...root.value.querySelectorAll<HTMLElement>(FOCUSABLE)] : [];
  }
  function onKey(e: KeyboardEvent): void {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onEscape();
      return;
    }
    if (e.key !== 'Tab') return;
    const xs = items();
    if (!xs.length) return;
    const first = xs[0];
    const last = xs[xs.length - 1];
    const active = document.activeElement;
    if (e.shiftKey && (active === first || !root.value?.contains(active))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (active === last || !root.value?.contains(active))) {
      e.preventDefault();
      first.focus();
    }
  }
  onMounted(() => {
    previous = document.activeElement;
    document.addEventListener('keydown', onKey, true);
    const xs = items();
    const preferred = root.value?.querySelector<HTMLElement>('[data-autofocus]') ?? xs[0] ?? root.value;
    preferred?.focus();
  });
  onBeforeUnmount(() => {
    document.removeEventListener('keydown', onKey, true);
    if (previous instanceof HTMLElement) previous.focus();
  });
}

// Moving through the 20 items in the standard's order.
export const ITEM_COUNT = 20;

export function clampItem(n: number, total = ITEM_COUNT): number {
  if (!Number.isFinite(n)) return 1;
  return Math.min(total, Math.max(1, Math.trunc(n)));
}

export function prevItem(n: number): number | null {
  return n > 1 ? n - 1 : null;
}

export function nextItem(n: number, total = ITEM_COUNT): number | null {
  return n < total ? n + 1 : null;
}

/** The items of each group, in order, for the jump grid: [[group, [items]]]. */
export function itemsByGroup(items: { number: number; group: number }[]): [number, number[]][] {
  const out = new Map<number, number[]>();
  for (const it of [...items].sort((a, b) => a.number - b.number)) {
    if (!out.has(it.group)) out.set(it.group, []);
    out.get(it.group)!.push(it.number);
  }
  return [...out.entries()].sort((a, b) => a[0] - b[0]);
}

/** The first item not yet marked complete after `from` (wrapping), or null when all are. */
export function nextIncomplete(complete: Set<number>, from: number, total = ITEM_COUNT): number | null {
  for (let k = 1; k <= total; k++) {
    const n = ((from - 1 + k) % total) + 1;
    if (!complete.has(n)) return n;
  }
  return null;
}

/** Keyboard shortcuts on the item screen: arrows and PageUp/PageDown move by one. */
export function itemForKey(key: string, n: number, total = ITEM_COUNT): number | null {
  if (key === 'ArrowLeft' || key === 'PageUp') return prevItem(n);
  if (key === 'ArrowRight' || key === 'PageDown') return nextItem(n, total);
  if (key === 'Home') return 1;
  if (key === 'End') return total;
  return null;
}

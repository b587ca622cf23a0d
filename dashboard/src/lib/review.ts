// The return form's rule, the same as the server's (docs/office-api.md): at least one item, each
// with a reason of 2–500 characters. Checked here so the planner sees it before sending.
export interface ReturnDraft { item: number; checked: boolean; reason: string }

export type ReturnProblem = { kind: 'none_picked' } | { kind: 'reason'; items: number[] };

export function returnBody(drafts: ReturnDraft[]): { items: { item: number; reason: string }[] } | ReturnProblem {
  const picked = drafts.filter((d) => d.checked);
  if (!picked.length) return { kind: 'none_picked' };
  const bad = picked.filter((d) => { const n = [...d.reason.trim()].length; return n < 2 || n > 500; }).map((d) => d.item);
  if (bad.length) return { kind: 'reason', items: bad };
  return { items: picked.map((d) => ({ item: d.item, reason: d.reason.trim() })) };
}

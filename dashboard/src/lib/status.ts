// Project stages and review states as the office moves them. The server decides (office::plan::
// transition); this only shows which move is possible so the screen offers nothing it would refuse.
import type { ReviewState, Status } from './types';

export const STATUSES: Status[] = ['planned', 'funded', 'under_construction', 'completed', 'accepted'];

export function nextStatus(s: Status): Status | null {
  const i = STATUSES.indexOf(s);
  return i >= 0 && i + 1 < STATUSES.length ? STATUSES[i + 1] : null;
}

/** A move needs a date no earlier than the last one; `date` and `last` are YYYY-MM-DD. */
export function moveProblem(from: Status, to: Status, date: string, last: string | undefined): 'not_next' | 'no_date' | 'before_last' | null {
  if (nextStatus(from) !== to) return 'not_next';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return 'no_date';
  if (last && date < last) return 'before_last';
  return null;
}

/** Steps for the stepper: each stage done, current or to come, with its date if reached. */
export function steps(status: Status, history: { status: Status; date: string }[]) {
  const at = STATUSES.indexOf(status);
  return STATUSES.map((s, i) => ({
    status: s,
    state: i < at ? 'done' : i === at ? 'current' : 'todo',
    date: [...history].reverse().find((h) => h.status === s)?.date ?? null,
  }));
}

export function canDecide(state: ReviewState): boolean {
  return state === 'submitted' || state === 'resubmitted';
}

/** Map colour classes by the number of gaps. Colour is never alone: the list and the popup say the
 *  number in words. Bins chosen so the common counts (0, 1–2, 3–5, 6+) read apart. */
export const GAP_BINS = [
  { min: 0, max: 0, colour: '#1a7f45', key: 'bin.0' },
  { min: 1, max: 2, colour: '#d9a400', key: 'bin.1_2' },
  { min: 3, max: 5, colour: '#e0651b', key: 'bin.3_5' },
  { min: 6, max: Infinity, colour: '#b3141b', key: 'bin.6' },
] as const;
export const UNDETERMINED_COLOUR = '#6b7280';

export function gapColour(gaps: number, verdict: string): string {
  if (verdict === 'undetermined' && gaps === 0) return UNDETERMINED_COLOUR;
  return (GAP_BINS.find((b) => gaps >= b.min && gaps <= b.max) ?? GAP_BINS[3]).colour;
}

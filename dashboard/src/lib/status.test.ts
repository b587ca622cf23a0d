import { describe, expect, it } from 'vitest';
import { canDecide, gapColour, moveProblem, nextStatus, steps, GAP_BINS, UNDETERMINED_COLOUR } from './status';

describe('project status', () => {
  it('moves only forward, one stage at a time', () => {
    expect(nextStatus('planned')).toBe('funded');
    expect(nextStatus('completed')).toBe('accepted');
    expect(nextStatus('accepted')).toBeNull();
    expect(moveProblem('planned', 'under_construction', '2026-11-01', undefined)).toBe('not_next');
    expect(moveProblem('planned', 'funded', '', undefined)).toBe('no_date');
    expect(moveProblem('funded', 'under_construction', '2026-03-01', '2026-04-01')).toBe('before_last');
    expect(moveProblem('funded', 'under_construction', '2026-04-01', '2026-04-01')).toBeNull();
  });
  it('steps show done, current and to come with dates', () => {
    const s = steps('under_construction', [
      { status: 'planned', date: '2026-01-05' },
      { status: 'funded', date: '2026-03-01' },
      { status: 'under_construction', date: '2026-05-10' },
    ]);
    expect(s.map((x) => x.state)).toEqual(['done', 'done', 'current', 'todo', 'todo']);
    expect(s[1].date).toBe('2026-03-01');
    expect(s[4].date).toBeNull();
  });
});

describe('review and colours', () => {
  it('only submitted or resubmitted surveys are decided', () => {
    expect(canDecide('submitted')).toBe(true);
    expect(canDecide('resubmitted')).toBe(true);
    expect(canDecide('returned')).toBe(false);
    expect(canDecide('approved')).toBe(false);
  });
  it('gap counts fall in bins; undetermined without gaps is grey', () => {
    expect(gapColour(0, 'complete')).toBe(GAP_BINS[0].colour);
    expect(gapColour(2, 'not_complete')).toBe(GAP_BINS[1].colour);
    expect(gapColour(5, 'not_complete')).toBe(GAP_BINS[2].colour);
    expect(gapColour(14, 'not_complete')).toBe(GAP_BINS[3].colour);
    expect(gapColour(0, 'undetermined')).toBe(UNDETERMINED_COLOUR);
  });
});

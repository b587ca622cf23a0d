import { describe, expect, it } from 'vitest';
import { computedShortfall, editFrom, formFrom, shortfallSummary } from './projectForm';
import type { ProjectView } from './types';

const p: ProjectView = {
  id: 'c/4/lease', community: 'c', community_name: '紫阳社区', item: 4, item_name_zh: '一个老年服务站', way: 'lease',
  way_reason_zh: '', cost_complete: true, cost_yuan: 1200000, target_year: 2027, status: 'planned',
  history: [{ status: 'planned', date: '2026-11-02' }], revision: 3,
  priority: { tier: 'residents_needs', gap_share: 0.4, rank: 5 },
  lines: [
    { check: '4.area', title_zh: '建筑面积', strength: 'binding', shortfall: { value: 120, unit: 'm2' }, cost_note: '' },
    { check: '4.x', title_zh: '用地', strength: 'binding', shortfall: { value: 30, unit: 'm2' }, cost_note: '' },
  ],
};

describe('project form', () => {
  it('sums the lines when they share a unit', () => {
    expect(computedShortfall(p)).toEqual({ value: 150, unit: 'm2' });
    expect(computedShortfall({ ...p, lines: [p.lines[0], { ...p.lines[1], shortfall: { value: 1, unit: 'count' } }] })).toBeNull();
  });
  it('an untouched form sends only the revision', () => {
    expect(editFrom(formFrom(p), p)).toEqual({ edit: { revision: 3 } });
  });
  it('sends what changed, cost from 万元 to yuan', () => {
    const f = { ...formFrom(p), way: 'purchase' as const, costWan: '150', shortfallValue: '100', targetYear: '2028', note: '与街道协商' };
    expect(editFrom(f, p)).toEqual({ edit: { revision: 3, way: 'purchase', cost_office_yuan: 1500000, shortfall_office: { value: 100, unit: 'm2' }, target_year: 2028, note: '与街道协商' } });
  });
  it('clears office figures with a blank field', () => {
    const q = { ...p, shortfall_office: { value: 80, unit: 'm2' as const }, cost_office_yuan: 900000 };
    expect(editFrom({ ...formFrom(q), shortfallValue: '', costWan: '' }, q)).toEqual({ edit: { revision: 3, shortfall_office: null, cost_office_yuan: null } });
  });
  it('says which fields are wrong', () => {
    expect(editFrom({ ...formFrom(p), costWan: '-1', rank: '0', targetYear: '2100', shortfallValue: 'abc' }, p)).toEqual({
      errors: { cost: 'number', rank: 'rank', targetYear: 'year', shortfall: 'number' },
    });
  });
});

describe('shortfall summary', () => {
  const fmt = (q: { value: number; unit: string }) => `${q.value} ${q.unit}`;
  it('office figure, then the sum, then the check names', () => {
    expect(shortfallSummary({ ...p, shortfall_office: { value: 90, unit: 'm2' } }, fmt)).toBe('90 m2');
    expect(shortfallSummary(p, fmt)).toBe('150 m2');
    const yesno = { ...p, lines: [{ check: '9.drainage', title_zh: '排水', strength: 'binding' as const, cost_note: '' }, { check: '9.smart_security', title_zh: '智能安防', strength: 'binding' as const, cost_note: '' }] };
    expect(shortfallSummary(yesno, fmt)).toBe('排水、智能安防');
  });
});

import { describe, expect, it } from 'vitest';
import { EXPORT_FIELDS, EXPORT_STATUSES } from './exportFields';
import { exportPath } from './query';

describe('export fields', () => {
  it('every entity has fields with ids and Chinese headers', () => {
    for (const list of Object.values(EXPORT_FIELDS)) {
      expect(list.length).toBeGreaterThan(5);
      for (const [id, zh] of list) { expect(id).toMatch(/^[a-z_0-9]+$/); expect(zh.length).toBeGreaterThan(0); }
    }
    expect(EXPORT_FIELDS.projects.map(([id]) => id)).toContain('cost_yuan');
    expect(EXPORT_STATUSES.facilities).toEqual([]);
  });
  it('picked fields go to the query in the order picked', () => {
    expect(exportPath({ entity: 'projects', format: 'csv', fields: ['status', 'id'] })).toBe('/v1/office/exports/projects?format=csv&fields=status%2Cid');
  });
});

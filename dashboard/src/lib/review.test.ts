import { describe, expect, it } from 'vitest';
import { returnBody } from './review';

describe('return form', () => {
  it('needs an item and a reason for each item picked', () => {
    expect(returnBody([{ item: 1, checked: false, reason: '' }])).toEqual({ kind: 'none_picked' });
    expect(returnBody([{ item: 2, checked: true, reason: ' 缺 ' }, { item: 4, checked: true, reason: '面积只有照片，缺少测量' }])).toEqual({ kind: 'reason', items: [2] });
    expect(returnBody([{ item: 4, checked: true, reason: ' 面积只有照片 ' }, { item: 5, checked: false, reason: 'x' }])).toEqual({ items: [{ item: 4, reason: '面积只有照片' }] });
  });
});

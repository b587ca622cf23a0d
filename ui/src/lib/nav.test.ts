import { describe, it, expect } from 'vitest';
import { clampItem, itemForKey, itemsByGroup, nextIncomplete, nextItem, prevItem } from './nav';

describe('item navigation', () => {
  it('moves by one within 1..20', () => {
    expect(prevItem(1)).toBeNull();
    expect(prevItem(2)).toBe(1);
    expect(nextItem(19)).toBe(20);
    expect(nextItem(20)).toBeNull();
  });

  it('clamps what it is given', () => {
    expect(clampItem(0)).toBe(1);
    expect(clampItem(25)).toBe(20);
    expect(clampItem(7.8)).toBe(7);
    expect(clampItem(NaN)).toBe(1);
  });

  it('groups items for the jump grid in the standard’s order', () => {
    const items = [{ number: 3, group: 1 }, { number: 1, group: 1 }, { number: 7, group: 2 }, { number: 20, group: 6 }];
    expect(itemsByGroup(items)).toEqual([[1, [1, 3]], [2, [7]], [6, [20]]]);
  });

  it('finds the next item not yet complete, wrapping', () => {
    expect(nextIncomplete(new Set([1, 2, 3]), 1)).toBe(4);
    expect(nextIncomplete(new Set([20, 1]), 19)).toBe(2);
    expect(nextIncomplete(new Set(Array.from({ length: 20 }, (_, i) => i + 1)), 5)).toBeNull();
  });

  it('maps keys to items', () => {
    expect(itemForKey('ArrowRight', 5)).toBe(6);
    expect(itemForKey('PageUp', 5)).toBe(4);
    expect(itemForKey('ArrowLeft', 1)).toBeNull();
    expect(itemForKey('Home', 9)).toBe(1);
    expect(itemForKey('End', 9)).toBe(20);
    expect(itemForKey('a', 9)).toBeNull();
  });
});

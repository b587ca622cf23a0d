import { describe, it, expect } from 'vitest';
import { toAppError, errorText } from './errors';
import { photoHeaders } from './api';

describe('errors from commands', () => {
  it('keeps the contract’s shape', () => {
    const e = { code: 'invalid', message_zh: 'facility 0190….building_area_m2：应为不小于 0 的数', message_en: 'facility 0190….building_area_m2: expected a number ≥ 0' };
    expect(toAppError(e)).toEqual(e);
    expect(errorText(e, 'zh')).toBe(e.message_zh);
    expect(errorText(e, 'en')).toBe(e.message_en);
  });
  it('turns strings and Errors into the same shape', () => {
    expect(toAppError('command item_view not found')).toEqual({ code: 'unknown', message_zh: 'command item_view not found', message_en: 'command item_view not found' });
    expect(toAppError('{"code":"x","message_zh":"甲","message_en":"A"}')).toEqual({ code: 'x', message_zh: '甲', message_en: 'A' });
    expect(toAppError(new Error('boom')).message_en).toBe('boom');
    expect(toAppError({ code: 'only_en', message_en: 'E' })).toEqual({ code: 'only_en', message_zh: 'E', message_en: 'E' });
    expect(errorText(null, 'zh')).toBe('');
  });
});

describe('add_photo headers', () => {
  it('percent-encodes the caption and leaves out what is absent', () => {
    expect(photoHeaders('c1', { item: 12, caption: '12栋 入口' })).toEqual({ 'x-community': 'c1', 'x-item': '12', 'x-caption': '12%E6%A0%8B%20%E5%85%A5%E5%8F%A3' });
    expect(photoHeaders('c1', { facility: 'f1' })).toEqual({ 'x-community': 'c1', 'x-facility': 'f1' });
  });
});

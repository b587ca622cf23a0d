import { describe, expect, it } from 'vitest';
import { area, countDelta, dateTime, measured, money, parseWan, pointsDelta, quantity, required, share, yuanToWanInput } from './format';

describe('format', () => {
  it('money in 万元', () => {
    expect(money(1835000, 'zh')).toBe('183.5 万元');
    expect(money(18350000, 'zh')).toBe('1,835.0 万元');
    expect(money(4500, 'zh')).toBe('0.45 万元');
    expect(money(undefined, 'zh')).toBe('—');
    expect(money(1835000, 'en')).toBe('¥1,835,000');
  });
  it('万元 typed → yuan, and back', () => {
    expect(parseWan('183.5')).toBe(1835000);
    expect(parseWan(' 1,200 ')).toBe(12000000);
    expect(parseWan('')).toBeNull();
    expect(parseWan('-3')).toBeNaN();
    expect(parseWan('abc')).toBeNaN();
    expect(yuanToWanInput(1835000)).toBe('183.5');
    expect(yuanToWanInput(null)).toBe('');
  });
  it('areas, shares, quantities', () => {
    expect(area(1234.56, 'zh')).toBe('1,234.6 m²');
    expect(share(0.4167, 'zh')).toBe('41.7%');
    expect(share(1, 'en', 0)).toBe('100%');
    expect(quantity({ value: 3, unit: 'count' }, 'zh')).toBe('3 个');
    expect(quantity({ value: 0.25, unit: 'share' }, 'zh')).toBe('25.0%');
    expect(quantity({ value: 12, unit: 'minutes' }, 'en')).toBe('12 min');
  });
  it('required and measured', () => {
    expect(required({ op: 'at_least', value: 350, unit: 'm2' }, 'zh')).toBe('≥ 350 m²');
    expect(required({ op: 'at_most', value: 5, unit: 'minutes' }, 'zh')).toBe('≤ 5 分钟');
    expect(measured(false, 'zh')).toBe('否');
    expect(measured({ value: 86.5, unit: 'm2' }, 'zh')).toBe('86.5 m²');
  });
  it('year-on-year deltas', () => {
    expect(pointsDelta(0.2, 0.232, 'zh')).toBe('+3.2 个百分点');
    expect(pointsDelta(0.3, 0.25, 'en')).toBe('−5.0 pp');
    expect(countDelta(5, 3)).toBe('−2');
    expect(countDelta(3, 3)).toBe('±0');
  });
  it('times in their own offset', () => {
    expect(dateTime('2026-09-14T10:20:33+08:00')).toBe('2026-09-14 10:20');
    expect(dateTime(null)).toBe('—');
  });
});

import { describe, it, expect } from 'vitest';
import { formatArea, formatAreaSigma, formatBytes, formatMeasured, formatNumber, formatRequirement, formatUnit, percent, rfc3339 } from './format';
import { PROPERTY_MANAGEMENT } from './vocab';

describe('format', () => {
  it('groups numbers and drops trailing zeros', () => {
    expect(formatNumber(268000, 'zh')).toBe('268,000');
    expect(formatNumber(1.5, 'en')).toBe('1.5');
    expect(formatNumber(2.0, 'en')).toBe('2');
    expect(formatNumber(NaN, 'zh')).toBe('—');
  });

  it('formats areas: whole from 100 m², one decimal below', () => {
    expect(formatArea(2080, 'zh')).toBe('2,080 m²');
    expect(formatArea(48.25, 'en')).toBe('48.3 m²');
    expect(formatAreaSigma(41250.4, 85.2, 'zh')).toBe('41,250 ± 85 m²');
  });

  it('formats the evaluator’s units', () => {
    expect(formatUnit(11.5, 'minutes', 'zh')).toBe('11.5 分钟');
    expect(formatUnit(11.5, 'minutes', 'en')).toBe('11.5 min');
    expect(formatUnit(0.56, 'share', 'zh')).toBe('56 %');
    expect(formatUnit(6, 'count', 'en')).toBe('6');
  });

  it('formats requirements', () => {
    expect(formatRequirement({ op: 'at_least', value: 800, unit: 'm2' }, 'zh')).toBe('≥ 800 m²');
    expect(formatRequirement({ op: 'at_most', value: 10, unit: 'minutes' }, 'en')).toBe('≤ 10 min');
    expect(formatRequirement({ op: 'yes' }, 'zh')).toBe('是');
    expect(formatRequirement({ op: 'one_of', values: ['professional', 'community_trusteeship'] }, 'zh', PROPERTY_MANAGEMENT)).toBe('专业化物业服务、社区托管');
    expect(formatRequirement(undefined, 'zh')).toBe('—');
  });

  it('formats what was measured, with its method', () => {
    expect(formatMeasured({ value: 620, unit: 'm2', method: 'documents' }, 'zh')).toBe('620 m²（产权证、竣工图等资料）');
    expect(formatMeasured({ value: 620, unit: 'm2', method: 'tape' }, 'en')).toBe('620 m² (tape measure)');
    expect(formatMeasured(false, 'zh')).toBe('否');
    expect(formatMeasured(true, 'en')).toBe('yes');
    expect(formatMeasured(undefined, 'zh')).toBe('未测');
    expect(formatMeasured('self_managed', 'zh', PROPERTY_MANAGEMENT)).toBe('居民自管');
  });

  it('computes progress percentages safely', () => {
    expect(percent(5, 20)).toBe(25);
    expect(percent(3, 0)).toBe(0);
    expect(percent(30, 20)).toBe(100);
  });

  it('writes RFC 3339 times with the device offset', () => {
    const ms = Date.UTC(2026, 4, 12, 0, 40, 5);
    expect(rfc3339(ms, 480)).toBe('2026-05-12T08:40:05+08:00');
    expect(rfc3339(ms, 0)).toBe('2026-05-12T00:40:05+00:00');
    expect(rfc3339(ms, -330)).toBe('2026-05-11T19:10:05-05:30');
  });

  it('formats bytes', () => {
    expect(formatBytes(512, 'en')).toBe('512 B');
    expect(formatBytes(2048, 'en')).toBe('2 KB');
    expect(formatBytes(1_800_000, 'en')).toBe('1.7 MB');
  });
});

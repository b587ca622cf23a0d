import { describe, it, expect } from 'vitest';
import {
  changedFields, checkpointTarget, communityFields, communityFormFrom, emptyCommunityForm, emptyRampForm,
  facilityFields, facilityFormFrom, gpsPointFields, measurementsFor, parseNumber, parseNumberList,
  percentToDegrees, rampFields, rampFormFrom, summariseRun, withoutNulls, checkpointFields, checklistRunFields,
} from './records';

describe('parseNumber', () => {
  it('reads what surveyors type', () => {
    expect(parseNumber('1,234')).toEqual({ ok: true, value: 1234 });
    expect(parseNumber('１２３．５')).toEqual({ ok: true, value: 123.5 });
    expect(parseNumber(' 8 600 ')).toEqual({ ok: true, value: 8600 });
    expect(parseNumber('.5')).toEqual({ ok: true, value: 0.5 });
    expect(parseNumber('')).toEqual({ ok: true, value: null });
    expect(parseNumber(undefined)).toEqual({ ok: true, value: null });
  });
  it('refuses what is not a non-negative number', () => {
    expect(parseNumber('abc').ok).toBe(false);
    expect(parseNumber('-3').ok).toBe(false);
    expect(parseNumber('1.2.3').ok).toBe(false);
    expect(parseNumber('6.5', { integer: true }).ok).toBe(false);
    expect(parseNumber('6', { integer: true })).toEqual({ ok: true, value: 6 });
  });
  it('reads lists', () => {
    expect(parseNumberList('1.6, 1.5、1.55 1.7')).toEqual({ ok: true, values: [1.6, 1.5, 1.55, 1.7] });
    expect(parseNumberList('')).toEqual({ ok: true, values: [] });
    expect(parseNumberList('1.6, x')).toEqual({ ok: false, index: 1 });
  });
});

describe('community fields', () => {
  it('builds the record with blanks unset, never zero', () => {
    const form = { ...emptyCommunityForm(), name: ' 紫阳社区 ', kind: 'existing' as const, old_estate: 'yes' as const, population: '8,600', total_floor_area_m2: '268000.5' };
    const r = communityFields(form);
    expect(r.errors).toEqual({});
    expect(r.fields).toMatchObject({
      name: '紫阳社区', kind: 'existing', old_estate: true, central_heating_zone: null, population: 8600,
      households: null, total_floor_area_m2: 268000.5, city: null, property_management: null,
    });
    expect(withoutNulls(r.fields)).toEqual({ name: '紫阳社区', kind: 'existing', old_estate: true, population: 8600, total_floor_area_m2: 268000.5 });
  });
  it('names the fields that are wrong', () => {
    const r = communityFields({ ...emptyCommunityForm(), population: '8600.5', households: 'many' });
    expect(r.errors).toEqual({ name: 'err.required', population: 'err.integer', households: 'err.integer' });
  });
  it('round-trips through the form', () => {
    const stored = { name: '和光社区', kind: 'new', central_heating_zone: true, old_estate: false, population: 9850, households: 3520 };
    const r = communityFields(communityFormFrom(stored));
    expect(changedFields(stored, r.fields)).toEqual({});
  });
  it('sends only changed fields, with null to unset', () => {
    expect(changedFields({ population: 8600, households: 3120 }, { population: 8600, households: null, city: '武汉市' })).toEqual({ households: null, city: '武汉市' });
  });
});

describe('facility fields', () => {
  const shown = { numbers: ['classes', 'building_area_m2', 'land_area_m2'], flags: ['inclusive'], walk: true };
  it('builds a kindergarten from the form', () => {
    const form = facilityFormFrom({ kind: 'kindergarten' });
    form.name = '紫阳幼儿园';
    form.numbers.classes = '6';
    form.numbers.building_area_m2 = '2080';
    form.inclusive = 'yes';
    form.walk_method = 'straight_line';
    form.walk_distance_m = '520';
    form.walk_detour = '1.3';
    const r = facilityFields(form, shown);
    expect(r.errors).toEqual({});
    expect(r.fields).toEqual({
      kind: 'kindergarten', name: '紫阳幼儿园', notes: null, classes: 6, building_area_m2: 2080, land_area_m2: null,
      inclusive: true, features: [], walk: { method: 'straight_line', distance_m: 520, detour_factor: 1.3 },
    });
  });
  it('refuses a detour factor under 1 and fractional classes', () => {
    const form = facilityFormFrom({ kind: 'kindergarten' });
    form.numbers.classes = '5.5';
    form.walk_method = 'straight_line';
    form.walk_distance_m = '500';
    form.walk_detour = '0.9';
    expect(facilityFields(form, shown).errors).toEqual({ classes: 'err.integer', walk_detour: 'err.detour' });
  });
  it('reads a stored facility back, features sorted and unique', () => {
    const form = facilityFormFrom({ kind: 'service_station', building_area_m2: 620, features: ['reading_room', 'service_hall'], walk: { method: 'timed', minutes: 7 } });
    expect(form.numbers.building_area_m2).toBe('620');
    expect(form.walk_method).toBe('timed');
    form.features.push('service_hall');
    const r = facilityFields(form, { numbers: ['building_area_m2'], flags: [], walk: true });
    expect(r.fields.features).toEqual(['reading_room', 'service_hall']);
    expect(r.fields.walk).toEqual({ method: 'timed', minutes: 7 });
  });
  it('files measurements for area values typed with a method', () => {
    const after = { building_area_m2: 2080, land_area_m2: 3100, classes: 6 };
    expect(measurementsFor('f1', { building_area_m2: 2080 }, after, { building_area_m2: 'documents', land_area_m2: 'tape', classes: 'count' }))
      .toEqual([{ facility: 'f1', quantity: 'land_area_m2', value: 3100, method: 'tape' }]);
    expect(measurementsFor('f1', {}, { land_area_m2: null }, { land_area_m2: 'tape' })).toEqual([]);
  });
});

describe('ramp fields', () => {
  it('builds a ramp from rise and length', () => {
    const f = { ...emptyRampForm(), label: '党群服务中心坡道', rise_m: '0.45', length_m: '4.8', cross_slope_percent: '1', clear_width_m: '1.3', landings_m: '1.6, 1.5', handrail_sides: '2' as const, upper_height_mm: '880', lower_height_mm: '680' };
    const r = rampFields(f);
    expect(r.errors).toEqual({});
    expect(r.fields).toEqual({
      label: '党群服务中心坡道', rise_m: 0.45, length_m: 4.8, slope_readings_deg: [], cross_slope: 0.01, clear_width_m: 1.3,
      landings_m: [1.6, 1.5], handrails: { sides: 2, upper_height_mm: 880, lower_height_mm: 680 },
    });
  });
  it('converts inclinometer readings in percent to degrees', () => {
    expect(percentToDegrees(100)).toBeCloseTo(45, 10);
    expect(percentToDegrees(8.333)).toBeCloseTo(4.7636, 3);
    const r = rampFields({ ...emptyRampForm(), label: 'x', mode: 'inclinometer', readings: '8, 9', readings_unit: 'percent' });
    expect((r.fields.slope_readings_deg as number[]).map((v) => Math.round(v * 1000) / 1000)).toEqual([4.574, 5.143]);
    expect(r.fields.rise_m).toBeNull();
    const d = rampFields({ ...emptyRampForm(), label: 'x', mode: 'inclinometer', readings: '4.5 4.7' });
    expect(d.fields.slope_readings_deg).toEqual([4.5, 4.7]);
  });
  it('names bad input', () => {
    const r = rampFields({ ...emptyRampForm(), rise_m: 'high', landings_m: '1.5, ?' });
    expect(r.errors).toEqual({ label: 'err.required', rise_m: 'err.number', landings_m: 'err.number_list' });
  });
  it('round-trips a stored ramp', () => {
    const stored = { label: 'A', rise_m: 0.3, length_m: 4, slope_readings_deg: [], cross_slope: 0.015, clear_width_m: 1.2, landings_m: [1.5], handrails: { sides: 1, upper_height_mm: 870 } };
    const r = rampFields(rampFormFrom(stored));
    expect(changedFields(stored, r.fields)).toEqual({});
  });
});

describe('体验活动 records', () => {
  it('maps template kinds to checkpoint targets', () => {
    expect(checkpointTarget('ramp')).toBe('ramp');
    expect(checkpointTarget('tactile_paving')).toBe('tactile_paving');
    expect(checkpointTarget('accessible_toilet')).toBe('toilet');
    expect(checkpointTarget('service_station')).toBe('counter');
    expect(checkpointTarget('green_space')).toBe('route');
  });
  it('builds run and checkpoint fields', () => {
    expect(checklistRunFields('wheelchair', 'wc-1', '2026-05-20T09:00:00+08:00')).toEqual({ category: 'wheelchair', template: 'wc-1', started_at: '2026-05-20T09:00:00+08:00' });
    expect(checkpointFields('r1', '12栋1单元入口', 'entrance')).toEqual({ run: 'r1', label: '12栋1单元入口', target: 'entrance' });
  });
  it('summarises a run', () => {
    expect(summariseRun([{ outcome: 'pass' }, { outcome: 'difficult' }, { outcome: 'impassable' }, {}])).toEqual({ total: 4, pass: 1, difficult: 1, impassable: 1, pending: 1, worst: 'impassable' });
    expect(summariseRun([])).toMatchObject({ total: 0, worst: null });
    expect(summariseRun([{ outcome: 'pass' }, { outcome: null }]).worst).toBe('pass');
  });
});

describe('gps points', () => {
  it('builds a gps_point record', () => {
    expect(gpsPointFields({ lat: 30.54, lon: 114.3, accuracy_m: 4 }, '2026-05-12T08:40:00+08:00', 'replay', { label: ' 1. 服务站 ' })).toEqual({
      lon: 114.3, lat: 30.54, accuracy_m: 4, taken_at: '2026-05-12T08:40:00+08:00', source: 'replay', label: '1. 服务站',
    });
  });
});

describe('entrances', () => {
  it('builds an entrance record', async () => {
    const { entranceFields, emptyEntranceForm } = await import('./records');
    const r = entranceFields({ ...emptyEntranceForm(), label: ' 12栋1单元 ', step_free: 'no', ramp: '' });
    expect(r).toEqual({ fields: { label: '12栋1单元', building: 'residential', step_free: false, ramp: null }, errors: {} });
    expect(entranceFields(emptyEntranceForm()).errors).toEqual({ label: 'err.required' });
  });
});

describe('tape rectangles', () => {
  it('reads one rectangle per line in the ways people write it', async () => {
    const { parseRectangles } = await import('./records');
    expect(parseRectangles('28×15\n10 x 4.5\n3*2；６，２')).toEqual({ ok: true, rectangles: [
      { length_m: 28, width_m: 15 }, { length_m: 10, width_m: 4.5 }, { length_m: 3, width_m: 2 }, { length_m: 6, width_m: 2 },
    ] });
    expect(parseRectangles('28 15')).toEqual({ ok: true, rectangles: [{ length_m: 28, width_m: 15 }] });
  });
  it('names the line that is wrong', async () => {
    const { parseRectangles } = await import('./records');
    expect(parseRectangles('28×15\n10')).toEqual({ ok: false, line: 2 });
    expect(parseRectangles('0×5')).toEqual({ ok: false, line: 1 });
    expect(parseRectangles('')).toEqual({ ok: false, line: 1 });
  });
});

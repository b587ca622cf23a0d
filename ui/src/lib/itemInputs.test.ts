import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { itemInputs, inputsForField } from './itemInputs';
import type { Standard } from './types';

// The standard the core serialises has the TOML file's shape: read the real file.
const toml = join(__dirname, '../../../schema/standards/complete-community-2020.toml');
const standard = parse(readFileSync(toml, 'utf8')) as unknown as Standard;

describe('item inputs from the standard', () => {
  it('maps derived fields to what is typed', () => {
    expect(inputsForField('walk_minutes')).toEqual({ numbers: [], walk: true });
    expect(inputsForField('charging_ready_share').numbers).toEqual(['spaces', 'charging_spaces', 'charging_provisioned_spaces']);
    expect(inputsForField('sports_area_share').numbers).toEqual(['land_area_m2', 'sports_area_m2']);
    expect(inputsForField('classes').numbers).toEqual(['classes']);
  });

  it('asks for a kindergarten’s classes, areas, 普惠 and walk (item 2)', () => {
    const i = itemInputs(standard, 2);
    expect(i.kinds).toEqual(['kindergarten']);
    expect(i.numbers.kindergarten).toEqual(['classes', 'building_area_m2', 'land_area_m2']);
    expect(i.flags.kindergarten).toEqual(['inclusive']);
    expect(i.walk.kindergarten).toBe(true);
  });

  it('asks for the service station’s rooms (item 1)', () => {
    const i = itemInputs(standard, 1);
    expect(i.kinds).toEqual(['service_station']);
    expect(i.features.service_station).toContain('police_room');
    expect(i.numbers.service_station).toContain('building_area_m2');
  });

  it('asks the utility observations of item 9', () => {
    const i = itemInputs(standard, 9);
    expect(i.observations.map((o) => o.id)).toContain('utility.drainage');
    expect(i.observations.every((o) => o.item === 9)).toBe(true);
  });

  it('sends item 12 to ramps, entrances and checklists', () => {
    const i = itemInputs(standard, 12);
    expect(i.ramps).toBe(true);
    expect(i.entrances).toBe(true);
    expect(i.checklists).toBe(true);
  });

  it('gives every item something to record', () => {
    for (let n = 1; n <= 20; n++) {
      const i = itemInputs(standard, n);
      const something = i.kinds.length + i.observations.length + i.community.length + (i.propertyManagement ? 1 : 0) + (i.ramps ? 1 : 0) + (i.entrances ? 1 : 0) + (i.checklists ? 1 : 0);
      expect(something, `item ${n}`).toBeGreaterThan(0);
    }
  });

  it('is empty for an unknown item', () => {
    expect(itemInputs(standard, 99).kinds).toEqual([]);
  });
});

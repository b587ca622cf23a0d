// Building records' fields (schema/src/record.rs shapes) from what the surveyor typed. Inputs
// arrive as strings; a blank input is "not surveyed" (null), never zero.
import type { Fields, Outcome, ParticipantGroup } from './types';

export type NumberParse = { ok: true; value: number | null } | { ok: false };

/** Parses a typed number: full-width digits (from a Chinese IME), "1,234", "1 234", "，" and "．"
 * are accepted; blank is null. Negative numbers are refused (no field of the survey is negative). */
export function parseNumber(raw: string | number | null | undefined, opts: { integer?: boolean } = {}): NumberParse {
  if (raw === null || raw === undefined) return { ok: true, value: null };
  if (typeof raw === 'number') return Number.isFinite(raw) && raw >= 0 ? { ok: true, value: raw } : { ok: false };
  let s = raw.replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
  s = s.replace(/．/g, '.').replace(/[，,\s\u00a0]/g, '').trim();
  if (s === '') return { ok: true, value: null };
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(s)) return { ok: false };
  const v = Number(s);
  if (!Number.isFinite(v) || v < 0) return { ok: false };
  if (opts.integer && !Number.isInteger(v)) return { ok: false };
  return { ok: true, value: v };
}

/** A list of numbers typed as "1.6, 1.5" or "1.6 1.5" or "1.6、1.5". */
export function parseNumberList(raw: string): { ok: true; values: number[] } | { ok: false; index: number } {
  const parts = raw.split(/[,，、;；\s]+/).map((p) => p.trim()).filter(Boolean);
  const values: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parseNumber(parts[i]);
    if (!p.ok || p.value === null) return { ok: false, index: i };
    values.push(p.value);
  }
  return { ok: true, values };
}

export type TriState = 'yes' | 'no' | '';
export const triToValue = (t: TriState): boolean | null => (t === 'yes' ? true : t === 'no' ? false : null);
export const valueToTri = (v: unknown): TriState => (v === true ? 'yes' : v === false ? 'no' : '');

export interface FormResult {
  fields: Fields;
  /** Field name → what is wrong (an i18n key). */
  errors: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// The community

export interface CommunityForm {
  name: string;
  city: string;
  district: string;
  street: string;
  residents_committee: string;
  kind: '' | 'new' | 'existing';
  old_estate: TriState;
  site_constrained: TriState;
  central_heating_zone: TriState;
  population: string;
  households: string;
  total_floor_area_m2: string;
  daily_parcel_deliveries: string;
  property_management: string;
}

export const COMMUNITY_INTEGERS = ['population', 'households', 'daily_parcel_deliveries'] as const;

export function emptyCommunityForm(): CommunityForm {
  return {
    name: '', city: '', district: '', street: '', residents_committee: '', kind: '',
    old_estate: '', site_constrained: '', central_heating_zone: '',
    population: '', households: '', total_floor_area_m2: '', daily_parcel_deliveries: '', property_management: '',
  };
}

export function communityFormFrom(fields: Fields): CommunityForm {
  const s = (k: string) => (fields[k] === undefined || fields[k] === null ? '' : String(fields[k]));
  return {
    name: s('name'), city: s('city'), district: s('district'), street: s('street'),
    residents_committee: s('residents_committee'),
    kind: fields.kind === 'new' || fields.kind === 'existing' ? fields.kind : '',
    old_estate: valueToTri(fields.old_estate),
    site_constrained: valueToTri(fields.site_constrained),
    central_heating_zone: valueToTri(fields.central_heating_zone),
    population: s('population'), households: s('households'),
    total_floor_area_m2: s('total_floor_area_m2'), daily_parcel_deliveries: s('daily_parcel_deliveries'),
    property_management: s('property_management'),
  };
}

/** The community record's fields from the form; blanks are null (unset). */
export function communityFields(form: CommunityForm): FormResult {
  const fields: Fields = {};
  const errors: Record<string, string> = {};
  const name = form.name.trim();
  if (!name) errors.name = 'err.required';
  fields.name = name;
  for (const k of ['city', 'district', 'street', 'residents_committee'] as const) {
    fields[k] = form[k].trim() || null;
  }
  fields.kind = form.kind || null;
  fields.old_estate = triToValue(form.old_estate);
  fields.site_constrained = triToValue(form.site_constrained);
  fields.central_heating_zone = triToValue(form.central_heating_zone);
  for (const k of ['population', 'households', 'total_floor_area_m2', 'daily_parcel_deliveries'] as const) {
    const p = parseNumber(form[k], { integer: (COMMUNITY_INTEGERS as readonly string[]).includes(k) });
    if (!p.ok) errors[k] = (COMMUNITY_INTEGERS as readonly string[]).includes(k) ? 'err.integer' : 'err.number';
    else fields[k] = p.value;
  }
  fields.property_management = form.property_management || null;
  return { fields, errors };
}

/** Only the fields that differ from what is stored (an unset stored value equals null). */
export function changedFields(stored: Fields, next: Fields): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(next)) {
    const a = stored[k] ?? null;
    const b = v ?? null;
    if (JSON.stringify(a) !== JSON.stringify(b)) out[k] = b;
  }
  return out;
}

/** Drops nulls: a new record needs no unset fields. */
export function withoutNulls(f: Fields): Fields {
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== null && v !== undefined));
}

// ---------------------------------------------------------------------------------------------
// Facilities

export const FACILITY_NUMBER_FIELDS = [
  'building_area_m2', 'land_area_m2', 'usable_area_m2', 'sports_area_m2',
  'classes', 'compartments', 'spaces', 'charging_spaces', 'charging_provisioned_spaces',
] as const;
export type FacilityNumberField = (typeof FACILITY_NUMBER_FIELDS)[number];
export const FACILITY_INTEGER_FIELDS: readonly string[] = [
  'classes', 'compartments', 'spaces', 'charging_spaces', 'charging_provisioned_spaces',
];
export const AREA_FIELDS: readonly string[] = ['building_area_m2', 'land_area_m2', 'usable_area_m2', 'sports_area_m2'];

export type WalkMethod = '' | 'path' | 'straight_line' | 'timed';
export interface FacilityForm {
  kind: string;
  name: string;
  numbers: Record<string, string>;
  /** The method of each area typed (measurement evidence), by field. */
  methods: Record<string, string>;
  inclusive: TriState;
  open_to_public: TriState;
  features: string[];
  walk_method: WalkMethod;
  walk_length_m: string;
  walk_distance_m: string;
  walk_detour: string;
  walk_minutes: string;
  notes: string;
}

export function facilityFormFrom(f: Fields & { kind: string }): FacilityForm {
  const numbers: Record<string, string> = {};
  for (const k of FACILITY_NUMBER_FIELDS) numbers[k] = f[k] == null ? '' : String(f[k]);
  const walk = (f.walk ?? null) as Record<string, unknown> | null;
  const str = (v: unknown) => (v == null ? '' : String(v));
  return {
    kind: f.kind,
    name: str(f.name),
    numbers,
    methods: {},
    inclusive: valueToTri(f.inclusive),
    open_to_public: valueToTri(f.open_to_public),
    features: Array.isArray(f.features) ? [...(f.features as string[])] : [],
    walk_method: (walk?.method as WalkMethod) ?? '',
    walk_length_m: str(walk?.length_m),
    walk_distance_m: str(walk?.distance_m),
    walk_detour: walk?.detour_factor == null ? '1.3' : String(walk.detour_factor),
    walk_minutes: str(walk?.minutes),
    notes: str(f.notes),
  };
}

export function emptyFacilityForm(kind: string): FacilityForm {
  return facilityFormFrom({ kind });
}

/** A facility record's fields; only `shown` number fields are written (the item's inputs). */
export function facilityFields(form: FacilityForm, shown: { numbers: readonly string[]; flags: readonly string[]; walk: boolean }): FormResult {
  const fields: Fields = { kind: form.kind, name: form.name.trim() || null, notes: form.notes.trim() || null };
  const errors: Record<string, string> = {};
  for (const k of shown.numbers) {
    const integer = FACILITY_INTEGER_FIELDS.includes(k);
    const p = parseNumber(form.numbers[k] ?? '', { integer });
    if (!p.ok) errors[k] = integer ? 'err.integer' : 'err.number';
    else fields[k] = p.value;
  }
  for (const flag of shown.flags) {
    fields[flag] = triToValue((form as unknown as Record<string, TriState>)[flag] ?? '');
  }
  fields.features = [...new Set(form.features)].sort();
  if (shown.walk) {
    const w = walkField(form);
    if ('error' in w) errors[w.field] = w.error;
    else fields.walk = w.walk;
  }
  return { fields, errors };
}

function walkField(form: FacilityForm): { walk: Fields | null } | { field: string; error: string } {
  const num = (field: string, raw: string) => {
    const p = parseNumber(raw);
    return p.ok ? p.value : undefined;
  };
  switch (form.walk_method) {
    case '':
      return { walk: null };
    case 'path': {
      const v = num('walk_length_m', form.walk_length_m);
      if (v === undefined) return { field: 'walk_length_m', error: 'err.number' };
      return { walk: v === null ? null : { method: 'path', length_m: v } };
    }
    case 'straight_line': {
      const d = num('walk_distance_m', form.walk_distance_m);
      if (d === undefined) return { field: 'walk_distance_m', error: 'err.number' };
      const f = num('walk_detour', form.walk_detour);
      if (f === undefined || (f !== null && f < 1)) return { field: 'walk_detour', error: 'err.detour' };
      if (d === null) return { walk: null };
      if (f === null) return { field: 'walk_detour', error: 'err.required' };
      return { walk: { method: 'straight_line', distance_m: d, detour_factor: f } };
    }
    case 'timed': {
      const m = num('walk_minutes', form.walk_minutes);
      if (m === undefined) return { field: 'walk_minutes', error: 'err.number' };
      return { walk: m === null ? null : { method: 'timed', minutes: m } };
    }
  }
}

/** Measurement records standing behind area values typed with a method: one per area field whose
 * value changed (or is new) and has a method chosen. */
export function measurementsFor(facility: string, before: Fields, after: Fields, methods: Record<string, string>): Fields[] {
  const out: Fields[] = [];
  for (const k of AREA_FIELDS) {
    const v = after[k];
    const m = methods[k];
    if (typeof v !== 'number' || !m) continue;
    if (before[k] === v && !methods[`${k}.force`]) continue;
    out.push({ facility, quantity: k, value: v, method: m });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Ramps

export interface RampForm {
  label: string;
  mode: 'rise_length' | 'inclinometer';
  rise_m: string;
  length_m: string;
  readings: string;
  readings_unit: 'deg' | 'percent';
  /** Cross slope as typed in percent (2 % = 1:50). */
  cross_slope_percent: string;
  clear_width_m: string;
  landings_m: string;
  handrail_sides: '' | '0' | '1' | '2';
  upper_height_mm: string;
  lower_height_mm: string;
}

export function emptyRampForm(): RampForm {
  return {
    label: '', mode: 'rise_length', rise_m: '', length_m: '', readings: '', readings_unit: 'deg',
    cross_slope_percent: '', clear_width_m: '', landings_m: '', handrail_sides: '',
    upper_height_mm: '', lower_height_mm: '',
  };
}

/** A slope typed in percent (rise per 100 of run) as degrees, the unit the record keeps. */
export function percentToDegrees(p: number): number {
  return (Math.atan(p / 100) * 180) / Math.PI;
}

export function rampFormFrom(f: Fields): RampForm {
  const s = (v: unknown) => (v == null ? '' : String(v));
  const readings = Array.isArray(f.slope_readings_deg) ? (f.slope_readings_deg as number[]) : [];
  const hr = (f.handrails ?? null) as Record<string, unknown> | null;
  return {
    label: s(f.label),
    mode: readings.length && f.rise_m == null ? 'inclinometer' : 'rise_length',
    rise_m: s(f.rise_m),
    length_m: s(f.length_m),
    readings: readings.join(', '),
    readings_unit: 'deg',
    cross_slope_percent: f.cross_slope == null ? '' : String(Math.round((f.cross_slope as number) * 100 * 1000) / 1000),
    clear_width_m: s(f.clear_width_m),
    landings_m: Array.isArray(f.landings_m) ? (f.landings_m as number[]).join(', ') : '',
    handrail_sides: hr ? (String(hr.sides) as RampForm['handrail_sides']) : '',
    upper_height_mm: s(hr?.upper_height_mm),
    lower_height_mm: s(hr?.lower_height_mm),
  };
}

export function rampFields(form: RampForm): FormResult {
  const fields: Fields = {};
  const errors: Record<string, string> = {};
  const label = form.label.trim();
  if (!label) errors.label = 'err.required';
  fields.label = label;
  const num = (key: string, raw: string, scale = 1) => {
    const p = parseNumber(raw);
    if (!p.ok) {
      errors[key] = 'err.number';
      return null;
    }
    return p.value === null ? null : p.value * scale;
  };
  if (form.mode === 'rise_length') {
    fields.rise_m = num('rise_m', form.rise_m);
    fields.length_m = num('length_m', form.length_m);
    fields.slope_readings_deg = [];
  } else {
    fields.rise_m = null;
    fields.length_m = null;
    const l = parseNumberList(form.readings);
    if (!l.ok) errors.readings = 'err.number_list';
    else fields.slope_readings_deg = form.readings_unit === 'percent' ? l.values.map(percentToDegrees) : l.values;
  }
  fields.cross_slope = num('cross_slope_percent', form.cross_slope_percent, 0.01);
  fields.clear_width_m = num('clear_width_m', form.clear_width_m);
  const landings = parseNumberList(form.landings_m);
  if (!landings.ok) errors.landings_m = 'err.number_list';
  else fields.landings_m = landings.values;
  if (form.handrail_sides === '') fields.handrails = null;
  else {
    const upper = num('upper_height_mm', form.upper_height_mm);
    const lower = num('lower_height_mm', form.lower_height_mm);
    const hr: Fields = { sides: Number(form.handrail_sides) };
    if (upper !== null) hr.upper_height_mm = upper;
    if (lower !== null) hr.lower_height_mm = lower;
    fields.handrails = hr;
  }
  return { fields, errors };
}

// ---------------------------------------------------------------------------------------------
// 体验活动

const CHECKPOINT_TARGETS = ['entrance', 'ramp', 'lift', 'toilet', 'counter', 'tactile_paving', 'signage', 'route'];
const KIND_TO_TARGET: Record<string, string> = {
  accessible_toilet: 'toilet', public_toilet: 'toilet', box_toilet: 'toilet',
  service_station: 'counter', health_station: 'counter', elderly_station: 'counter', day_care_centre: 'counter',
};

/** A template checkpoint's `facility_kind` as a checkpoint record's `target`. */
export function checkpointTarget(facilityKind: string): string {
  if (CHECKPOINT_TARGETS.includes(facilityKind)) return facilityKind;
  return KIND_TO_TARGET[facilityKind] ?? 'route';
}

export function checklistRunFields(group: ParticipantGroup, template: string, startedAt: string): Fields {
  return { category: group, template, started_at: startedAt };
}

/** A template names its checkpoint's target; older templates gave only a facility kind. */
export function checkpointFields(run: string, label: string, facilityKind: string, target?: string): Fields {
  return { run, label, target: target ?? checkpointTarget(facilityKind) };
}

export interface RunSummary {
  total: number;
  pass: number;
  difficult: number;
  impassable: number;
  pending: number;
  worst: Outcome | null;
}

export function summariseRun(checkpoints: { outcome?: Outcome | null }[]): RunSummary {
  const s: RunSummary = { total: checkpoints.length, pass: 0, difficult: 0, impassable: 0, pending: 0, worst: null };
  for (const c of checkpoints) {
    if (!c.outcome) s.pending++;
    else s[c.outcome]++;
  }
  s.worst = s.impassable ? 'impassable' : s.difficult ? 'difficult' : s.pass ? 'pass' : null;
  return s;
}

// ---------------------------------------------------------------------------------------------
// GPS points

export function gpsPointFields(fix: { lat: number; lon: number; accuracy_m: number }, takenAt: string, source: string, opts: { facility?: string | null; label?: string | null } = {}): Fields {
  const f: Fields = { lon: fix.lon, lat: fix.lat, accuracy_m: fix.accuracy_m, taken_at: takenAt, source };
  if (opts.facility) f.facility = opts.facility;
  if (opts.label?.trim()) f.label = opts.label.trim();
  return f;
}

// ---------------------------------------------------------------------------------------------
// Building entrances (item 12)

export interface EntranceForm {
  label: string;
  building: 'residential' | 'public';
  step_free: TriState;
  ramp: string;
}

export function emptyEntranceForm(): EntranceForm {
  return { label: '', building: 'residential', step_free: '', ramp: '' };
}

export function entranceFields(form: EntranceForm): FormResult {
  const errors: Record<string, string> = {};
  const label = form.label.trim();
  if (!label) errors.label = 'err.required';
  return {
    fields: { label, building: form.building, step_free: triToValue(form.step_free), ramp: form.ramp || null },
    errors,
  };
}

// ---------------------------------------------------------------------------------------------
// Tape rectangles for record_tape_area: one "length × width" per line ("28×15", "28 x 15",
// "28*15", "28，15").

export function parseRectangles(raw: string): { ok: true; rectangles: { length_m: number; width_m: number }[] } | { ok: false; line: number } {
  const rectangles: { length_m: number; width_m: number }[] = [];
  const lines = raw.split(/\r?\n|；|;/).map((l) => l.trim()).filter(Boolean);
  for (let i = 0; i < lines.length; i++) {
    const parts = lines[i].split(/\s*[×xX*，,]\s*|\s+/).filter(Boolean);
    if (parts.length !== 2) return { ok: false, line: i + 1 };
    const a = parseNumber(parts[0]);
    const b = parseNumber(parts[1]);
    if (!a.ok || !b.ok || a.value === null || b.value === null || a.value <= 0 || b.value <= 0) return { ok: false, line: i + 1 };
    rectangles.push({ length_m: a.value, width_m: b.value });
  }
  if (!rectangles.length) return { ok: false, line: 1 };
  return { ok: true, rectangles };
}

// What an item's screen asks for, read off the standard's data (its rules' kinds, fields,
// features and observations). This decides which inputs to show, never whether anything is met.
import type { ObservationDef, Rule, Standard, StandardItem } from './types';

export interface ItemInputs {
  /** Facility kinds the item's checks look at, in the order they first appear. */
  kinds: string[];
  /** Per kind: the facility number fields to show. */
  numbers: Record<string, string[]>;
  /** Per kind: yes/no flags (inclusive, open_to_public). */
  flags: Record<string, string[]>;
  /** Per kind: features to tick. */
  features: Record<string, string[]>;
  /** Per kind: whether the walk to it is asked. */
  walk: Record<string, boolean>;
  observations: ObservationDef[];
  /** Community numbers the item's rules read (households, daily_parcel_deliveries …). */
  community: string[];
  propertyManagement: boolean;
  entrances: boolean;
  ramps: boolean;
  checklists: boolean;
}

/** A rule field → the facility inputs that feed it. */
export function inputsForField(field: string): { numbers: string[]; walk: boolean } {
  switch (field) {
    case 'charging_ready_spaces':
    case 'charging_ready_share':
      return { numbers: ['spaces', 'charging_spaces', 'charging_provisioned_spaces'], walk: false };
    case 'sports_area_share':
      return { numbers: ['land_area_m2', 'sports_area_m2'], walk: false };
    case 'walk_minutes':
      return { numbers: [], walk: true };
    default:
      return { numbers: [field], walk: false };
  }
}

export function itemInputs(standard: Standard, itemNumber: number): ItemInputs {
  const item = standard.items.find((i) => i.number === itemNumber);
  const out: ItemInputs = {
    kinds: [], numbers: {}, flags: {}, features: {}, walk: {},
    observations: standard.observations.filter((o) => o.item === itemNumber),
    community: [], propertyManagement: false, entrances: false, ramps: false, checklists: false,
  };
  if (!item) return out;
  const addKind = (k: string) => {
    if (!out.kinds.includes(k)) {
      out.kinds.push(k);
      out.numbers[k] = [];
      out.flags[k] = [];
      out.features[k] = [];
      out.walk[k] = false;
    }
  };
  const push = (list: string[], v: string) => {
    if (!list.includes(v)) list.push(v);
  };
  const visit = (rule: Rule) => {
    const kinds = rule.kinds ?? [];
    kinds.forEach(addKind);
    switch (rule.type) {
      case 'count':
        if (rule.min_building_area_m2 != null) kinds.forEach((k) => push(out.numbers[k], 'building_area_m2'));
        break;
      case 'facility_value': {
        const f = inputsForField(String(rule.field));
        for (const k of kinds) {
          f.numbers.forEach((n) => push(out.numbers[k], n));
          if (f.walk) out.walk[k] = true;
        }
        const per = rule.per as { basis?: string } | undefined;
        if (per?.basis) push(out.community, per.basis);
        break;
      }
      case 'features':
        for (const k of kinds) (rule.required ?? []).forEach((f) => push(out.features[k], f));
        break;
      case 'facility_flag':
        for (const k of kinds) push(out.flags[k], String(rule.flag));
        break;
      case 'community_value':
        push(out.community, String(rule.field));
        break;
      case 'property_management':
        out.propertyManagement = true;
        break;
      case 'entrances':
        out.entrances = true;
        break;
      case 'ramps':
        out.ramps = true;
        break;
      case 'checklists':
        out.checklists = true;
        break;
      case 'any_of':
        (rule.alternatives ?? []).forEach((a) => visit(a.rule));
        break;
    }
  };
  item.checks.forEach((c) => visit(c.rule));
  return out;
}

export function groupOf(standard: Standard, item: StandardItem) {
  return standard.groups.find((g) => g.number === item.group);
}

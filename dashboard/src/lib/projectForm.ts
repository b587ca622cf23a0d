// The project editor's form ↔ the PATCH body. Only changed fields are sent (with the revision), so
// an edit of the note never rewrites the cost another planner just set.
import { parseWan, yuanToWanInput } from './format';
import type { ProjectEdit, ProjectView, Unit, Way } from './types';

export interface ProjectForm {
  way: Way;
  shortfallValue: string;
  shortfallUnit: Unit;
  costWan: string;
  rank: string;
  targetYear: string;
  note: string;
}

/** The unit the plan computed the project's shortfall in (the first line that has one). */
export function computedUnit(p: ProjectView): Unit {
  return p.lines.find((l) => l.shortfall)?.shortfall?.unit ?? 'm2';
}

/** The plan's own shortfall: the lines' sum when they share one unit, else null (not summable). */
export function computedShortfall(p: ProjectView): { value: number; unit: Unit } | null {
  const s = p.lines.map((l) => l.shortfall).filter((x): x is NonNullable<typeof x> => !!x);
  if (!s.length || s.some((x) => x.unit !== s[0].unit)) return null;
  return { value: s.reduce((a, x) => a + x.value, 0), unit: s[0].unit };
}

export function formFrom(p: ProjectView): ProjectForm {
  return {
    way: p.way,
    shortfallValue: p.shortfall_office ? String(p.shortfall_office.value) : '',
    shortfallUnit: p.shortfall_office?.unit ?? computedUnit(p),
    costWan: yuanToWanInput(p.cost_office_yuan),
    rank: String(p.priority.rank),
    targetYear: String(p.target_year),
    note: p.note ?? '',
  };
}

export type FormErrors = Partial<Record<'shortfall' | 'cost' | 'rank' | 'targetYear', 'number' | 'year' | 'rank'>>;

export function editFrom(f: ProjectForm, p: ProjectView): { edit: ProjectEdit } | { errors: FormErrors } {
  const errors: FormErrors = {};
  const edit: ProjectEdit = { revision: p.revision };
  if (f.way !== p.way) edit.way = f.way;

  const sv = f.shortfallValue.trim();
  if (sv === '') {
    if (p.shortfall_office) edit.shortfall_office = null;
  } else if (!/^\d+(\.\d+)?$/.test(sv)) errors.shortfall = 'number';
  else {
    const v = Number(sv);
    if (v !== p.shortfall_office?.value || f.shortfallUnit !== p.shortfall_office?.unit) edit.shortfall_office = { value: v, unit: f.shortfallUnit };
  }

  const cost = parseWan(f.costWan);
  if (Number.isNaN(cost)) errors.cost = 'number';
  else if ((cost ?? null) !== (p.cost_office_yuan ?? null)) edit.cost_office_yuan = cost;

  if (!/^\d+$/.test(f.rank.trim()) || Number(f.rank) < 1) errors.rank = 'rank';
  else if (Number(f.rank) !== p.priority.rank) edit.rank = Number(f.rank);

  const y = Number(f.targetYear.trim());
  if (!/^\d{4}$/.test(f.targetYear.trim()) || y < 2020 || y > 2050) errors.targetYear = 'year';
  else if (y !== p.target_year) edit.target_year = y;

  if (f.note !== (p.note ?? '')) edit.note = f.note;
  return Object.keys(errors).length ? { errors } : { edit };
}

/** What the project closes, for the list: the office's figure, else the plan's sum, else (yes/no
 *  checks have no quantity) the names of the checks not met. */
export function shortfallSummary(p: ProjectView, fmt: (q: { value: number; unit: Unit }) => string): string {
  if (p.shortfall_office) return fmt(p.shortfall_office);
  const c = computedShortfall(p);
  if (c) return fmt(c);
  const names = p.lines.map((l) => l.title_zh);
  return names.length ? names.join('、') : '—';
}

// The shapes of docs/office-api.md. Evaluation and Survey are the schema crate's serde output; only
// the parts the dashboard reads are typed.
export type Lang = 'zh' | 'en';
export type Verdict = 'complete' | 'not_complete' | 'undetermined';
export type ItemStatus = 'met' | 'gap' | 'advisory' | 'not_applicable' | 'not_surveyed';
export type CheckStatus = 'met' | 'not_met' | 'not_applicable' | 'not_surveyed';
export type ReviewState = 'unsubmitted' | 'submitted' | 'resubmitted' | 'returned' | 'approved';
export type Way = 'build' | 'purchase' | 'swap' | 'lease' | 'renovate' | 'manage';
export type Status = 'planned' | 'funded' | 'under_construction' | 'completed' | 'accepted';
export type Unit = 'm2' | 'minutes' | 'count' | 'share';
export type Tier = 'drainage_first' | 'residents_needs' | 'other';

export interface User { name: string; city: string }
export interface Session { token?: string; expires_at: string; user: User }

export interface ItemInfo { item: number; group: number; name_zh: string; name_en: string }
export interface Config {
  city: string;
  districts: string[];
  items: ItemInfo[];
  years: number[];
  tiles: { url: string; attribution?: string } | null;
}

export interface AreaCoverage {
  city: string; district?: string; communities: number; complete: number; not_complete: number;
  undetermined: number; gaps: number; coverage: number;
}
export interface CheckShortfall { check: string; title_zh: string; communities: number; unit?: Unit; total: number }
export interface ItemShortfall {
  item: number; name_zh: string; gap: number; advisory: number; not_surveyed: number; met: number;
  not_applicable: number; checks: CheckShortfall[];
}
export interface Change<T> { from: T; to: T }
export interface CoverageChange { city: string; district?: string; communities: Change<number>; complete: Change<number>; coverage: Change<number> }
export interface YearOnYear {
  from: number; to: number; cities: CoverageChange[]; districts: CoverageChange[];
  items: { item: number; name_zh: string; gap: Change<number> }[];
}
export interface Summary {
  city: string; year: number; compared_with: number | null;
  coverage: { cities: AreaCoverage[]; districts: AreaCoverage[] };
  items: ItemShortfall[];
  year_on_year: YearOnYear | null;
  review: Partial<Record<ReviewState, number>>;
  conflicts: number;
  projects: Partial<Record<Status, number>> & { cost_yuan?: number };
}

export interface Point { lon: number; lat: number }
export interface CommunityRow {
  id: string; name: string; district?: string | null; street?: string | null;
  residents_committee?: string | null; kind?: 'new' | 'existing' | null;
  verdict: Verdict; gaps: number; gap_items: number[]; surveyed_at?: string | null;
  review: ReviewState; point?: Point | null;
}

export type Requirement =
  | { op: 'at_least' | 'at_most'; value: number; unit: Unit }
  | { op: 'yes' }
  | { op: 'one_of'; values: string[] };
export type Measured = { value: number; unit: Unit; method?: string } | boolean | string;
export interface CheckResult {
  check: string; title_zh: string; title_en: string; strength: 'binding' | 'advisory';
  status: CheckStatus; required?: Requirement; measured?: Measured;
  details?: { zh: string; en: string }[];
  source: { item: number; clause_zh: string; clause_en: string };
}
export interface ItemResult { item: number; group: number; name_zh: string; name_en: string; status: ItemStatus; checks: CheckResult[] }
export interface Evaluation {
  format: string;
  standard: { id: string; version: string; title_zh: string; title_en: string };
  community: { id: string; name: string };
  summary: { verdict: Verdict; met: number; gaps: number; advisory: number; not_applicable: number; not_surveyed: number; gap_items: number[] };
  items: ItemResult[];
}
export interface Facility {
  id: string; kind: string; name?: string; building_area_m2?: number; land_area_m2?: number;
  usable_area_m2?: number; sports_area_m2?: number; classes?: number; spaces?: number; notes?: string;
  [k: string]: unknown;
}
export interface Measurement {
  id: string; facility?: string; quantity: string; value: number; method: string;
  uncertainty?: number; rectangles?: [number, number][]; document?: string; taken_at?: string;
}
export interface Survey {
  community: Record<string, unknown> & { id: string; name: string };
  surveyed?: { by?: string; at?: string; [k: string]: unknown };
  facilities?: Facility[];
  measurements?: Measurement[];
}
export interface Photo { id: string; sha256: string; item?: number | null; facility?: string | null; caption?: string | null; taken_at?: string | null; url: string }
export interface Author { user: string; device?: string | null }
export interface HistoryEntry { seq: number; at: string; author: Author; entity: string; kind: string; field: string; value: unknown; source: 'device' | 'office' }
export interface ReturnReason { item: number; reason: string; round: number; at: string; by: string }
export interface Review {
  community: string; community_name: string; district?: string | null; state: ReviewState; round: number;
  submitted_at?: string | null; submitted_by?: string | null; decided_at?: string | null; decided_by?: string | null;
  verdict: Verdict; gaps: number; gap_items: number[];
  returns: ReturnReason[];
}
export interface CommunityPage {
  community: CommunityRow; survey: Survey; evaluation: Evaluation; review: Review;
  photos: Photo[]; history: HistoryEntry[];
}
export interface Candidate { value: unknown; hlc: string; at: string; author: Author }
export interface Conflict {
  id: string; community: string; community_name: string; district?: string | null; entity: string;
  kind: string; field: string; item?: number | null; label_zh: string; label_en: string;
  detected_at: string; kept: number; candidates: Candidate[];
}
export interface Quantity { value: number; unit: Unit }
export interface Line {
  check: string; title_zh: string; strength: 'binding' | 'advisory'; required?: Requirement;
  measured?: Measured; shortfall?: Quantity & { over?: boolean }; cost_yuan?: number; cost_note: string;
}
export interface ProjectView {
  id: string; community: string; community_name: string; city?: string; district?: string;
  item: number; item_name_zh: string; way: Way; way_reason_zh: string; lines: Line[];
  cost_yuan?: number; cost_complete: boolean;
  priority: { tier: Tier; gap_share: number; rank: number };
  target_year: number; status: Status; history: { status: Status; date: string }[];
  revision: number; note?: string; shortfall_office?: Quantity | null; cost_office_yuan?: number | null;
  closure?: { closed: string } | null;
}
export interface ProjectEdit {
  revision: number; way?: Way; shortfall_office?: Quantity | null; cost_office_yuan?: number | null;
  rank?: number; target_year?: number; note?: string;
}

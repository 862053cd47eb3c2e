/** The data manager's model: filters → query, and a cache of row windows fetched by offset. */

import type { Schemas } from '../../lib';

export type TaskRow = Schemas['TaskRowRead'];

/** Filters and sort of the task table, as the user typed them ('' = no filter). */
export interface TaskFilters {
  state: string;
  /** Part of an annotator's name or email. */
  annotator: string;
  label: string;
  min_score: string;
  max_score: string;
  created_after: string;
  created_before: string;
  batch_id: string;
  /** 'yes': only tasks with an open report; 'no': only tasks without one. */
  reported: '' | 'yes' | 'no';
  sort: string;
}

/** No filters, sorted by id. */
export function emptyFilters(): TaskFilters {
  return { state: '', annotator: '', label: '', min_score: '', max_score: '', created_after: '', created_before: '', batch_id: '', reported: '', sort: 'id' };
}

/** The filters a link asks for (`#/projects/3/tasks?reported=1`, the dashboard's): only the
 * Reported filter so far; anything else is ignored. */
export function filtersFromQuery(query: Readonly<Record<string, string>> | undefined): TaskFilters {
  const filters = emptyFilters();
  const reported = query?.['reported'];
  if (reported === '1' || reported === 'true') filters.reported = 'yes';
  else if (reported === '0' || reported === 'false') filters.reported = 'no';
  return filters;
}

/** The query parameters of `/tasks/table` for `filters` (blank and malformed numbers left out;
 * dates as day bounds: `created_before` includes that whole day). */
export function tableQuery(filters: TaskFilters): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  const num = (s: string) => (s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : null);
  const int = (s: string) => {
    const n = num(s);
    return n !== null && Number.isInteger(n) ? n : null;
  };
  if (filters.state) out['state'] = filters.state;
  if (filters.label.trim()) out['label'] = filters.label.trim();
  if (filters.annotator.trim()) out['annotator'] = filters.annotator.trim();
  const batch = int(filters.batch_id);
  if (batch !== null) out['batch_id'] = batch;
  const lo = num(filters.min_score);
  if (lo !== null) out['min_score'] = lo;
  const hi = num(filters.max_score);
  if (hi !== null) out['max_score'] = hi;
  if (/^\d{4}-\d{2}-\d{2}$/.test(filters.created_after)) out['created_after'] = `${filters.created_after}T00:00:00`;
  if (/^\d{4}-\d{2}-\d{2}$/.test(filters.created_before)) out['created_before'] = `${filters.created_before}T23:59:59.999999`;
  if (filters.reported) out['reported'] = filters.reported === 'yes';
  if (filters.sort && filters.sort !== 'id') out['sort'] = filters.sort;
  return out;
}

/** The sort after clicking column `key`: ascending, then descending (`-key`), then ascending again. */
export function toggleSort(current: string, key: string): string {
  return current === key ? `-${key}` : key;
}

/** Fetches one window of rows. */
export type FetchWindow = (offset: number, limit: number) => Promise<{ items: TaskRow[]; total: number }>;

/** Rows fetched so far, by index; windows of `pageSize` are loaded as they scroll into view.
 * Not reactive itself: `version` bumps and listeners run when rows arrive. */
export class RowCache {
  private readonly pages = new Map<number, TaskRow[]>();
  private readonly loading = new Set<number>();
  private readonly listeners = new Set<() => void>();
  private generation = 0;
  /** Total rows matching the filters (null until the first window arrives). */
  total: number | null = null;
  /** Bumped on every change. */
  version = 0;
  /** The last fetch error, if any. */
  error: unknown = null;

  constructor(
    private fetchWindow: FetchWindow,
    readonly pageSize = 100,
  ) {}

  /** Listen for changes; returns the unsubscribe function. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.version++;
    for (const fn of this.listeners) fn();
  }

  /** Forget every row (filters changed); answers to earlier fetches are dropped. */
  reset(fetchWindow?: FetchWindow): void {
    if (fetchWindow) this.fetchWindow = fetchWindow;
    this.generation++;
    this.pages.clear();
    this.loading.clear();
    this.total = null;
    this.error = null;
    this.changed();
  }

  /** The row at `index`, if loaded. */
  get(index: number): TaskRow | undefined {
    return this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  /** Every loaded row (for selection of visible rows). */
  loaded(): TaskRow[] {
    return [...this.pages.keys()].sort((a, b) => a - b).flatMap((k) => this.pages.get(k) ?? []);
  }

  /** Load the windows covering rows `[start, end]` that are neither loaded nor loading. */
  async ensure(start: number, end: number): Promise<void> {
    const first = Math.max(0, Math.floor(start / this.pageSize));
    const limit = this.total === null ? first : Math.max(0, Math.ceil(this.total / this.pageSize) - 1);
    const last = Math.min(Math.floor(Math.max(start, end) / this.pageSize), this.total === null ? first : limit);
    const gen = this.generation;
    const pending: Promise<void>[] = [];
    for (let p = first; p <= last; p++) {
      if (this.pages.has(p) || this.loading.has(p)) continue;
      this.loading.add(p);
      pending.push(
        this.fetchWindow(p * this.pageSize, this.pageSize).then(
          (r) => {
            if (gen !== this.generation) return;
            this.loading.delete(p);
            this.pages.set(p, r.items);
            this.total = r.total;
            this.error = null;
            this.changed();
          },
          (e: unknown) => {
            if (gen !== this.generation) return;
            this.loading.delete(p);
            this.error = e;
            this.changed();
          },
        ),
      );
    }
    await Promise.all(pending);
  }
}

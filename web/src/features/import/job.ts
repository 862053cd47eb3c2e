/** Following a background job (imports) until it finishes. */

import { plural, type Schemas } from '../../lib';

export type Job = Schemas['JobRead'];

/** States after which a job never changes again. */
export const FINISHED_STATES: readonly string[] = ['succeeded', 'failed', 'cancelled'];

/** Whether `job` is finished. */
export function isFinished(job: Pick<Job, 'state'>): boolean {
  return FINISHED_STATES.includes(job.state);
}

/** One row of a job's report: where, why, and what it left out (`scope`: `file`, `row`,
 * `prediction`, `annotations`, `duplicate`, or null in jobs from before scopes were reported). */
export interface JobErrorRow {
  file: string;
  row: number | null;
  field: string;
  message: string;
  scope: string | null;
}

/** The job's `errors` as table rows (unknown shapes become a message-only row). */
export function errorRows(errors: readonly unknown[]): JobErrorRow[] {
  return errors.map((e) => {
    if (typeof e !== 'object' || e === null) return { file: '', row: null, field: '', message: String(e), scope: null };
    const r = e as Record<string, unknown>;
    return {
      file: typeof r['file'] === 'string' ? r['file'] : '',
      row: typeof r['row'] === 'number' ? r['row'] : null,
      field: typeof r['field'] === 'string' ? r['field'] : '',
      message: typeof r['message'] === 'string' ? r['message'] : JSON.stringify(e),
      scope: typeof r['scope'] === 'string' ? r['scope'] : null,
    };
  });
}

/** One group of an import's report: a heading that counts them all, the rows listed, and how
 * many more the server counted than it listed. */
export interface ReportGroup {
  scope: string;
  title: string;
  rows: JobErrorRow[];
  unlisted: number;
}

const count = (counts: Record<string, unknown>, key: string): number => {
  const v = counts[key];
  return typeof v === 'number' ? v : 0;
};

/** An import's report in groups, each saying what happened to its rows: for a succeeded job
 * the tasks imported without some of their predictions or their annotations (they are in the
 * project: importing the file again would duplicate them), the files imported before, then the
 * rows and files skipped;
 * for a failed or cancelled one the problems that stopped it (nothing was imported). */
export function reportGroups(job: Pick<Job, 'state' | 'counts' | 'errors'>): ReportGroup[] {
  const rows = errorRows(job.errors);
  const c = job.counts;
  if (job.state !== 'succeeded') {
    const problems = rows.filter((r) => r.scope !== 'annotations' && r.scope !== 'duplicate');
    if (!problems.length) return [];
    const total = Math.max(count(c, 'errors'), problems.length);
    const title = `Nothing imported: ${plural(total, 'problem')}`;
    return [{ scope: 'failed', title, rows: problems, unlisted: total - problems.length }];
  }
  const tasksWithout = count(c, 'tasks_with_dropped_predictions');
  const withoutAnnotations = count(c, 'tasks_with_dropped_annotations');
  const groups: [string, string, number][] = [
    ['prediction', `${plural(tasksWithout, 'task')} imported without ${plural(count(c, 'predictions_dropped'), 'invalid prediction')}`, count(c, 'predictions_dropped')],
    ['annotations', `${plural(withoutAnnotations, 'task')} imported without ${plural(count(c, 'annotations_dropped'), 'annotation')} that could not be imported`, count(c, 'annotations_dropped')],
    ['duplicate', `${plural(count(c, 'files_imported_before'), 'file')} imported before: tasks written again as new ones`, count(c, 'files_imported_before')],
    ['row', `${plural(count(c, 'rows_skipped'), 'row')} skipped`, count(c, 'rows_skipped')],
    ['file', `${plural(count(c, 'files_skipped'), 'file')} skipped`, 0],
  ];
  const known = new Set(groups.map(([scope]) => scope));
  const out: ReportGroup[] = [];
  for (const [scope, title, total] of groups) {
    const listed = rows.filter((r) => r.scope === scope);
    if (listed.length) out.push({ scope, title, rows: listed, unlisted: Math.max(0, total - listed.length) });
  }
  const other = rows.filter((r) => r.scope === null || !known.has(r.scope));
  if (other.length) out.push({ scope: 'other', title: plural(other.length, 'problem'), rows: other, unlisted: 0 });
  return out;
}

/** Poll `fetchJob` every `intervalMs` (backing off to 4x on errors) until the job finishes or
 * `signal` aborts; each answer goes to `onUpdate`. Resolves with the last job seen. */
export async function pollJob(
  fetchJob: () => Promise<Job>,
  onUpdate: (job: Job) => void,
  options: { intervalMs?: number; signal?: AbortSignal; sleep?: (ms: number) => Promise<void>; onError?: (e: unknown) => void } = {},
): Promise<Job | null> {
  const interval = options.intervalMs ?? 500;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let last: Job | null = null;
  let failures = 0;
  while (!options.signal?.aborted) {
    try {
      last = await fetchJob();
      failures = 0;
      onUpdate(last);
      if (isFinished(last)) return last;
    } catch (e) {
      failures++;
      options.onError?.(e);
    }
    await sleep(interval * Math.min(4, 1 + failures));
  }
  return last;
}

/** Counts shown even when 0. */
const ALWAYS_SHOWN = new Set(['files', 'rows', 'tasks']);

/** A short description of a job's counts, e.g. `created 3 · skipped 1` (other zeros left out). */
export function countsText(counts: Record<string, unknown>): string {
  return Object.entries(counts)
    .filter(([k, v]) => typeof v === 'string' || (typeof v === 'number' && (v !== 0 || ALWAYS_SHOWN.has(k))))
    .map(([k, v]) => `${k.replaceAll('_', ' ')} ${String(v)}`)
    .join(' · ');
}

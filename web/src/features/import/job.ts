/** Following a background job (imports) until it finishes. */

import type { Schemas } from '../../lib';

export type Job = Schemas['JobRead'];

/** States after which a job never changes again. */
export const FINISHED_STATES: readonly string[] = ['succeeded', 'failed', 'cancelled'];

/** Whether `job` is finished. */
export function isFinished(job: Pick<Job, 'state'>): boolean {
  return FINISHED_STATES.includes(job.state);
}

/** One row of a job's error report. */
export interface JobErrorRow {
  file: string;
  row: number | null;
  field: string;
  message: string;
}

/** The job's `errors` as table rows (unknown shapes become a message-only row). */
export function errorRows(errors: readonly unknown[]): JobErrorRow[] {
  return errors.map((e) => {
    if (typeof e !== 'object' || e === null) return { file: '', row: null, field: '', message: String(e) };
    const r = e as Record<string, unknown>;
    return {
      file: typeof r['file'] === 'string' ? r['file'] : '',
      row: typeof r['row'] === 'number' ? r['row'] : null,
      field: typeof r['field'] === 'string' ? r['field'] : '',
      message: typeof r['message'] === 'string' ? r['message'] : JSON.stringify(e),
    };
  });
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

/** A short description of a job's counts, e.g. `created 3 · skipped 1`. */
export function countsText(counts: Record<string, unknown>): string {
  return Object.entries(counts)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
    .map(([k, v]) => `${k.replaceAll('_', ' ')} ${String(v)}`)
    .join(' · ');
}

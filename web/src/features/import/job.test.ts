import { describe, expect, it } from 'vitest';
import { countsText, errorRows, isFinished, pollJob, type Job } from './job';

const job = (state: string, progress: number): Job => ({
  id: 1, organization_id: 1, project_id: 1, kind: 'import', state, progress, phase: 'reading', counts: {},
  errors: [], message: '', cancel_requested: false, attempts: 0, created_at: '', started_at: null, finished_at: null,
});

describe('pollJob', () => {
  it('polls until the job finishes, retrying through errors', async () => {
    const answers: (Job | Error)[] = [job('queued', 0), new Error('blip'), job('running', 0.5), job('succeeded', 1)];
    const seen: string[] = [];
    const sleeps: number[] = [];
    let errors = 0;
    const last = await pollJob(
      async () => {
        const a = answers.shift();
        if (!a || a instanceof Error) throw a ?? new Error('none');
        return a;
      },
      (j) => seen.push(j.state),
      { intervalMs: 100, sleep: async (ms) => void sleeps.push(ms), onError: () => errors++ },
    );
    expect(seen).toEqual(['queued', 'running', 'succeeded']);
    expect(last?.state).toBe('succeeded');
    expect(errors).toBe(1);
    expect(sleeps).toEqual([100, 200, 100]);
  });

  it('stops when aborted', async () => {
    const ctl = new AbortController();
    let n = 0;
    const last = await pollJob(async () => job('running', 0.1 * ++n), () => {}, {
      sleep: async () => {
        if (n >= 2) ctl.abort();
      },
      signal: ctl.signal,
    });
    expect(n).toBe(2);
    expect(last?.state).toBe('running');
  });
});

describe('job helpers', () => {
  it('knows finished states, error rows and counts', () => {
    expect(isFinished({ state: 'cancelled' })).toBe(true);
    expect(isFinished({ state: 'running' })).toBe(false);
    expect(errorRows([{ file: 'a.csv', row: 3, field: 'image', message: 'missing' }, 'odd'])).toEqual([
      { file: 'a.csv', row: 3, field: 'image', message: 'missing' },
      { file: '', row: null, field: '', message: 'odd' },
    ]);
    expect(countsText({ created: 3, skipped_rows: 1, nested: {} })).toBe('created 3 · skipped rows 1');
  });
});

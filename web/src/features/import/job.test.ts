import { describe, expect, it } from 'vitest';
import { countsText, errorRows, isFinished, pollJob, reportGroups, type Job } from './job';

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
    expect(errorRows([{ file: 'a.csv', row: 3, field: 'image', message: 'missing', scope: 'row' }, 'odd'])).toEqual([
      { file: 'a.csv', row: 3, field: 'image', message: 'missing', scope: 'row' },
      { file: '', row: null, field: '', message: 'odd', scope: null },
    ]);
    expect(countsText({ created: 3, skipped_rows: 1, nested: {} })).toBe('created 3 · skipped rows 1');
    expect(countsText({ files: 1, rows: 0, tasks: 0, errors: 0, rows_skipped: 0, predictions_dropped: 2 })).toBe(
      'files 1 · rows 0 · tasks 0 · predictions dropped 2',
    );
  });
});

type Problem = Job['errors'][number];
const kat: Problem = { file: 'tasks.json', row: 2, field: 'predictions[0].result[0].label', message: 'region "p1": unknown label "Kat"', scope: 'prediction' };
const high: Problem = { file: 'tasks.json', row: 3, field: 'priority', message: 'expected an integer, got string', scope: 'row' };
const notes: Problem = { file: 'tasks.json', row: 5, field: 'annotations[0].result[0].label', message: 'unknown label', scope: 'annotations' };
const counts = {
  files: 1, rows: 4, tasks: 4, predictions: 2, errors: 3, rows_skipped: 1, files_skipped: 0,
  predictions_dropped: 2, tasks_with_dropped_predictions: 2, tasks_with_dropped_annotations: 1, annotations_dropped: 1,
};
const dog: Problem = { ...kat, row: 4, field: 'predictions[1].result[0].label', message: 'region "p2": unknown label "dog"' };

describe('reportGroups', () => {
  it('tells tasks imported without predictions or annotations from rows and files skipped', () => {
    const groups = reportGroups({ ...job('succeeded', 1), counts, errors: [kat, high, dog, notes] });
    expect(groups.map((g) => [g.scope, g.title, g.rows.map((r) => r.row), g.unlisted])).toEqual([
      ['prediction', '2 tasks imported without 2 invalid predictions', [2, 4], 0],
      ['annotations', '1 task imported without 1 annotation that could not be imported', [5], 0],
      ['row', '1 row skipped', [3], 0],
    ]);
  });

  it('groups files imported before, which fail nothing', () => {
    const again: Problem = { file: 'old.json', row: null, field: null, message: 'imported into this project before (import 3)', scope: 'duplicate' };
    const ok = reportGroups({ ...job('succeeded', 1), counts: { tasks: 1, files_imported_before: 1 }, errors: [again] });
    expect(ok.map((g) => [g.scope, g.title])).toEqual([['duplicate', '1 file imported before: tasks written again as new ones']]);
    expect(reportGroups({ ...job('failed', 0), counts: { errors: 0 }, errors: [again] })).toEqual([]);
  });

  it('says nothing was imported when the job failed, leaving out the annotation notes', () => {
    const groups = reportGroups({ ...job('failed', 0), counts: { ...counts, tasks: 0 }, errors: [kat, high, dog, notes] });
    expect(groups.map((g) => [g.title, g.rows.length])).toEqual([['Nothing imported: 3 problems', 3]]);
  });

  it('counts what the server did not list, and keeps reports without scopes', () => {
    const many = { ...counts, predictions_dropped: 1500, tasks_with_dropped_predictions: 1500 };
    const [predictions] = reportGroups({ ...job('succeeded', 1), counts: many, errors: [kat, dog] });
    expect([predictions?.title, predictions?.unlisted]).toEqual(['1,500 tasks imported without 1,500 invalid predictions', 1498]);
    const old = reportGroups({ ...job('succeeded', 1), counts: { tasks: 1, errors: 1 }, errors: [{ file: 'a.csv', row: 2, field: null, message: 'bad' }] });
    expect(old.map((g) => [g.scope, g.title])).toEqual([['other', '1 problem']]);
  });
});

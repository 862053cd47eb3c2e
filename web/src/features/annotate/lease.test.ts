import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type Schemas } from '../../lib';
import { box } from '../../test/fixtures';
import { LocalDrafts, MemoryStore, type Draft } from './draft';
import { LeaseFlow, type LeaseApi } from './lease';
import { workspaceSchema } from './schema';
import { AnnotationSession } from './session';

const schema = workspaceSchema({ media: 'image', tools: [{ name: 'objects', type: 'bbox', labels: ['car'] }] });

/**
 * The server side of a lease as a script: each call is recorded and answered from `answers`
 * (an error to throw, or nothing). The real HTTP calls are driven by the browser tests (e2e/).
 */
function scripted(answers: Partial<Record<'saveDraft' | 'submit' | 'skip' | 'report', Error[]>> = {}) {
  const calls: [string, unknown][] = [];
  const answer = (name: 'saveDraft' | 'submit' | 'skip' | 'report', body: unknown) => {
    calls.push([name, body]);
    const error = answers[name]?.shift();
    return error ? Promise.reject(error) : Promise.resolve();
  };
  const api: LeaseApi = {
    saveDraft: (_task, draft: Draft) => answer('saveDraft', draft),
    submit: (_task, body: Schemas['AnnotationCreate']) => answer('submit', body),
    skip: () => answer('skip', null),
    report: (_task, body) => answer('report', body),
  };
  return { api, calls };
}

function lease(api: LeaseApi, store = new MemoryStore()) {
  const session = new AnnotationSession(schema, [box('a', 1, 1, 10, 10)]);
  const local = new LocalDrafts(store);
  let t = 0;
  const flow = new LeaseFlow(7, 70, session, local, api, () => (t += 1000));
  let done = 0;
  flow.onDone = () => done++;
  return { flow, session, local, done: () => done };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('a lease', () => {
  it('saves nothing before the view is ready, then autosaves here soon and on the server later', async () => {
    vi.useFakeTimers();
    const { api, calls } = scripted();
    const { flow, local } = lease(api);
    flow.changed();
    flow.saveLocal();
    expect(local.load(70)).toBeNull();
    flow.start(null);
    flow.changed();
    await vi.advanceTimersByTimeAsync(200);
    expect(local.load(70)?.result).toEqual([expect.objectContaining({ id: 'a' })]);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.map((c) => c[0])).toEqual(['saveDraft']);
    expect(flow.saveState).toMatch(/^Draft saved/);
  });

  it('keeps the submit id through a network failure, so the retry cannot duplicate', async () => {
    const { api, calls } = scripted({ submit: [new ApiError(0, 'network', 'The server could not be reached')] });
    const { flow, local, done } = lease(api);
    flow.start(null);
    await flow.submit();
    expect(flow.error).toMatch(/press Submit again — a retry cannot create a duplicate/);
    expect(done()).toBe(0);
    await flow.submit();
    expect(done()).toBe(1);
    const [first, second] = calls.map((c) => c[1] as { id: string; result: unknown[] });
    expect(second?.id).toBe(first?.id);
    expect(second?.result).toEqual([expect.objectContaining({ id: 'a', type: 'bbox' })]);
    // Finished: the draft and the id are forgotten, and nothing is saved any more.
    expect(local.load(70)).toBeNull();
    flow.dispose();
    expect(local.load(70)).toBeNull();
  });

  it('counts the time of a restored draft in the lead time', async () => {
    const { api, calls } = scripted();
    const { flow, session } = lease(api);
    flow.start(session.draft(4000));
    await flow.submit();
    // 4 s from the draft + one 1 s tick of the test clock since the flow started.
    expect((calls[0]?.[1] as { lead_time: number }).lead_time).toBe(5);
  });

  it('shows the server’s 422 and reveals the region it names', async () => {
    const refused = new ApiError(422, 'invalid', 'result[0] (region "a").label: unknown label', { errors: [{ path: 'result[0].label', region: 'a', message: 'unknown label' }] });
    const { api } = scripted({ submit: [refused] });
    const { flow, done } = lease(api);
    flow.start(null);
    const revealed: string[] = [];
    await flow.submit((id) => revealed.push(id));
    expect(flow.error).toBe('result[0] (region "a").label: unknown label');
    expect(revealed).toEqual(['a']);
    expect(flow.busy).toBe(false);
    expect(done()).toBe(0);
  });

  it('reports the task with its reason and note: one call, and the lease is over', async () => {
    const { api, calls } = scripted();
    const { flow, done } = lease(api);
    flow.start(null);
    await flow.report('broken_media', '  404 on the bucket ');
    expect(calls).toEqual([['report', { reason: 'broken_media', note: '404 on the bucket' }]]);
    expect(done()).toBe(1);
    flow.changed(); // finished: nothing is saved any more
    expect(calls).toHaveLength(1);
  });

  it('keeps the task when a report fails, and says why', async () => {
    const { api } = scripted({ report: [new ApiError(404, 'not_found', 'task 7 not found')] });
    const { flow, done } = lease(api);
    await flow.report('other', '');
    expect(flow.error).toBe('task 7 not found');
    expect(done()).toBe(0);
  });

  it('keeps the task when a skip fails, and says why', async () => {
    const { api } = scripted({ skip: [new ApiError(409, 'conflict', 'The lease expired')] });
    const { flow, done } = lease(api);
    await flow.skip();
    expect(flow.error).toBe('The lease expired');
    expect(done()).toBe(0);
  });

  it('keeps unsaved work in this browser when the shell goes away', () => {
    const store = new MemoryStore();
    const { flow, local } = lease(scripted().api, store);
    flow.start(null);
    flow.dispose();
    expect(local.load(70)?.result).toHaveLength(1);
  });
});

describe('an empty submit', () => {
  it('is asked about when the schema has region tools and none would be submitted', () => {
    const { flow, session } = lease(scripted().api);
    expect(flow.emptySubmitQuestion()).toBeNull(); // one box
    session.doc.delete('a');
    expect(flow.emptySubmitQuestion()).toMatch(/no region/);
  });

  it('is not asked about when the schema has only answers, or an answer comes with a region', () => {
    const answersOnly = workspaceSchema({ media: 'image', tools: [{ name: 'scene', type: 'classification', choices: ['a', 'b'] }] });
    const flow = new LeaseFlow(7, 70, new AnnotationSession(answersOnly, []), new LocalDrafts(new MemoryStore()), scripted().api, () => 0);
    expect(flow.emptySubmitQuestion()).toBeNull();
    const mixed = workspaceSchema({ media: 'image', tools: [{ name: 'objects', type: 'bbox', labels: ['car'] }, { name: 'scene', type: 'classification', choices: ['a', 'b'] }] });
    const session = new AnnotationSession(mixed, []);
    session.setAnswer('scene', 'classification', ['a']);
    const withAnswer = new LeaseFlow(7, 70, session, new LocalDrafts(new MemoryStore()), scripted().api, () => 0);
    expect(withAnswer.emptySubmitQuestion()).toMatch(/no region/); // an answer is not a region
  });
});

import { describe, expect, it } from 'vitest';
import { SubmittedHistory, submittedPlace, type HistoryApi, type SubmittedAnnotation, type SubmittedTask } from './history';

/** The server's list of your annotations, newest first, paged by id as `?mine=true&sort=-id` pages it. */
function server(ids: number[], opts: { failPages?: number } = {}) {
  const calls: string[] = [];
  let failures = opts.failPages ?? 0;
  const annotation = (id: number) => ({ id, task_id: id * 10, revision: 1, created_at: '2026-01-01T00:00:00Z', result: [] }) as unknown as SubmittedAnnotation;
  const api: HistoryApi = {
    async page(_project, cursor, limit) {
      calls.push(`page ${cursor ?? '-'}`);
      if (failures > 0) {
        failures--;
        throw new Error('offline');
      }
      const newer = [...ids].sort((a, b) => b - a).filter((id) => cursor === null || id < cursor);
      const items = newer.slice(0, limit).map(annotation);
      return { items, next_cursor: items.length === limit ? (items[items.length - 1]?.id ?? null) : null };
    },
    async task(taskId) {
      calls.push(`task ${taskId}`);
      return { id: taskId } as SubmittedTask;
    },
  };
  return { api, calls };
}

describe('your submitted tasks', () => {
  it('walks back from the queue a page at a time and forward again to the queue', async () => {
    const { api, calls } = server([1, 2, 3, 4, 5]);
    const h = new SubmittedHistory(7, api, 2);
    expect(h.position).toBe(-1);
    const latest = await h.older();
    expect(latest?.annotation.id).toBe(5);
    expect(latest?.task.id).toBe(50);
    expect(latest?.index).toBe(0);
    expect((await h.older())?.annotation.id).toBe(4);
    expect((await h.older())?.annotation.id).toBe(3); // a second page
    expect(calls.filter((c) => c.startsWith('page'))).toEqual(['page -', 'page 4']);
    expect((await h.newer())?.annotation.id).toBe(4);
    expect((await h.newer())?.annotation.id).toBe(5);
    expect(await h.newer()).toBeNull(); // the queue
    expect(h.position).toBe(-1);
    expect(await h.newer()).toBeNull();
    // Walking back again reads nothing again: pages and tasks are kept.
    const before = calls.length;
    expect((await h.older())?.annotation.id).toBe(5);
    expect(calls.length).toBe(before);
  });

  it('stays on the oldest when there is nothing older, and says so with null', async () => {
    const { api } = server([8, 9]);
    const h = new SubmittedHistory(7, api, 2);
    await h.older();
    await h.older();
    expect(h.position).toBe(1);
    expect(await h.older()).toBeNull();
    expect(h.position).toBe(1);
    expect(h.more).toBe(false);
    expect(submittedPlace(h.position, h.list().length, h.more)).toBe('2 of 2');
  });

  it('has nothing to go back to before a first submit', async () => {
    const h = new SubmittedHistory(7, server([]).api);
    expect(await h.older()).toBeNull();
    expect(h.position).toBe(-1);
  });

  it('takes two quick presses as two steps back, in order', async () => {
    const { api } = server([1, 2, 3]);
    const h = new SubmittedHistory(7, api);
    const [first, second] = await Promise.all([h.older(), h.older()]);
    expect([first?.annotation.id, second?.annotation.id]).toEqual([3, 2]);
    // "Back to the queue" asked while a step loads comes after it.
    const [step, queue] = await Promise.all([h.older(), h.toQueue()]);
    expect(step?.annotation.id).toBe(1);
    expect(queue).toBeNull();
    expect(h.position).toBe(-1);
  });

  it('goes on after a failed page (the step fails, the next one loads)', async () => {
    const { api } = server([1, 2], { failPages: 1 });
    const h = new SubmittedHistory(7, api);
    await expect(h.older()).rejects.toThrow('offline');
    expect(h.position).toBe(-1);
    expect((await h.older())?.annotation.id).toBe(2);
  });

  it('reads the list again after a new submit, and shows a saved edit', async () => {
    const ids = [1, 2];
    const { api } = server(ids);
    const h = new SubmittedHistory(7, api);
    expect((await h.older())?.annotation.id).toBe(2);
    h.update({ ...h.list()[0], revision: 2 } as SubmittedAnnotation);
    expect(h.list()[0]?.revision).toBe(2);
    ids.push(3);
    await h.reset();
    expect(h.position).toBe(-1);
    expect((await h.older())?.annotation.id).toBe(3);
    expect((await h.open(2))?.annotation.id).toBe(1);
    expect(submittedPlace(2, 3, false)).toBe('3 of 3');
    expect(submittedPlace(0, 20, true)).toBe('1 of 20+');
  });

  it('loads the list for the menu a page at a time', async () => {
    const { api } = server([1, 2, 3]);
    const h = new SubmittedHistory(7, api, 2);
    let changes = 0;
    h.onChange = () => changes++;
    await h.loadMore();
    expect(h.list().map((a) => a.id)).toEqual([3, 2]);
    expect(h.more).toBe(true);
    await h.loadMore();
    expect(h.list().map((a) => a.id)).toEqual([3, 2, 1]);
    expect(h.more).toBe(false);
    expect(changes).toBe(2);
    expect(h.position).toBe(-1); // the menu walks nowhere
  });
});

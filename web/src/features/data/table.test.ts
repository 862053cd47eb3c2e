import { describe, expect, it } from 'vitest';
import { RowCache, emptyFilters, filtersFromQuery, tableQuery, toggleSort, type TaskRow } from './table';

const row = (id: number): TaskRow => ({
  id, project_id: 1, batch_id: null, data: {}, meta: {}, priority: 0, is_gold: false, annotation_count: 0,
  state: 'new', created_at: '', annotators: [], annotator_people: [], batch_name: null, max_score: null, open_reports: 0, reports: null,
});

function source(total: number) {
  const calls: [number, number][] = [];
  const fetchWindow = async (offset: number, limit: number) => {
    calls.push([offset, limit]);
    const items: TaskRow[] = [];
    for (let i = offset; i < Math.min(total, offset + limit); i++) items.push(row(i + 1));
    return { items, total };
  };
  return { calls, fetchWindow };
}

describe('tableQuery', () => {
  it('sends only meaningful filters', () => {
    expect(tableQuery(emptyFilters())).toEqual({});
    const q = tableQuery({
      ...emptyFilters(),
      state: 'completed', label: ' car ', annotator: ' ada@example.com ', batch_id: 'x', min_score: '0.5', max_score: 'abc',
      created_after: '2026-01-02', created_before: '2026-01-03', sort: '-max_score',
    });
    expect(q).toEqual({
      state: 'completed', label: 'car', annotator: 'ada@example.com', min_score: 0.5,
      created_after: '2026-01-02T00:00:00', created_before: '2026-01-03T23:59:59.999999', sort: '-max_score',
    });
  });

  it('asks for reported tasks, or for the others', () => {
    expect(tableQuery({ ...emptyFilters(), reported: 'yes' })).toEqual({ reported: true });
    expect(tableQuery({ ...emptyFilters(), reported: 'no' })).toEqual({ reported: false });
  });

  it('reads the Reported filter from a link, and nothing else', () => {
    expect(filtersFromQuery({ reported: '1' })).toEqual({ ...emptyFilters(), reported: 'yes' });
    expect(filtersFromQuery({ reported: 'false' })).toEqual({ ...emptyFilters(), reported: 'no' });
    expect(filtersFromQuery({ reported: 'maybe', state: 'new' })).toEqual(emptyFilters());
    expect(filtersFromQuery(undefined)).toEqual(emptyFilters());
  });

  it('toggles sort direction', () => {
    expect(toggleSort('id', 'id')).toBe('-id');
    expect(toggleSort('-id', 'id')).toBe('id');
    expect(toggleSort('id', 'priority')).toBe('priority');
  });
});

describe('RowCache', () => {
  it('loads the first window, then only the windows scrolled into view', async () => {
    const s = source(250);
    const c = new RowCache(s.fetchWindow, 100);
    await c.ensure(0, 30);
    expect(c.total).toBe(250);
    expect(c.get(29)?.id).toBe(30);
    expect(c.get(120)).toBeUndefined();
    await c.ensure(90, 130);
    await c.ensure(95, 135);
    await c.ensure(240, 400);
    expect(s.calls).toEqual([[0, 100], [100, 100], [200, 100]]);
    expect(c.get(249)?.id).toBe(250);
    expect(c.loaded()).toHaveLength(250);
  });

  it('drops answers that arrive after a reset', async () => {
    let release: (() => void) | null = null;
    const c = new RowCache(
      (offset) =>
        new Promise((resolve) => {
          release = () => resolve({ items: [row(offset + 1)], total: 1 });
        }),
      10,
    );
    const pending = c.ensure(0, 5);
    const v = c.version;
    c.reset(source(3).fetchWindow);
    (release as (() => void) | null)?.();
    await pending;
    expect(c.total).toBeNull();
    expect(c.version).toBe(v + 1);
    await c.ensure(0, 5);
    expect(c.total).toBe(3);
  });

  it('keeps the error of a failed window and notifies', async () => {
    const c = new RowCache(async () => {
      throw new Error('down');
    });
    let notified = 0;
    c.subscribe(() => notified++);
    await c.ensure(0, 10);
    expect((c.error as Error).message).toBe('down');
    expect(notified).toBe(1);
  });
});

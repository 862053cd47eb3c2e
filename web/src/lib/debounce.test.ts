import { afterEach, describe, expect, it, vi } from 'vitest';
import { debounce, latestOnly } from './debounce';

afterEach(() => {
  vi.useRealTimers();
});

describe('debounce', () => {
  it('runs once with the last arguments after the quiet period', () => {
    vi.useFakeTimers();
    const calls: string[] = [];
    const d = debounce((s: string) => calls.push(s), 300);
    d('a');
    vi.advanceTimersByTime(200);
    d('ab');
    vi.advanceTimersByTime(299);
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual(['ab']);
    d('x');
    d.cancel();
    vi.advanceTimersByTime(1000);
    expect(calls).toEqual(['ab']);
  });
});

describe('latestOnly', () => {
  it('marks answers to superseded calls as stale', async () => {
    const resolvers: ((v: string) => void)[] = [];
    const f = latestOnly((_: string) => new Promise<string>((r) => resolvers.push(r)));
    const first = f('a');
    const second = f('b');
    resolvers[1]?.('B');
    resolvers[0]?.('A');
    expect(await second).toEqual({ stale: false, value: 'B' });
    expect(await first).toEqual({ stale: true });
  });

  it('passes the latest error through', async () => {
    const f = latestOnly(async () => {
      throw new Error('boom');
    });
    const r = await f();
    expect(r.stale).toBe(false);
    expect((r.error as Error).message).toBe('boom');
  });
});

import { describe, expect, it } from 'vitest';
import { ApiError } from './http';
import {
  LocalPreferences,
  asPreferences,
  mergePreferences,
  savePreferences,
  syncPreferences,
  withKeymap,
  type KeyValue,
  type Preferences,
  type PreferencesApi,
} from './preferences';

class Memory implements KeyValue {
  readonly map = new Map<string, string>();
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
}

const at = (iso: string, keymap: Record<string, string[]> = {}): Preferences => ({ keymap, updated_at: iso });

function fakeServer(initial: unknown = {}, fail: { get?: boolean; put?: boolean } = {}) {
  const state = { stored: initial, puts: [] as Preferences[] };
  const api: PreferencesApi = {
    get: async () => {
      if (fail.get) throw new ApiError(0, 'network', 'network error: offline');
      return asPreferences(state.stored);
    },
    put: async (p) => {
      if (fail.put) throw new ApiError(503, 'unavailable', 'try later');
      state.puts.push(p);
      state.stored = p;
      return asPreferences(p);
    },
  };
  return { api, state };
}

describe('asPreferences', () => {
  it('turns anything into an object with a keymap of string arrays, keeping other keys', () => {
    expect(asPreferences(null)).toEqual({ keymap: {} });
    expect(asPreferences([1])).toEqual({ keymap: {} });
    expect(asPreferences({})).toEqual({ keymap: {} });
    expect(asPreferences({ keymap: { 'tool.rectangle': ['X'], bad: 'Y', worse: [1] }, theme: 'dark', updated_at: '2026-01-01T00:00:00Z' })).toEqual({
      keymap: { 'tool.rectangle': ['X'] },
      theme: 'dark',
      updated_at: '2026-01-01T00:00:00Z',
    });
    expect(asPreferences({ keymap: [], updated_at: 5 })).toEqual({ keymap: {} });
  });
});

describe('mergePreferences', () => {
  const older = at('2026-01-01T00:00:00.000Z', { 'tool.rectangle': ['X'] });
  const newer = at('2026-01-02T00:00:00.000Z', { 'tool.rectangle': ['Y'] });

  it('uses the server copy when it is newer', () => {
    expect(mergePreferences({ prefs: older, dirty: false }, newer)).toEqual({ prefs: newer, push: false });
    expect(mergePreferences({ prefs: older, dirty: true }, newer)).toEqual({ prefs: newer, push: false });
  });

  it('uses the server copy on a tie and when there is no local copy', () => {
    expect(mergePreferences({ prefs: older, dirty: false }, { ...older, keymap: {} })).toEqual({ prefs: { ...older, keymap: {} }, push: false });
    expect(mergePreferences(null, newer)).toEqual({ prefs: newer, push: false });
  });

  it('keeps and pushes a newer local copy (saved while the server was away)', () => {
    expect(mergePreferences({ prefs: newer, dirty: true }, older)).toEqual({ prefs: newer, push: true });
    expect(mergePreferences({ prefs: newer, dirty: false }, { keymap: {} })).toEqual({ prefs: newer, push: true });
  });

  it('falls back to the local copy, or nothing, when the server is unknown', () => {
    expect(mergePreferences({ prefs: older, dirty: false }, null)).toEqual({ prefs: older, push: false });
    expect(mergePreferences(null, null)).toEqual({ prefs: { keymap: {} }, push: false });
  });

  it('an unstamped local copy never beats the server', () => {
    expect(mergePreferences({ prefs: { keymap: { a: ['B'] } }, dirty: true }, { keymap: {} })).toEqual({ prefs: { keymap: {} }, push: false });
  });
});

describe('withKeymap', () => {
  it('replaces the keymap, keeps other keys and stamps the time', () => {
    const p = withKeymap({ keymap: { a: ['X'] }, theme: 'dark' }, { b: ['Y'] }, new Date('2026-03-01T10:00:00Z'));
    expect(p).toEqual({ keymap: { b: ['Y'] }, theme: 'dark', updated_at: '2026-03-01T10:00:00.000Z' });
  });

  it('never stamps an earlier time than the last change (clock skew)', () => {
    const p = withKeymap(at('2026-03-01T10:00:00.000Z'), {}, new Date('2026-02-01T00:00:00Z'));
    expect(p.updated_at).toBe('2026-03-01T10:00:00.001Z');
  });
});

describe('LocalPreferences', () => {
  it('is keyed by user id and survives garbage', () => {
    const mem = new Memory();
    const a = new LocalPreferences(mem, 1);
    const b = new LocalPreferences(mem, 2);
    a.save({ prefs: at('2026-01-01T00:00:00.000Z', { x: ['Y'] }), dirty: true });
    expect(a.load()).toEqual({ prefs: at('2026-01-01T00:00:00.000Z', { x: ['Y'] }), dirty: true });
    expect(b.load()).toBeNull();
    expect(a.key).toBe('accord.preferences.1');
    mem.setItem(b.key, '{not json');
    expect(b.load()).toBeNull();
  });
});

describe('syncPreferences / savePreferences', () => {
  it('takes the newer server copy and stores it locally', async () => {
    const local = new LocalPreferences(new Memory(), 7);
    local.save({ prefs: at('2026-01-01T00:00:00.000Z', { 'tool.rectangle': ['X'] }), dirty: false });
    const { api, state } = fakeServer(at('2026-01-05T00:00:00.000Z', { 'tool.rectangle': ['G'] }));
    const r = await syncPreferences(local, api);
    expect(r).toEqual({ prefs: at('2026-01-05T00:00:00.000Z', { 'tool.rectangle': ['G'] }), error: null });
    expect(local.load()?.prefs.keymap).toEqual({ 'tool.rectangle': ['G'] });
    expect(state.puts).toEqual([]);
  });

  it('pushes a newer unsent local copy', async () => {
    const local = new LocalPreferences(new Memory(), 7);
    const mine = at('2026-01-09T00:00:00.000Z', { 'tool.rectangle': ['X'] });
    local.save({ prefs: mine, dirty: true });
    const { api, state } = fakeServer({});
    expect(await syncPreferences(local, api)).toEqual({ prefs: mine, error: null });
    expect(state.puts).toEqual([mine]);
    expect(local.load()).toEqual({ prefs: mine, dirty: false });
  });

  it('keeps the local copy when the server cannot be reached', async () => {
    const local = new LocalPreferences(new Memory(), 7);
    const mine = at('2026-01-09T00:00:00.000Z', { 'tool.rectangle': ['X'] });
    local.save({ prefs: mine, dirty: false });
    const r = await syncPreferences(local, fakeServer({}, { get: true }).api);
    expect(r.prefs).toEqual(mine);
    expect(r.error).toMatch(/offline/);
  });

  it('saves locally first; a failed PUT leaves an unsent copy and throws', async () => {
    const local = new LocalPreferences(new Memory(), 7);
    const prefs = at('2026-01-09T00:00:00.000Z', { 'tool.rectangle': ['X'] });
    await expect(savePreferences(local, prefs, fakeServer({}, { put: true }).api)).rejects.toMatchObject({ status: 503 });
    expect(local.load()).toEqual({ prefs, dirty: true });
    const { api, state } = fakeServer({});
    expect(await savePreferences(local, prefs, api)).toEqual(prefs);
    expect(state.stored).toEqual(prefs);
    expect(local.load()).toEqual({ prefs, dirty: false });
  });
});

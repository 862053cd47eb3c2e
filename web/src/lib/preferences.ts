/**
 * Per-user preferences (for now the keymap remapping), stored on the server
 * (`GET` / `PUT /api/v1/auth/preferences`, the whole object) with a copy in this browser keyed by
 * user id, so a screen can use them at once on load. The copy that was changed last wins: the
 * client stamps `updated_at` in the object it PUTs; a newer server copy replaces the local one, a
 * newer local copy (saved while the server was unreachable) is pushed again.
 */

import { call, errorMessage } from './http';
import { api } from './api';

/** Action id -> chords ("Mod+Shift+Z"), as `Keymap.withOverrides` takes them. */
export type KeymapOverrides = Record<string, string[]>;

/** The preferences object. Keys this client does not know are kept as they are. */
export interface Preferences {
  keymap: KeymapOverrides;
  /** ISO time of the last change, stamped by the client that made it. */
  updated_at?: string;
  [key: string]: unknown;
}

/** What this browser keeps: the preferences and whether the server has them yet. */
export interface LocalCopy {
  prefs: Preferences;
  /** True while a change made here has not reached the server. */
  dirty: boolean;
}

/** The storage calls used (localStorage satisfies it). */
export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** An empty preferences object. */
export function emptyPreferences(): Preferences {
  return { keymap: {} };
}

/**
 * Any JSON to a Preferences object: not an object → empty; `keymap` must be an object of string
 * arrays (other entries are dropped here; the Keymap drops unknown actions and bad chords).
 */
export function asPreferences(raw: unknown): Preferences {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return emptyPreferences();
  const src = raw as Record<string, unknown>;
  const keymap: KeymapOverrides = {};
  const km = src['keymap'];
  if (typeof km === 'object' && km !== null && !Array.isArray(km)) {
    for (const [action, keys] of Object.entries(km as Record<string, unknown>)) {
      if (Array.isArray(keys) && keys.every((k) => typeof k === 'string')) keymap[action] = [...(keys as string[])];
    }
  }
  const out: Preferences = { ...src, keymap };
  if (typeof src['updated_at'] !== 'string') delete out.updated_at;
  return out;
}

function time(p: Preferences | undefined): number {
  const t = p?.updated_at ? Date.parse(p.updated_at) : NaN;
  return Number.isFinite(t) ? t : 0;
}

/**
 * Which preferences to use given this browser's copy and the server's (null: not known, e.g. the
 * request failed). The server's wins unless the local one is strictly newer; then `push` says
 * the local one should be sent to the server.
 */
export function mergePreferences(local: LocalCopy | null, server: Preferences | null): { prefs: Preferences; push: boolean } {
  if (!server) return { prefs: local?.prefs ?? emptyPreferences(), push: false };
  if (local && time(local.prefs) > time(server)) return { prefs: local.prefs, push: true };
  return { prefs: server, push: false };
}

/** A copy of `prefs` with a new keymap, stamped now (other keys kept). */
export function withKeymap(prefs: Preferences, keymap: KeymapOverrides, now: Date = new Date()): Preferences {
  // Never go back in time: a clock behind the last stamp would make the change lose the merge.
  const stamp = Math.max(now.getTime(), time(prefs) + 1);
  return { ...prefs, keymap: { ...keymap }, updated_at: new Date(stamp).toISOString() };
}

/** The local copy of one user's preferences. */
export class LocalPreferences {
  constructor(
    private readonly storage: KeyValue,
    readonly userId: number,
  ) {}

  get key(): string {
    return `accord.preferences.${this.userId}`;
  }

  load(): LocalCopy | null {
    try {
      const raw = this.storage.getItem(this.key);
      if (!raw) return null;
      const v = JSON.parse(raw) as { prefs?: unknown; dirty?: unknown };
      return { prefs: asPreferences(v.prefs), dirty: v.dirty === true };
    } catch {
      return null;
    }
  }

  /** False when the browser would not store it (private mode, quota). */
  save(copy: LocalCopy): boolean {
    try {
      this.storage.setItem(this.key, JSON.stringify(copy));
      return true;
    } catch {
      return false;
    }
  }
}

/** The server calls, replaceable in tests. */
export interface PreferencesApi {
  get(): Promise<Preferences>;
  put(prefs: Preferences): Promise<Preferences>;
}

/** `GET` / `PUT /api/v1/auth/preferences` of the logged-in user. */
export const preferencesApi: PreferencesApi = {
  get: async () => asPreferences(await call(api.GET('/api/v1/auth/preferences'))),
  put: async (prefs) => asPreferences(await call(api.PUT('/api/v1/auth/preferences', { body: prefs }))),
};

/**
 * Bring this browser's copy and the server's together: returns the preferences to use (also
 * stored locally) and pushes a newer local copy. A failing server leaves the local copy in use
 * and is reported in `error`.
 */
export async function syncPreferences(local: LocalPreferences, server: PreferencesApi = preferencesApi): Promise<{ prefs: Preferences; error: string | null }> {
  const mine = local.load();
  let theirs: Preferences;
  try {
    theirs = await server.get();
  } catch (e) {
    return { prefs: mine?.prefs ?? emptyPreferences(), error: errorMessage(e) };
  }
  const { prefs, push } = mergePreferences(mine, theirs);
  if (!push) {
    local.save({ prefs, dirty: false });
    return { prefs, error: null };
  }
  try {
    const saved = asPreferences(await server.put(prefs));
    const kept = time(saved) >= time(prefs) ? saved : prefs;
    local.save({ prefs: kept, dirty: false });
    return { prefs: kept, error: null };
  } catch (e) {
    local.save({ prefs, dirty: true });
    return { prefs, error: errorMessage(e) };
  }
}

/**
 * Save new preferences: first in this browser (marked unsent), then on the server. Throws the
 * server's error; the local copy stays and is pushed by the next `syncPreferences`.
 */
export async function savePreferences(local: LocalPreferences, prefs: Preferences, server: PreferencesApi = preferencesApi): Promise<Preferences> {
  local.save({ prefs, dirty: true });
  const saved = asPreferences(await server.put(prefs));
  const kept = time(saved) >= time(prefs) ? saved : prefs;
  local.save({ prefs: kept, dirty: false });
  return kept;
}

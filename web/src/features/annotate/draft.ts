/**
 * Never lose work: the draft (result + the little tool state worth keeping) goes to localStorage
 * on every change and to the server debounced; on load the newer of the two wins. The submit id
 * is generated ONCE per assignment and kept in localStorage, so a retried submit is idempotent.
 */

import type { ResultItem } from '../../core';

/** What an autosave holds. */
export interface Draft {
  v: 1;
  /** ISO time of the save (the newer draft wins on load). */
  saved_at: string;
  result: ResultItem[];
  /** Model suggestions the annotator accepted. */
  reviewed: string[];
  hidden: string[];
  locked: string[];
  /** Time spent on the task so far, in ms. */
  lead_ms: number;
  /** Predictions were merged into `result` already (do not add them again). */
  predictions_loaded: boolean;
}

/** The minimal storage interface (window.localStorage fits). */
export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** A Draft from unknown JSON, or null if it is not one. */
export function asDraft(raw: unknown): Draft | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const d = raw as Partial<Draft>;
  if (d.v !== 1 || !Array.isArray(d.result) || typeof d.saved_at !== 'string') return null;
  const ids = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return {
    v: 1,
    saved_at: d.saved_at,
    result: d.result as ResultItem[],
    reviewed: ids(d.reviewed),
    hidden: ids(d.hidden),
    locked: ids(d.locked),
    lead_ms: typeof d.lead_ms === 'number' ? d.lead_ms : 0,
    predictions_loaded: d.predictions_loaded === true,
  };
}

/** The newer of two drafts (either may be missing). */
export function newerDraft(a: Draft | null, b: Draft | null): Draft | null {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(b.saved_at) > Date.parse(a.saved_at) ? b : a;
}

const draftKey = (assignment: number) => `accord.draft.${assignment}`;
const submitKey = (assignment: number) => `accord.submit.${assignment}`;

/** Per-assignment local persistence. */
export class LocalDrafts {
  constructor(private readonly store: KeyValue) {}

  load(assignment: number): Draft | null {
    try {
      return asDraft(JSON.parse(this.store.getItem(draftKey(assignment)) ?? 'null'));
    } catch {
      return null;
    }
  }

  /** Save; returns false when storage is full or unavailable (the server copy still happens). */
  save(assignment: number, draft: Draft): boolean {
    try {
      this.store.setItem(draftKey(assignment), JSON.stringify(draft));
      return true;
    } catch {
      return false;
    }
  }

  /** The submit id of an assignment: made once, then always the same until `clear`. */
  submissionId(assignment: number, make: () => string = () => crypto.randomUUID()): string {
    const existing = this.store.getItem(submitKey(assignment));
    if (existing) return existing;
    const id = make();
    try {
      this.store.setItem(submitKey(assignment), id);
    } catch {
      /* storage unavailable: the id still holds for this page */
    }
    return id;
  }

  /** Forget an assignment's draft and submit id (after a submit or skip). */
  clear(assignment: number): void {
    this.store.removeItem(draftKey(assignment));
    this.store.removeItem(submitKey(assignment));
  }
}

/** An in-memory KeyValue (tests, or when localStorage is unavailable). */
export class MemoryStore implements KeyValue {
  private readonly map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
  removeItem(key: string): void {
    this.map.delete(key);
  }
}

/** Label-schema editing: live validation against the server and a preview of what it defines. */

import { writable, type Readable } from 'svelte/store';
import { defaultColor } from '../../engine';
import { ApiError, api, call, debounce, errorMessage, latestOnly, type FieldError } from '../../lib';

/** A label as the preview shows it. */
export interface LabelView {
  name: string;
  color: string;
  hotkey: string | null;
  attributes: string[];
}

/** A tool as the preview shows it. */
export interface ToolView {
  name: string;
  type: string;
  labels: LabelView[];
  choices: string[];
  multiple: boolean;
  required: boolean;
  keypoints: string[];
  skeleton: [string, string][];
}

/** What a validated schema defines. */
export interface SchemaView {
  media: string;
  tools: ToolView[];
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** A number attribute's bounds as the preview shows them: " 0–100", " ≥ 0", " ≤ 5", or "". */
function boundsText(min: unknown, max: unknown): string {
  const lo = typeof min === 'number' ? min : null;
  const hi = typeof max === 'number' ? max : null;
  if (lo !== null && hi !== null) return ` ${lo}–${hi}`;
  if (lo !== null) return ` ≥ ${lo}`;
  return hi !== null ? ` ≤ ${hi}` : '';
}

function labelView(raw: unknown): LabelView | null {
  if (typeof raw === 'string') return { name: raw, color: defaultColor(raw), hotkey: null, attributes: [] };
  if (!isObj(raw) || typeof raw['name'] !== 'string') return null;
  const name = raw['name'];
  const attributes = Array.isArray(raw['attributes'])
    ? raw['attributes'].filter(isObj).map((a) => `${String(a['name'])}: ${String(a['type'])}${boundsText(a['min'], a['max'])}`)
    : [];
  return {
    name,
    color: typeof raw['color'] === 'string' ? raw['color'] : defaultColor(name),
    hotkey: typeof raw['hotkey'] === 'string' ? raw['hotkey'] : null,
    attributes,
  };
}

/** The preview of a normalized schema (as `/label-schemas/validate` or a project returns it). */
export function schemaView(schema: unknown): SchemaView {
  if (!isObj(schema)) return { media: '?', tools: [] };
  const tools = Array.isArray(schema['tools']) ? schema['tools'].filter(isObj) : [];
  return {
    media: typeof schema['media'] === 'string' ? schema['media'] : '?',
    tools: tools.map((t) => ({
      name: String(t['name'] ?? ''),
      type: String(t['type'] ?? ''),
      labels: (Array.isArray(t['labels']) ? t['labels'] : []).map(labelView).filter((l): l is LabelView => l !== null),
      choices: strings(t['choices']),
      multiple: t['multiple'] === true,
      required: t['required'] === true,
      keypoints: strings(t['keypoints']),
      skeleton: (Array.isArray(t['skeleton']) ? t['skeleton'] : [])
        .map(strings)
        .filter((p) => p.length === 2)
        .map((p) => [p[0] as string, p[1] as string]),
    })),
  };
}

/** Problems grouped by 1-based line; problems without a line go under 0. */
export function errorsByLine(errors: readonly FieldError[]): Map<number, FieldError[]> {
  const out = new Map<number, FieldError[]>();
  for (const e of errors) {
    const line = typeof e.line === 'number' && e.line > 0 ? e.line : 0;
    const list = out.get(line) ?? [];
    list.push(e);
    out.set(line, list);
  }
  return out;
}

/** Where live validation stands. */
export type Validation =
  | { status: 'idle' }
  | { status: 'checking' }
  | { status: 'valid'; view: SchemaView; schema: Json }
  | { status: 'invalid'; message: string; errors: FieldError[] }
  | { status: 'error'; message: string };

/** The check itself: the normalized schema, or a thrown ApiError. */
export type CheckSchema = (source: string) => Promise<{ media: string; label_schema: Json }>;

/** Ask the server to validate `source`. */
export const checkSchema: CheckSchema = (source) =>
  call(api.POST('/api/v1/label-schemas/validate', { body: { label_schema: source } }));

/** Live validation: `input(text)` after each keystroke; the store holds the latest verdict. */
export function liveValidator(check: CheckSchema = checkSchema, delayMs = 300): Readable<Validation> & {
  input(source: string): void;
  now(source: string): Promise<void>;
} {
  const state = writable<Validation>({ status: 'idle' });
  const latest = latestOnly(check);
  const run = async (source: string) => {
    if (!source.trim()) {
      state.set({ status: 'invalid', message: 'the schema is empty', errors: [] });
      return;
    }
    state.set({ status: 'checking' });
    const r = await latest(source);
    if (r.stale) return;
    if (r.value) {
      state.set({ status: 'valid', schema: r.value.label_schema, view: schemaView(r.value.label_schema) });
    } else if (r.error instanceof ApiError && r.error.status === 422) {
      state.set({ status: 'invalid', message: r.error.message, errors: r.error.errors });
    } else {
      state.set({ status: 'error', message: errorMessage(r.error) });
    }
  };
  const later = debounce((s: string) => void run(s), delayMs);
  return {
    subscribe: state.subscribe,
    input: later,
    now: (s: string) => {
      later.cancel();
      return run(s);
    },
  };
}

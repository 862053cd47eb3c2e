/**
 * Label attributes in the workspace: what each label of the schema declares, which values the
 * server accepts (the rules of `_attributes` in services/annotation_results.py), what a region
 * keeps when it is relabelled, and how an input's text becomes a value.
 *
 * The schema has no defaults and no `required` for attributes (AttributeSpec is `name`, `type`,
 * `choices`, and a number's inclusive `min` / `max`), so a new region starts with no attributes
 * and an unset one is absent.
 */

import type { Attributes } from '../../core';

/** The attribute types a schema can declare. */
export type AttributeType = 'bool' | 'choice' | 'text' | 'number';

/** One attribute a label declares. */
export interface AttributeSpec {
  name: string;
  type: AttributeType;
  /** The allowed values of a `choice` attribute (empty for the other types). */
  choices: string[];
  /** A number attribute's bounds, inclusive (absent when the schema gives none). */
  min?: number;
  max?: number;
}

const TYPES: readonly AttributeType[] = ['bool', 'choice', 'text', 'number'];

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The numbers a number attribute accepts, in the server's words ("a number between 0 and 1"). */
export function numberBounds(spec: AttributeSpec): string {
  if (spec.min !== undefined && spec.max !== undefined) return `a number between ${spec.min} and ${spec.max}`;
  if (spec.min !== undefined) return `a number ≥ ${spec.min}`;
  if (spec.max !== undefined) return `a number ≤ ${spec.max}`;
  return 'a finite number';
}

/** The attributes a raw schema label declares (a bare string declares none); malformed ones are skipped. */
export function attributeSpecs(rawLabel: unknown): AttributeSpec[] {
  if (!isObj(rawLabel) || !Array.isArray(rawLabel['attributes'])) return [];
  const out: AttributeSpec[] = [];
  for (const a of rawLabel['attributes']) {
    if (!isObj(a) || typeof a['name'] !== 'string' || !TYPES.includes(a['type'] as AttributeType)) continue;
    const choices = Array.isArray(a['choices']) ? a['choices'].filter((c): c is string => typeof c === 'string') : [];
    const spec: AttributeSpec = { name: a['name'], type: a['type'] as AttributeType, choices: a['type'] === 'choice' ? choices : [] };
    if (spec.type === 'number') {
      if (isFiniteNumber(a['min'])) spec.min = a['min'];
      if (isFiniteNumber(a['max'])) spec.max = a['max'];
    }
    out.push(spec);
  }
  return out;
}

/** The attributes of every label of a raw schema, keyed by `labelKey(tool, label)`. */
export function labelAttributes(rawSchema: unknown): Map<string, AttributeSpec[]> {
  const out = new Map<string, AttributeSpec[]>();
  const tools = isObj(rawSchema) && Array.isArray(rawSchema['tools']) ? rawSchema['tools'] : [];
  for (const t of tools) {
    if (!isObj(t) || typeof t['name'] !== 'string' || !Array.isArray(t['labels'])) continue;
    for (const l of t['labels']) {
      const name = typeof l === 'string' ? l : isObj(l) && typeof l['name'] === 'string' ? l['name'] : null;
      const specs = attributeSpecs(l);
      if (name !== null && specs.length) out.set(labelKey(t['name'], name), specs);
    }
  }
  return out;
}

/** The map key of a (tool, label) pair. */
export function labelKey(tool: string, label: string): string {
  return `${tool}\u0000${label}`;
}

/** Why `value` is not valid for `spec`, worded like the server's 422; null if it is valid. */
export function attributeProblem(spec: AttributeSpec, value: unknown): string | null {
  switch (spec.type) {
    case 'bool':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'number':
      return isFiniteNumber(value) && (spec.min === undefined || value >= spec.min) && (spec.max === undefined || value <= spec.max)
        ? null
        : `must be ${numberBounds(spec)}`;
    case 'choice':
      return typeof value === 'string' && spec.choices.includes(value) ? null : `must be one of: ${spec.choices.join(', ')}`;
    case 'text':
      return typeof value === 'string' ? null : 'must be a string';
  }
}

/**
 * The attributes a region keeps when relabelled from a label declaring `from` to one declaring
 * `to`. If the new label declares attributes, only those it declares survive, and only with a
 * value it accepts (a choice it does not offer is dropped). If it declares none, the server takes
 * any attributes, so only the old label's declared ones go (free-form keys, e.g. from a model, stay).
 */
export function attributesAfterRelabel(attributes: Attributes, from: readonly AttributeSpec[], to: readonly AttributeSpec[]): Attributes {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attributes)) {
    const spec = to.find((s) => s.name === key);
    const keep = to.length > 0 ? !!spec && attributeProblem(spec, value) === null : !from.some((s) => s.name === key);
    if (keep) kept[key] = value;
  }
  return kept;
}

/** Keys a region carries that its label does not declare (the server refuses them), when it declares any. */
export function undeclaredAttributes(attributes: Attributes, specs: readonly AttributeSpec[]): string[] {
  if (specs.length === 0) return [];
  return Object.keys(attributes).filter((key) => !specs.some((s) => s.name === key));
}

/** What an edit of a field means: set a value, remove the attribute, or nothing yet (unfinished input). */
export type AttributeInput = { set: unknown } | { remove: true } | { incomplete: true };

/**
 * The edit an input gives: a checkbox's state; a choice or text ('' unsets it); a number field's
 * value ('' unsets it; `badInput` — text such as "1e" the browser cannot read yet — changes nothing).
 */
export function attributeInput(spec: AttributeSpec, input: { checked?: boolean; value?: string; badInput?: boolean }): AttributeInput {
  if (spec.type === 'bool') return { set: input.checked === true };
  const text = input.value ?? '';
  if (spec.type === 'number') {
    if (input.badInput) return { incomplete: true };
    if (text.trim() === '') return { remove: true };
    const n = Number(text);
    return Number.isFinite(n) ? { set: n } : { incomplete: true };
  }
  if (text === '') return { remove: true };
  if (spec.type === 'choice' && !spec.choices.includes(text)) return { incomplete: true };
  return { set: text };
}

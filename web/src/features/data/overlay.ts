/** The task page's read-only overlay: every annotator's (and the model's) regions, one colour per
 * source, combined into one document the engine's renderer draws. Framework-free. */

import { AnnotationDocument, isShapeRegion, type ShapeRegion } from '../../core';
import type { Schemas } from '../../lib';

export type Annotation = Schemas['AnnotationRead'];
export type Prediction = Schemas['PredictionRead'];
export type Person = Schemas['PersonRead'];

/** One layer of the overlay: an annotation or a prediction, with who made it and its colour. */
export interface Source {
  key: string;
  kind: 'annotation' | 'prediction';
  /** Who: the annotator's name/email, or the model version. */
  who: string;
  origin: string;
  color: string;
  created_at: string;
  updated_at: string | null;
  revision: number | null;
  annotationId: number | null;
  result: unknown[];
}

/** Distinct colours for sources (annotators), in order; wraps after ten. */
export const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324', '#469990', '#808000'];

/** How a person is named: "Name <email>", or the email alone, or `user #id` when unknown. */
export function personName(id: number | null, people: ReadonlyMap<number, Person>): string {
  if (id === null) return 'deleted user';
  const p = people.get(id);
  if (!p) return `user #${id}`;
  return p.name ? `${p.name} <${p.email}>` : p.email;
}

/** The overlay's sources: annotations in order, then predictions; each its own colour. */
export function sourcesOf(annotations: readonly Annotation[], predictions: readonly Prediction[], people: ReadonlyMap<number, Person>): Source[] {
  const out: Source[] = [];
  for (const a of annotations) {
    out.push({
      key: `a${a.id}`,
      kind: 'annotation',
      who: personName(a.user_id, people),
      origin: a.origin,
      color: PALETTE[out.length % PALETTE.length]!,
      created_at: a.created_at,
      updated_at: a.updated_at,
      revision: a.revision,
      annotationId: a.id,
      result: a.result,
    });
  }
  for (const p of predictions) {
    out.push({
      key: `p${p.id}`,
      kind: 'prediction',
      who: `model ${p.model_version || '(unnamed)'}`,
      origin: 'model',
      color: PALETTE[out.length % PALETTE.length]!,
      created_at: p.created_at,
      updated_at: null,
      revision: null,
      annotationId: null,
      result: p.result,
    });
  }
  return out;
}

/** The shapes of the shown sources in one document; region ids are prefixed with the source key
 * (`a12/r1`) so two annotators' `r1` do not collide. Results that do not parse are skipped and
 * returned in `problems`. */
export function overlayDocument(sources: readonly Source[], shown: ReadonlySet<string>): { doc: AnnotationDocument; colorOf: (r: ShapeRegion) => string; problems: string[] } {
  const shapes: ShapeRegion[] = [];
  const colors = new Map<string, string>();
  const problems: string[] = [];
  for (const s of sources) {
    if (!shown.has(s.key)) continue;
    colors.set(s.key, s.color);
    let regions;
    try {
      regions = AnnotationDocument.fromResult(s.result).list();
    } catch (e) {
      problems.push(`${s.who}: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    for (const r of regions) if (isShapeRegion(r)) shapes.push({ ...r, id: `${s.key}/${r.id}` } as ShapeRegion);
  }
  const colorOf = (r: ShapeRegion) => colors.get(String(r.id).split('/')[0] ?? '') ?? '#888';
  return { doc: new AnnotationDocument(shapes), colorOf, problems };
}

/** One readable line per region of a result: label, tool and a geometry summary (for media
 * without a drawn view, and beside the image). */
/** When a source was made, as one line: `created … · updated … · revision 2` (updated only when it differs). */
export function sourceWhen(s: Pick<Source, 'created_at' | 'updated_at' | 'revision'>, format: (iso: string) => string): string {
  const parts = [`created ${format(s.created_at)}`];
  if (s.updated_at && s.updated_at !== s.created_at) parts.push(`updated ${format(s.updated_at)}`);
  if (s.revision !== null) parts.push(`revision ${s.revision}`);
  return parts.join(' · ');
}

export interface ResultLine {
  label: string;
  tool: string;
  summary: string;
}

const round = (n: unknown) => (typeof n === 'number' ? String(Math.round(n * 10) / 10) : '?');

/** Summarize a region's geometry or value in a few words. */
export function regionSummary(item: Record<string, unknown>): string {
  const g = (item['geometry'] ?? {}) as Record<string, unknown>;
  const value = item['value'] as Record<string, unknown> | undefined;
  if (Array.isArray(item['track'])) return `track of ${item['track'].length} keyframe${item['track'].length === 1 ? '' : 's'}`;
  switch (item['type']) {
    case 'bbox':
      return `box at (${round(g['x'])}, ${round(g['y'])}) ${round(g['width'])}×${round(g['height'])}`;
    case 'polygon':
      return `polygon of ${Array.isArray(g['points']) ? g['points'].length : '?'} points`;
    case 'keypoints':
      return `${Array.isArray(g['points']) ? g['points'].length : '?'} keypoints`;
    case 'mask':
      return 'mask';
    case 'span':
      return `characters ${round(g['start'])}–${round(g['end'])}${typeof item['text'] === 'string' ? `: “${item['text']}”` : ''}`;
    case 'relation':
      return `${String(g['from'])} → ${String(g['to'])}`;
  }
  if (value) {
    if (Array.isArray(value['choices'])) return value['choices'].join(', ');
    if (typeof value['text'] === 'string') return `“${value['text']}”`;
    return JSON.stringify(value);
  }
  return JSON.stringify(g);
}

/** The readable lines of a result (non-object items are shown as JSON). */
export function resultLines(result: readonly unknown[]): ResultLine[] {
  return result.map((item) => {
    if (typeof item !== 'object' || item === null) return { label: '', tool: '', summary: JSON.stringify(item) };
    const r = item as Record<string, unknown>;
    const score = typeof r['score'] === 'number' ? ` (score ${r['score'].toFixed(2)})` : '';
    return { label: typeof r['label'] === 'string' ? r['label'] : '', tool: String(r['tool'] ?? r['type'] ?? ''), summary: regionSummary(r) + score };
  });
}

import { describe, expect, it } from 'vitest';
import { AnnotationSession } from './session';
import { LocalDrafts, MemoryStore, asDraft, newerDraft } from './draft';
import { suggestionsFrom } from './predictions';
import { workspaceSchema } from './schema';

const schema = workspaceSchema({
  media: 'image',
  tools: [
    { name: 'objects', type: 'bbox', labels: [{ name: 'circle', color: '#ff0000' }, { name: 'square' }] },
    { name: 'scene', type: 'classification', choices: ['sparse', 'busy'], multiple: false },
  ],
});
const pred = (id: number, created: string, result: unknown[], score: number | null = 0.5) => ({ id, created_at: created, score, model_version: `m${id}`, result });
const box = (id: string, score?: number) => ({ id, tool: 'objects', type: 'bbox', label: 'circle', geometry: { x: 1, y: 1, width: 5, height: 5 }, ...(score === undefined ? {} : { score }) });

describe('workspace schema', () => {
  it('builds palettes with schema colours and answer tools', () => {
    expect(schema.palettes.bbox.map((p) => p.label)).toEqual(['circle', 'square']);
    expect(schema.colorOf('objects', 'circle')).toBe('#ff0000');
    expect(schema.answers[0]).toMatchObject({ name: 'scene', type: 'classification' });
  });
});

describe('drafts', () => {
  it('prefers the newer draft and keeps one submit id per assignment', () => {
    const ws = new AnnotationSession(schema);
    const old = ws.draft(1000, new Date('2025-01-01T00:00:00Z'));
    const fresh = ws.draft(2000, new Date('2025-01-01T00:00:05Z'));
    expect(newerDraft(old, fresh)).toBe(fresh);
    expect(newerDraft(fresh, null)).toBe(fresh);
    expect(asDraft({ nope: 1 })).toBeNull();
    const local = new LocalDrafts(new MemoryStore());
    let n = 0;
    const make = () => `id-${++n}`;
    expect(local.submissionId(7, make)).toBe('id-1');
    expect(local.submissionId(7, make)).toBe('id-1');
    local.save(7, fresh);
    expect(local.load(7)).toEqual(fresh);
    local.clear(7);
    expect(local.load(7)).toBeNull();
    expect(local.submissionId(7, make)).toBe('id-2');
  });
  it('restores regions, accepted suggestions and flags from a draft', () => {
    const ws = new AnnotationSession(schema);
    ws.addSuggestions(suggestionsFrom([pred(1, '2025-01-01', [box('a'), box('b')])]).regions);
    ws.accept('a');
    ws.toggleLocked('b');
    const back = AnnotationSession.fromDraft(schema, ws.draft(0));
    expect(back.reviewed.has('a')).toBe(true);
    expect(back.doc.get('b')?.locked).toBe(true);
    expect(back.predictionsLoaded).toBe(true);
  });
});

describe('suggestions', () => {
  it('takes the newest prediction as model regions with scores', () => {
    const s = suggestionsFrom([pred(1, '2025-01-01', [box('old')]), pred(2, '2025-02-01', [box('a', 0.9), box('b'), { junk: true }], 0.3)]);
    expect(s.regions.map((r) => [r.id, r.origin, r.score])).toEqual([['a', 'model', 0.9], ['b', 'model', 0.3]]);
    expect(s.skipped).toBe(1);
    expect(s.modelVersion).toBe('m2');
  });
  it('accepts, rejects, thresholds, and submits only reviewed ones', () => {
    const ws = new AnnotationSession(schema);
    ws.addSuggestions(suggestionsFrom([pred(1, '2025-01-01', [box('a', 0.9), box('b', 0.2), box('c', 0.6)])]).regions);
    expect(ws.submittable()).toEqual([]);
    ws.minScore = 0.5;
    expect(ws.acceptAll()).toBe(2);
    expect(ws.submittable().map((r) => r['id'])).toEqual(['a', 'c']);
    ws.undo();
    expect(ws.pending()).toHaveLength(3);
    ws.reject('b');
    expect(ws.doc.get('b')).toBeUndefined();
    ws.relabel('a', 'square'); // a human edit turns the suggestion into model-edited: it is submitted
    expect(ws.submittable()).toEqual([expect.objectContaining({ id: 'a', origin: 'model-edited', label: 'square' })]);
  });
});

describe('answers and labels', () => {
  it('sets, changes and clears a classification as one value region', () => {
    const ws = new AnnotationSession(schema);
    ws.setAnswer('scene', 'classification', ['busy']);
    ws.setAnswer('scene', 'classification', ['sparse']);
    expect(ws.doc.toResult()).toEqual([expect.objectContaining({ tool: 'scene', type: 'classification', value: { choices: ['sparse'] } })]);
    ws.undo();
    expect(ws.answer('scene')?.value).toEqual({ choices: ['busy'] });
    ws.setAnswer('scene', 'classification', []);
    expect(ws.doc.size).toBe(0);
  });
});


describe('the session and its view', () => {
  const textSchema = workspaceSchema({
    media: 'text',
    tools: [
      { name: 'entities', type: 'span', labels: [{ name: 'PER', color: '#00aa00' }, { name: 'ORG' }] },
      { name: 'links', type: 'relation', labels: [{ name: 'works_at' }] },
    ],
  });
  const span = (id: string, start: number) => ({ id, tool: 'entities', type: 'span' as const, label: 'PER', geometry: { start, end: start + 2 }, attributes: {}, origin: 'human' as const });

  it("lists the view's object kinds, labels and colours for spans and relations", () => {
    const s = new AnnotationSession(textSchema, [span('a', 0), span('b', 5), { id: 'r', tool: 'links', type: 'relation', label: 'works_at', geometry: { from: 'a', to: 'b' }, attributes: {}, origin: 'human' }], ['span', 'relation']);
    expect(s.objects().map((r) => r.id)).toEqual(['r', 'b', 'a']);
    expect(s.labelsFor(s.doc.get('a')!)).toEqual(['PER', 'ORG']);
    expect(s.colorOf(s.doc.get('a')!)).toBe('#00aa00');
    s.relabel('a', 'ORG');
    expect(s.doc.get('a')).toMatchObject({ label: 'ORG' });
    s.select('b');
    s.perform('selection.delete'); // the relation to "b" goes with it, one undo step
    expect(s.doc.ordering).toEqual(['a']);
    s.perform('history.undo');
    expect(s.doc.ordering).toEqual(['a', 'b', 'r']);
  });

  it("stops the view's input before undo and finishes it before a submit", () => {
    const s = new AnnotationSession(schema);
    const calls: string[] = [];
    s.attach({ cancel: () => calls.push('cancel'), settle: () => calls.push('settle') });
    s.undo();
    s.redo();
    s.settle();
    expect(calls).toEqual(['cancel', 'cancel', 'settle']);
    const seen: string[] = [];
    s.subscribe((c) => seen.push(c));
    s.setMinScore(0.4);
    s.select('x');
    expect(seen).toEqual(['filter', 'state']);
  });
});

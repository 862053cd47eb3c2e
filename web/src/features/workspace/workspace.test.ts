import { describe, expect, it } from 'vitest';
import { Workspace } from './controller';
import { LocalDrafts, MemoryStore, asDraft, newerDraft } from './draft';
import { sizeProblem } from './media';
import { suggestionsFrom } from './predictions';
import { workspaceSchema } from './schema';
import { workspaceKeymap } from './actions';

const schema = workspaceSchema({
  media: 'image',
  tools: [
    { name: 'objects', type: 'bbox', labels: [{ name: 'circle', color: '#ff0000' }, { name: 'square' }] },
    { name: 'scene', type: 'classification', choices: ['sparse', 'busy'], multiple: false },
  ],
});
const pred = (id: number, created: string, result: unknown[], score: number | null = 0.5) => ({ id, created_at: created, score, model_version: `m${id}`, result });
const box = (id: string, score?: number) => ({ id, tool: 'objects', type: 'bbox', label: 'circle', geometry: { x: 1, y: 1, width: 5, height: 5 }, ...(score === undefined ? {} : { score }) });

describe('workspace schema and keymap', () => {
  it('builds palettes with schema colours and answer tools', () => {
    expect(schema.palettes.bbox.map((p) => p.label)).toEqual(['circle', 'square']);
    expect(schema.colorOf('objects', 'circle')).toBe('#ff0000');
    expect(schema.answers[0]).toMatchObject({ name: 'scene', type: 'classification' });
  });
  it('adds its actions without conflicts', () => {
    expect(workspaceKeymap.conflicts()).toEqual([]);
  });
  it('refuses images the browser cannot draw', () => {
    expect(sizeProblem(800, 600)).toBeNull();
    expect(sizeProblem(40_000, 10)).toMatch(/32767/);
    expect(sizeProblem(20_000, 20_000)).toMatch(/megapixels/);
  });
});

describe('drafts', () => {
  it('prefers the newer draft and keeps one submit id per assignment', () => {
    const ws = new Workspace(schema, 100, 100);
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
    const ws = new Workspace(schema, 100, 100);
    ws.addSuggestions(suggestionsFrom([pred(1, '2025-01-01', [box('a'), box('b')])]).regions);
    ws.accept('a');
    ws.toggleLocked('b');
    const back = Workspace.fromDraft(schema, 100, 100, ws.draft(0));
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
    const ws = new Workspace(schema, 100, 100);
    ws.addSuggestions(suggestionsFrom([pred(1, '2025-01-01', [box('a', 0.9), box('b', 0.2), box('c', 0.6)])]).regions);
    expect(ws.submittable()).toEqual([]);
    ws.minScore = 0.5;
    expect(ws.acceptAll()).toBe(2);
    expect(ws.submittable().map((r) => r['id'])).toEqual(['a', 'c']);
    ws.undo();
    expect(ws.pending()).toHaveLength(3);
    ws.reject('b');
    expect(ws.doc.get('b')).toBeUndefined();
    ws.select('a');
    ws.nudge(2, 0); // a human edit turns the suggestion into model-edited: it is submitted
    expect(ws.submittable()).toEqual([expect.objectContaining({ id: 'a', origin: 'model-edited', geometry: expect.objectContaining({ x: 3 }) })]);
  });
});

describe('answers and labels', () => {
  it('sets, changes and clears a classification as one value region', () => {
    const ws = new Workspace(schema, 100, 100);
    ws.setAnswer('scene', 'classification', ['busy']);
    ws.setAnswer('scene', 'classification', ['sparse']);
    expect(ws.doc.toResult()).toEqual([expect.objectContaining({ tool: 'scene', type: 'classification', value: { choices: ['sparse'] } })]);
    ws.undo();
    expect(ws.answer('scene')?.value).toEqual({ choices: ['busy'] });
    ws.setAnswer('scene', 'classification', []);
    expect(ws.doc.size).toBe(0);
  });
  it('keys 1-9 pick the label for the drawing tool, or relabel the selection', () => {
    const ws = new Workspace(schema, 100, 100);
    ws.setTool('rectangle');
    ws.perform('label.choose2');
    expect(ws.activeLabel('bbox')?.label).toBe('square');
    ws.setTool('polygon'); // the schema has none
    expect(ws.tool).toBe('rectangle');
    ws.addSuggestions([]);
    ws.doc.insert({ id: 'h', tool: 'objects', type: 'bbox', label: 'square', geometry: { x: 1, y: 1, width: 5, height: 5, rotation: 0 }, attributes: {}, origin: 'human' });
    ws.setTool('select');
    ws.select('h');
    ws.perform('label.choose1');
    expect(ws.doc.get('h')).toMatchObject({ label: 'circle' });
  });
});

describe('copy, paste and drawing order', () => {
  const human = (id: string, x: number) => ({ id, tool: 'objects', type: 'bbox' as const, label: 'circle', geometry: { x, y: 10, width: 5, height: 5, rotation: 0 }, attributes: {}, origin: 'human' as const });

  it('pastes a copy offset by 10 px as a new human region, undoable', () => {
    const ws = new Workspace(schema, 100, 100);
    ws.doc.insert(human('a', 10));
    ws.select('a');
    expect(ws.perform('selection.copy')).toBe(true);
    expect(ws.perform('selection.paste')).toBe(true);
    const pasted = ws.doc.list().find((r) => r.id !== 'a');
    expect(pasted).toMatchObject({ type: 'bbox', label: 'circle', origin: 'human', geometry: { x: 20, y: 20 } });
    expect(ws.selection()).toBe(pasted?.id);
    ws.perform('history.undo');
    expect(ws.doc.size).toBe(1);
  });

  it('pastes into the next task at the same place, kept inside the image', () => {
    const first = new Workspace(schema, 100, 100);
    first.doc.insert(human('a', 94));
    first.select('a');
    first.perform('selection.copy');
    const next = new Workspace(schema, 100, 100);
    next.perform('selection.paste');
    expect(next.doc.list()[0]).toMatchObject({ geometry: { x: 94, y: 10 } });
    next.perform('selection.paste');
    const second = next.doc.list()[1];
    expect(second).toMatchObject({ geometry: { x: 95, y: 20 } }); // fanned out, clamped at the edge
  });

  it('brings the selected shape to the front and sends it back, undoably', () => {
    const ws = new Workspace(schema, 100, 100);
    ws.doc.insert(human('a', 1));
    ws.doc.insert(human('b', 2));
    ws.doc.insert(human('c', 3));
    ws.select('a');
    ws.perform('selection.front');
    expect(ws.doc.ordering).toEqual(['b', 'c', 'a']);
    ws.perform('selection.back');
    expect(ws.doc.ordering).toEqual(['a', 'b', 'c']);
    ws.perform('history.undo');
    expect(ws.doc.ordering).toEqual(['b', 'c', 'a']);
  });
});

import { describe, expect, it } from 'vitest';
import { AnnotationSession, keymapOf, labelSlots, suggestionsFrom, workspaceSchema, type WorkspaceSchema } from '../annotate';
import { ImageWorkspace } from './controller';
import { sizeProblem } from './media';
import { imageView } from './view';

const schema = workspaceSchema({
  media: 'image',
  tools: [
    { name: 'objects', type: 'bbox', labels: [{ name: 'circle', color: '#ff0000' }, { name: 'square' }] },
    { name: 'scene', type: 'classification', choices: ['sparse', 'busy'], multiple: false },
  ],
});
const pred = (id: number, created: string, result: unknown[], score: number | null = 0.5) => ({ id, created_at: created, score, model_version: `m${id}`, result });
const box = (id: string, score?: number) => ({ id, tool: 'objects', type: 'bbox', label: 'circle', geometry: { x: 1, y: 1, width: 5, height: 5 }, ...(score === undefined ? {} : { score }) });

/** An image view of 100 x 100 px over a fresh session. */
const image = (s: WorkspaceSchema = schema) => new ImageWorkspace(new AnnotationSession(s), 100, 100);

describe('image view keymap and media', () => {
  it('adds its actions without conflicts', () => {
    expect(keymapOf(imageView).conflicts()).toEqual([]);
  });
  it('refuses images the browser cannot draw', () => {
    expect(sizeProblem(800, 600)).toBeNull();
    expect(sizeProblem(40_000, 10)).toMatch(/32767/);
    expect(sizeProblem(20_000, 20_000)).toMatch(/megapixels/);
  });
});

describe('suggestions on the canvas', () => {
  it('a nudge of a suggestion makes it model-edited and submitted; undo and X go through the session', () => {
    const ws = image();
    ws.session.addSuggestions(suggestionsFrom([pred(1, '2025-01-01', [box('a', 0.9), box('b', 0.2)])]).regions);
    expect(ws.session.submittable()).toEqual([]);
    ws.select('a');
    ws.nudge(2, 0);
    expect(ws.session.submittable()).toEqual([expect.objectContaining({ id: 'a', origin: 'model-edited', geometry: expect.objectContaining({ x: 3 }) })]);
    expect(ws.perform('history.undo')).toBe(false); // the shell's action
    ws.session.perform('history.undo');
    expect(ws.session.submittable()).toEqual([]);
    ws.select('b');
    ws.session.perform('prediction.reject');
    expect(ws.doc.get('b')).toBeUndefined();
  });
});

describe('labels', () => {
  it('keys 1-9 pick the label for the drawing tool, or relabel the selection', () => {
    const ws = image();
    ws.setTool('rectangle');
    ws.perform('label.choose2');
    expect(ws.activeLabel('bbox')?.label).toBe('square');
    ws.setTool('polygon'); // the schema has none
    expect(ws.tool).toBe('rectangle');
    ws.session.addSuggestions([]);
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
    const ws = image();
    ws.doc.insert(human('a', 10));
    ws.select('a');
    expect(ws.perform('selection.copy')).toBe(true);
    expect(ws.perform('selection.paste')).toBe(true);
    const pasted = ws.doc.list().find((r) => r.id !== 'a');
    expect(pasted).toMatchObject({ type: 'bbox', label: 'circle', origin: 'human', geometry: { x: 20, y: 20 } });
    expect(ws.selection()).toBe(pasted?.id);
    ws.session.perform('history.undo');
    expect(ws.doc.size).toBe(1);
  });

  it('pastes into the next task at the same place, kept inside the image', () => {
    const first = image();
    first.doc.insert(human('a', 94));
    first.select('a');
    first.perform('selection.copy');
    const next = image();
    next.perform('selection.paste');
    expect(next.doc.list()[0]).toMatchObject({ geometry: { x: 94, y: 10 } });
    next.perform('selection.paste');
    const second = next.doc.list()[1];
    expect(second).toMatchObject({ geometry: { x: 95, y: 20 } }); // fanned out, clamped at the edge
  });

  it('brings the selected shape to the front and sends it back, undoably', () => {
    const ws = image();
    ws.doc.insert(human('a', 1));
    ws.doc.insert(human('b', 2));
    ws.doc.insert(human('c', 3));
    ws.select('a');
    ws.perform('selection.front');
    expect(ws.doc.ordering).toEqual(['b', 'c', 'a']);
    ws.perform('selection.back');
    expect(ws.doc.ordering).toEqual(['a', 'b', 'c']);
    ws.session.perform('history.undo');
    expect(ws.doc.ordering).toEqual(['b', 'c', 'a']);
  });
});

describe('label hotkeys from the schema', () => {
  const hotkeyed = workspaceSchema({
    media: 'image',
    tools: [
      {
        name: 'objects',
        type: 'bbox',
        labels: [
          { name: 'car', hotkey: '4' },
          { name: 'person', hotkey: '5' },
          { name: 'bike', hotkey: '6' },
        ],
      },
    ],
  });

  it('the key of a label is its schema hotkey, not its position', () => {
    const ws = image(hotkeyed);
    ws.setTool('rectangle');
    expect(ws.labelSlots('bbox')).toEqual([4, 5, 6]);
    ws.perform('label.choose6');
    expect(ws.activeLabel('bbox')?.label).toBe('bike');
    ws.perform('label.choose1'); // no label has key 1: nothing changes
    expect(ws.activeLabel('bbox')?.label).toBe('bike');
    ws.perform('label.choose4');
    expect(ws.activeLabel('bbox')?.label).toBe('car');
  });

  it('positions are the default only and never take a key a label claims', () => {
    expect(labelSlots([{ hotkey: null }, { hotkey: '1' }, { hotkey: null }])).toEqual([2, 1, 3]);
    expect(labelSlots([{ hotkey: 'q' }, { hotkey: null }])).toEqual([null, 1]);
    expect(labelSlots([{ hotkey: '3' }, { hotkey: '3' }, {}])).toEqual([3, null, 1]);
    expect(labelSlots(Array.from({ length: 11 }, () => ({ hotkey: null })))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, null, null]);
  });
});

import { describe, expect, it } from 'vitest';
import { box } from '../../test/fixtures';
import { attributeInput, attributeProblem, attributeSpecs, attributesAfterRelabel, undeclaredAttributes, type AttributeSpec } from './attributes';
import { AnnotationSession } from './session';
import { workspaceSchema } from './schema';

const schema = workspaceSchema({
  media: 'image',
  tools: [
    {
      name: 'objects',
      type: 'bbox',
      labels: [
        { name: 'car', attributes: [{ name: 'occluded', type: 'bool' }, { name: 'pose', type: 'choice', choices: ['front', 'side'] }, { name: 'plate', type: 'text' }] },
        { name: 'person', attributes: [{ name: 'occluded', type: 'bool' }, { name: 'pose', type: 'choice', choices: ['standing', 'side'] }, { name: 'age', type: 'number' }] },
        'tree',
      ],
    },
    { name: 'scene', type: 'classification', choices: ['day', 'night'] },
  ],
});

const bool: AttributeSpec = { name: 'occluded', type: 'bool', choices: [] };
const choice: AttributeSpec = { name: 'pose', type: 'choice', choices: ['front', 'side'] };
const num: AttributeSpec = { name: 'age', type: 'number', choices: [] };
const text: AttributeSpec = { name: 'plate', type: 'text', choices: [] };

/** A session holding one car box "a" with `attributes`, as `origin`. */
function carWorkspace(attributes: Record<string, unknown> = {}, origin: 'human' | 'model' = 'human'): AnnotationSession {
  return new AnnotationSession(schema, [{ ...box('a', 1, 1, 10, 10, { origin }), attributes }]);
}

describe('attribute specs from the schema', () => {
  it('reads each label’s attributes in order; bare labels and answers have none', () => {
    expect(schema.attributesOf?.('objects', 'car')?.map((s) => `${s.name}:${s.type}`)).toEqual(['occluded:bool', 'pose:choice', 'plate:text']);
    expect(schema.attributesOf?.('objects', 'person')?.[1]).toEqual({ name: 'pose', type: 'choice', choices: ['standing', 'side'] });
    expect(schema.attributesOf?.('objects', 'tree')).toEqual([]);
    expect(schema.attributesOf?.('nope', 'car')).toEqual([]);
    const ws = carWorkspace();
    expect(ws.attributeSpecs(ws.doc.get('a')!).map((s) => s.name)).toEqual(['occluded', 'pose', 'plate']);
  });
  it('skips malformed entries and unknown types', () => {
    expect(attributeSpecs({ name: 'x', attributes: [{ name: 'a', type: 'colour' }, { type: 'bool' }, 'b', { name: 'c', type: 'text', choices: ['z'] }] })).toEqual([
      { name: 'c', type: 'text', choices: [] },
    ]);
    expect(attributeSpecs('car')).toEqual([]);
  });
  it('reads the bounds of a number, and only of a number', () => {
    const [pct, free, text] = attributeSpecs({ name: 'x', attributes: [{ name: 'pct', type: 'number', min: 0, max: 100 }, { name: 'free', type: 'number', min: 'low' }, { name: 't', type: 'text', min: 1 }] });
    expect(pct).toEqual({ name: 'pct', type: 'number', choices: [], min: 0, max: 100 });
    expect(free).toEqual({ name: 'free', type: 'number', choices: [] });
    expect(text).toEqual({ name: 't', type: 'text', choices: [] });
  });
});

describe('attribute values', () => {
  it('accepts what the server accepts', () => {
    expect(attributeProblem(bool, true)).toBeNull();
    expect(attributeProblem(bool, 'yes')).toBe('must be true or false');
    expect(attributeProblem(choice, 'side')).toBeNull();
    expect(attributeProblem(choice, 'back')).toBe('must be one of: front, side');
    expect(attributeProblem(num, 3.5)).toBeNull();
    expect(attributeProblem(num, Number.NaN)).toBe('must be a finite number');
    const pct: AttributeSpec = { name: 'pct', type: 'number', choices: [], min: 0, max: 100 };
    expect(attributeProblem(pct, 100)).toBeNull();
    expect(attributeProblem(pct, 100.5)).toBe('must be a number between 0 and 100');
    expect(attributeProblem({ ...num, min: 0.5 }, 0.25)).toBe('must be a number ≥ 0.5');
    expect(attributeProblem({ ...num, max: -1 }, 0)).toBe('must be a number ≤ -1');
    expect(attributeProblem(text, '')).toBeNull();
    expect(attributeProblem(text, 3)).toBe('must be a string');
  });
  it('turns field input into an edit; unfinished numbers change nothing', () => {
    expect(attributeInput(bool, { checked: false })).toEqual({ set: false });
    expect(attributeInput(choice, { value: 'front' })).toEqual({ set: 'front' });
    expect(attributeInput(choice, { value: '' })).toEqual({ remove: true });
    expect(attributeInput(text, { value: 'AB 12' })).toEqual({ set: 'AB 12' });
    expect(attributeInput(text, { value: '' })).toEqual({ remove: true });
    expect(attributeInput(num, { value: '-2.5' })).toEqual({ set: -2.5 });
    expect(attributeInput(num, { value: '' })).toEqual({ remove: true });
    expect(attributeInput(num, { value: '', badInput: true })).toEqual({ incomplete: true });
  });
  it('lists keys the label does not declare, unless it declares none', () => {
    expect(undeclaredAttributes({ occluded: true, colour: 'red' }, [bool, choice])).toEqual(['colour']);
    expect(undeclaredAttributes({ colour: 'red' }, [])).toEqual([]);
  });
});

describe('attribute edits through the command stack', () => {
  it('sets, removes, undoes and redoes, one step per edit', () => {
    const ws = carWorkspace();
    ws.setAttribute('a', 'occluded', true);
    ws.setAttribute('a', 'pose', 'side');
    expect(ws.doc.get('a')?.attributes).toEqual({ occluded: true, pose: 'side' });
    expect(ws.history.depth).toBe(2);
    ws.undo();
    expect(ws.doc.get('a')?.attributes).toEqual({ occluded: true });
    ws.redo();
    expect(ws.doc.get('a')?.attributes).toEqual({ occluded: true, pose: 'side' });
    ws.setAttribute('a', 'pose', undefined);
    expect(ws.doc.get('a')?.attributes).toEqual({ occluded: true });
    expect(ws.doc.toResult()[0]?.['attributes']).toEqual({ occluded: true });
  });
  it('does not record a step when nothing changes, nor edit a locked region', () => {
    const ws = carWorkspace({ occluded: true });
    ws.setAttribute('a', 'occluded', true);
    ws.setAttribute('a', 'pose', undefined);
    ws.toggleLocked('a');
    ws.setAttribute('a', 'occluded', false);
    expect(ws.history.depth).toBe(0);
    expect(ws.doc.get('a')?.attributes).toEqual({ occluded: true });
  });
  it('merges typing into one field (one gesture) into one undo step', () => {
    const ws = carWorkspace();
    ws.setAttribute('a', 'occluded', true);
    for (const t of ['A', 'AB', 'AB1']) ws.setAttribute('a', 'plate', t, 7);
    expect(ws.history.depth).toBe(2);
    ws.setAttribute('a', 'plate', 'AB12', 8); // the field was left and entered again
    expect(ws.history.depth).toBe(3);
    ws.undo();
    expect(ws.doc.get('a')?.attributes).toEqual({ occluded: true, plate: 'AB1' });
    ws.undo();
    expect(ws.doc.get('a')?.attributes).toEqual({ occluded: true });
    ws.redo();
    expect(ws.doc.get('a')?.attributes).toEqual({ occluded: true, plate: 'AB1' });
  });
  it('marks the region changed for the autosave, and a suggestion model-edited on its first edit', () => {
    const ws = carWorkspace({}, 'model');
    const seen: string[] = [];
    ws.doc.subscribe((c) => seen.push(...(c.ids === 'all' ? ['all'] : c.ids)));
    ws.setAttribute('a', 'occluded', true);
    expect(seen).toEqual(['a']);
    expect(ws.doc.get('a')?.origin).toBe('model-edited');
    expect(ws.isPending(ws.doc.get('a')!)).toBe(false);
    expect(ws.submittable().map((r) => r['id'])).toEqual(['a']);
    ws.undo();
    expect(ws.doc.get('a')?.origin).toBe('model');
    expect(ws.doc.get('a')?.attributes).toEqual({});
  });
});

describe('relabel and attributes', () => {
  it('drops what the new label does not declare or accept; undo restores it', () => {
    const ws = carWorkspace({ occluded: true, pose: 'front', plate: 'AB 12' });
    ws.relabel('a', 'person');
    // occluded: both have it; pose "front" is not a person pose; plate is not a person attribute.
    expect(ws.doc.get('a')).toMatchObject({ label: 'person', attributes: { occluded: true } });
    expect(ws.history.depth).toBe(1);
    ws.undo();
    expect(ws.doc.get('a')).toMatchObject({ label: 'car', attributes: { occluded: true, pose: 'front', plate: 'AB 12' } });
    ws.redo();
    expect(ws.doc.get('a')?.attributes).toEqual({ occluded: true });
  });
  it('keeps a shared choice the new label also offers', () => {
    expect(attributesAfterRelabel({ pose: 'side' }, [choice], [{ ...choice, choices: ['standing', 'side'] }])).toEqual({ pose: 'side' });
  });
  it('to a label without attributes: drops the old label’s, keeps free-form keys', () => {
    const ws = carWorkspace({ occluded: true, source: 'detector-v2' });
    ws.relabel('a', 'tree'); // as key 3 does with the box selected (image.test.ts)
    expect(ws.doc.get('a')).toMatchObject({ label: 'tree', attributes: { source: 'detector-v2' } });
  });
  it('relabelling a suggestion makes it model-edited', () => {
    const ws = carWorkspace({ pose: 'front' }, 'model');
    ws.relabel('a', 'person');
    expect(ws.doc.get('a')).toMatchObject({ origin: 'model-edited', attributes: {} });
  });
});

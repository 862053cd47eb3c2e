import { describe, expect, it } from 'vitest';
import { AnnotationDocument, type ResultItem } from './document';
import {
  AddRegion,
  Batch,
  History,
  RemoveRegions,
  ReorderZ,
  SetAttribute,
  SetLabel,
  UpdateGeometry,
  type Command,
} from './commands';
import { box } from '../test/fixtures';

function sample(): AnnotationDocument {
  return new AnnotationDocument([
    box('a', 0, 0, 10, 10),
    box('b', 5, 5, 10, 10, { origin: 'model' }),
    box('c', 20, 20, 4, 4, { label: 'person' }),
    box('d', 30, 30, 4, 4),
  ]);
}

const geometry = (x: number) => ({ x, y: 1, width: 2, height: 3, rotation: 0 });

/** Apply a command, then its inverse: the document must be exactly as before. */
function expectInverseRestores(make: () => Command): void {
  const doc = sample();
  const before: ResultItem[] = doc.toResult();
  const orderBefore = [...doc.ordering];
  const cmd = make();
  cmd.apply(doc);
  expect(doc.toResult()).not.toEqual(before);
  const after = doc.toResult();
  const inverse = cmd.invert();
  inverse.apply(doc);
  expect(doc.toResult()).toEqual(before);
  expect(doc.ordering).toEqual(orderBefore);
  inverse.invert().apply(doc); // redo from the recorded state
  expect(doc.toResult()).toEqual(after);
}

describe('commands', () => {
  it.each<[string, () => Command]>([
    ['AddRegion', () => new AddRegion(box('n', 1, 1, 1, 1))],
    ['AddRegion at a z position', () => new AddRegion(box('n', 1, 1, 1, 1), 1)],
    ['RemoveRegions', () => new RemoveRegions(['d', 'a', 'c'])],
    ['UpdateGeometry of a model region', () => new UpdateGeometry('b', geometry(7))],
    ['SetLabel', () => new SetLabel(['a', 'b'], 'bus')],
    ['SetAttribute', () => new SetAttribute(['a', 'c'], 'occluded', true)],
    ['SetLabel with attributes for the new label', () => new SetLabel(['a'], 'bus', (r, label) => ({ ...r.attributes, was: label }))],
    ['ReorderZ front', () => new ReorderZ(['a', 'b'], 'front')],
    ['ReorderZ back', () => new ReorderZ(['d'], 'back')],
    ['ReorderZ forward', () => new ReorderZ(['a', 'c'], 'forward')],
    ['ReorderZ backward', () => new ReorderZ(['b', 'd'], 'backward')],
    ['Batch', () => new Batch([new AddRegion(box('n', 1, 1, 1, 1)), new SetLabel(['n', 'a'], 'x'), new RemoveRegions(['b'])], 'Paste')],
  ])('%s: invert restores the exact previous state', (_name, make) => {
    expectInverseRestores(make);
  });

  it('removes an attribute with undefined', () => {
    const doc = sample();
    new SetAttribute(['a'], 'k', 1).apply(doc);
    new SetAttribute(['a'], 'k', undefined).apply(doc);
    expect(doc.get('a')?.attributes).toEqual({});
  });

  it('moves one step forward / backward', () => {
    const doc = sample();
    new ReorderZ(['a', 'c'], 'forward').apply(doc);
    expect(doc.ordering).toEqual(['b', 'a', 'd', 'c']);
    new ReorderZ(['d'], 'backward').apply(doc);
    expect(doc.ordering).toEqual(['b', 'd', 'a', 'c']);
  });

  it('marks a model region model-edited, and undo brings back model', () => {
    const doc = sample();
    const history = new History(doc);
    history.execute(new UpdateGeometry('b', geometry(3)));
    expect(doc.get('b')?.origin).toBe('model-edited');
    history.undo();
    expect(doc.get('b')?.origin).toBe('model');
  });

  it('refuses a geometry of the wrong kind, leaving the document unchanged', () => {
    const doc = sample();
    const before = doc.toResult();
    expect(() => new UpdateGeometry('a', { points: [[0, 0], [1, 0], [1, 1]] }).apply(doc)).toThrow('not a bbox geometry');
    expect(doc.toResult()).toEqual(before);
    doc.insert({ id: 'q', tool: 'quality', type: 'classification', value: 'sharp', attributes: {}, origin: 'human' });
    const withQ = doc.toResult();
    expect(() => new SetLabel(['a', 'q'], 'bus').apply(doc)).toThrow('has no label');
    expect(doc.toResult()).toEqual(withQ); // 'a' was not relabelled either
  });

  it('refuses invert before apply', () => {
    expect(() => new RemoveRegions(['a']).invert()).toThrow('before apply');
  });
});

describe('History', () => {
  it('undoes and redoes', () => {
    const doc = sample();
    const history = new History(doc);
    const start = doc.toResult();
    expect(history.canUndo).toBe(false);
    history.execute(new SetLabel(['a'], 'bus'));
    history.execute(new RemoveRegions(['c']));
    const end = doc.toResult();
    expect(history.undo()?.label).toBe('Delete');
    expect(history.undo()?.label).toBe('Change label');
    expect(history.undo()).toBeNull();
    expect(doc.toResult()).toEqual(start);
    expect(history.canRedo).toBe(true);
    history.redo();
    history.redo();
    expect(history.redo()).toBeNull();
    expect(doc.toResult()).toEqual(end);
    history.undo();
    history.redo();
    expect(doc.toResult()).toEqual(end);
  });

  it('makes a drag of 100 geometry updates one undo step', () => {
    const doc = sample();
    const history = new History(doc);
    const start = doc.toResult();
    for (let i = 1; i <= 100; i++) history.execute(new UpdateGeometry('b', geometry(i), 'drag-1'));
    expect(history.depth).toBe(1);
    expect(doc.toResult()[1]?.geometry).toEqual(geometry(100));
    history.undo();
    expect(doc.toResult()).toEqual(start);
    expect(history.canUndo).toBe(false);
    history.redo();
    expect(doc.toResult()[1]?.geometry).toEqual(geometry(100));
    expect(doc.get('b')?.origin).toBe('model-edited');
  });

  it('keeps separate gestures and other regions as separate steps', () => {
    const history = new History(sample());
    history.execute(new UpdateGeometry('a', geometry(1), 'g1'));
    history.execute(new UpdateGeometry('a', geometry(2), 'g2'));
    history.execute(new UpdateGeometry('c', geometry(3), 'g2'));
    history.execute(new UpdateGeometry('c', geometry(4)));
    history.execute(new UpdateGeometry('c', geometry(5)));
    expect(history.depth).toBe(5);
  });

  it('makes typing into one attribute field (one gesture) one undo step', () => {
    const doc = sample();
    const history = new History(doc);
    history.execute(new SetAttribute(['b'], 'note', 'x', 'field-1'));
    for (const t of ['x', 'xy', 'xyz']) history.execute(new SetAttribute(['b'], 'note', t, 'field-1'));
    history.execute(new SetAttribute(['b'], 'other', 1, 'field-1')); // another attribute
    history.execute(new SetAttribute(['a', 'b'], 'other', 2, 'field-1')); // other regions
    history.execute(new SetAttribute(['a', 'b'], 'other', 3)); // no gesture
    history.execute(new SetAttribute(['a', 'b'], 'other', 4));
    expect(history.depth).toBe(5);
    for (let i = 0; i < 4; i++) history.undo();
    expect(doc.get('b')?.attributes).toEqual({ note: 'xyz' });
    history.undo();
    expect(doc.get('b')).toMatchObject({ attributes: {}, origin: 'model' });
    history.redo();
    expect(doc.get('b')).toMatchObject({ attributes: { note: 'xyz' }, origin: 'model-edited' });
  });

  it('caps at 128 entries, dropping the oldest', () => {
    const doc = sample();
    const history = new History(doc);
    for (let i = 0; i < 200; i++) history.execute(new SetAttribute(['a'], 'n', i));
    expect(history.depth).toBe(128);
    while (history.undo());
    expect(doc.get('a')?.attributes).toEqual({ n: 71 }); // steps 0..71 fell off the stack
  });

  it('clears redo when a new command runs', () => {
    const history = new History(sample());
    history.execute(new SetLabel(['a'], 'x'));
    history.undo();
    expect(history.canRedo).toBe(true);
    history.execute(new SetLabel(['a'], 'y'));
    expect(history.canRedo).toBe(false);
    expect(history.redo()).toBeNull();
  });

  it('undoes a batch as one step', () => {
    const doc = sample();
    const history = new History(doc);
    const start = doc.toResult();
    history.execute(new Batch([new RemoveRegions(['a']), new RemoveRegions(['b'])], 'Delete 2'));
    expect(doc.size).toBe(2);
    history.undo();
    expect(doc.toResult()).toEqual(start);
  });
});

import { describe, expect, it } from 'vitest';
import { AnnotationDocument, ResultFormatError, type ShapeRegion } from './document';
import { box } from '../test/fixtures';

/** A canonical result as the server stores it: every image region kind plus a classification. */
const RESULT = [
  {
    id: 'r1', tool: 'objects', type: 'bbox', label: 'car',
    geometry: { x: 10, y: 20, width: 30, height: 40, rotation: 15 },
    attributes: { occluded: true, kind: 'suv' }, score: 0.93, origin: 'model',
  },
  {
    id: 'r2', tool: 'outlines', type: 'polygon', label: 'person',
    geometry: { points: [[1, 2], [30, 2], [15, 40]] }, attributes: {}, origin: 'human',
  },
  {
    id: 'r3', tool: 'pose', type: 'keypoints', label: 'person',
    geometry: { points: [[5, 5, 2], [0, 0, 0], [9, 7, 1]] }, attributes: {}, origin: 'model-edited',
  },
  {
    id: 'r4', tool: 'masks', type: 'mask', label: 'road',
    geometry: { rle: { size: [6, 5], counts: '=3305' }, bbox: [2, 1, 2, 3] }, attributes: {}, origin: 'human',
  },
  { id: 'r5', tool: 'quality', type: 'classification', value: { choices: ['sharp'] }, attributes: {}, origin: 'human' },
];

describe('AnnotationDocument', () => {
  it('round-trips the canonical result exactly', () => {
    const doc = AnnotationDocument.fromResult(structuredClone(RESULT));
    expect(doc.size).toBe(5);
    expect(doc.ordering).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(doc.toResult()).toEqual(RESULT);
    expect(JSON.parse(JSON.stringify(doc.toResult()))).toEqual(RESULT);
  });

  it('fills defaults the server allows to be omitted', () => {
    const doc = AnnotationDocument.fromResult([
      { id: 'a', tool: 'objects', type: 'bbox', label: 'car', geometry: { x: 0, y: 0, width: 1, height: 1 } },
    ]);
    expect(doc.toResult()).toEqual([
      {
        id: 'a', tool: 'objects', type: 'bbox', label: 'car',
        geometry: { x: 0, y: 0, width: 1, height: 1, rotation: 0 }, attributes: {}, origin: 'human',
      },
    ]);
  });

  it('keeps keys it does not interpret', () => {
    const item = { ...RESULT[1], frame: 7 };
    expect(AnnotationDocument.fromResult([item]).toResult()).toEqual([item]);
  });

  it('does not share objects with the input or output JSON', () => {
    const json = structuredClone(RESULT);
    const doc = AnnotationDocument.fromResult(json);
    (json[0] as { geometry: { x: number } }).geometry.x = 999;
    const out = doc.toResult();
    (out[0] as { geometry: { x: number } }).geometry.x = 555;
    expect((doc.get('r1') as ShapeRegion & { type: 'bbox' }).geometry.x).toBe(10);
  });

  it('never serializes hidden / locked', () => {
    const doc = new AnnotationDocument([box('a', 0, 0, 5, 5)]);
    doc.setFlags('a', { hidden: true, locked: true });
    expect(doc.get('a')?.hidden).toBe(true);
    expect(doc.toResult()[0]).not.toHaveProperty('hidden');
    expect(doc.toResult()[0]).not.toHaveProperty('locked');
    doc.setFlags('a', { hidden: false });
    expect(doc.get('a')).not.toHaveProperty('hidden');
  });

  it('rejects malformed results with a path', () => {
    expect(() => AnnotationDocument.fromResult({})).toThrow(ResultFormatError);
    expect(() => AnnotationDocument.fromResult([{ id: 'x', tool: 't', type: 'bbox', label: 'a' }])).toThrow('result[0].geometry');
    expect(() => AnnotationDocument.fromResult([{ ...RESULT[0], origin: 'robot' }])).toThrow('result[0].origin');
    expect(() => AnnotationDocument.fromResult([{ ...RESULT[0], label: 3 }])).toThrow('result[0].label');
    expect(() => AnnotationDocument.fromResult([RESULT[0], RESULT[0]])).toThrow('duplicate');
    expect(() => AnnotationDocument.fromResult([{ ...RESULT[1], geometry: { points: [[1, 2, 3]] } }])).toThrow('result[0].geometry: points');
    expect(() => AnnotationDocument.fromResult([{ ...RESULT[0], geometry: { x: 1, y: 2 } }])).toThrow('result[0].geometry');
    expect(() => AnnotationDocument.fromResult([{ ...RESULT[3], geometry: { rle: {} } }])).toThrow('result[0].geometry');
    expect(() => AnnotationDocument.fromResult([{ ...RESULT[0], type: 'cuboid' }])).toThrow('result[0].type');
    // A span with a box's geometry is a malformed span.
    expect(() => AnnotationDocument.fromResult([{ ...RESULT[0], type: 'span' }])).toThrow('result[0].geometry');
  });

  it('bumps version and notifies on every change', () => {
    const doc = new AnnotationDocument();
    const seen: unknown[] = [];
    const stop = doc.subscribe((c) => seen.push(c.ids));
    doc.insert(box('a', 0, 0, 1, 1));
    doc.insert(box('b', 0, 0, 1, 1), 0);
    doc.setFlags('a', { locked: true });
    expect(doc.version).toBe(3);
    expect(doc.ordering).toEqual(['b', 'a']);
    expect(doc.zIndex('a')).toBe(1);
    stop();
    doc.delete('b');
    expect(doc.version).toBe(4);
    expect(seen).toEqual([['a'], ['b'], ['a']]);
  });

  it('turns a model region into model-edited on the first human edit only', () => {
    const doc = new AnnotationDocument([box('m', 0, 0, 5, 5, { origin: 'model' }), box('h', 0, 0, 5, 5)]);
    doc.edit('m', (r) => ({ ...r, label: 'bus' }));
    doc.edit('h', (r) => ({ ...r, label: 'bus' }));
    expect(doc.get('m')?.origin).toBe('model-edited');
    expect(doc.get('h')?.origin).toBe('human');
    doc.edit('m', (r) => ({ ...r, label: 'car' }));
    expect(doc.get('m')?.origin).toBe('model-edited');
  });

  it('does not mark a region edited when only hidden', () => {
    const doc = new AnnotationDocument([box('m', 0, 0, 5, 5, { origin: 'model' })]);
    doc.setFlags('m', { hidden: true });
    expect(doc.get('m')?.origin).toBe('model');
  });
});

import { describe, expect, it } from 'vitest';
import {
  AnnotationDocument,
  REGION_KINDS,
  isShapeRegion,
  isTrackRegion,
  regionKind,
  type Region,
  type ResultItem,
  type SpanRegion,
  type TrackRegion,
} from './document';
import { AddRegion, History, RemoveKeyframe, RemoveRegions, SetAttribute, SetKeyframe, SetLabel, UpdateGeometry } from './commands';

/** Canonical text and video results as the server stores them (services/annotation_results.py). */
const TEXT: ResultItem[] = [
  { id: 's1', tool: 'entities', type: 'span', label: 'PER', geometry: { start: 0, end: 5 }, text: 'Marie', attributes: {}, origin: 'human' },
  // Code points, not UTF-16 units: "😀ab" is 3 code points (4 UTF-16 units).
  { id: 's2', tool: 'entities', type: 'span', label: 'ORG', geometry: { start: 9, end: 12 }, text: '😀ab', attributes: { confident: true }, score: 0.8, origin: 'model' },
  { id: 'rel', tool: 'links', type: 'relation', label: 'works_at', geometry: { from: 's1', to: 's2' }, attributes: {}, origin: 'human' },
  { id: 'c', tool: 'topic', type: 'classification', value: { choices: ['science'] }, attributes: {}, origin: 'human' },
];

const VIDEO: ResultItem[] = [
  {
    id: 't1', tool: 'objects', type: 'bbox', label: 'car', attributes: {}, origin: 'human',
    track: [
      { frame: 0, geometry: { x: 0, y: 0, width: 10, height: 10, rotation: 0 }, outside: false },
      { frame: 10, geometry: { x: 20, y: 0, width: 10, height: 10, rotation: 0 }, outside: false },
      { frame: 15, geometry: { x: 20, y: 0, width: 10, height: 10, rotation: 0 }, outside: true },
    ],
  },
  { id: 't2', tool: 'outlines', type: 'polygon', label: 'person', attributes: {}, origin: 'model', score: 0.5, track: [{ frame: 3, geometry: { points: [[0, 0], [4, 0], [2, 3]] }, outside: false }] },
  // A shape on one frame keeps `frame` as a key the document carries through.
  { id: 'f', tool: 'objects', type: 'bbox', label: 'car', frame: 7, geometry: { x: 1, y: 2, width: 3, height: 4, rotation: 0 }, attributes: {}, origin: 'human' },
  { id: 'r', tool: 'links', type: 'relation', label: 'follows', geometry: { from: 't2', to: 't1' }, attributes: {}, origin: 'human' },
];

const keyframe = (frame: number, x: number, outside = false) => ({ frame, geometry: { x, y: 0, width: 10, height: 10, rotation: 0 }, outside });

describe('non-geometric regions in the document', () => {
  it('round-trips text spans, relations and answers exactly', () => {
    const doc = AnnotationDocument.fromResult(structuredClone(TEXT));
    expect(doc.list().map(regionKind)).toEqual(['span', 'span', 'relation', 'value']);
    expect(doc.toResult()).toEqual(TEXT);
  });

  it('round-trips tracks and single-frame shapes exactly, and tells tracks from shapes', () => {
    const doc = AnnotationDocument.fromResult(structuredClone(VIDEO));
    expect(doc.list().map(regionKind)).toEqual(['track', 'track', 'shape', 'relation']);
    expect(doc.toResult()).toEqual(VIDEO);
    const t1 = doc.get('t1') as Region;
    // A track has a shape type but no geometry to draw on an image: the spatial index skips it.
    expect(isShapeRegion(t1)).toBe(false);
    expect(isTrackRegion(t1)).toBe(true);
    expect(isShapeRegion(doc.get('f') as Region)).toBe(true);
  });

  it('fills the defaults the server applies (outside false, rotation 0)', () => {
    const doc = AnnotationDocument.fromResult([{ id: 't', tool: 'objects', type: 'bbox', label: 'car', track: [{ frame: 2, geometry: { x: 0, y: 0, width: 1, height: 1 } }] }]);
    expect(doc.toResult()[0]?.['track']).toEqual([{ frame: 2, geometry: { x: 0, y: 0, width: 1, height: 1, rotation: 0 }, outside: false }]);
  });

  it('rejects malformed spans, relations and tracks with a path', () => {
    const span = TEXT[0] as ResultItem;
    const track = VIDEO[0] as ResultItem;
    const cases: [unknown[], string][] = [
      [[{ ...span, geometry: { start: 5, end: 5 } }], 'result[0].geometry: start (5) must be less than end (5)'],
      [[{ ...span, geometry: { start: -1, end: 2 } }], 'result[0].geometry: start must be >= 0'],
      [[{ ...span, geometry: { start: 0.5, end: 2 } }], 'result[0].geometry: needs integers'],
      [[{ ...span, text: 'Mari' }], 'result[0].text: has 4 code points but the span covers 5'],
      [[{ ...span, label: undefined }], 'result[0].label'],
      [[span, { ...(TEXT[2] as ResultItem), geometry: { from: 's1', to: 'gone' } }], 'result[1].geometry.to: no region with id "gone"'],
      [[span, { ...(TEXT[2] as ResultItem), geometry: { from: 's1', to: 's1' } }], 'result[1].geometry: from and to must be different'],
      [[{ ...track, track: [] }], 'result[0].track: must be a non-empty list'],
      [[{ ...track, track: [keyframe(4, 0), keyframe(4, 1)] }], 'result[0].track[1].frame: frames must be strictly increasing (4 after 4)'],
      [[{ ...track, track: [{ ...keyframe(0, 0), outside: 'no' }] }], 'result[0].track[0].outside: must be true or false'],
      [[{ ...track, track: [{ frame: 0, geometry: { points: [] }, outside: false }] }], 'result[0].track[0].geometry: needs finite numbers'],
      [[{ ...track, track: [{ ...keyframe(0, 0), occluded: true }] }], 'result[0].track[0].occluded: unknown field'],
      [[{ ...track, geometry: keyframe(0, 0).geometry }], 'result[0].geometry: a track region keeps its geometry in its keyframes'],
    ];
    for (const [json, message] of cases) expect(() => AnnotationDocument.fromResult(json), message).toThrow(message);
  });

  it('lists every kind once', () => {
    expect(new Set(REGION_KINDS).size).toBe(5);
  });
});

describe('commands on spans, relations and tracks', () => {
  /** Run `command` through a History, then undo and redo: exact results and order each time. */
  function roundTrip(json: ResultItem[], command: () => Parameters<History['execute']>[0]) {
    const doc = AnnotationDocument.fromResult(structuredClone(json));
    const history = new History(doc);
    const before = doc.toResult();
    history.execute(command());
    const after = doc.toResult();
    expect(after).not.toEqual(before);
    history.undo();
    expect(doc.toResult()).toEqual(before);
    history.redo();
    expect(doc.toResult()).toEqual(after);
    return { doc, after };
  }

  it('moves a span, relabels it, sets an attribute (the first edit makes a model span model-edited)', () => {
    const { doc } = roundTrip(TEXT, () => new UpdateGeometry('s2', { start: 8, end: 12 }));
    expect((doc.get('s2') as SpanRegion).geometry).toEqual({ start: 8, end: 12 });
    expect(doc.get('s2')?.origin).toBe('model-edited');
    roundTrip(TEXT, () => new SetLabel(['s1'], 'LOC'));
    roundTrip(TEXT, () => new SetAttribute(['rel'], 'note', 'x'));
  });

  it('repoints a relation and refuses one pointing at itself', () => {
    roundTrip([...TEXT, { ...(TEXT[0] as ResultItem), id: 's3', geometry: { start: 20, end: 25 }, text: 'Curie' }], () => new UpdateGeometry('rel', { from: 's1', to: 's3' }));
    const doc = AnnotationDocument.fromResult(structuredClone(TEXT));
    expect(() => new History(doc).execute(new UpdateGeometry('rel', { from: 's1', to: 's1' }))).toThrow('different regions');
    expect(() => new History(doc).execute(new UpdateGeometry('s1', { start: 3, end: 1 }))).toThrow('less than end');
    expect(doc.toResult()).toEqual(TEXT);
  });

  it('adds a span and removes it with undo', () => {
    const span: SpanRegion = { id: 'new', tool: 'entities', type: 'span', label: 'PER', geometry: { start: 20, end: 22 }, attributes: {}, origin: 'human' };
    const { doc } = roundTrip(TEXT, () => new AddRegion(span));
    expect(doc.ordering.at(-1)).toBe('new');
  });

  it('removing a span removes the relations pointing at it, and undo restores both in place', () => {
    const { doc } = roundTrip(TEXT, () => new RemoveRegions(['s2']));
    expect(doc.ordering).toEqual(['s1', 'c']);
    // Shapes too: a relation between tracks goes with either end.
    const video = roundTrip(VIDEO, () => new RemoveRegions(['t1']));
    expect(video.doc.ordering).toEqual(['t2', 'f']);
  });

  it('sets, replaces and removes keyframes of a track; a drag on one frame is one step', () => {
    const { doc } = roundTrip(VIDEO, () => new SetKeyframe('t1', keyframe(5, 9)));
    expect((doc.get('t1') as TrackRegion).track.map((k) => k.frame)).toEqual([0, 5, 10, 15]);
    roundTrip(VIDEO, () => new SetKeyframe('t1', keyframe(10, 30)));
    roundTrip(VIDEO, () => new RemoveKeyframe('t1', 15));

    const drag = AnnotationDocument.fromResult(structuredClone(VIDEO));
    const history = new History(drag);
    for (let x = 0; x < 20; x++) history.execute(new SetKeyframe('t1', keyframe(10, x), 'g1'));
    expect(history.depth).toBe(1);
    expect(((drag.get('t1') as TrackRegion).track[1]?.geometry as { x: number }).x).toBe(19);
    history.undo();
    expect(drag.toResult()).toEqual(VIDEO);
    // The first edit of a model track makes it model-edited.
    history.execute(new SetKeyframe('t2', { frame: 3, geometry: { points: [[0, 0], [5, 0], [2, 3]] }, outside: false }));
    expect(drag.get('t2')?.origin).toBe('model-edited');
  });

  it('refuses keyframe edits that would break the track, leaving the document unchanged', () => {
    const doc = AnnotationDocument.fromResult(structuredClone(VIDEO));
    const history = new History(doc);
    expect(() => history.execute(new RemoveKeyframe('t2', 3))).toThrow('at least one keyframe');
    expect(() => history.execute(new RemoveKeyframe('t1', 4))).toThrow('no keyframe on frame 4');
    expect(() => history.execute(new SetKeyframe('t1', { frame: 2, geometry: { points: [] }, outside: false }))).toThrow('track[1].geometry');
    expect(() => history.execute(new SetKeyframe('f', keyframe(1, 0)))).toThrow('not a track');
    expect(() => history.execute(new UpdateGeometry('t1', keyframe(0, 0).geometry))).toThrow('keyframes');
    expect(doc.toResult()).toEqual(VIDEO);
    expect(history.depth).toBe(0);
  });
});

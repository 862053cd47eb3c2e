import { describe, expect, it } from 'vitest';
import { overlayDocument, personName, resultLines, sourceWhen, sourcesOf, type Annotation, type Prediction } from './overlay';

const box = (id: string, label: string) => ({ id, type: 'bbox', tool: 'objects', label, geometry: { x: 1, y: 2, width: 30, height: 40 } });
const ann = (id: number, user_id: number, result: unknown[]): Annotation => ({
  id, client_id: `c${id}`, task_id: 1, project_id: 1, user_id, result, origin: 'human', lead_time: 2,
  revision: 2, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-02T00:00:00Z',
});
const pred: Prediction = { id: 5, task_id: 1, model_version: 'yolo-1', score: 0.9, result: [box('r1', 'car')], created_at: '2026-01-01T00:00:00Z' } as Prediction;
const people = new Map([[7, { id: 7, name: 'Ada', email: 'ada@example.com' }], [8, { id: 8, name: '', email: 'bob@example.com' }]]);

describe('task overlay', () => {
  it('names people by name and email, else email, else id', () => {
    expect(personName(7, people)).toBe('Ada <ada@example.com>');
    expect(personName(8, people)).toBe('bob@example.com');
    expect(personName(9, people)).toBe('user #9');
    expect(personName(null, people)).toBe('deleted user');
  });

  it('gives every annotator and the prediction its own colour and keeps same region ids apart', () => {
    const sources = sourcesOf([ann(1, 7, [box('r1', 'car')]), ann(2, 8, [box('r1', 'person')])], [pred], people);
    expect(sources.map((s) => [s.key, s.who, s.origin])).toEqual([
      ['a1', 'Ada <ada@example.com>', 'human'],
      ['a2', 'bob@example.com', 'human'],
      ['p5', 'model yolo-1', 'model'],
    ]);
    expect(new Set(sources.map((s) => s.color)).size).toBe(3);
    const all = overlayDocument(sources, new Set(['a1', 'a2', 'p5']));
    expect(all.doc.list().map((r) => r.id)).toEqual(['a1/r1', 'a2/r1', 'p5/r1']);
    const first = all.doc.list()[0]!;
    expect(all.colorOf(first as never)).toBe(sources[0]!.color);
    // toggling a source off leaves its regions out
    expect(overlayDocument(sources, new Set(['a2'])).doc.list().map((r) => r.id)).toEqual(['a2/r1']);
  });

  it('reports a result that does not parse instead of drawing it', () => {
    const sources = sourcesOf([ann(1, 7, [{ id: 'x', type: 'bbox', label: 'car', geometry: { x: 1 } }])], [], people);
    const { doc, problems } = overlayDocument(sources, new Set(['a1']));
    expect(doc.list()).toHaveLength(0);
    expect(problems[0]).toMatch(/^Ada <ada@example.com>: /);
  });

  it('reads a result as lines of label, tool and geometry', () => {
    expect(
      resultLines([
        box('a', 'car'),
        { id: 's', type: 'span', tool: 'ner', label: 'PER', geometry: { start: 0, end: 3 }, text: 'Ada' },
        { id: 'c', type: 'classification', tool: 'topic', value: { choices: ['sport', 'news'] } },
        { id: 'p', type: 'polygon', tool: 'outline', label: 'car', geometry: { points: [[0, 0], [1, 0], [1, 1]] }, score: 0.5 },
      ]),
    ).toEqual([
      { label: 'car', tool: 'objects', summary: 'box at (1, 2) 30×40' },
      { label: 'PER', tool: 'ner', summary: 'characters 0–3: “Ada”' },
      { label: '', tool: 'topic', summary: 'sport, news' },
      { label: 'car', tool: 'outline', summary: 'polygon of 3 points (score 0.50)' },
    ]);
  });
});

describe('sourceWhen', () => {
  it('joins created, a different updated and the revision with spaced dots', () => {
    const f = (iso: string) => iso.slice(11, 16);
    expect(sourceWhen({ created_at: '2026-01-02T10:00:00Z', updated_at: '2026-01-02T11:30:00Z', revision: 2 }, f)).toBe('created 10:00 · updated 11:30 · revision 2');
    expect(sourceWhen({ created_at: '2026-01-02T10:00:00Z', updated_at: '2026-01-02T10:00:00Z', revision: 1 }, f)).toBe('created 10:00 · revision 1');
    expect(sourceWhen({ created_at: '2026-01-02T10:00:00Z', updated_at: null, revision: null }, f)).toBe('created 10:00');
  });
});

import { describe, expect, it } from 'vitest';
import { emptyFilters, tableQuery } from '../data/table';
import { defaultFormat, dropRows, emptyForm, exportBody, filterFromTableQuery, formatsFor, optionKind, parseLabelMap, type ExportFormat } from './exports';

const fmt = (name: string, media: string[], options: Record<string, unknown> = {}): ExportFormat => ({ name, title: name.toUpperCase(), media, description: '', options });
const FORMATS = [
  fmt('coco', ['image']),
  fmt('conll', ['text'], { tool: null }),
  fmt('csv', ['audio', 'image', 'text', 'video']),
  fmt('cvat', ['image'], { subsets: false }),
  fmt('yolo', ['image'], { task: 'detect' }),
  fmt('parquet', ['image', 'text'], { row_group_size: 1000 }),
];
const byName = (name: string) => FORMATS.find((f) => f.name === name);

describe('formats by medium', () => {
  it('offers only the formats that hold the project’s medium, COCO first choice for images', () => {
    expect(formatsFor(FORMATS, 'image').map((f) => f.name)).toEqual(['coco', 'csv', 'cvat', 'yolo', 'parquet']);
    expect(formatsFor(FORMATS, 'text').map((f) => f.name)).toEqual(['conll', 'csv', 'parquet']);
    expect(formatsFor(FORMATS, 'pointcloud')).toEqual([]);
    expect(defaultFormat(formatsFor(FORMATS, 'image'))).toBe('coco');
    expect(defaultFormat(formatsFor(FORMATS, 'text'))).toBe('conll');
    expect(defaultFormat([])).toBe('');
  });

  it('edits an option by its default’s type', () => {
    expect(optionKind(false)).toBe('bool');
    expect(optionKind(1000)).toBe('number');
    expect(optionKind('detect')).toBe('text');
    expect(optionKind(null)).toBe('text');
  });
});

describe('exportBody', () => {
  it('sends just the format in the common case (COCO, latest, no media, whole project)', () => {
    expect(exportBody(emptyForm(byName('coco')), byName('coco'))).toEqual({ body: { format: 'coco' } });
  });

  it('sends every field that differs from the server’s defaults', () => {
    const form = { ...emptyForm(byName('yolo')), result: 'all', includeMedia: true, split: true, train: '0.7', val: '0.2', test: '0.1', seed: '42', labelMap: 'car -> vehicle\n\ntruck ->\n' };
    form.options = { task: 'segment' };
    expect(exportBody(form, byName('yolo'), { label: 'car' })).toEqual({
      body: {
        format: 'yolo',
        result: 'all',
        include_media: true,
        split: { train: 0.7, val: 0.2, test: 0.1, seed: 42 },
        label_map: { car: 'vehicle', truck: null },
        filter: { label: 'car' },
        options: { task: 'segment' },
      },
    });
  });

  it('sends only the options changed from their defaults, typed as the default', () => {
    const cvat = { ...emptyForm(byName('cvat')), format: 'cvat' };
    expect(exportBody(cvat, byName('cvat'))).toEqual({ body: { format: 'cvat' } });
    expect(exportBody({ ...cvat, options: { subsets: true } }, byName('cvat'))).toEqual({ body: { format: 'cvat', options: { subsets: true } } });
    const parquet = emptyForm(byName('parquet'));
    expect(parquet.options).toEqual({ row_group_size: '1000' });
    expect(exportBody({ ...parquet, options: { row_group_size: '500' } }, byName('parquet'))).toEqual({ body: { format: 'parquet', options: { row_group_size: 500 } } });
    expect(exportBody({ ...parquet, options: { row_group_size: 'many' } }, byName('parquet'))).toEqual({ error: 'Option row_group_size: a number.' });
    const conll = emptyForm(byName('conll'));
    expect(exportBody(conll, byName('conll'))).toEqual({ body: { format: 'conll' } });
    expect(exportBody({ ...conll, options: { tool: 'ner' } }, byName('conll'))).toEqual({ body: { format: 'conll', options: { tool: 'ner' } } });
  });

  it('refuses the results that wait for the quality engine, a bad split and a bad mapping', () => {
    const coco = emptyForm(byName('coco'));
    expect(exportBody({ ...coco, result: 'consensus' }, byName('coco'))).toEqual({ error: 'The result "consensus" cannot be exported yet.' });
    expect(exportBody({ ...coco, result: 'reviewed' }, byName('coco'))).toHaveProperty('error');
    expect(exportBody({ ...coco, split: true, train: '0.5' }, byName('coco'))).toEqual({ error: 'Split: train, val and test add up to 0.7, not 1.' });
    expect(exportBody({ ...coco, split: true, train: '' }, byName('coco'))).toHaveProperty('error');
    expect(exportBody({ ...coco, split: true, seed: '-1' }, byName('coco'))).toEqual({ error: 'Split: the seed is a whole number, 0 or more.' });
    expect(exportBody({ ...coco, labelMap: 'car vehicle' }, byName('coco'))).toEqual({ error: 'label mapping line 1: write "old -> new", or "old ->" to drop the label' });
    expect(exportBody(coco, undefined)).toEqual({ error: 'Choose a format.' });
    expect(exportBody({ ...coco, format: 'yolo' }, byName('coco'))).toEqual({ error: 'Choose a format.' });
  });

  it('reads a label mapping, refusing a label mapped twice', () => {
    expect(parseLabelMap(' a -> b \n c->')).toEqual({ map: { a: 'b', c: null } });
    expect(parseLabelMap('a -> b\na -> c')).toEqual({ error: 'label mapping line 2: "a" is mapped twice' });
    expect(parseLabelMap('-> b')).toHaveProperty('error');
  });
});

describe('the data manager’s filter as the export’s', () => {
  it('is the task table’s query without its sort', () => {
    const filters = { ...emptyFilters(), state: 'completed', label: ' car ', annotator: 'ann', min_score: '0.5', batch_id: '3', created_before: '2026-12-01', reported: 'no' as const, sort: '-priority' };
    const query = tableQuery(filters);
    const filter = filterFromTableQuery(query);
    const { sort, ...rest } = query;
    expect(sort).toBe('-priority');
    expect(filter).toEqual(rest);
    expect(filter).toEqual({ state: 'completed', label: 'car', annotator: 'ann', min_score: 0.5, batch_id: 3, created_before: '2026-12-01T23:59:59.999999', reported: false });
    expect(filterFromTableQuery(tableQuery(emptyFilters()))).toEqual({});
  });

  it('is left out of the body when it filters nothing', () => {
    const coco = emptyForm(byName('coco'));
    expect(exportBody(coco, byName('coco'), filterFromTableQuery(tableQuery(emptyFilters())))).toEqual({ body: { format: 'coco' } });
  });
});

describe('the report', () => {
  it('lists the drops most frequent first, with how many tasks are not listed', () => {
    const rows = dropRows({ dropped: [{ reason: 'a', count: 2, task_ids: [1, 2] }, { reason: 'polygon in detection', count: 30, task_ids: [3, 4] }] });
    expect(rows).toEqual([
      { reason: 'polygon in detection', count: 30, taskIds: [3, 4], unlisted: 28 },
      { reason: 'a', count: 2, taskIds: [1, 2], unlisted: 0 },
    ]);
    expect(dropRows({})).toEqual([]);
  });
});

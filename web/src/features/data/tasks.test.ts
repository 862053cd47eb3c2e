import { describe, expect, it } from 'vitest';
import { dataSummary, imageUrl, parseTaskData, reportLine, thumbnailUrl, type Report } from './tasks';

describe('task display', () => {
  it('summarizes data by file name, text or JSON', () => {
    expect(dataSummary({ image: '/api/x' }, { filename: 'sub/a.png' })).toBe('sub/a.png');
    expect(dataSummary({ text: 'hello' })).toBe('hello');
    expect(dataSummary({ text: 'x'.repeat(200) })).toHaveLength(118);
    expect(dataSummary({ a: 1 })).toBe('{"a":1}');
    expect(imageUrl({ image: '/api/v1/projects/1/media/k' })).toBe('/api/v1/projects/1/media/k');
    expect(imageUrl({ text: 'x' })).toBeNull();
  });
});

describe('thumbnailUrl', () => {
  it('asks the server for stored media and leaves URL imports to the browser', () => {
    const key = `sha256/ab/ab${'0'.repeat(62)}`;
    expect(thumbnailUrl({ image: `/api/v1/projects/3/media/${key}` }, 3)).toBe(`/api/v1/projects/3/media/${key}/thumbnail?size=64`);
    expect(thumbnailUrl({ image: `/api/v1/projects/3/media/${key}` }, 3, 256)).toMatch(/size=256$/);
    expect(thumbnailUrl({ image: 'https://example.com/a.jpg' }, 3)).toBeNull();
    expect(thumbnailUrl({ text: 'x' }, 3)).toBeNull();
  });
});

describe('reportLine', () => {
  const report = (extra: Partial<Report>): Report => ({
    id: 1, task_id: 2, project_id: 3, reason: 'broken_media', note: '', reporter: null, created_at: '',
    resolved_at: null, resolved_by: null, resolution_note: '', ...extra,
  });

  it('says the reason in words, the note and who reported', () => {
    const ada = { id: 5, name: 'Ada', email: 'ada@example.com' };
    expect(reportLine(report({ note: '404', reporter: ada }))).toBe('broken media: 404 — Ada');
    expect(reportLine(report({ reason: 'wrong_data', reporter: { ...ada, name: '' } }))).toBe('wrong data — ada@example.com');
    expect(reportLine(report({ reason: 'other' }))).toBe('other — a deleted account');
  });
});

describe('parseTaskData', () => {
  it('takes a JSON object and says why anything else is not data', () => {
    expect(parseTaskData('{"image": "/a.png"}')).toEqual({ data: { image: '/a.png' } });
    expect(parseTaskData('[1]')).toEqual({ error: expect.stringMatching(/must be a JSON object/) });
    expect(parseTaskData('null')).toEqual({ error: expect.stringMatching(/must be a JSON object/) });
    expect(parseTaskData('{"image": ')).toEqual({ error: expect.stringMatching(/^Not JSON: /) });
  });
});

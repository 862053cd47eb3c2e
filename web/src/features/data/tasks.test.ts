import { describe, expect, it } from 'vitest';
import { dataSummary, imageUrl, thumbnailUrl } from './tasks';

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

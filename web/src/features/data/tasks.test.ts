import { describe, expect, it } from 'vitest';
import { dataSummary, imageUrl } from './tasks';

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

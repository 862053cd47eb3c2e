import { describe, expect, it } from 'vitest';
import { formatBytes, formatPercent, plural } from './format';

describe('format', () => {
  it('formats bytes and percentages', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_234_567)).toBe('1.2 MB');
    expect(formatBytes(-1)).toBe('—');
    expect(formatPercent(0.456)).toBe('46%');
    expect(formatPercent(2)).toBe('100%');
    expect(formatPercent(NaN)).toBe('—');
  });

  it('counts in the singular for one and the plural otherwise', () => {
    expect(plural(1, 'task')).toBe('1 task');
    expect(plural(0, 'task')).toBe('0 tasks');
    expect(plural(1500, 'task')).toBe('1,500 tasks');
    expect(plural(2, 'media file', 'media files')).toBe('2 media files');
  });
});

import { describe, expect, it } from 'vitest';
import { formatBytes, formatPercent } from './format';

describe('format', () => {
  it('formats bytes and percentages', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_234_567)).toBe('1.2 MB');
    expect(formatBytes(-1)).toBe('—');
    expect(formatPercent(0.456)).toBe('46%');
    expect(formatPercent(2)).toBe('100%');
    expect(formatPercent(NaN)).toBe('—');
  });
});

import { describe, expect, it } from 'vitest';
import { formatBinaryBytes, formatBytes, formatCount, formatPercent, plural, stateLabel } from './format';

describe('format', () => {
  it('formats bytes and percentages', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_234_567)).toBe('1.2 MB');
    expect(formatBytes(-1)).toBe('—');
    expect(formatPercent(0.456)).toBe('46%');
    expect(formatPercent(2)).toBe('100%');
    expect(formatPercent(NaN)).toBe('—');
  });

  it('says limits in binary units', () => {
    expect(formatBinaryBytes(536_870_912)).toBe('512 MiB');
    expect(formatBinaryBytes(1_572_864)).toBe('1.5 MiB');
    expect(formatBinaryBytes(659_554_304)).toBe('629 MiB');
    expect(formatBinaryBytes(1023)).toBe('1023 bytes');
    expect(formatBinaryBytes(-1)).toBe('—');
  });

  it('counts in the singular for one and the plural otherwise', () => {
    expect(plural(1, 'task')).toBe('1 task');
    expect(plural(0, 'task')).toBe('0 tasks');
    expect(plural(1500, 'task')).toBe('1,500 tasks');
    expect(plural(2, 'media file', 'media files')).toBe('2 media files');
  });
});

describe('counts and states', () => {
  it('separates thousands and spells states as words', () => {
    expect(formatCount(100000)).toBe('100,000');
    expect(formatCount(0)).toBe('0');
    expect(stateLabel('in_progress')).toBe('in progress');
    expect(stateLabel('completed')).toBe('completed');
  });
});

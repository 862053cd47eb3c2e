import { describe, expect, it } from 'vitest';
import { fillDays, horizontalBars, linePoints, niceMax, ticks } from './charts';

describe('charts', () => {
  it('rounds axis maxima', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(12)).toBe(20);
    expect(niceMax(23)).toBe(25);
    expect(niceMax(260)).toBe(500);
    expect(ticks(20, 4)).toEqual([0, 4, 8, 12, 16, 20]);
    expect(ticks(5)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(ticks(1)).toEqual([0, 1]);
    expect(ticks(2.5)).toEqual([0, 0.625, 1.25, 1.875, 2.5]);
  });

  it('lays out horizontal bars against a nice maximum', () => {
    const { bars, max } = horizontalBars([{ label: 'car', value: 8 }, { label: 'dog', value: 2 }], 100, 20);
    expect(max).toBe(10);
    expect(bars.map((b) => [b.label, b.width, b.y, b.height])).toEqual([['car', 80, 0, 16], ['dog', 20, 20, 16]]);
  });

  it('fills missing days with zero', () => {
    expect(fillDays([{ date: '2026-02-27', annotations: 2 }, { date: '2026-03-02', annotations: 5 }])).toEqual([
      { date: '2026-02-27', value: 2 },
      { date: '2026-02-28', value: 0 },
      { date: '2026-03-01', value: 0 },
      { date: '2026-03-02', value: 5 },
    ]);
    expect(fillDays([])).toEqual([]);
  });

  it('draws a line path scaled to the box', () => {
    const { path, max, points } = linePoints([0, 5, 10], 200, 100);
    expect(max).toBe(10);
    expect(path).toBe('M0.0,100.0 L100.0,50.0 L200.0,0.0');
    expect(linePoints([3], 200, 100).points[0]?.x).toBe(100);
    expect(points).toHaveLength(3);
  });
});

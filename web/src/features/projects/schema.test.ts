import { get } from 'svelte/store';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../lib';
import { errorsByLine, liveValidator, schemaView } from './schema';

afterEach(() => {
  vi.useRealTimers();
});

describe('schemaView', () => {
  it('lists tools, labels with colors and hotkeys, choices and the skeleton', () => {
    const v = schemaView({
      media: 'image',
      tools: [
        { name: 'o', type: 'bbox', labels: [{ name: 'car', color: '#ff0000', hotkey: '1', attributes: [{ name: 'occluded', type: 'bool' }, { name: 'occlusion', type: 'number', min: 0, max: 100 }] }, { name: 'dog' }] },
        { name: 'p', type: 'keypoints', labels: ['person'], keypoints: ['a', 'b'], skeleton: [['a', 'b']] },
        { name: 'c', type: 'classification', choices: ['x', 'y'], multiple: true },
      ],
    });
    expect(v.media).toBe('image');
    expect(v.tools[0]?.labels[0]).toEqual({ name: 'car', color: '#ff0000', hotkey: '1', attributes: ['occluded: bool', 'occlusion: number 0–100'] });
    expect(v.tools[0]?.labels[1]?.color).toMatch(/^(#|hsl|rgb)/);
    expect(v.tools[1]?.skeleton).toEqual([['a', 'b']]);
    expect(v.tools[1]?.labels[0]?.name).toBe('person');
    expect(v.tools[2]?.choices).toEqual(['x', 'y']);
    expect(v.tools[2]?.multiple).toBe(true);
  });

  it('survives junk', () => {
    expect(schemaView(null)).toEqual({ media: '?', tools: [] });
    expect(schemaView({ tools: 'x' }).tools).toEqual([]);
  });
});

describe('errorsByLine', () => {
  it('groups by line, unlocated under 0', () => {
    const m = errorsByLine([
      { path: 'a', message: 'x', line: 3 },
      { path: 'b', message: 'y' },
      { path: 'c', message: 'z', line: 3 },
    ]);
    expect(m.get(3)?.map((e) => e.path)).toEqual(['a', 'c']);
    expect(m.get(0)?.map((e) => e.path)).toEqual(['b']);
  });
});

describe('liveValidator', () => {
  it('validates once after typing stops and reports the verdict', async () => {
    vi.useFakeTimers();
    const check = vi.fn(async (s: string) => ({ media: 'image', label_schema: { media: 'image', tools: [{ name: s, type: 'bbox', labels: ['a'] }] } }));
    const v = liveValidator(check, 300);
    v.input('x');
    v.input('xy');
    expect(get(v).status).toBe('idle');
    await vi.advanceTimersByTimeAsync(300);
    expect(check).toHaveBeenCalledTimes(1);
    const s = get(v);
    expect(s.status === 'valid' && s.view.tools[0]?.name).toBe('xy');
  });

  it('shows located errors of a 422 and other failures as errors', async () => {
    const errors = [{ path: 'tools[0].type', message: 'unknown tool type', line: 4 }];
    const v = liveValidator(async () => {
      throw new ApiError(422, 'invalid', 'tools[0].type: unknown tool type', { errors });
    });
    await v.now('media: image');
    expect(get(v)).toEqual({ status: 'invalid', message: 'tools[0].type: unknown tool type', errors });
    const w = liveValidator(async () => {
      throw new ApiError(0, 'network', 'network error');
    });
    await w.now('media: image');
    expect(get(w)).toEqual({ status: 'error', message: 'network error' });
    await w.now('   ');
    expect(get(w).status).toBe('invalid');
  });
});

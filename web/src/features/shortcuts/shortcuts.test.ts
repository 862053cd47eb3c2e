import { describe, expect, it } from 'vitest';
import { appKeymap, dispatchShortcut } from './shortcuts';

const key = (key: string, extra: Partial<{ ctrlKey: boolean; metaKey: boolean; target: unknown }> = {}) => {
  let prevented = false;
  return {
    event: { key, code: '', ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, target: null, ...extra, preventDefault: () => void (prevented = true) },
    prevented: () => prevented,
  };
};

describe('app shortcuts', () => {
  it('has no conflicts', () => {
    expect(appKeymap.conflicts()).toEqual([]);
  });

  it('runs the handler of the action and prevents the default', () => {
    let saved = 0;
    const k = key('s', { ctrlKey: true });
    expect(dispatchShortcut(k.event as never, { 'form.save': () => saved++ })).toBe(true);
    expect(saved).toBe(1);
    expect(k.prevented()).toBe(true);
    const other = key('x');
    expect(dispatchShortcut(other.event as never, { 'form.save': () => saved++ })).toBe(false);
    expect(other.prevented()).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_ACTIONS, Keymap, chordFromEvent, formatChord, parseChord, sameChord, type KeyEventLike } from './keymap';

function key(k: string, mods: Partial<KeyEventLike> = {}): KeyEventLike {
  const code = /^[a-z]$/i.test(k) ? `Key${k.toUpperCase()}` : k;
  return { key: k, code, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods };
}

const IMAGE = ['global', 'image'] as const;

describe('Keymap defaults', () => {
  const km = Keymap.create();

  it.each<[KeyEventLike, string]>([
    [key('z', { ctrlKey: true }), 'history.undo'],
    [key('Z', { ctrlKey: true, shiftKey: true }), 'history.redo'],
    [key('y', { ctrlKey: true }), 'history.redo'],
    [key('s', { ctrlKey: true }), 'task.save'],
    [key('Enter', { ctrlKey: true }), 'task.submit'],
    [key('ArrowRight', { ctrlKey: true }), 'task.next'],
    [key('ArrowLeft', { metaKey: true }), 'task.previous'],
    [key('v'), 'tool.select'],
    [key('h'), 'tool.pan'],
    [key('r'), 'tool.rectangle'],
    [key('p'), 'tool.polygon'],
    [key('k'), 'tool.keypoint'],
    [key('b'), 'tool.brush'],
    [key('E', { shiftKey: true }), 'tool.eraser'],
    [key('['), 'brush.smaller'],
    [key(']'), 'brush.larger'],
    [key('n'), 'tool.repeat'],
    [key('Enter'), 'draw.finish'],
    [key('Escape'), 'draw.cancel'],
    [key('Delete'), 'selection.delete'],
    [key('Backspace'), 'selection.delete'],
    [key('1'), 'label.choose1'],
    [key('9'), 'label.choose9'],
    [key('Tab'), 'selection.next'],
    [key('Tab', { shiftKey: true }), 'selection.previous'],
    [key('l'), 'selection.lock'],
    [key('H', { shiftKey: true }), 'selection.hide'],
    [key('=', { ctrlKey: true }), 'view.zoomIn'],
    [key('+', { ctrlKey: true, shiftKey: true }), 'view.zoomIn'],
    [key('-', { ctrlKey: true }), 'view.zoomOut'],
    [key('0'), 'view.fit'],
    [key('F1'), 'help.shortcuts'],
    [key('F2'), 'settings.open'],
  ])('%j -> %s', (event, action) => {
    expect(km.lookup(event, IMAGE)).toBe(action);
  });

  it('has no conflicts', () => {
    expect(km.conflicts()).toEqual([]);
  });

  it('only fires image actions in the image scope', () => {
    expect(km.lookup(key('r'), ['global'])).toBeNull();
    expect(km.lookup(key('z', { ctrlKey: true }), ['global'])).toBe('history.undo');
  });

  it('does not fire on extra modifiers', () => {
    expect(km.lookup(key('r', { ctrlKey: true }), IMAGE)).toBeNull();
    expect(km.lookup(key('r', { altKey: true }), IMAGE)).toBeNull();
    expect(km.lookup(key('z'), IMAGE)).toBeNull();
  });

  it('uses the physical key on non-Latin layouts', () => {
    expect(km.lookup({ ...key('к'), code: 'KeyR' }, IMAGE)).toBe('tool.rectangle');
  });
});

describe('Ctrl and ⌘', () => {
  const km = Keymap.create();
  it('are the same modifier, in events and in chords', () => {
    expect(km.lookup(key('z', { metaKey: true }), IMAGE)).toBe('history.undo');
    expect(km.lookup(key('z', { ctrlKey: true }), IMAGE)).toBe('history.undo');
    expect(km.matches(key('y', { metaKey: true }), 'history.redo')).toBe(true);
    expect(parseChord('Ctrl+Z')).toEqual(parseChord('Cmd+z'));
    expect(parseChord('⌘+Shift+Z')).toEqual(parseChord('Mod+Shift+Z'));
  });
});

describe('input suppression', () => {
  const km = Keymap.create();
  const input = { tagName: 'INPUT', type: 'text' };

  it('ignores typing in inputs, textareas and editable content', () => {
    expect(km.lookup({ ...key('r'), target: input }, IMAGE)).toBeNull();
    expect(km.lookup({ ...key('1'), target: { tagName: 'textarea' } }, IMAGE)).toBeNull();
    expect(km.lookup({ ...key('Delete'), target: { tagName: 'DIV', isContentEditable: true } }, IMAGE)).toBeNull();
    expect(km.lookup({ ...key('z', { ctrlKey: true }), target: input }, IMAGE)).toBeNull(); // the field's own undo
  });

  it('keeps save, submit and help working from a field', () => {
    expect(km.lookup({ ...key('s', { ctrlKey: true }), target: input }, IMAGE)).toBe('task.save');
    expect(km.lookup({ ...key('Enter', { metaKey: true }), target: input }, IMAGE)).toBe('task.submit');
    expect(km.lookup({ ...key('F1'), target: input }, IMAGE)).toBe('help.shortcuts');
  });

  it('does not treat checkboxes or buttons as typing', () => {
    expect(km.lookup({ ...key('r'), target: { tagName: 'INPUT', type: 'checkbox' } }, IMAGE)).toBe('tool.rectangle');
    expect(km.lookup({ ...key('r'), target: { tagName: 'BUTTON' } }, IMAGE)).toBe('tool.rectangle');
  });
});

describe('remapping and conflicts', () => {
  it('replaces the chords of an action', () => {
    const km = Keymap.create().withOverrides({ 'tool.rectangle': ['X'], 'tool.polygon': [] });
    expect(km.lookup(key('x'), IMAGE)).toBe('tool.rectangle');
    expect(km.lookup(key('r'), IMAGE)).toBeNull();
    expect(km.lookup(key('p'), IMAGE)).toBeNull();
    expect(km.keysOf('tool.rectangle')).toEqual(['X']);
    expect(Keymap.create().keysOf('tool.rectangle')).toEqual(['R']); // immutable
  });

  it('reports two actions on one chord in overlapping scopes', () => {
    const km = Keymap.create().withOverrides({ 'tool.polygon': ['R'], 'task.save': ['Mod+Z'] });
    expect(km.conflicts()).toEqual([
      { chord: 'Mod+z', actions: ['history.undo', 'task.save'] },
      { chord: 'r', actions: ['tool.rectangle', 'tool.polygon'] },
    ]);
  });

  it('reports an image action that shadows a global one', () => {
    const km = Keymap.create().withOverrides({ 'tool.brush': ['F1'] });
    expect(km.conflicts()).toEqual([{ chord: 'F1', actions: ['help.shortcuts', 'tool.brush'] }]);
  });

  it('allows the same chord in scopes that never overlap', () => {
    const km = Keymap.create([
      ...DEFAULT_ACTIONS,
      { id: 'video.nextKeyframe', title: 'Next keyframe', scope: 'video', keys: ['R'] },
    ]);
    expect(km.conflicts()).toEqual([]);
    expect(km.lookup(key('r'), ['video'])).toBe('video.nextKeyframe');
    expect(km.lookup(key('r'), ['image'])).toBe('tool.rectangle');
  });

  it('rejects unknown actions and malformed chords', () => {
    expect(() => Keymap.create().withOverrides({ 'no.such': ['X'] })).toThrow('unknown action');
    expect(() => Keymap.create().withOverrides({ 'tool.rectangle': ['Hyper+X'] })).toThrow('unknown modifier');
    expect(() => Keymap.create().withOverrides({ 'tool.rectangle': [''] })).toThrow('invalid chord');
  });
});

describe('describe (F1 overlay)', () => {
  it('lists every action with display keys', () => {
    const rows = Keymap.create().describe(['image']);
    expect(rows).toHaveLength(DEFAULT_ACTIONS.length);
    expect(rows.find((r) => r.action === 'history.redo')?.keys).toEqual(['Ctrl+Shift+Z', 'Ctrl+Y']);
    expect(rows.find((r) => r.action === 'selection.delete')?.keys).toEqual(['Delete', 'Backspace']);
    expect(Keymap.create().describe(['global']).every((r) => r.scope === 'global')).toBe(true);
  });

  it('uses Mac symbols on request', () => {
    expect(formatChord('Mod+Shift+Z', true)).toBe('⌘⇧Z');
    expect(formatChord('Mod+ArrowRight')).toBe('Ctrl+→');
    expect(formatChord('Mod++')).toBe('Ctrl++');
  });

  it('reflects remapping', () => {
    const rows = Keymap.create().withOverrides({ 'view.fit': ['F'] }).describe();
    expect(rows.find((r) => r.action === 'view.fit')?.keys).toEqual(['F']);
  });
});

describe('recording a chord (settings panel)', () => {
  const km = Keymap.create();

  it.each<[KeyEventLike, string | null]>([
    [key('x'), 'X'],
    [key('E', { shiftKey: true }), 'Shift+E'],
    [key('z', { ctrlKey: true, shiftKey: true }), 'Mod+Shift+Z'],
    [key('z', { metaKey: true }), 'Mod+Z'],
    [key('F4'), 'F4'],
    [key(' '), 'Space'],
    [key('Tab', { shiftKey: true }), 'Shift+Tab'],
    [key('ArrowLeft', { altKey: true }), 'Alt+ArrowLeft'],
    [key('+', { ctrlKey: true, shiftKey: true }), 'Mod++'],
    [{ ...key('к'), code: 'KeyR' }, 'R'],
    [key('Shift', { shiftKey: true }), null],
    [key('Control', { ctrlKey: true }), null],
    [key('Meta', { metaKey: true }), null],
  ])('%j -> %s', (event, chord) => {
    expect(chordFromEvent(event)).toBe(chord);
  });

  it('records chords that parse back and match the same press', () => {
    for (const event of [key('x'), key('E', { shiftKey: true }), key('y', { ctrlKey: true, altKey: true }), key('+', { ctrlKey: true, shiftKey: true }), key('F9'), key(' ')]) {
      const chord = chordFromEvent(event) as string;
      const remapped = km.withOverrides({ 'tool.rectangle': [chord] });
      expect(remapped.lookup(event, IMAGE)).toBe('tool.rectangle');
    }
  });

  it('compares chords by meaning', () => {
    expect(sameChord('Ctrl+z', 'Mod+Z')).toBe(true);
    expect(sameChord('Shift+E', 'E')).toBe(false);
    expect(sameChord('Hyper+X', 'X')).toBe(false);
  });
});

describe('specs and stored overrides', () => {
  const km = Keymap.create();

  it('lists specs with their current chords, filtered by scope', () => {
    expect(km.specs()).toHaveLength(DEFAULT_ACTIONS.length);
    expect(km.specs(['global']).every((s) => s.scope === 'global')).toBe(true);
    expect(km.withOverrides({ 'tool.rectangle': ['X'] }).specs().find((s) => s.id === 'tool.rectangle')?.keys).toEqual(['X']);
    expect(km.has('tool.rectangle')).toBe(true);
    expect(km.has('no.such')).toBe(false);
  });

  it('keeps known actions with valid chords and names what it drops', () => {
    const { overrides, dropped } = km.validOverrides({
      'tool.rectangle': ['X'],
      'tool.polygon': [],
      'no.such': ['Y'],
      'tool.brush': ['Hyper+B'],
      'tool.keypoint': 'K',
      'tool.pan': [3],
    });
    expect(overrides).toEqual({ 'tool.rectangle': ['X'], 'tool.polygon': [] });
    expect(dropped).toEqual(['no.such', 'tool.brush', 'tool.keypoint', 'tool.pan']);
    expect(km.validOverrides(null)).toEqual({ overrides: {}, dropped: [] });
    expect(km.validOverrides(['x'])).toEqual({ overrides: {}, dropped: [] });
  });
});

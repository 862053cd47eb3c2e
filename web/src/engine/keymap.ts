/**
 * Keyboard shortcuts as named actions with default chords (UI.md "Default shortcuts": global and
 * image workspace), scopes, user remapping, conflict detection and a list for the F1 overlay.
 * Ctrl and ⌘ are the same modifier ("Mod"). Typing in an input suppresses shortcuts, except the
 * few marked `inInputs` (save, submit, help) that must work from an attribute field too.
 */

/** Where a shortcut is active; `global` overlaps every other scope. */
export type Scope = 'global' | 'image' | 'video' | 'text';

/** A named action and its default chords. */
export interface ActionSpec {
  readonly id: string;
  readonly title: string;
  readonly scope: Scope;
  readonly keys: readonly string[];
  readonly inInputs?: boolean;
}

/** The KeyboardEvent fields the keymap reads (a real KeyboardEvent satisfies it). */
export interface KeyEventLike {
  key: string;
  code: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  target?: EventTarget | { tagName?: string; isContentEditable?: boolean; type?: string } | null;
}

/** A parsed chord: modifiers plus a normalized key name. */
export interface Chord {
  mod: boolean;
  shift: boolean;
  alt: boolean;
  key: string;
}

/** Two or more actions bound to one chord in overlapping scopes. */
export interface Conflict {
  chord: string;
  actions: string[];
}

/** One row of the F1 help overlay. */
export interface HelpRow {
  action: string;
  title: string;
  scope: Scope;
  keys: string[];
}

const digitLabels: ActionSpec[] = Array.from({ length: 9 }, (_, i) => ({
  id: `label.choose${i + 1}`,
  title: `Choose label ${i + 1}`,
  scope: 'image' as const,
  keys: [String(i + 1)],
}));

/** Default actions of the global and image workspace scopes. */
export const DEFAULT_ACTIONS: readonly ActionSpec[] = [
  { id: 'history.undo', title: 'Undo', scope: 'global', keys: ['Mod+Z'] },
  { id: 'history.redo', title: 'Redo', scope: 'global', keys: ['Mod+Shift+Z', 'Mod+Y'] },
  { id: 'task.save', title: 'Save', scope: 'global', keys: ['Mod+S'], inInputs: true },
  { id: 'task.submit', title: 'Submit', scope: 'global', keys: ['Mod+Enter'], inInputs: true },
  { id: 'task.next', title: 'Skip task (asks first); in a task you submitted: forward, back to the queue', scope: 'global', keys: ['Mod+ArrowRight'] },
  { id: 'task.previous', title: 'Previous task: the one you submitted before, to correct it (again: further back)', scope: 'global', keys: ['Mod+ArrowLeft'] },
  { id: 'help.shortcuts', title: 'Shortcut help', scope: 'global', keys: ['F1'], inInputs: true },
  { id: 'settings.open', title: 'Settings', scope: 'global', keys: ['F2'] },
  { id: 'tool.select', title: 'Select tool', scope: 'image', keys: ['V'] },
  { id: 'tool.pan', title: 'Pan tool', scope: 'image', keys: ['H'] },
  { id: 'tool.rectangle', title: 'Rectangle', scope: 'image', keys: ['R'] },
  { id: 'tool.polygon', title: 'Polygon', scope: 'image', keys: ['P'] },
  { id: 'tool.keypoint', title: 'Keypoint', scope: 'image', keys: ['K'] },
  { id: 'tool.brush', title: 'Brush', scope: 'image', keys: ['B'] },
  { id: 'tool.eraser', title: 'Eraser', scope: 'image', keys: ['Shift+E'] },
  { id: 'brush.smaller', title: 'Smaller brush', scope: 'image', keys: ['['] },
  { id: 'brush.larger', title: 'Larger brush', scope: 'image', keys: [']'] },
  { id: 'tool.repeat', title: 'Draw again with the last tool', scope: 'image', keys: ['N'] },
  { id: 'draw.finish', title: 'Finish drawing', scope: 'image', keys: ['Enter'] },
  { id: 'draw.cancel', title: 'Cancel drawing', scope: 'image', keys: ['Escape'] },
  { id: 'selection.delete', title: 'Delete selected', scope: 'image', keys: ['Delete', 'Backspace'] },
  ...digitLabels,
  { id: 'selection.copy', title: 'Copy selected', scope: 'image', keys: ['Mod+C'] },
  { id: 'selection.paste', title: 'Paste', scope: 'image', keys: ['Mod+V'] },
  { id: 'selection.front', title: 'Bring to front', scope: 'image', keys: ['Mod+]'] },
  { id: 'selection.back', title: 'Send to back', scope: 'image', keys: ['Mod+['] },
  { id: 'selection.next', title: 'Next object', scope: 'image', keys: ['Tab'] },
  { id: 'selection.previous', title: 'Previous object', scope: 'image', keys: ['Shift+Tab'] },
  { id: 'selection.lock', title: 'Lock selected', scope: 'image', keys: ['L'] },
  // UI.md gives H to both the pan tool and "hide selected"; H stays the hand tool (as in most
  // editors) and hide moves to Shift+H.
  { id: 'selection.hide', title: 'Hide selected', scope: 'image', keys: ['Shift+H'] },
  { id: 'view.zoomIn', title: 'Zoom in', scope: 'image', keys: ['Mod+=', 'Mod++'] },
  { id: 'view.zoomOut', title: 'Zoom out', scope: 'image', keys: ['Mod+-'] },
  { id: 'view.fit', title: 'Fit image', scope: 'image', keys: ['0'] },
];

/** Pointer gestures, listed in the F1 overlay but not remappable. */
export const GESTURES: readonly { title: string; keys: string }[] = [
  { title: 'Zoom', keys: 'Mouse wheel' },
  { title: 'Pan while drawing', keys: 'Middle mouse or Space+drag' },
];

const NAMED: Record<string, string> = {
  esc: 'Escape', escape: 'Escape', enter: 'Enter', return: 'Enter', tab: 'Tab', space: ' ',
  del: 'Delete', delete: 'Delete', backspace: 'Backspace', plus: '+', minus: '-',
  left: 'ArrowLeft', right: 'ArrowRight', up: 'ArrowUp', down: 'ArrowDown',
  arrowleft: 'ArrowLeft', arrowright: 'ArrowRight', arrowup: 'ArrowUp', arrowdown: 'ArrowDown',
};

function normalizeKeyName(key: string): string {
  if (key.length === 1) return key.toLowerCase();
  const named = NAMED[key.toLowerCase()];
  if (named) return named;
  if (/^f\d{1,2}$/i.test(key)) return key.toUpperCase();
  return key;
}

/** Parse "Mod+Shift+Z" (Ctrl, Cmd, Meta and ⌘ all mean Mod; "Mod++" binds the plus key). */
export function parseChord(text: string): Chord {
  const parts =
    text === '+' ? ['+'] : text.endsWith('++') ? [...text.slice(0, -2).split('+'), '+'] : text.split('+');
  const key = parts.pop();
  if (key === undefined || key === '') throw new Error(`invalid chord "${text}"`);
  const chord: Chord = { mod: false, shift: false, alt: false, key: normalizeKeyName(key) };
  for (const raw of parts) {
    const m = raw.toLowerCase();
    if (m === 'mod' || m === 'ctrl' || m === 'control' || m === 'cmd' || m === 'meta' || m === '⌘') chord.mod = true;
    else if (m === 'shift') chord.shift = true;
    else if (m === 'alt' || m === 'option') chord.alt = true;
    else throw new Error(`unknown modifier "${raw}" in chord "${text}"`);
  }
  return chord;
}

/** Canonical text of a chord, used as a lookup key ("Mod+Shift+z"). */
export function chordId(c: Chord): string {
  return `${c.mod ? 'Mod+' : ''}${c.alt ? 'Alt+' : ''}${c.shift ? 'Shift+' : ''}${c.key}`;
}

/** Display text of a chord for the current platform ("⌘⇧Z" on a Mac, "Ctrl+Shift+Z" elsewhere). */
export function formatChord(text: string, mac = false): string {
  const c = parseChord(text);
  const key = c.key === ' ' ? 'Space' : c.key.length === 1 ? c.key.toUpperCase() : c.key.replace(/^Arrow/, '');
  const arrows: Record<string, string> = { Left: '←', Right: '→', Up: '↑', Down: '↓' };
  const shown = arrows[key] ?? key;
  if (mac) return `${c.mod ? '⌘' : ''}${c.alt ? '⌥' : ''}${c.shift ? '⇧' : ''}${shown}`;
  return [c.mod ? 'Ctrl' : '', c.alt ? 'Alt' : '', c.shift ? 'Shift' : '', shown].filter(Boolean).join('+');
}

/** True if the event comes from a text field, where keys are typing, not shortcuts. */
export function isTypingTarget(target: KeyEventLike['target']): boolean {
  if (!target || typeof target !== 'object') return false;
  const t = target as { tagName?: string; isContentEditable?: boolean; type?: string };
  if (t.isContentEditable) return true;
  const tag = t.tagName?.toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes((t.type ?? 'text').toLowerCase());
}

/** The chords an event can match: exact, and shift-agnostic for shifted symbols like "+". */
function eventChordIds(e: KeyEventLike): string[] {
  let key = e.key;
  // Non-Latin layouts: a letter key reports its own character; use the physical key instead.
  const physical = /^Key([A-Z])$/.exec(e.code);
  if (key.length === 1 && !/[\x20-\x7e]/.test(key) && physical) key = physical[1] as string;
  const base: Chord = { mod: e.ctrlKey || e.metaKey, shift: e.shiftKey, alt: e.altKey, key: normalizeKeyName(key) };
  const ids = [chordId(base)];
  if (base.shift && base.key.length === 1 && !/[a-z0-9]/.test(base.key)) ids.push(chordId({ ...base, shift: false }));
  return ids;
}

/** Keys that only modify another key; pressing one alone makes no chord. */
const MODIFIER_KEYS = new Set(['Control', 'Shift', 'Alt', 'Meta', 'OS', 'AltGraph', 'CapsLock', 'Fn', 'Hyper', 'Super']);

/**
 * The chord text a key press makes, for recording a new binding ("Mod+Shift+Z", "Shift+E", "F4",
 * "Space"), or null for a bare modifier key. Round-trips through parseChord and matches the same
 * press in `Keymap.lookup`. Shifted symbols are recorded without Shift ("+" not "Shift++").
 */
export function chordFromEvent(e: KeyEventLike): string | null {
  if (MODIFIER_KEYS.has(e.key) || e.key === 'Dead' || e.key === 'Unidentified' || e.key === '') return null;
  let key = e.key;
  const physical = /^Key([A-Z])$/.exec(e.code);
  if (key.length === 1 && !/[\x20-\x7e]/.test(key) && physical) key = physical[1] as string;
  key = normalizeKeyName(key);
  const symbol = key.length === 1 && !/[a-z0-9 ]/.test(key);
  const shown = key === ' ' ? 'Space' : key.length === 1 ? key.toUpperCase() : key;
  const mods = [e.ctrlKey || e.metaKey ? 'Mod' : '', e.altKey ? 'Alt' : '', e.shiftKey && !symbol ? 'Shift' : ''].filter(Boolean);
  return [...mods, shown].join('+');
}

/** Two chord texts that mean the same keys ("Ctrl+z" and "Mod+Z"); malformed text matches nothing. */
export function sameChord(a: string, b: string): boolean {
  try {
    return chordId(parseChord(a)) === chordId(parseChord(b));
  } catch {
    return false;
  }
}

function overlaps(a: Scope, b: Scope): boolean {
  return a === b || a === 'global' || b === 'global';
}

/** An immutable keymap: action specs plus the chords bound to each. */
export class Keymap {
  private readonly byChord = new Map<string, ActionSpec[]>();

  private constructor(private readonly actions: ReadonlyMap<string, ActionSpec>) {
    for (const spec of actions.values()) {
      for (const text of spec.keys) {
        const id = chordId(parseChord(text));
        const list = this.byChord.get(id) ?? [];
        if (!list.includes(spec)) list.push(spec);
        this.byChord.set(id, list);
      }
    }
  }

  /** A keymap of `specs` (default: DEFAULT_ACTIONS). */
  static create(specs: readonly ActionSpec[] = DEFAULT_ACTIONS): Keymap {
    const map = new Map<string, ActionSpec>();
    for (const s of specs) {
      if (map.has(s.id)) throw new Error(`duplicate action "${s.id}"`);
      map.set(s.id, s);
    }
    return new Keymap(map);
  }

  /** A copy with the chords of some actions replaced (`[]` unbinds); unknown actions throw. */
  withOverrides(overrides: Readonly<Record<string, readonly string[]>>): Keymap {
    const map = new Map(this.actions);
    for (const [id, keys] of Object.entries(overrides)) {
      const spec = map.get(id);
      if (!spec) throw new Error(`unknown action "${id}"`);
      for (const k of keys) parseChord(k);
      map.set(id, { ...spec, keys: [...keys] });
    }
    return new Keymap(map);
  }

  /** Whether `action` is one of this keymap's actions. */
  has(action: string): boolean {
    return this.actions.has(action);
  }

  /** The action specs (with their current chords), in declaration order, optionally only some scopes. */
  specs(scopes?: readonly Scope[]): ActionSpec[] {
    return [...this.actions.values()].filter((s) => !scopes || s.scope === 'global' || scopes.includes(s.scope));
  }

  /**
   * The usable part of stored overrides: known actions whose chords all parse (a saved map may
   * predate a renamed action or come from a newer client). `dropped` names what was left out.
   */
  validOverrides(overrides: unknown): { overrides: Record<string, string[]>; dropped: string[] } {
    const out: Record<string, string[]> = {};
    const dropped: string[] = [];
    if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) return { overrides: out, dropped };
    for (const [id, keys] of Object.entries(overrides as Record<string, unknown>)) {
      const ok =
        this.actions.has(id) &&
        Array.isArray(keys) &&
        keys.every((k) => {
          if (typeof k !== 'string') return false;
          try {
            parseChord(k);
            return true;
          } catch {
            return false;
          }
        });
      if (ok) out[id] = [...(keys as string[])];
      else dropped.push(id);
    }
    return { overrides: out, dropped };
  }

  /** The chords bound to an action. */
  keysOf(action: string): readonly string[] {
    return this.actions.get(action)?.keys ?? [];
  }

  /**
   * The action an event triggers in the active scopes (`global` is always active), or null.
   * The most specific scope wins; events typed into text fields only reach `inInputs` actions.
   */
  lookup(event: KeyEventLike, scopes: readonly Scope[] = ['global']): string | null {
    const typing = isTypingTarget(event.target);
    for (const id of eventChordIds(event)) {
      const candidates = (this.byChord.get(id) ?? []).filter(
        (s) => (s.scope === 'global' || scopes.includes(s.scope)) && (!typing || s.inInputs),
      );
      const specific = candidates.find((s) => s.scope !== 'global') ?? candidates[0];
      if (specific) return specific.id;
    }
    return null;
  }

  /** True if `event` triggers `action` in the active scopes. */
  matches(event: KeyEventLike, action: string, scopes: readonly Scope[] = ['global']): boolean {
    return this.lookup(event, scopes) === action;
  }

  /** Chords bound to several actions in overlapping scopes. */
  conflicts(): Conflict[] {
    const out: Conflict[] = [];
    for (const [chord, specs] of this.byChord) {
      const clashing = specs.filter((a) => specs.some((b) => b !== a && overlaps(a.scope, b.scope)));
      if (clashing.length > 1) out.push({ chord, actions: clashing.map((s) => s.id) });
    }
    return out;
  }

  /** Rows for the F1 overlay, in declaration order, optionally only some scopes. */
  describe(scopes?: readonly Scope[], mac = false): HelpRow[] {
    return [...this.actions.values()]
      .filter((s) => !scopes || s.scope === 'global' || scopes.includes(s.scope))
      .map((s) => ({ action: s.id, title: s.title, scope: s.scope, keys: s.keys.map((k) => formatChord(k, mac)) }));
  }
}

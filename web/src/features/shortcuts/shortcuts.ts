/** Shortcuts of the app's screens, as named actions in an engine Keymap (no ad-hoc key checks). */

import { Keymap, type ActionSpec, type KeyEventLike } from '../../engine';

/** The screen-level actions (the annotation workspace brings its own map). */
export const APP_ACTIONS: readonly ActionSpec[] = [
  { id: 'form.save', title: 'Save', scope: 'global', keys: ['Mod+S'], inInputs: true },
  { id: 'queue.skip', title: 'Skip this task', scope: 'global', keys: ['Mod+ArrowRight'] },
  { id: 'table.open', title: 'Open the focused task', scope: 'global', keys: ['Enter'] },
  { id: 'table.toggle', title: 'Select / unselect the focused task', scope: 'global', keys: ['Space'] },
  { id: 'table.down', title: 'Next row', scope: 'global', keys: ['ArrowDown', 'J'] },
  { id: 'table.up', title: 'Previous row', scope: 'global', keys: ['ArrowUp', 'K'] },
];

/** The app's keymap. */
export const appKeymap: Keymap = Keymap.create(APP_ACTIONS);

/** Run `handlers[action]` for key events that map to an action; returns whether one ran. */
export function dispatchShortcut(event: KeyEventLike & { preventDefault(): void }, handlers: Partial<Record<string, () => void>>, keymap: Keymap = appKeymap): boolean {
  const action = keymap.lookup(event);
  const handler = action ? handlers[action] : undefined;
  if (!handler) return false;
  event.preventDefault();
  handler();
  return true;
}

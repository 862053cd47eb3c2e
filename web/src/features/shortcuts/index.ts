/** The app screens' shortcuts (save, skip, task table) as named actions in an engine Keymap. */

export * from './shortcuts';

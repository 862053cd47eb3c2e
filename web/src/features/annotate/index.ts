/**
 * The annotate route and the workspace shell every medium uses: the queue (next task under a
 * lease), your submitted tasks walked back to correct them (history, revise, work), the shell
 * (session, drafts and autosave, submit, skip, report, suggestions, answers, instructions,
 * shortcut help and settings, object list, attribute panel) and the registry of media views it
 * mounts.
 */

export { default as AnnotatePage } from './AnnotatePage.svelte';
export { default as Shell } from './Shell.svelte';
export * from './queue';
export * from './session';
export * from './views';
export * from './draft';
export * from './predictions';
export * from './schema';
export * from './attributes';
export * from './api';
export * from './lease';
export * from './history';
export * from './revise';
export * from './work';

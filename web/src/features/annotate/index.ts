/** The annotate route: the queue flow (next task, skip) until the workspace lands. */

export { default as AnnotatePage } from './AnnotatePage.svelte';
export * from './queue';

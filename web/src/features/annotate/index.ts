/** The annotate route: the queue (next task under a lease) around the image workspace. */

export { default as AnnotatePage } from './AnnotatePage.svelte';
export * from './queue';

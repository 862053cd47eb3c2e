/** The projects feature: list, creation from templates, schema editor, settings, project page. */

export { default as ProjectList } from './ProjectList.svelte';
export { default as ProjectNew } from './ProjectNew.svelte';
export { default as ProjectPage } from './ProjectPage.svelte';
export * from './projects';
export * from './schema';
export * from './templates';

/** The import feature: upload files and folders, follow the import job. */

export { default as ImportPage } from './ImportPage.svelte';
export * from './files';
export * from './job';

/** The export feature: the export dialog (from the project and the data manager's filter) and the project's list of exports. */

export { default as ExportDialog } from './ExportDialog.svelte';
export { default as ExportList } from './ExportList.svelte';
export * from './exports';

/** The data manager feature: virtualized task table, filters, bulk actions, task view. */

export { default as DataManager } from './DataManager.svelte';
export { default as TaskDetail } from './TaskDetail.svelte';
export * from './table';
export * from './tasks';

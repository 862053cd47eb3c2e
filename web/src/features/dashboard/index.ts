/** The dashboard feature: progress and hand-drawn SVG charts. */

export { default as Dashboard } from './Dashboard.svelte';
export * from './charts';

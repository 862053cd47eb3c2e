/** The auth feature: login screen, session and organization choice. */

export { default as Login } from './Login.svelte';
export * from './session';
export * from './permissions';

/** The account feature: your API tokens and your password. */

export { default as Account } from './Account.svelte';
export * from './account';

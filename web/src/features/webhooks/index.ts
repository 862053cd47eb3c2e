/** The organization's webhooks: create, activate, rotate the secret, ping, and the delivery log. */

export { default as Webhooks } from './Webhooks.svelte';
export * from './webhooks';

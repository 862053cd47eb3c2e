/** The members feature: who belongs to the organization, with which role. */

export { default as Members } from './Members.svelte';
export * from './members';

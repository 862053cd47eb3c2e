/** Public surface of the app library: HTTP, API client, routing, small utilities. */

export * from './http';
export * from './api';
export * from './router';
export * from './debounce';
export * from './markdown';
export * from './format';

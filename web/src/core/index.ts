/** Public surface of the framework-free core: geometry, document, commands, RLE. */

export * from './geometry';
export * from './document';
export * from './commands';
export * from './rle';
export * from './mask';

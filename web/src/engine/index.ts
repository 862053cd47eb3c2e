/** Public surface of the framework-free engine: spatial index, viewport, renderer, keymap. */

export * from './spatial';
export * from './viewport';
export * from './renderer';
export * from './shape-layer';
export * from './raster-surface';
export * from './raster-slices';
export * from './mask-paint';
export * from './mask-painter';
export * from './keymap';
export * from './tools';

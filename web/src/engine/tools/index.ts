/** Pointer tools of the image workspace: state machines from image-pixel pointer events to commands. */

export * from './types';
export * from './shapes';
export * from './select';
export * from './rectangle';
export * from './polygon';
export * from './keypoints';
export * from './brush';

/** The image annotation workspace: canvas, tools, sidebar, autosave and submit. */

export { default as Workspace } from './Workspace.svelte';
export { Workspace as WorkspaceController, TOOL_TYPE, type ToolName } from './controller';
export * from './actions';
export * from './draft';
export * from './media';
export * from './predictions';
export * from './schema';
export * from './api';

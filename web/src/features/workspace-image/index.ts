/** The image view of the workspace shell: canvas stage, pointer tools, label palette. */

export { imageView } from './view';
export { ImageWorkspace, TOOL_TYPE, type ToolName } from './controller';
export * from './actions';
export * from './media';
export * from './stage';

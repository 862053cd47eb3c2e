/** The image view as the shell registers it (features/annotate/views.ts). */

import { GESTURES } from '../../engine';
import type { ViewSpec } from '../annotate';
import { IMAGE_ACTIONS } from './actions';
import type { ImageWorkspace } from './controller';
import ImageSidebar from './ImageSidebar.svelte';
import ImageToolbar from './ImageToolbar.svelte';
import ImageView from './ImageView.svelte';

/** Images: boxes, polygons, keypoints and masks on a canvas, plus whole-task answers. */
export const imageView: ViewSpec<ImageWorkspace> = {
  media: 'image',
  regionKinds: ['shape', 'value'],
  scope: 'image',
  actions: IMAGE_ACTIONS,
  help: [...GESTURES, { title: 'Delete a polygon vertex / insert one', keys: 'Alt+click vertex / double-click edge' }],
  component: ImageView,
  toolbar: ImageToolbar,
  sidebar: ImageSidebar,
};

/** The image view's own named actions (the shell adds the engine defaults and its own, views.ts). */

import type { ActionSpec } from '../../engine';

/** Actions the image view adds to DEFAULT_ACTIONS and the shell's (chosen not to clash with them). */
export const IMAGE_ACTIONS: readonly ActionSpec[] = [
  { id: 'keypoint.visibility', title: 'Toggle the grabbed keypoint visible / occluded (also V while it is grabbed)', scope: 'image', keys: ['Shift+V'] },
  { id: 'keypoint.skip', title: 'Skip the next keypoint (not labelled)', scope: 'image', keys: ['S'] },
  { id: 'selection.nudgeLeft', title: 'Nudge left 1 px', scope: 'image', keys: ['ArrowLeft'] },
  { id: 'selection.nudgeRight', title: 'Nudge right 1 px', scope: 'image', keys: ['ArrowRight'] },
  { id: 'selection.nudgeUp', title: 'Nudge up 1 px', scope: 'image', keys: ['ArrowUp'] },
  { id: 'selection.nudgeDown', title: 'Nudge down 1 px', scope: 'image', keys: ['ArrowDown'] },
  { id: 'selection.nudgeLeft10', title: 'Nudge left 10 px', scope: 'image', keys: ['Shift+ArrowLeft'] },
  { id: 'selection.nudgeRight10', title: 'Nudge right 10 px', scope: 'image', keys: ['Shift+ArrowRight'] },
  { id: 'selection.nudgeUp10', title: 'Nudge up 10 px', scope: 'image', keys: ['Shift+ArrowUp'] },
  { id: 'selection.nudgeDown10', title: 'Nudge down 10 px', scope: 'image', keys: ['Shift+ArrowDown'] },
];

/** The workspace keymap: the engine defaults (UI.md) plus the workspace's own named actions. */

import { DEFAULT_ACTIONS, Keymap, type ActionSpec } from '../../engine';

/** Actions the image workspace adds to DEFAULT_ACTIONS (chosen not to clash with them). */
export const WORKSPACE_ACTIONS: readonly ActionSpec[] = [
  { id: 'prediction.accept', title: 'Accept the selected suggestion', scope: 'image', keys: ['A'] },
  { id: 'prediction.reject', title: 'Reject the selected suggestion', scope: 'image', keys: ['X'] },
  { id: 'prediction.acceptAll', title: 'Accept all suggestions above the threshold', scope: 'image', keys: ['Shift+A'] },
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

/** The keymap of the image workspace. */
export const workspaceKeymap: Keymap = Keymap.create([...DEFAULT_ACTIONS, ...WORKSPACE_ACTIONS]);

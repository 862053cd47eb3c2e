/**
 * The workspace view of each medium, registered once when the app starts. Adding a medium is one
 * line here: `registry.register(textView)` with `textView` from `features/workspace-text`.
 */

import { views, type ViewRegistry } from './features/annotate';
import { imageView } from './features/workspace-image';

/** Register every medium's view in `registry`. */
export function registerViews(registry: ViewRegistry = views): void {
  registry.register(imageView);
}

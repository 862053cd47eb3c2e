/**
 * The contract between pointer tools and the workspace: pointer events in IMAGE pixels in,
 * commands (through the host's History) out, plus a preview for the overlay layer.
 */

import type { AnnotationDocument, History, Region, RegionId } from '../../core';
import type { BBox, Point, ShapeType } from '../../core';
import type { MaskImage } from '../mask-painter';
import type { SpatialIndex } from '../spatial';

/** One pointer event, already mapped to image pixels. */
export interface ToolPointer {
  point: Point;
  /** 0 = primary button. */
  button: number;
  shift: boolean;
  alt: boolean;
  /** Click count of a press (2 on a double-click). */
  clicks: number;
}

/** What the active label of a tool type is (from the schema and the palette). */
export interface ActiveLabel {
  /** The schema tool name (`objects`). */
  tool: string;
  label: string;
  /** Keypoint names, for a keypoints tool. */
  keypoints?: readonly string[];
  /** Skeleton edges between keypoint names, for a keypoints tool. */
  skeleton?: readonly (readonly [string, string])[];
}

/** What tools may read and do; the workspace implements it. */
export interface ToolHost {
  readonly doc: AnnotationDocument;
  readonly history: History;
  readonly index: SpatialIndex;
  readonly imageWidth: number;
  readonly imageHeight: number;
  /** Current view scale (screen px per image px), for screen-pixel tolerances. */
  scale(): number;
  selection(): RegionId | null;
  select(id: RegionId | null): void;
  /** The label a new shape of `type` gets, or null if the schema has no such tool. */
  activeLabel(type: ShapeType): ActiveLabel | null;
  /** A fresh region id. */
  newId(): string;
  /** Brush radius in image pixels. */
  brushRadius(): number;
  /** Tell the user something (e.g. "the schema has no polygon tool"). */
  notify(message: string): void;
  /** The colour a region is drawn in (masks are coloured where they are painted). */
  colorOf?(region: Region): string;
}

/** The in-progress drawing the overlay shows. */
export type Preview =
  | { kind: 'box'; box: BBox; label: string }
  | { kind: 'polygon'; points: Point[]; hover: Point | null; closable: boolean; label: string }
  | { kind: 'keypoints'; points: [number, number, number][]; next: string | null; skeleton: [number, number][]; label: string }
  | { kind: 'mask'; image: MaskImage | null; erase: boolean; cursor: Point | null; radius: number; label: string };

/** A pointer tool: a small state machine. */
export interface Tool {
  readonly name: string;
  /** True while a shape is being drawn or a drag is in progress. */
  readonly busy: boolean;
  down(e: ToolPointer): void;
  move(e: ToolPointer): void;
  up(e: ToolPointer): void;
  /** Handle a keymap action (draw.finish, draw.cancel, selection.delete…); true if consumed. */
  action(id: string): boolean;
  /** Drop any in-progress work without a command. */
  cancel(): void;
  /** Finish work the user already handed over but the tool has not committed yet (a released
   * brush stroke whose mask the worker is still encoding): call before reading the document. */
  settle?(): void;
  preview(): Preview | null;
}

/** A fresh gesture id (a drag's geometry updates share one, so they merge into one undo step). */
let gestures = 0;
export function nextGesture(): string {
  return `g${++gestures}`;
}

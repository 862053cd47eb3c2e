/**
 * Keypoints tool: click each of the schema's keypoints in order (visibility 2); S skips the next
 * one (visibility 0), Backspace takes the last one back, Enter finishes early (the rest stay
 * unplaced, v = 0), Esc cancels. The instance is added as one AddRegion when all are placed.
 */

import { AddRegion, clampPoint } from '../../core';
import type { Preview, Tool, ToolHost, ToolPointer } from './types';

type Kp = [number, number, number];

/** Skeleton edges as index pairs of `names` (unknown names dropped). */
export function skeletonIndices(names: readonly string[], skeleton: readonly (readonly [string, string])[] = []): [number, number][] {
  return skeleton
    .map(([a, b]): [number, number] => [names.indexOf(a), names.indexOf(b)])
    .filter(([a, b]) => a >= 0 && b >= 0);
}

export class KeypointsTool implements Tool {
  readonly name = 'keypoints';
  private placed: Kp[] = [];

  constructor(private readonly host: ToolHost) {}

  get busy(): boolean {
    return this.placed.length > 0;
  }

  private names(): readonly string[] {
    return this.host.activeLabel('keypoints')?.keypoints ?? [];
  }

  /** Name of the keypoint the next click places, or null. */
  get nextName(): string | null {
    return this.names()[this.placed.length] ?? null;
  }

  down(e: ToolPointer): void {
    if (e.button !== 0) return;
    const names = this.names();
    if (names.length === 0) {
      this.host.notify('This project has no keypoints tool');
      return;
    }
    const [x, y] = clampPoint(e.point, this.host.imageWidth, this.host.imageHeight);
    this.placed.push([x, y, 2]);
    if (this.placed.length >= names.length) this.finish();
  }

  move(): void {}
  up(): void {}

  /** Add the instance (unplaced keypoints get v = 0); false if nothing is placed. */
  finish(): boolean {
    const active = this.host.activeLabel('keypoints');
    const names = active?.keypoints ?? [];
    if (!active || !this.placed.some((p) => p[2] > 0)) return false;
    const points: Kp[] = names.map((_, i) => this.placed[i] ?? [0, 0, 0]);
    this.placed = [];
    const id = this.host.newId();
    this.host.history.execute(
      new AddRegion({ id, tool: active.tool, type: 'keypoints', label: active.label, geometry: { points }, attributes: {}, origin: 'human' }),
    );
    this.host.select(id);
    return true;
  }

  action(id: string): boolean {
    if (id === 'keypoint.skip' && this.names().length > 0) {
      this.placed.push([0, 0, 0]);
      if (this.placed.length >= this.names().length && !this.finish()) this.placed = [];
      return true;
    }
    if (!this.busy) return false;
    if (id === 'draw.finish') {
      this.finish();
      return true;
    }
    if (id === 'draw.cancel') {
      this.cancel();
      return true;
    }
    if (id === 'selection.delete') {
      this.placed.pop();
      return true;
    }
    return false;
  }

  cancel(): void {
    this.placed = [];
  }

  preview(): Preview | null {
    const active = this.host.activeLabel('keypoints');
    if (!active) return null;
    const names = active.keypoints ?? [];
    return {
      kind: 'keypoints',
      points: [...this.placed],
      next: names[this.placed.length] ?? null,
      skeleton: skeletonIndices(names, active.skeleton),
      label: active.label,
    };
  }
}

/** A fake CanvasRenderingContext2D that records method calls and the style at each draw call. */

import type { RenderContext } from '../engine/renderer';

/** One recorded call; draw calls also carry the style in force. */
export interface Call {
  name: string;
  args: unknown[];
  lineWidth?: number;
  style?: unknown;
}

/** Records every call; property writes are kept as plain fields. */
export class RecordingContext implements RenderContext {
  calls: Call[] = [];
  lineWidth = 1;
  strokeStyle: string | CanvasGradient | CanvasPattern = '#000';
  fillStyle: string | CanvasGradient | CanvasPattern = '#000';
  globalAlpha = 1;
  font = '10px sans-serif';
  lineJoin: CanvasLineJoin = 'miter';
  textBaseline: CanvasTextBaseline = 'alphabetic';

  private rec(name: string, args: unknown[]): void {
    this.calls.push({ name, args });
  }
  save(): void { this.rec('save', []); }
  restore(): void { this.rec('restore', []); }
  setTransform(...args: [number, number, number, number, number, number]): void { this.rec('setTransform', args); }
  clearRect(...args: [number, number, number, number]): void { this.rec('clearRect', args); }
  beginPath(): void { this.rec('beginPath', []); }
  moveTo(...args: [number, number]): void { this.rec('moveTo', args); }
  lineTo(...args: [number, number]): void { this.rec('lineTo', args); }
  closePath(): void { this.rec('closePath', []); }
  rect(...args: [number, number, number, number]): void { this.rec('rect', args); }
  arc(...args: [number, number, number, number, number]): void { this.rec('arc', args); }
  fill(): void { this.calls.push({ name: 'fill', args: [], style: this.fillStyle }); }
  stroke(): void { this.calls.push({ name: 'stroke', args: [], lineWidth: this.lineWidth, style: this.strokeStyle }); }
  fillText(...args: [string, number, number]): void { this.rec('fillText', args); }
  setLineDash(segments: number[]): void { this.rec('setLineDash', [segments]); }

  /** Calls with this name. */
  named(name: string): Call[] {
    return this.calls.filter((c) => c.name === name);
  }
}

/** What a workspace needs from a project's label schema: label palettes per tool type, answer tools. */

import { defaultColor } from '../../engine';
import type { ShapeType } from '../../core';
import { schemaView } from '../projects/schema';
import { labelAttributes, labelKey, type AttributeSpec } from './attributes';

/** One entry of a shape type's label palette. */
export interface PaletteEntry {
  tool: string;
  label: string;
  color: string;
  keypoints: string[];
  skeleton: [string, string][];
  /** The schema's `hotkey` of the label, if it gives one. */
  hotkey?: string | null;
}

/**
 * The label key slot (1–9, the keymap actions `label.choose1` … `label.choose9`) of each entry of
 * a palette, or null for none. The schema's hotkeys win: a label with `hotkey: "6"` is slot 6 (the
 * first such label, if two tools of one type both claim it). Positions are the default only: a label
 * without a hotkey takes the lowest slot that no label of the palette claims explicitly and no earlier
 * label took. A label whose hotkey is not a digit 1–9 (or repeats a claimed digit) gets no slot.
 */
export function labelSlots(palette: readonly Pick<PaletteEntry, 'hotkey'>[]): (number | null)[] {
  const digit = (h: string | null | undefined): number | null => (h && /^[1-9]$/.test(h.trim()) ? Number(h.trim()) : null);
  const taken = new Set<number>();
  const out: (number | null)[] = palette.map((e) => {
    const d = digit(e.hotkey);
    if (d === null || taken.has(d)) return null;
    taken.add(d);
    return d;
  });
  let next = 1;
  palette.forEach((e, i) => {
    if (e.hotkey) return;
    while (taken.has(next)) next++;
    if (next > 9) return;
    out[i] = next;
    taken.add(next);
  });
  return out;
}

/** A classification or free-text tool of the schema. */
export interface AnswerTool {
  name: string;
  type: 'classification' | 'text';
  choices: string[];
  multiple: boolean;
  required: boolean;
}

/** The tool types whose regions carry a label (each has a palette). */
export type LabelledType = ShapeType | 'span' | 'relation';

/** The schema as the workspace uses it. */
export interface WorkspaceSchema {
  media: string;
  /** Labels per tool type, in schema order (an image view uses the shape types, a text view spans and relations). */
  palettes: Record<LabelledType, PaletteEntry[]>;
  answers: AnswerTool[];
  /** Colour of a (tool, label) pair; falls back to the renderer's default colour. */
  colorOf(tool: string, label: string): string;
  /** The attributes a (tool, label) pair declares, in schema order; optional so hand-made schemas
   * (bench/canvas) stay valid without it — absent means no label declares any. */
  attributesOf?(tool: string, label: string): readonly AttributeSpec[];
}

/** The workspace schema of a project's normalized `label_schema`. */
export function workspaceSchema(raw: unknown): WorkspaceSchema {
  const view = schemaView(raw);
  const palettes: Record<LabelledType, PaletteEntry[]> = { bbox: [], polygon: [], keypoints: [], mask: [], span: [], relation: [] };
  const answers: AnswerTool[] = [];
  const colors = new Map<string, string>();
  for (const t of view.tools) {
    if (t.type === 'bbox' || t.type === 'polygon' || t.type === 'keypoints' || t.type === 'mask' || t.type === 'span' || t.type === 'relation') {
      for (const l of t.labels) {
        palettes[t.type].push({ tool: t.name, label: l.name, color: l.color, keypoints: t.keypoints, skeleton: t.skeleton, hotkey: l.hotkey });
        colors.set(labelKey(t.name, l.name), l.color);
      }
    } else if (t.type === 'classification' || t.type === 'text') {
      answers.push({ name: t.name, type: t.type, choices: t.choices, multiple: t.multiple, required: t.required });
    }
  }
  const attributes = labelAttributes(raw);
  return {
    media: view.media,
    palettes,
    answers,
    colorOf: (tool, label) => colors.get(labelKey(tool, label)) ?? defaultColor(label),
    attributesOf: (tool, label) => attributes.get(labelKey(tool, label)) ?? [],
  };
}

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
        palettes[t.type].push({ tool: t.name, label: l.name, color: l.color, keypoints: t.keypoints, skeleton: t.skeleton });
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

/** What the workspace needs from a project's label schema: palettes per shape type, answer tools. */

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

/** The schema as the workspace uses it. */
export interface WorkspaceSchema {
  media: string;
  palettes: Record<ShapeType, PaletteEntry[]>;
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
  const palettes: Record<ShapeType, PaletteEntry[]> = { bbox: [], polygon: [], keypoints: [], mask: [] };
  const answers: AnswerTool[] = [];
  const colors = new Map<string, string>();
  for (const t of view.tools) {
    if (t.type === 'bbox' || t.type === 'polygon' || t.type === 'keypoints' || t.type === 'mask') {
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

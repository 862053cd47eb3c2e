/** Exports: the dialog's form → the request body, the formats that fit a project's medium, the
 * data manager's filter passed on as the export's, the report of what a format dropped, and the
 * export calls. */

import { api, call, type Schemas } from '../../lib';

export type ExportFormat = Schemas['ExportFormatRead'];
export type Export = Schemas['ExportRead'];
export type ExportCreate = Schemas['ExportCreate'];
export type ExportFilter = NonNullable<ExportCreate['filter']>;
export type ResultChoice = NonNullable<ExportCreate['result']>;

/** The format a new export starts with when the project's medium has it (the common case:
 * Export… → Export). */
export const DEFAULT_FORMAT = 'coco';

/** Which results an export holds; the server refuses `consensus` and `reviewed` until the
 * quality engine lands, so they are shown but cannot be chosen. */
export const RESULT_CHOICES: readonly { value: ResultChoice; title: string; note: string; disabled: boolean }[] = [
  { value: 'latest', title: 'Latest', note: "each task's latest annotation", disabled: false },
  { value: 'all', title: 'All annotators', note: "every annotator's annotation", disabled: false },
  { value: 'ground_truth', title: 'Ground truth', note: 'gold tasks only, with their latest annotation', disabled: false },
  { value: 'consensus', title: 'Consensus', note: 'comes with the quality engine', disabled: true },
  { value: 'reviewed', title: 'Reviewed', note: 'comes with the quality engine', disabled: true },
];

/** The formats that can hold a project of `media` (e.g. `image`), in the server's order. */
export function formatsFor(formats: readonly ExportFormat[], media: string): ExportFormat[] {
  return formats.filter((f) => f.media.includes(media));
}

/** The format to preselect: COCO when it fits, else the first that fits, else none. */
export function defaultFormat(fitting: readonly ExportFormat[]): string {
  return fitting.some((f) => f.name === DEFAULT_FORMAT) ? DEFAULT_FORMAT : (fitting[0]?.name ?? '');
}

/** How an option is edited: by the type of its default (a null default is free text). */
export type OptionKind = 'bool' | 'number' | 'text';

/** The kind of input for an option whose default is `value`. */
export function optionKind(value: unknown): OptionKind {
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return 'number';
  return 'text';
}

/** The format's options as the form holds them (strings for text and number inputs). */
export function optionDefaults(format: ExportFormat | undefined): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (const [name, value] of Object.entries(format?.options ?? {})) {
    out[name] = typeof value === 'boolean' ? value : value === null || value === undefined ? '' : String(value);
  }
  return out;
}

/** The dialog's fields as the user set them. */
export interface ExportForm {
  format: string;
  result: string;
  includeMedia: boolean;
  split: boolean;
  train: string;
  val: string;
  test: string;
  seed: string;
  /** One `old -> new` (rename) or `old ->` (drop) a line; blank lines are ignored. */
  labelMap: string;
  options: Record<string, string | boolean>;
}

/** A new form for `format` (the server's defaults: latest results, no media, no split). */
export function emptyForm(format: ExportFormat | undefined): ExportForm {
  return {
    format: format?.name ?? '',
    result: 'latest',
    includeMedia: false,
    split: false,
    train: '0.8',
    val: '0.1',
    test: '0.1',
    seed: '0',
    labelMap: '',
    options: optionDefaults(format),
  };
}

/** The label mapping typed as lines of `old -> new` (or `old ->` to drop the label), or the
 * first line that is not one of those. */
export function parseLabelMap(text: string): { map: Record<string, string | null> } | { error: string } {
  const map: Record<string, string | null> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (!line) continue;
    const at = line.indexOf('->');
    const from = at < 0 ? '' : line.slice(0, at).trim();
    if (!from) return { error: `label mapping line ${i + 1}: write "old -> new", or "old ->" to drop the label` };
    if (from in map) return { error: `label mapping line ${i + 1}: "${from}" is mapped twice` };
    const to = line.slice(at + 2).trim();
    map[from] = to === '' ? null : to;
  }
  return { map };
}

/** The request body of `POST /projects/{id}/exports` for `form` and the data manager's filter
 * (undefined: the whole project), or the field that is wrong. Fields left at the server's
 * defaults are left out, and only options that differ from the format's defaults are sent. */
export function exportBody(
  form: ExportForm,
  format: ExportFormat | undefined,
  filter?: ExportFilter | undefined,
): { body: ExportCreate } | { error: string } {
  if (!format || format.name !== form.format) return { error: 'Choose a format.' };
  const choice = RESULT_CHOICES.find((c) => c.value === form.result);
  if (!choice || choice.disabled) return { error: `The result "${form.result}" cannot be exported yet.` };
  const body: ExportCreate = { format: form.format };
  if (form.result !== 'latest') body.result = choice.value;
  if (form.includeMedia) body.include_media = true;
  if (form.split) {
    const parts = [form.train, form.val, form.test].map((s) => Number(s));
    if (parts.some((n, i) => !/\S/.test([form.train, form.val, form.test][i] ?? '') || !Number.isFinite(n) || n < 0 || n > 1))
      return { error: 'Split: train, val and test are fractions between 0 and 1.' };
    const [train, val, test] = parts as [number, number, number];
    if (Math.abs(train + val + test - 1) > 1e-6) return { error: `Split: train, val and test add up to ${+(train + val + test).toFixed(6)}, not 1.` };
    if (!/^\d+$/.test(form.seed.trim())) return { error: 'Split: the seed is a whole number, 0 or more.' };
    body.split = { train, val, test, seed: Number(form.seed.trim()) };
  }
  const mapped = parseLabelMap(form.labelMap);
  if ('error' in mapped) return mapped;
  if (Object.keys(mapped.map).length) body.label_map = mapped.map;
  if (filter && Object.keys(filter).length) body.filter = filter;
  const options: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(format.options)) {
    const value = form.options[name];
    if (value === undefined) continue;
    const kind = optionKind(def);
    if (kind === 'bool') {
      if (value !== def) options[name] = value;
    } else if (kind === 'number') {
      const text = String(value).trim();
      if (!text || !Number.isFinite(Number(text))) return { error: `Option ${name}: a number.` };
      if (Number(text) !== def) options[name] = Number(text);
    } else {
      const text = String(value).trim();
      if (text !== (def === null || def === undefined ? '' : String(def))) options[name] = text === '' ? null : text;
    }
  }
  if (Object.keys(options).length) body.options = options;
  return { body };
}

/** The data manager's table query as an export's filter: the same parameters the task table is
 * asked with, without its sort and paging (an export takes every matching task). */
export function filterFromTableQuery(query: Readonly<Record<string, string | number | boolean>>): ExportFilter {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(query)) {
    if (key === 'sort' || key === 'offset' || key === 'limit') continue;
    out[key] = value;
  }
  return out as ExportFilter;
}

/** One line of an export's report: what the format could not hold, how often, and the first
 * tasks it happened to. */
export interface DropRow {
  reason: string;
  count: number;
  taskIds: number[];
  /** How many of the affected tasks are not listed (the server lists the first 20). */
  unlisted: number;
}

/** The report's drops, most frequent first. */
export function dropRows(report: Export['report']): DropRow[] {
  return [...(report.dropped ?? [])]
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason))
    .map((d) => ({ reason: d.reason, count: d.count, taskIds: d.task_ids, unlisted: Math.max(0, d.count - d.task_ids.length) }));
}

/** States after which an export's job never changes. */
export const isExportFinished = (e: Pick<Export, 'state'>): boolean => ['succeeded', 'failed', 'cancelled'].includes(e.state);

const projectPath = (projectId: number) => ({ params: { path: { project_id: projectId } } });
const exportPath = (exportId: number) => ({ params: { path: { export_id: exportId } } });

export const listExportFormats = (): Promise<ExportFormat[]> => call(api.GET('/api/v1/export-formats'));
export const listExports = (projectId: number): Promise<Export[]> => call(api.GET('/api/v1/projects/{project_id}/exports', projectPath(projectId)));
export const createExport = (projectId: number, body: ExportCreate): Promise<Export> =>
  call(api.POST('/api/v1/projects/{project_id}/exports', { ...projectPath(projectId), body }));
export const getExport = (exportId: number): Promise<Export> => call(api.GET('/api/v1/exports/{export_id}', exportPath(exportId)));
export const deleteExport = (exportId: number): Promise<unknown> => call(api.DELETE('/api/v1/exports/{export_id}', exportPath(exportId)));

/** Where the browser downloads an export (a plain link: the session cookie authorizes it). */
export const downloadHref = (exportId: number): string => `/api/v1/exports/${exportId}/download`;

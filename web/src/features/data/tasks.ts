/** Task calls of the data manager. */

import { api, call, type Schemas } from '../../lib';
import { tableQuery, type FetchWindow, type TaskFilters } from './table';

export type Task = Schemas['TaskRead'];
export type Report = Schemas['TaskReportRead'];
export type Batch = Schemas['BatchRead'];
export type BulkUpdate = Partial<Omit<Schemas['TaskBulkUpdate'], 'task_ids'>>;

/** A window fetcher of `/tasks/table` for these filters. */
export function tableFetcher(projectId: number, filters: TaskFilters): FetchWindow {
  const query = tableQuery(filters);
  return (offset, limit) =>
    call(api.GET('/api/v1/projects/{project_id}/tasks/table', { params: { path: { project_id: projectId }, query: { ...query, offset, limit } } }));
}

/** The project's batches. */
export const listBatches = (projectId: number): Promise<Batch[]> =>
  call(api.GET('/api/v1/projects/{project_id}/batches', { params: { path: { project_id: projectId } } }));

/** Delete, re-prioritize or move many tasks; resolves with how many changed. */
export const bulkUpdate = (projectId: number, taskIds: number[], change: BulkUpdate): Promise<number> =>
  call(api.POST('/api/v1/projects/{project_id}/tasks/bulk', { params: { path: { project_id: projectId } }, body: { task_ids: taskIds, ...change } })).then((r) => r.affected);

/** A task with its annotations, predictions, and the organization's people by id (empty when
 * the caller may not list members: the page then names users by id). */
export async function loadTask(
  taskId: number,
  organizationId: number,
): Promise<{ task: Task; annotations: Schemas['AnnotationRead'][]; predictions: Schemas['PredictionRead'][]; people: Map<number, Schemas['PersonRead']> }> {
  const path = { params: { path: { task_id: taskId } } };
  const [task, annotations, predictions, members] = await Promise.all([
    call(api.GET('/api/v1/tasks/{task_id}', path)),
    call(api.GET('/api/v1/tasks/{task_id}/annotations', path)),
    call(api.GET('/api/v1/tasks/{task_id}/predictions', path)),
    call(api.GET('/api/v1/organizations/{organization_id}/members', { params: { path: { organization_id: organizationId } } })).catch(() => []),
  ]);
  const people = new Map(members.map((m) => [m.user_id, { id: m.user_id, name: m.name, email: m.email }]));
  return { task, annotations, predictions, people };
}

/** Every revision of an annotation, oldest first. */
export const listRevisions = (annotationId: number): Promise<Schemas['AnnotationRevisionRead'][]> =>
  call(api.GET('/api/v1/annotations/{annotation_id}/revisions', { params: { path: { annotation_id: annotationId } } }));

/** The URL of a stored image's thumbnail (`size` px a side at most), or null for an image that
 * is not stored media of the project (imported by URL: the browser scales the URL's image). */
export function thumbnailUrl(data: Record<string, unknown>, projectId: number, size = 64): string | null {
  const url = imageUrl(data);
  const prefix = `/api/v1/projects/${projectId}/media/`;
  if (!url || !url.startsWith(prefix)) return null;
  return `${url}/thumbnail?size=${size}`;
}

/** A one-line description of a task's data for the table (file name, or the start of its text). */
export function dataSummary(data: Record<string, unknown>, meta: Record<string, unknown> = {}): string {
  const name = meta['filename'] ?? data['filename'];
  if (typeof name === 'string' && name) return name;
  for (const key of ['text', 'image', 'video', 'audio', 'url']) {
    const v = data[key];
    if (typeof v === 'string' && v) return v.length > 120 ? `${v.slice(0, 117)}…` : v;
  }
  const json = JSON.stringify(data);
  return json.length > 120 ? `${json.slice(0, 117)}…` : json;
}

/** The image URL of a task, if its data has one. */
export function imageUrl(data: Record<string, unknown>): string | null {
  const v = data['image'];
  return typeof v === 'string' && v ? v : null;
}

/** A report reason in words. */
export function reasonLabel(reason: Report['reason']): string {
  return { broken_media: 'broken media', wrong_data: 'wrong data', other: 'other' }[reason] ?? reason;
}

/** One line about a report: reason, note and who (`broken media: 404 — Ada <ada@x>`). */
export function reportLine(report: Report): string {
  const who = report.reporter ? report.reporter.name || report.reporter.email : 'a deleted account';
  return `${reasonLabel(report.reason)}${report.note ? `: ${report.note}` : ''} — ${who}`;
}

/** Every report of a task, open and resolved, newest first (managers and up). */
export const listReports = (taskId: number): Promise<Report[]> =>
  call(api.GET('/api/v1/tasks/{task_id}/reports', { params: { path: { task_id: taskId } } }));

/** Resolve a task's open reports: it goes back to the queue. The reports resolved now. */
export const resolveReports = (taskId: number, note: string): Promise<Report[]> =>
  call(api.POST('/api/v1/tasks/{task_id}/reports/resolve', { params: { path: { task_id: taskId } }, body: { note: note.trim() } }));

/** Replace a task's data (managers and up; refused while it has annotations). */
export const updateTaskData = (taskId: number, data: Record<string, unknown>): Promise<Task> =>
  call(api.PATCH('/api/v1/tasks/{task_id}', { params: { path: { task_id: taskId } }, body: { data } }));

/** Data typed as JSON: the object, or why it is not one. */
export function parseTaskData(text: string): { data: Record<string, unknown> } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: `Not JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'The data must be a JSON object, like {"image": "…"}' };
  return { data: value as Record<string, unknown> };
}

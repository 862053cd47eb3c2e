/** The workspace's API calls: draft autosave, submit, skip, report, predictions, the media's size. */

import { api, call, type Schemas } from '../../lib';
import type { Draft } from './draft';
import type { PredictionLike } from './predictions';

/** Autosave the draft on the server (the assignment keeps it). */
export async function saveDraft(taskId: number, draft: Draft): Promise<void> {
  await call(api.PUT('/api/v1/tasks/{task_id}/draft', { params: { path: { task_id: taskId } }, body: { draft } }));
}

/** Submit an annotation; the same `id` again returns the first one (idempotent retry). */
export function submitAnnotation(taskId: number, body: Schemas['AnnotationCreate']): Promise<Schemas['AnnotationRead']> {
  return call(api.POST('/api/v1/tasks/{task_id}/annotations', { params: { path: { task_id: taskId } }, body }));
}

/** Give the task back. */
export async function skip(taskId: number): Promise<void> {
  await call(api.POST('/api/v1/tasks/{task_id}/skip', { params: { path: { task_id: taskId } } }));
}

/** Report a task that cannot be annotated as it is: it leaves the queue and the lease ends. */
export async function reportTask(taskId: number, body: Schemas['TaskReportCreate']): Promise<void> {
  await call(api.POST('/api/v1/tasks/{task_id}/reports', { params: { path: { task_id: taskId } }, body }));
}

/** Model predictions of a task. */
export function listPredictions(taskId: number): Promise<PredictionLike[]> {
  return call(api.GET('/api/v1/tasks/{task_id}/predictions', { params: { path: { task_id: taskId } } }));
}

/** Record the size of a task's image as loaded (the server keeps the first, checks it against
 * its own file when it stores the image, and answers with the size it knows). */
export function recordMediaSize(taskId: number, width: number, height: number): Promise<Schemas['MediaSizeRead']> {
  return call(api.PUT('/api/v1/tasks/{task_id}/media-size', { params: { path: { task_id: taskId } }, body: { width, height } }));
}

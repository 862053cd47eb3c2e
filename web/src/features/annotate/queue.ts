/** The annotation queue as the browser uses it: next task (a lease), skip. */

import { api, call, type Schemas } from '../../lib';
import { viewForMedia, views, type ViewRegistry } from './views';

export type Lease = Schemas['LeaseRead'];

/** Your current or next task under a lease, or null when nothing is left for you. */
export async function nextTask(projectId: number): Promise<Lease | null> {
  const r = await call(api.POST('/api/v1/projects/{project_id}/next', { params: { path: { project_id: projectId } } }));
  // 204 (nothing left) has no body: openapi-fetch yields undefined or {}.
  return r && typeof r === 'object' && 'task' in r ? r : null;
}

/** Give a task back; you will not get it again. */
export async function skipTask(taskId: number): Promise<void> {
  await call(api.POST('/api/v1/tasks/{task_id}/skip', { params: { path: { task_id: taskId } } }));
}

/** What the annotate route shows next: a task under a lease, the end of the queue, or no view. */
export type QueueStep = { kind: 'lease'; lease: Lease } | { kind: 'done' } | { kind: 'no-view'; message: string };

/**
 * The next step of the queue of a project of `media`: without a view for the medium no lease is
 * taken (the task would sit leased to someone who cannot annotate it); else `next` is asked.
 */
export async function nextStep(projectId: number, media: string, registry: ViewRegistry = views, next: (projectId: number) => Promise<Lease | null> = nextTask): Promise<QueueStep> {
  const found = viewForMedia(media, registry);
  if ('missing' in found) return { kind: 'no-view', message: found.missing };
  const lease = await next(projectId);
  return lease ? { kind: 'lease', lease } : { kind: 'done' };
}

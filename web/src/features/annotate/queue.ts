/** The annotation queue as the browser uses it: next task (a lease), skip. */

import { api, call, type Schemas } from '../../lib';

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

/**
 * What each organization role may do, mirrored from the server's one policy
 * (`server/src/accord_server/services/permissions.py`, `POLICY`). The server stays the authority:
 * this only hides screens and links a role cannot use. `policy.json` is that table; a server test
 * (`server/tests/services/test_permissions_web.py`) fails when the two differ.
 */

import policy from './policy.json';

/** An action of the policy ("task.import", "member.manage" …). */
export type Action =
  | 'org.read' | 'org.update' | 'member.list' | 'member.manage' | 'project.create' | 'project.read'
  | 'project.update' | 'project.delete' | 'project.progress' | 'task.import' | 'task.list' | 'task.update'
  | 'task.delete' | 'queue.next' | 'annotation.create' | 'annotation.read_any' | 'annotation.edit_any' | 'job.read_any'
  | 'report.create' | 'report.manage' | 'export.create' | 'version.create' | 'version.read' | 'webhook.manage';

const table = policy as Record<string, readonly string[]>;

/** Whether `role` may perform `action` (an unknown or missing role may do nothing). */
export function can(role: string | null | undefined, action: Action): boolean {
  return role != null && (table[role]?.includes(action) ?? false);
}

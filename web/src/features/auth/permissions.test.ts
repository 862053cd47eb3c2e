import { describe, expect, it } from 'vitest';
import { can } from './permissions';
import { canManage } from './session';

describe('the role policy (the server test pins policy.json to permissions.POLICY)', () => {
  it('an annotator may annotate but not see data, import, settings or members', () => {
    expect(can('annotator', 'queue.next')).toBe(true);
    for (const a of ['task.list', 'task.import', 'project.update', 'project.delete', 'member.list', 'project.progress'] as const) {
      expect(can('annotator', a)).toBe(false);
    }
  });
  it('a reviewer sees data and members, a manager imports, only admins manage members', () => {
    expect(can('reviewer', 'task.list')).toBe(true);
    expect(can('reviewer', 'member.list')).toBe(true);
    expect(can('reviewer', 'task.import')).toBe(false);
    expect(can('manager', 'task.import')).toBe(true);
    expect(can('manager', 'member.manage')).toBe(false);
    expect(can('admin', 'member.manage')).toBe(true);
    expect(can(undefined, 'org.read')).toBe(false);
    expect(canManage('manager')).toBe(true);
    expect(canManage('reviewer')).toBe(false);
  });
});

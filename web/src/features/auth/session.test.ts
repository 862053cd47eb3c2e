import { describe, expect, it } from 'vitest';
import { canManage, pickOrganization } from './session';

const ms = [
  { organization_id: 1, organization_name: 'A', role: 'owner' },
  { organization_id: 5, organization_name: 'B', role: 'annotator' },
];

describe('pickOrganization', () => {
  it('keeps the remembered organization while still a member', () => {
    expect(pickOrganization(ms, 5)?.organization_name).toBe('B');
  });
  it('falls back to the first membership, or null', () => {
    expect(pickOrganization(ms, 9)?.organization_id).toBe(1);
    expect(pickOrganization(ms, null)?.organization_id).toBe(1);
    expect(pickOrganization([], 1)).toBeNull();
  });
  it('knows who manages', () => {
    expect(canManage('manager')).toBe(true);
    expect(canManage('annotator')).toBe(false);
    expect(canManage(undefined)).toBe(false);
  });
});

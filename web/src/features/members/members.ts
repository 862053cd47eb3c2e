/** Organization members: list, invite, change role, remove. */

import { ApiError, api, call, type Schemas } from '../../lib';

export type Member = Schemas['MemberRead'];
export const ROLES = ['owner', 'admin', 'manager', 'reviewer', 'annotator'] as const;

const path = (organization_id: number) => ({ params: { path: { organization_id } } });
const memberPath = (organization_id: number, user_id: number) => ({ params: { path: { organization_id, user_id } } });

export const listMembers = (org: number): Promise<Member[]> => call(api.GET('/api/v1/organizations/{organization_id}/members', path(org)));

/** Invite by email; a new user needs a password (send null to add an existing user). */
export const inviteMember = (org: number, body: { email: string; role: string; name?: string; password?: string | null }): Promise<Member> =>
  call(api.POST('/api/v1/organizations/{organization_id}/members', { ...path(org), body: { name: '', ...body } }));

export const changeRole = (org: number, userId: number, role: string): Promise<Member> =>
  call(api.PATCH('/api/v1/organizations/{organization_id}/members/{user_id}', { ...memberPath(org, userId), body: { role } }));

export const removeMember = (org: number, userId: number): Promise<void> =>
  call(api.DELETE('/api/v1/organizations/{organization_id}/members/{user_id}', memberPath(org, userId))).then(() => undefined);

/** The invite body from the form (blank name and password left out). */
export function inviteBody(form: { email: string; role: string; name: string; password: string }): { email: string; role: string; name?: string; password?: string } {
  const out: { email: string; role: string; name?: string; password?: string } = { email: form.email.trim(), role: form.role };
  if (form.name.trim()) out.name = form.name.trim();
  if (form.password) out.password = form.password;
  return out;
}

/** Whether an error is the API asking for the password field. */
export function needsPassword(e: unknown): boolean {
  return e instanceof ApiError && (e.field === 'password' || e.errors.some((x) => x.path.endsWith('password')));
}

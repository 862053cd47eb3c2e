/** Organization members: list, invite, change role, remove. */

import { api, call, type Schemas } from '../../lib';

export type Member = Schemas['MemberRead'];
export const ROLES = ['owner', 'admin', 'manager', 'reviewer', 'annotator'] as const;

const path = (organization_id: number) => ({ params: { path: { organization_id } } });
const memberPath = (organization_id: number, user_id: number) => ({ params: { path: { organization_id, user_id } } });

export const listMembers = (org: number): Promise<Member[]> => call(api.GET('/api/v1/organizations/{organization_id}/members', path(org)));

export type MemberAdded = Schemas['MemberAdded'];

/** Add by email. The password is required for every email: a new account gets it, an existing
 * one keeps its own, and the answer is the same either way (it does not tell which). */
export const inviteMember = (org: number, body: { email: string; role: string; name?: string; password: string }): Promise<MemberAdded> =>
  call(api.POST('/api/v1/organizations/{organization_id}/members', { ...path(org), body: { name: '', ...body } }));

export const changeRole = (org: number, userId: number, role: string): Promise<Member> =>
  call(api.PATCH('/api/v1/organizations/{organization_id}/members/{user_id}', { ...memberPath(org, userId), body: { role } }));

export const removeMember = (org: number, userId: number): Promise<void> =>
  call(api.DELETE('/api/v1/organizations/{organization_id}/members/{user_id}', memberPath(org, userId))).then(() => undefined);

/** The invite body from the form (a blank name left out). */
export function inviteBody(form: { email: string; role: string; name: string; password: string }): { email: string; role: string; name?: string; password: string } {
  const out: { email: string; role: string; name?: string; password: string } = { email: form.email.trim(), role: form.role, password: form.password };
  if (form.name.trim()) out.name = form.name.trim();
  return out;
}

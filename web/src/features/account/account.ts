/** Your account: personal API tokens (create, list, revoke) and your password. */

import { api, call, type Schemas } from '../../lib';

export type ApiToken = Schemas['ApiTokenRead'];
export type NewToken = Schemas['ApiTokenCreated'];

/** The server's shortest password (services/passwords.py MIN_PASSWORD_LENGTH). */
export const MIN_PASSWORD_LENGTH = 8;

export const listTokens = (): Promise<ApiToken[]> => call(api.GET('/api/v1/auth/tokens'));

/** A new token; its secret (`token`) is in this answer only. */
export const createToken = (name: string): Promise<NewToken> => call(api.POST('/api/v1/auth/tokens', { body: { name: name.trim() } }));

export const revokeToken = (id: number): Promise<ApiToken> =>
  call(api.DELETE('/api/v1/auth/tokens/{token_id}', { params: { path: { token_id: id } } }));

/** Change your password; your other login sessions end, this one stays, and so do your API
 * tokens unless `revokeTokens` (then every one of them is revoked). */
export const changePassword = (current: string, next: string, revokeTokens = false): Promise<void> =>
  call(api.POST('/api/v1/auth/password', { body: { current_password: current, new_password: next, revoke_tokens: revokeTokens } })).then(() => undefined);

/** What the account page says once the password has changed. */
export function passwordChangedNote(revokedTokens: boolean): string {
  return revokedTokens
    ? 'Password changed. Your other login sessions have ended and every API token is revoked: scripts need a new one.'
    : 'Password changed. Your other login sessions have ended; your API tokens still work.';
}

/** Tokens in use first, newest first; revoked ones after them. */
export function sortTokens(tokens: readonly ApiToken[]): ApiToken[] {
  const rank = (t: ApiToken) => (t.revoked_at ? 1 : 0);
  return [...tokens].sort((a, b) => rank(a) - rank(b) || b.id - a.id);
}

/** What is wrong with a new password before it is sent, or null. */
export function newPasswordProblem(form: { current: string; next: string; repeat: string }): string | null {
  if (form.next.length < MIN_PASSWORD_LENGTH) return `The new password needs at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (form.next !== form.repeat) return 'The two new passwords differ.';
  if (form.next === form.current) return 'The new password is the same as the current one.';
  return null;
}

/** Who is logged in, and which organization they are working in. */

import { derived, get, writable, type Readable } from 'svelte/store';
import { ApiError, api, call, http, type Schemas } from '../../lib';
import { can } from './permissions';

export type Me = Schemas['MeRead'];
export type Membership = Schemas['MembershipRead'];

/** `undefined` while the first `/auth/me` is in flight, `null` when logged out. */
export const me = writable<Me | null | undefined>(undefined);

const ORG_KEY = 'accord.organization';

/** The organization to show: the remembered one if still a member, else the first membership. */
export function pickOrganization(memberships: readonly Membership[], remembered: number | null): Membership | null {
  return memberships.find((m) => m.organization_id === remembered) ?? memberships[0] ?? null;
}

function remembered(): number | null {
  try {
    const v = Number(localStorage.getItem(ORG_KEY));
    return Number.isSafeInteger(v) && v > 0 ? v : null;
  } catch {
    return null;
  }
}

const chosenOrg = writable<number | null>(typeof localStorage === 'undefined' ? null : remembered());

/** The current membership (organization and role), or null. */
export const membership: Readable<Membership | null> = derived([me, chosenOrg], ([m, org]) =>
  m ? pickOrganization(m.memberships, org) : null,
);

/** Switch organization and remember the choice in this browser. */
export function chooseOrganization(id: number): void {
  chosenOrg.set(id);
  try {
    localStorage.setItem(ORG_KEY, String(id));
  } catch {
    /* private mode: not remembered */
  }
}

function accept(m: Me): void {
  http.csrfToken = m.csrf_token ?? null;
  me.set(m);
}

/** Ask the server who we are (a 401 means logged out). */
export async function loadSession(): Promise<void> {
  try {
    accept(await call(api.GET('/api/v1/auth/me')));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) me.set(null);
    else throw e;
  }
}

/** Log in; throws the API's ApiError (e.g. wrong password, rate limited). */
/** Change your display name ('' for none); the session's `me` follows. */
export async function updateName(name: string): Promise<void> {
  accept(await call(api.PATCH('/api/v1/auth/me', { body: { name } })));
}

export async function login(email: string, password: string): Promise<void> {
  accept(await call(api.POST('/api/v1/auth/login', { body: { email, password } })));
}

/** Log out (the session is forgotten here even if the server call fails). */
export async function logout(): Promise<void> {
  try {
    await call(api.POST('/api/v1/auth/logout'));
  } finally {
    http.csrfToken = null;
    me.set(null);
  }
}

/** From now on, any 401 (session expired, logged out elsewhere) shows the login screen. */
export function guardSession(): void {
  http.onUnauthorized = () => {
    if (get(me)) me.set(null);
  };
}

/** Roles that may create and change projects (the policy's `project.create`). */
export function canManage(role: string | undefined): boolean {
  return can(role, 'project.create');
}

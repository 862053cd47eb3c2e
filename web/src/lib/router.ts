/** Hash routes (`#/projects/3/tasks`): deep links work behind any static file server. */

import { readable, type Readable } from 'svelte/store';

/** A project sub-page. */
export type ProjectTab = 'dashboard' | 'tasks' | 'import' | 'exports' | 'settings' | 'annotate';

/** Every screen of the app, with its parameters. */
export type Route =
  | { name: 'projects' }
  | { name: 'project-new' }
  | { name: 'members' }
  | { name: 'webhooks' }
  | { name: 'account' }
  | { name: 'project'; id: number; tab: ProjectTab; query?: Record<string, string> }
  | { name: 'task'; id: number; taskId: number }
  | { name: 'not-found'; path: string };

const TABS: readonly ProjectTab[] = ['dashboard', 'tasks', 'import', 'exports', 'settings', 'annotate'];

function positiveInt(s: string | undefined): number | null {
  if (s === undefined || !/^[1-9][0-9]*$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

/** The parameters of a query string (`reported=1&x=2`), or undefined when there are none. */
function parseQuery(text: string | undefined): Record<string, string> | undefined {
  const entries = [...new URLSearchParams(text ?? '').entries()];
  return entries.length ? Object.fromEntries(entries) : undefined;
}

/** The route of a location hash (`''`, `'#/'` and `'#/projects'` are the projects list). A
 * project tab keeps its query (`#/projects/3/tasks?reported=1`: the data manager's filter). */
export function parseHash(hash: string): Route {
  const [path = '', queryText] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter((p) => p !== '');
  const [a, b, c, d] = parts;
  if (parts.length === 0 || (a === 'projects' && parts.length === 1)) return { name: 'projects' };
  if (a === 'members' && parts.length === 1) return { name: 'members' };
  if (a === 'webhooks' && parts.length === 1) return { name: 'webhooks' };
  if (a === 'account' && parts.length === 1) return { name: 'account' };
  if (a === 'projects' && b === 'new' && parts.length === 2) return { name: 'project-new' };
  const id = positiveInt(b);
  if (a === 'projects' && id !== null) {
    if (parts.length === 2) return { name: 'project', id, tab: 'dashboard' };
    if (c === 'tasks' && parts.length === 4) {
      const taskId = positiveInt(d);
      if (taskId !== null) return { name: 'task', id, taskId };
    }
    if (parts.length === 3 && (TABS as readonly string[]).includes(c ?? '')) {
      const query = parseQuery(queryText);
      return query ? { name: 'project', id, tab: c as ProjectTab, query } : { name: 'project', id, tab: c as ProjectTab };
    }
  }
  return { name: 'not-found', path: '/' + parts.join('/') };
}

/** The hash (with `#`) that shows `route`. */
export function href(route: Route): string {
  switch (route.name) {
    case 'projects':
      return '#/projects';
    case 'project-new':
      return '#/projects/new';
    case 'members':
      return '#/members';
    case 'webhooks':
      return '#/webhooks';
    case 'account':
      return '#/account';
    case 'project': {
      const query = route.query ? `?${new URLSearchParams(route.query).toString()}` : '';
      if (route.tab === 'dashboard' && !query) return `#/projects/${route.id}`;
      return `#/projects/${route.id}/${route.tab}${query}`;
    }
    case 'task':
      return `#/projects/${route.id}/tasks/${route.taskId}`;
    case 'not-found':
      return `#${route.path}`;
  }
}

/** Go to `route` (adds a history entry). */
export function navigate(route: Route): void {
  window.location.hash = href(route);
}

/** The current route, following `hashchange`. */
export const route: Readable<Route> = readable<Route>(
  typeof window === 'undefined' ? { name: 'projects' } : parseHash(window.location.hash),
  (set) => {
    const update = () => set(parseHash(window.location.hash));
    window.addEventListener('hashchange', update);
    update();
    return () => window.removeEventListener('hashchange', update);
  },
);

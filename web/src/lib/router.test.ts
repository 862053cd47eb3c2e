import { describe, expect, it } from 'vitest';
import { href, parseHash, type Route } from './router';

describe('parseHash', () => {
  it('maps the empty hash and #/projects to the list', () => {
    expect(parseHash('')).toEqual({ name: 'projects' });
    expect(parseHash('#/')).toEqual({ name: 'projects' });
    expect(parseHash('#/projects/')).toEqual({ name: 'projects' });
  });

  it('reads project tabs and tasks', () => {
    expect(parseHash('#/projects/3')).toEqual({ name: 'project', id: 3, tab: 'dashboard' });
    expect(parseHash('#/projects/3/tasks')).toEqual({ name: 'project', id: 3, tab: 'tasks' });
    expect(parseHash('#/projects/3/annotate')).toEqual({ name: 'project', id: 3, tab: 'annotate' });
    expect(parseHash('#/projects/3/tasks/41')).toEqual({ name: 'task', id: 3, taskId: 41 });
    expect(parseHash('#/projects/new')).toEqual({ name: 'project-new' });
    expect(parseHash('#/members')).toEqual({ name: 'members' });
    expect(parseHash('#/account')).toEqual({ name: 'account' });
    expect(parseHash('#/webhooks')).toEqual({ name: 'webhooks' });
    expect(parseHash('#/projects/3/exports')).toEqual({ name: 'project', id: 3, tab: 'exports' });
  });

  it('keeps a project tab’s query and ignores the others’', () => {
    expect(parseHash('#/projects/3/tasks?reported=1')).toEqual({ name: 'project', id: 3, tab: 'tasks', query: { reported: '1' } });
    expect(parseHash('#/projects/3/tasks?')).toEqual({ name: 'project', id: 3, tab: 'tasks' });
    expect(parseHash('#/projects/3/tasks/41?x=1')).toEqual({ name: 'task', id: 3, taskId: 41 });
  });

  it('refuses bad ids and unknown tabs', () => {
    expect(parseHash('#/projects/0').name).toBe('not-found');
    expect(parseHash('#/projects/abc').name).toBe('not-found');
    expect(parseHash('#/projects/3/nope').name).toBe('not-found');
    expect(parseHash('#/projects/3/tasks/x').name).toBe('not-found');
    expect(parseHash('#/elsewhere')).toEqual({ name: 'not-found', path: '/elsewhere' });
  });
});

describe('href', () => {
  it('round-trips every route', () => {
    const routes: Route[] = [
      { name: 'projects' },
      { name: 'project-new' },
      { name: 'members' },
      { name: 'account' },
      { name: 'webhooks' },
      { name: 'project', id: 7, tab: 'exports' },
      { name: 'project', id: 7, tab: 'dashboard' },
      { name: 'project', id: 7, tab: 'settings' },
      { name: 'project', id: 7, tab: 'tasks', query: { reported: '1' } },
      { name: 'project', id: 7, tab: 'dashboard', query: { a: 'b c' } },
      { name: 'task', id: 7, taskId: 9 },
    ];
    for (const r of routes) expect(parseHash(href(r))).toEqual(r);
  });
});

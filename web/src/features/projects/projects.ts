/** Project calls used by the screens. */

import { api, call, formatCount, plural, type Schemas } from '../../lib';

export type Project = Schemas['ProjectRead'];
export type Progress = Schemas['ProjectProgressRead'];
export type OwnProgress = Schemas['OwnProgressRead'];
export type ProjectUpdate = Schemas['ProjectUpdate'];

const path = (project_id: number) => ({ params: { path: { project_id } } });

/** The projects of an organization. */
export const listProjects = (organization_id: number): Promise<Project[]> =>
  call(api.GET('/api/v1/projects', { params: { query: { organization_id } } }));

/** One project. */
export const getProject = (id: number): Promise<Project> => call(api.GET('/api/v1/projects/{project_id}', path(id)));

/** Task and annotation counts of a project. */
export const getProgress = (id: number): Promise<Progress> => call(api.GET('/api/v1/projects/{project_id}/progress', path(id)));

/** The caller's own work in a project (any member; annotators see this instead of `getProgress`). */
export const getOwnProgress = (id: number): Promise<OwnProgress> =>
  call(api.GET('/api/v1/projects/{project_id}/progress/mine', path(id)));

/** The tasks you hold now, and whether their drafts are saved: `0`, `1`, `1 (draft saved)`, `3 (1 draft saved)`. */
export function heldText(own: Pick<OwnProgress, 'leased' | 'drafts'>): string {
  if (own.leased === 0 || own.drafts === 0) return formatCount(own.leased);
  const saved = own.drafts === own.leased ? (own.drafts === 1 ? 'draft' : 'drafts') : plural(own.drafts, 'draft');
  return `${formatCount(own.leased)} (${saved} saved)`;
}

/** The tasks still open to you: `24`, or `10,000+` where the server stopped counting. */
export function availableText(own: Pick<OwnProgress, 'available' | 'more_available'>): string {
  return `${formatCount(own.available)}${own.more_available ? '+' : ''}`;
}

/** Create a project in an organization from schema YAML. */
export const createProject = (body: Schemas['ProjectCreate']): Promise<Project> => call(api.POST('/api/v1/projects', { body }));

/** Change some settings (a schema change may be refused with 409 while labels are in use). */
export const updateProject = (id: number, body: ProjectUpdate): Promise<Project> =>
  call(api.PATCH('/api/v1/projects/{project_id}', { ...path(id), body }));

/** Delete a project with its tasks and labels. */
export const deleteProject = (id: number): Promise<void> =>
  call(api.DELETE('/api/v1/projects/{project_id}', path(id))).then(() => undefined);

/** The settings a user edits, from a project. */
export interface SettingsForm {
  name: string;
  description: string;
  overlap: number;
  lease_minutes: number;
  blind: boolean;
  instructions: string;
  schema: string;
}

/** The form's starting values. */
export function settingsForm(p: Project): SettingsForm {
  return {
    name: p.name,
    description: p.description,
    overlap: p.overlap,
    lease_minutes: p.lease_minutes,
    blind: p.blind,
    instructions: p.instructions,
    schema: p.schema_source,
  };
}

/** Only what changed (the schema only if its text changed, so an unchanged schema is never re-checked). */
export function settingsPatch(before: SettingsForm, after: SettingsForm): ProjectUpdate {
  const out: ProjectUpdate = {};
  if (after.name !== before.name) out.name = after.name;
  if (after.description !== before.description) out.description = after.description;
  if (after.overlap !== before.overlap) out.overlap = after.overlap;
  if (after.lease_minutes !== before.lease_minutes) out.lease_minutes = after.lease_minutes;
  if (after.blind !== before.blind) out.blind = after.blind;
  if (after.instructions !== before.instructions) out.instructions = after.instructions;
  if (after.schema !== before.schema) out.label_schema = after.schema;
  return out;
}

import { describe, expect, it } from 'vitest';
import { ApiError, type Schemas } from '../../lib';
import { LocalDrafts, MemoryStore } from './draft';
import type { Submitted } from './history';
import { RevisionFlow, type RevisionApi } from './revise';
import { workspaceSchema } from './schema';
import { AnnotationSession } from './session';
import { openWork } from './work';

const schema = workspaceSchema({ media: 'image', tools: [{ name: 'objects', type: 'bbox', labels: ['car', 'bike'] }] });
const region = (id: string, label = 'car', extra: Record<string, unknown> = {}) => ({
  id, tool: 'objects', type: 'bbox', label, geometry: { x: 1, y: 1, width: 5, height: 5, rotation: 0 }, attributes: {}, origin: 'human', ...extra,
});
const annotation = (result: unknown[], extra: Partial<Schemas['AnnotationRead']> = {}) =>
  ({ id: 41, client_id: 'c', task_id: 7, project_id: 1, user_id: 3, result, origin: 'human', lead_time: 2, revision: 1, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', ...extra }) as Schemas['AnnotationRead'];

/** PATCH /annotations/{id} as a script: records each body, answers with the next error or the saved annotation. */
function scripted(errors: Error[] = []) {
  const sent: Schemas['AnnotationUpdate'][] = [];
  const api: RevisionApi = {
    async update(id, body) {
      sent.push(body);
      const e = errors.shift();
      if (e) throw e;
      return annotation(body.result, { id, revision: 2 });
    },
  };
  return { api, sent };
}

function edit(result: unknown[], errors: Error[] = []) {
  const { api, sent } = scripted(errors);
  const session = AnnotationSession.fromSubmitted(schema, result);
  let t = 0;
  const flow = new RevisionFlow(annotation(result), session, api, () => (t += 1500));
  let done = 0;
  flow.onDone = () => done++;
  flow.start();
  return { flow, session, sent, done: () => done };
}

describe('a submitted task open again', () => {
  it('starts from your result with accepted model regions kept, and no predictions added', () => {
    const session = AnnotationSession.fromSubmitted(schema, [region('a'), region('m', 'bike', { origin: 'model', score: 0.9 })]);
    expect(session.pending()).toEqual([]);
    expect(session.submittable().map((r) => r['id'])).toEqual(['a', 'm']);
    expect(session.predictionsLoaded).toBe(true);
  });

  it('is dirty only while the result differs from the submitted one', () => {
    const { flow, session } = edit([region('a')]);
    expect(flow.dirty()).toBe(false);
    session.relabel('a', 'bike');
    expect(flow.dirty()).toBe(true);
    session.undo();
    expect(flow.dirty()).toBe(false);
  });

  it('saves the whole result with the time spent editing, once', async () => {
    const { flow, session, sent, done } = edit([region('a')]);
    session.relabel('a', 'bike');
    await flow.submit();
    expect(sent).toEqual([{ result: [expect.objectContaining({ id: 'a', label: 'bike' })], lead_time: 1.5 }]);
    expect(flow.saved?.revision).toBe(2);
    expect(flow.saveState).toBe('Saved as revision 2');
    expect(flow.dirty()).toBe(false);
    expect(done()).toBe(1);
    await flow.submit();
    expect(sent).toHaveLength(1);
  });

  it('says so when your annotation was deleted meanwhile, and keeps the edit on screen', async () => {
    const { flow, session, done } = edit([region('a')], [new ApiError(404, 'not_found', 'annotation 41 not found')]);
    session.relabel('a', 'bike');
    await flow.submit();
    expect(flow.error).toBe('Task #7: your annotation is no longer there (annotation 41 not found); nothing was saved.');
    expect(flow.dirty()).toBe(true);
    expect(done()).toBe(0);
  });

  it('shows a refusal and reveals the region it names; a network failure can be retried', async () => {
    const refused = new ApiError(422, 'invalid', 'result[0] (region "a").label: unknown label', { errors: [{ region: 'a' }] });
    const { flow, done } = edit([region('a')], [refused, new ApiError(0, 'network', 'The server could not be reached')]);
    const revealed: string[] = [];
    await flow.submit((id) => revealed.push(id));
    expect(flow.error).toBe('result[0] (region "a").label: unknown label');
    expect(revealed).toEqual(['a']);
    await flow.submit();
    expect(flow.error).toBe('The server could not be reached. Nothing was saved; press Save again.');
    await flow.submit();
    expect(flow.error).toBeNull();
    expect(done()).toBe(1);
  });

  it('asks before saving it with no region, and keeps nothing as a draft', async () => {
    const { flow, session } = edit([region('a')]);
    session.remove('a');
    expect(flow.emptySubmitQuestion()).toBe('Save this task with no region?');
    await flow.pushDraft();
    expect(flow.saveState).toMatch(/kept only by Save/);
  });
});

describe('what the shell opens', () => {
  const task = { id: 7 } as Submitted['task'];
  const local = () => new LocalDrafts(new MemoryStore());

  it('opens a submitted task with a revision flow and no lease', () => {
    const opened = openWork({ kind: 'edit', submitted: { annotation: annotation([region('a')]), task, index: 0 } }, schema, ['shape'], local());
    expect(opened.lease).toBeNull();
    expect(opened.flow).toBe(opened.revision);
    expect(opened.session.submittable()).toHaveLength(1);
    expect(opened.problem).toBeNull();
  });

  it('never saves over a submitted result it cannot read', async () => {
    const opened = openWork({ kind: 'edit', submitted: { annotation: annotation([{ id: 'x', type: 'bbox' }]), task, index: 0 } }, schema, ['shape'], local());
    expect(opened.revision).toBeNull();
    expect(opened.problem).toMatch(/^Your submitted result could not be read .*; it cannot be edited here\.$/);
    opened.flow.start(null);
    await opened.flow.submit();
    expect(opened.flow.error).toBe(opened.problem);
  });

  it('opens a lease from the newer draft, saying where it was kept', () => {
    const drafts = local();
    const lease = { task: { id: 7 }, assignment_id: 70, lease_expires_at: '', resumed: true, draft: null } as unknown as Schemas['LeaseRead'];
    const fresh = new AnnotationSession(schema, []).draft(1000);
    drafts.save(70, fresh);
    const opened = openWork({ kind: 'lease', lease }, schema, ['shape'], drafts);
    expect(opened.lease).toBe(opened.flow);
    expect(opened.revision).toBeNull();
    expect(opened.draft).toEqual(fresh);
    expect(opened.draftFrom).toBe('this browser');
  });
});

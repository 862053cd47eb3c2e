/**
 * What the shell opens: a task under a lease (the session from the newer of the server's and
 * this browser's draft, sent by a LeaseFlow) or a task you submitted, open again to correct it
 * (the session from your submitted result, sent by a RevisionFlow). Framework-free, so the choice
 * is unit-tested; Shell.svelte renders it.
 */

import type { RegionKind } from '../../core';
import { errorMessage, type Schemas } from '../../lib';
import { asDraft, newerDraft, type Draft, type LocalDrafts } from './draft';
import type { Submitted } from './history';
import { LeaseFlow, type WorkFlow } from './lease';
import { RevisionFlow } from './revise';
import type { WorkspaceSchema } from './schema';
import { AnnotationSession } from './session';

/** What the shell holds: a task under a lease, or one you submitted, open again to edit. */
export type ShellWork = { kind: 'lease'; lease: Schemas['LeaseRead'] } | { kind: 'edit'; submitted: Submitted };

/** The opened work: its session, the flow that sends it, and what to tell the user. */
export interface OpenedWork {
  session: AnnotationSession;
  flow: WorkFlow;
  /** Set for a lease (skip and report are its own). */
  lease: LeaseFlow | null;
  /** Set for a submitted task whose result could be read. */
  revision: RevisionFlow | null;
  /** The draft a lease's session came from, and where it was kept. */
  draft: Draft | null;
  draftFrom: 'this browser' | 'the server' | null;
  /** Why the draft or the submitted result could not be read, or null. */
  problem: string | null;
}

/** A flow that sends nothing: a submitted result this browser cannot read is never saved over the real one. */
function unsendable(problem: string): WorkFlow {
  const nothing = async () => {};
  return { busy: false, error: problem, saveState: '', onChange: () => {}, onDone: () => {}, start() {}, changed() {}, saveLocal() {}, pushDraft: nothing, emptySubmitQuestion: () => null, submit: nothing, dispose() {} };
}

/** Open `work` for the shell (`kinds`: the region kinds the view's object list shows). */
export function openWork(work: ShellWork, schema: WorkspaceSchema, kinds: readonly RegionKind[], local: LocalDrafts): OpenedWork {
  if (work.kind === 'edit') {
    const { annotation } = work.submitted;
    try {
      const session = AnnotationSession.fromSubmitted(schema, annotation.result, kinds);
      const revision = new RevisionFlow(annotation, session);
      return { session, flow: revision, lease: null, revision, draft: null, draftFrom: null, problem: null };
    } catch (e) {
      const problem = `Your submitted result could not be read (${errorMessage(e)}); it cannot be edited here.`;
      return { session: new AnnotationSession(schema, [], kinds), flow: unsendable(problem), lease: null, revision: null, draft: null, draftFrom: null, problem };
    }
  }
  const { lease } = work;
  const server = asDraft(lease.draft);
  const mine = local.load(lease.assignment_id);
  const draft = newerDraft(server, mine);
  let session: AnnotationSession;
  let problem: string | null = null;
  try {
    session = draft ? AnnotationSession.fromDraft(schema, draft, kinds) : new AnnotationSession(schema, [], kinds);
  } catch (e) {
    problem = `Your saved draft could not be read (${errorMessage(e)}); starting empty.`;
    session = new AnnotationSession(schema, [], kinds);
  }
  const flow = new LeaseFlow(lease.task.id, lease.assignment_id, session, local);
  flow.error = problem;
  const draftFrom = draft === null || problem ? null : draft === mine && draft !== server ? 'this browser' : 'the server';
  return { session, flow, lease: flow, revision: null, draft: problem ? null : draft, draftFrom, problem };
}

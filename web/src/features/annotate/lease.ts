/**
 * One lease's life without the framework: autosave (this browser 150 ms after a change and on
 * page close, the server 1 s after), submit with an id made once per assignment (a retry cannot
 * duplicate), skip, and the report (broken media, wrong data…). The shell (Shell.svelte) renders `busy`, `error`
 * and `saveState` and calls these on clicks and keys.
 */

import { ApiError, debounce, errorMessage, type Schemas } from '../../lib';
import { reportTask, saveDraft, skip, submitAnnotation } from './api';
import type { Draft, LocalDrafts } from './draft';
import type { AnnotationSession } from './session';

/** Why a task is reported. */
export type ReportReason = Schemas['TaskReportCreate']['reason'];

/** The reasons with their words, in the order the report form offers them. */
export const REPORT_REASONS: readonly { value: ReportReason; label: string }[] = [
  { value: 'broken_media', label: 'Broken media (does not load or show)' },
  { value: 'wrong_data', label: 'Wrong data (not what this project labels)' },
  { value: 'other', label: 'Something else' },
];

/** The server calls a lease makes (the app's HTTP client by default). */
export interface LeaseApi {
  saveDraft(taskId: number, draft: Draft): Promise<void>;
  submit(taskId: number, body: Schemas['AnnotationCreate']): Promise<unknown>;
  skip(taskId: number): Promise<void>;
  report(taskId: number, body: Schemas['TaskReportCreate']): Promise<void>;
}

/** The app's HTTP client as a LeaseApi. */
export const httpLeaseApi: LeaseApi = { saveDraft, submit: submitAnnotation, skip, report: reportTask };

/**
 * What the shell drives while you annotate: a task under a lease (LeaseFlow) or one you
 * submitted before, open again for editing (RevisionFlow in revise.ts).
 */
export interface WorkFlow {
  readonly busy: boolean;
  readonly error: string | null;
  readonly saveState: string;
  /** Called after `busy`, `error` or `saveState` changed. */
  onChange: () => void;
  /** Called once the work is sent (submitted, skipped, saved). */
  onDone: () => void;
  /** The view is ready: start autosaving; `restored` is the draft the session came from. */
  start(restored: Draft | null): void;
  changed(): void;
  saveLocal(): void;
  pushDraft(): Promise<void>;
  emptySubmitQuestion(): string | null;
  submit(reveal?: (regionId: string) => void): Promise<void>;
  dispose(): void;
}

/**
 * The question to ask before sending `session`'s result, or null to send it at once: the schema
 * has region tools (boxes, polygons, spans…) and the result would carry none of them — only
 * answers of classification / text tools, or nothing. A schema of answers only never asks.
 */
export function emptyResultQuestion(session: AnnotationSession, verb = 'Submit'): string | null {
  const schema = session.schema;
  if (!Object.values(schema.palettes).some((p) => p.length > 0)) return null;
  const answerTools = new Set(schema.answers.map((a) => a.name));
  if (session.submittable().some((item) => !answerTools.has(item['tool'] as string))) return null;
  const pending = session.pending().length;
  const unreviewed = pending ? ` (${pending} unreviewed suggestion${pending === 1 ? ' is' : 's are'} not submitted)` : '';
  return `${verb} this task with no region${unreviewed}?`;
}

/**
 * The message for a refused send of `session`'s result: a 422 naming a region calls `reveal` with
 * it; a network failure says a retry is safe (`again`: the button to press).
 */
export function refusalMessage(e: unknown, session: AnnotationSession, reveal: (regionId: string) => void, again: string): string {
  if (e instanceof ApiError && e.status === 422) {
    const first = Array.isArray(e.details['errors']) ? (e.details['errors'][0] as Record<string, unknown> | undefined) : undefined;
    const region = first?.['region'];
    if (typeof region === 'string' && session.doc.get(region)) reveal(region);
    return e.message;
  }
  if (e instanceof ApiError && e.status === 0) return `${e.message}. ${again}`;
  return errorMessage(e);
}

/** One lease: the task, its assignment and the session being annotated. */
export class LeaseFlow implements WorkFlow {
  busy = false;
  error: string | null = null;
  saveState = '';
  /** Submitted or skipped: nothing is saved any more. */
  finished = false;
  /** The view is ready: only then is there work to save. */
  active = false;
  /** Called after `busy`, `error` or `saveState` changed. */
  onChange: () => void = () => {};
  /** Called once the task is submitted or skipped (the page asks for the next one). */
  onDone: () => void = () => {};
  private leadBase = 0;
  private readonly started: number;
  readonly saveLocalSoon: (() => void) & { cancel(): void };
  readonly saveServerSoon: (() => void) & { cancel(): void };

  constructor(
    readonly taskId: number,
    readonly assignment: number,
    readonly session: AnnotationSession,
    private readonly local: LocalDrafts,
    private readonly api: LeaseApi = httpLeaseApi,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.started = clock();
    this.saveLocalSoon = debounce(() => this.saveLocal(), 150);
    this.saveServerSoon = debounce(() => void this.pushDraft(), 1000);
  }

  /** Time spent on the task, including what a restored draft had. */
  leadMs(): number {
    return this.leadBase + (this.clock() - this.started);
  }

  /** Start autosaving; `restored` is the draft the session came from (its time counts). */
  start(restored: Draft | null): void {
    if (restored) this.leadBase = restored.lead_ms;
    this.active = true;
  }

  /** The document changed: save here soon, and on the server a little later. */
  changed(): void {
    if (this.finished || !this.active) return;
    this.saveLocalSoon();
    this.saveServerSoon();
  }

  /** Save the draft in this browser now (page close, leaving the task). */
  saveLocal(): void {
    if (!this.active || this.finished) return;
    if (!this.local.save(this.assignment, this.session.draft(this.leadMs()))) this.set({ saveState: 'Could not save in this browser (storage full?)' });
  }

  /** Save the draft (or `draft`) in this browser and on the server now. */
  async pushDraft(draft?: Draft): Promise<void> {
    if (this.finished) return;
    const d = draft ?? (this.active ? this.session.draft(this.leadMs()) : null);
    if (!d) return;
    this.local.save(this.assignment, d);
    this.set({ saveState: 'Saving…' });
    try {
      await this.api.saveDraft(this.taskId, d);
      this.set({ saveState: `Draft saved ${new Date().toLocaleTimeString()}` });
    } catch (e) {
      this.set({ saveState: `Saved in this browser only; the server save failed (${errorMessage(e)}). It will retry on the next change.` });
    }
  }

  /** The question to ask before a submit, or null to submit at once (`emptyResultQuestion`). */
  emptySubmitQuestion(): string | null {
    return emptyResultQuestion(this.session);
  }

  /**
   * Submit what the session holds (not pending suggestions). A 422 naming a region calls
   * `reveal` with it; a network failure keeps the submit id, so pressing Submit again is safe.
   */
  async submit(reveal: (regionId: string) => void = (id) => this.session.select(id)): Promise<void> {
    if (!this.active || this.busy) return;
    this.session.settle(); // e.g. a brush stroke released a moment ago
    this.set({ busy: true, error: null });
    const id = this.local.submissionId(this.assignment);
    try {
      await this.api.submit(this.taskId, { id, result: this.session.submittable(), lead_time: Math.round(this.leadMs() / 100) / 10 });
      this.done();
    } catch (e) {
      this.set({ error: refusalMessage(e, this.session, reveal, 'Your work is saved in this browser; press Submit again — a retry cannot create a duplicate.') });
    } finally {
      this.set({ busy: false });
    }
  }

  /** Give the task back. */
  async skip(): Promise<void> {
    await this.run(() => this.api.skip(this.taskId));
  }

  /**
   * Report the task (it cannot be annotated as it is): the server takes it out of the queue
   * until a manager resolves the report, and ends this lease. The work in progress is dropped.
   */
  async report(reason: ReportReason, note: string): Promise<void> {
    await this.run(() => this.api.report(this.taskId, { reason, note: note.trim() }));
  }

  /** The shell is going away: stop the timers, keep unsaved work in this browser. */
  dispose(): void {
    this.saveLocalSoon.cancel();
    this.saveServerSoon.cancel();
    if (!this.finished) this.saveLocal();
  }

  private async run(action: () => Promise<void>): Promise<void> {
    if (this.busy) return;
    this.set({ busy: true, error: null });
    try {
      await action();
      this.done();
    } catch (e) {
      this.set({ error: errorMessage(e) });
    } finally {
      this.set({ busy: false });
    }
  }

  private done(): void {
    this.finished = true;
    this.saveLocalSoon.cancel();
    this.saveServerSoon.cancel();
    this.local.clear(this.assignment);
    this.onDone();
  }

  private set(patch: Partial<Pick<LeaseFlow, 'busy' | 'error' | 'saveState'>>): void {
    Object.assign(this, patch);
    this.onChange();
  }
}

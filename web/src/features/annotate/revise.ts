/**
 * Editing a task you submitted before (history.ts walks to it): the session starts from your
 * submitted result, and Save sends the whole result to `PATCH /annotations/{id}`, which keeps the
 * one it replaces as a revision. The server decides who may: your own annotation only (managers
 * may edit anyone's), and one deleted meanwhile is a 404. Nothing is autosaved — there is no
 * draft of a submitted annotation — so leaving with changes asks first (`dirty`).
 */

import { ApiError, api, call, type Schemas } from '../../lib';
import { emptyResultQuestion, refusalMessage, type WorkFlow } from './lease';
import type { AnnotationSession } from './session';

type Annotation = Schemas['AnnotationRead'];

/** The server call an edit makes (the app's HTTP client by default). */
export interface RevisionApi {
  update(annotationId: number, body: Schemas['AnnotationUpdate']): Promise<Annotation>;
}

/** The app's HTTP client as a RevisionApi. */
export const httpRevisionApi: RevisionApi = {
  update: (annotationId, body) => call(api.PATCH('/api/v1/annotations/{annotation_id}', { params: { path: { annotation_id: annotationId } }, body })),
};

/** The result as a comparable text (regions in document order). */
const snapshot = (session: AnnotationSession) => JSON.stringify(session.submittable());

/** One submitted annotation open for editing. */
export class RevisionFlow implements WorkFlow {
  busy = false;
  error: string | null = null;
  saveState = '';
  /** The annotation as the server returned it after the save (null until then). */
  saved: Annotation | null = null;
  onChange: () => void = () => {};
  onDone: () => void = () => {};
  private active = false;
  private baseline = '';
  private started = 0;

  constructor(
    readonly annotation: Annotation,
    readonly session: AnnotationSession,
    private readonly api: RevisionApi = httpRevisionApi,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** The view is ready: what it shows now is the submitted result. */
  start(): void {
    this.baseline = snapshot(this.session);
    this.started = this.clock();
    this.active = true;
  }

  /** True when the result differs from the submitted one (an undo back to it is no change). */
  dirty(): boolean {
    return this.active && !this.saved && snapshot(this.session) !== this.baseline;
  }

  changed(): void {
    if (this.active && !this.saved && this.saveState === '') this.set({ saveState: 'Not saved: Save records a new revision' });
  }

  /** Nothing to keep in this browser: an edit is sent whole by Save. */
  saveLocal(): void {}

  /** Ctrl+S: there is no draft of a submitted annotation; say how to keep the changes. */
  async pushDraft(): Promise<void> {
    if (this.active && !this.saved) this.set({ saveState: 'Not saved: edits of a submitted task are kept only by Save' });
  }

  emptySubmitQuestion(): string | null {
    return emptyResultQuestion(this.session, 'Save');
  }

  /** Save the result as a new revision of the annotation; the time spent editing is added to its lead time. */
  async submit(reveal: (regionId: string) => void = (id) => this.session.select(id)): Promise<void> {
    if (!this.active || this.busy || this.saved) return;
    this.session.settle();
    this.set({ busy: true, error: null });
    try {
      const lead = Math.round((this.clock() - this.started) / 100) / 10;
      this.saved = await this.api.update(this.annotation.id, { result: this.session.submittable(), lead_time: lead });
      this.set({ saveState: `Saved as revision ${this.saved.revision}` });
      this.onDone();
    } catch (e) {
      const gone = e instanceof ApiError && e.status === 404;
      const message = gone
        ? `Task #${this.annotation.task_id}: your annotation is no longer there (${e.message}); nothing was saved.`
        : refusalMessage(e, this.session, reveal, 'Nothing was saved; press Save again.');
      this.set({ error: message });
    } finally {
      this.set({ busy: false });
    }
  }

  dispose(): void {}

  private set(patch: Partial<Pick<RevisionFlow, 'busy' | 'error' | 'saveState'>>): void {
    Object.assign(this, patch);
    this.onChange();
  }
}

/**
 * Going back to your submitted tasks (Ctrl+←): the annotations you submitted in a project,
 * newest first (`GET /projects/{id}/annotations?mine=true&sort=-id`, a page at a time), walked
 * back from the queue one task at a time and forward again (Ctrl+→) until the queue. Walking
 * takes no lease and asks the queue for nothing: it only reads your annotations and their tasks.
 */

import { api, call, type Schemas } from '../../lib';

export type SubmittedAnnotation = Schemas['AnnotationRead'];
export type SubmittedTask = Schemas['TaskRead'];

/** A submitted task open for editing: your annotation and its task. */
export interface Submitted {
  annotation: SubmittedAnnotation;
  task: SubmittedTask;
  /** 0 for your latest submit, 1 for the one before… */
  index: number;
}

/** The server calls the walk makes (the app's HTTP client by default). */
export interface HistoryApi {
  /** A page of your annotations in the project, newest first, after `cursor` (an id). */
  page(projectId: number, cursor: number | null, limit: number): Promise<{ items: SubmittedAnnotation[]; next_cursor?: number | null }>;
  task(taskId: number): Promise<SubmittedTask>;
}

/** The app's HTTP client as a HistoryApi. */
export const httpHistoryApi: HistoryApi = {
  page: (projectId, cursor, limit) =>
    call(api.GET('/api/v1/projects/{project_id}/annotations', { params: { path: { project_id: projectId }, query: { mine: true, sort: '-id', limit, ...(cursor === null ? {} : { cursor }) } } })),
  task: (taskId) => call(api.GET('/api/v1/tasks/{task_id}', { params: { path: { task_id: taskId } } })),
};

/** Where a submitted task is among yours, for the banner: "2 of 5" ("2 of 20+" while older ones are not loaded). */
export function submittedPlace(index: number, loaded: number, more: boolean): string {
  return `${index + 1} of ${loaded}${more ? '+' : ''}`;
}

/**
 * Your submitted tasks in one project and where you are among them: `position` -1 is the queue,
 * 0 your latest submit, 1 the one before… Steps run one after another in the order asked, so two
 * quick presses of Ctrl+← go two tasks back, and "back to the queue" asked during a step wins.
 */
export class SubmittedHistory {
  /** -1: the queue (no submitted task open); else the index of the open one. */
  position = -1;
  /** Called after the list or the position changed. */
  onChange: () => void = () => {};
  private entries: SubmittedAnnotation[] = [];
  private cursor: number | null = null;
  private started = false;
  private exhausted = false;
  private readonly tasks = new Map<number, SubmittedTask>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly projectId: number,
    private readonly api: HistoryApi = httpHistoryApi,
    readonly pageSize = 20,
  ) {}

  /** The loaded part of the list, newest first. */
  list(): readonly SubmittedAnnotation[] {
    return this.entries;
  }

  /** Whether older submits may exist beyond the loaded list. */
  get more(): boolean {
    return !this.exhausted;
  }

  /** The task submitted before the open one (the latest from the queue), or null when there is none (you stay). */
  older(): Promise<Submitted | null> {
    return this.serial(() => this.moveTo(this.position + 1));
  }

  /** The task submitted after the open one, or null when that is the queue (position -1). */
  newer(): Promise<Submitted | null> {
    return this.serial(async () => {
      if (this.position <= 0) return this.set(-1);
      return this.moveTo(this.position - 1);
    });
  }

  /** Open the `index`-th latest submit (from the list). */
  open(index: number): Promise<Submitted | null> {
    return this.serial(() => this.moveTo(index));
  }

  /** Back to the queue. */
  toQueue(): Promise<null> {
    return this.serial(async () => this.set(-1));
  }

  /** Load the next page for the list (the first one when nothing is loaded). */
  loadMore(): Promise<void> {
    return this.serial(async () => {
      await this.fetchPage();
      this.onChange();
    });
  }

  /** You submitted (or skipped) in the queue: the list is read again from the server on the next step. */
  reset(): Promise<void> {
    return this.serial(async () => {
      this.entries = [];
      this.cursor = null;
      this.started = false;
      this.exhausted = false;
      this.set(-1);
    });
  }

  /** An edit was saved: the list shows the annotation as the server now has it. */
  update(annotation: SubmittedAnnotation): void {
    this.entries = this.entries.map((a) => (a.id === annotation.id ? annotation : a));
    this.onChange();
  }

  private set(position: number): null {
    this.position = position;
    this.onChange();
    return null;
  }

  private async moveTo(index: number): Promise<Submitted | null> {
    if (index < 0) return this.set(-1);
    while (index >= this.entries.length && (await this.fetchPage()));
    const annotation = this.entries[index];
    if (!annotation) {
      this.onChange();
      return null;
    }
    let task = this.tasks.get(annotation.task_id);
    if (!task) {
      task = await this.api.task(annotation.task_id);
      this.tasks.set(task.id, task);
    }
    this.position = index;
    this.onChange();
    return { annotation, task, index };
  }

  /** Fetch one more page; false when there is none. */
  private async fetchPage(): Promise<boolean> {
    if (this.exhausted) return false;
    const page = await this.api.page(this.projectId, this.started ? this.cursor : null, this.pageSize);
    this.started = true;
    const known = new Set(this.entries.map((a) => a.id));
    this.entries = [...this.entries, ...page.items.filter((a) => !known.has(a.id))];
    this.cursor = page.next_cursor ?? null;
    this.exhausted = this.cursor === null;
    return page.items.length > 0;
  }

  private serial<T>(step: () => Promise<T>): Promise<T> {
    const run = this.chain.then(step);
    this.chain = run.catch(() => undefined); // a failed step does not stop the next one
    return run;
  }
}

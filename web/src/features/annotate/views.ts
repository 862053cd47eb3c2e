/**
 * The view registry: one view per medium (image, later text and video), picked by the project's
 * `media`. The shell (Shell.svelte) owns everything media-agnostic — lease, drafts and autosave,
 * submit, skip, report, suggestions, answers, instructions, shortcut help and settings, the
 * object list and the attribute panel — and mounts the view of the medium, which loads the
 * media, draws it, owns its tools and hands the shell a controller once it is ready.
 *
 * Adding a medium is one line where the app starts (`src/views.ts`): `registry.register(textView)`.
 */

import type { Component } from 'svelte';
import type { RegionId, RegionKind } from '../../core';
import { DEFAULT_ACTIONS, Keymap, type ActionSpec, type Scope } from '../../engine';
import type { Schemas } from '../../lib';
import type { AnnotationSession, AttachedView } from './session';

/** The task of the lease being annotated. */
export type Task = Schemas['LeaseRead']['task'];

/** What a view's controller does for the shell once the media is ready. */
export interface ViewController extends AttachedView {
  /** Run a keymap action of the view (it gets the first say after submit / skip / save / help); false if not its own. */
  perform(action: string): boolean;
  /** A raw key press before the keymap (e.g. Space held for panning); true if consumed. */
  keydown?(event: KeyboardEvent): boolean;
  keyup?(event: KeyboardEvent): void;
  /** Bring a region into view and select it (the server refused a submit because of it). */
  reveal?(id: RegionId): void;
}

/** How a view talks back to the shell. */
export interface ViewHost<C extends ViewController = ViewController> {
  /** The media is loaded and drawn: the shell starts autosaving and loads suggestions. */
  ready(controller: C): void;
  /** The media cannot be shown (the shell offers Skip and Report). */
  bad(reason: string): void;
  /** A short note for the user (toast). */
  notify(message: string): void;
  /** The media's size as loaded, when the task's `meta` lacks it (a task imported by URL): the
   * shell records it on the server once, so shapes on the task are checked against it. */
  mediaSize(width: number, height: number): void;
}

/** Props of a view's main component (the area left of the sidebar). */
export interface ViewProps<C extends ViewController = ViewController> {
  session: AnnotationSession;
  task: Task;
  host: ViewHost<C>;
  /** Bumped on every document or session change. */
  version: number;
}

/** Props of a view's toolbar and sidebar parts (mounted once the view is ready). */
export interface ViewPartProps<C extends ViewController = ViewController> {
  controller: C;
  session: AnnotationSession;
  version: number;
  /** The keys of an action as the user has them (remapped or default), for titles: "Ctrl+Z". */
  keys: (action: string) => string;
}

/** A row of the F1 overlay that is not a keymap action (a pointer gesture). */
export interface HelpRow {
  title: string;
  keys: string;
}

/** What a medium's view declares. */
export interface ViewSpec<C extends ViewController = ViewController> {
  /** The project `media` it annotates ('image', 'text', 'video'). */
  readonly media: string;
  /** The region kinds its documents hold; suggestions of other kinds are skipped, answers ('value') included. */
  readonly regionKinds: readonly RegionKind[];
  /** The keymap scope of its actions. */
  readonly scope: Exclude<Scope, 'global'>;
  /** Its own actions, beyond DEFAULT_ACTIONS and the shell's (SHELL_ACTIONS). */
  readonly actions: readonly ActionSpec[];
  /** Extra rows for the shortcut help (pointer gestures). */
  readonly help?: readonly HelpRow[];
  /** The main area: loads the media, draws it, calls `host.ready(controller)` or `host.bad(reason)`. */
  readonly component: Component<ViewProps<C>>;
  /** Its controls in the shell's top bar (tools), once ready. */
  readonly toolbar?: Component<ViewPartProps<C>>;
  /** Its part at the top of the sidebar (label palette), once ready. */
  readonly sidebar?: Component<ViewPartProps<C>>;
}

/** Actions every view gets, in the view's scope: reviewing model suggestions. */
export function shellActions(scope: Exclude<Scope, 'global'>): ActionSpec[] {
  return [
    { id: 'prediction.accept', title: 'Accept the selected suggestion', scope, keys: ['A'] },
    { id: 'prediction.reject', title: 'Reject the selected suggestion', scope, keys: ['X'] },
    { id: 'prediction.acceptAll', title: 'Accept all suggestions above the threshold', scope, keys: ['Shift+A'] },
  ];
}

const keymaps = new WeakMap<object, Keymap>();

/** The keymap of a view: the engine defaults (UI.md), the shell's actions, the view's own. */
export function keymapOf(view: Pick<ViewSpec, 'scope' | 'actions'>): Keymap {
  let map = keymaps.get(view);
  if (!map) {
    map = Keymap.create([...DEFAULT_ACTIONS, ...shellActions(view.scope), ...view.actions]);
    keymaps.set(view, map);
  }
  return map;
}

/** The region kinds a view's object list shows: its kinds without whole-task answers. */
export function objectKinds(view: Pick<ViewSpec, 'regionKinds'>): RegionKind[] {
  return view.regionKinds.filter((k) => k !== 'value');
}

/** Views by medium. */
export class ViewRegistry {
  private readonly byMedia = new Map<string, ViewSpec>();

  /** Register the view of `view.media` (one per medium); returns a function that removes it. */
  register<C extends ViewController>(view: ViewSpec<C>): () => void {
    if (this.byMedia.has(view.media)) throw new Error(`a view for "${view.media}" is already registered`);
    // A view's components take its own controller type; the shell hands them exactly that one.
    const spec = view as unknown as ViewSpec;
    this.byMedia.set(view.media, spec);
    return () => {
      if (this.byMedia.get(view.media) === spec) this.byMedia.delete(view.media);
    };
  }

  /** The view of a medium, or null if there is none yet. */
  get(media: string): ViewSpec | null {
    return this.byMedia.get(media) ?? null;
  }

  /** The media that have a view. */
  media(): string[] {
    return [...this.byMedia.keys()];
  }
}

/** The app's registry (filled once at start by `src/views.ts`). */
export const views = new ViewRegistry();

/** What the browser can do for a project's medium: its view, or the message saying there is none. */
export function viewForMedia(media: string, registry: ViewRegistry = views): { view: ViewSpec } | { missing: string } {
  const view = registry.get(media);
  if (view) return { view };
  return {
    missing: `There is no workspace for ${media} yet in the browser. Use the Python SDK or the REST API (POST /api/v1/tasks/{id}/annotations) for ${media} tasks.`,
  };
}

/**
 * Whether the project list and page offer "Annotate" for a medium: only with a registered view. Without
 * one they say instead that the browser view is coming (the returned note), and nothing is leased.
 */
export function annotateOffer(media: string, registry: ViewRegistry = views): { annotate: true } | { note: string } {
  if (registry.get(media)) return { annotate: true };
  return { note: `The ${media} view for the browser is coming; annotate ${media} tasks with the SDK or the REST API for now.` };
}

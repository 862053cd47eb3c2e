import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import type { Schemas } from '../../lib';
import { nextStep, type Lease } from './queue';
import Shell from './Shell.svelte';
import FakeView from './testing/FakeView.svelte';
import { ViewRegistry, annotateOffer, keymapOf, viewForMedia, type ViewController, type ViewSpec } from './views';

/** A trivial text view, test-only: registering it is all a new medium needs. */
const fakeText: ViewSpec<ViewController> = { media: 'text', regionKinds: ['span', 'relation', 'value'], scope: 'text', actions: [], component: FakeView };

const project = (media: string) => ({
  id: 4, name: 'News', description: '', instructions: '', media, blind: false, overlap: 1, lease_minutes: 30,
  organization_id: 1, schema_source: 'yaml', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
  label_schema: { media, tools: [{ name: 'entities', type: 'span', labels: [{ name: 'PER' }] }] },
}) as unknown as Schemas['ProjectRead'];

const lease = {
  assignment_id: 9, resumed: false, lease_expires_at: '2026-01-01T00:30:00Z', draft: null,
  task: { id: 41, project_id: 4, data: { text: 'Marie Curie' }, meta: {}, priority: 0, is_gold: false, batch_id: null, state: 'open', annotation_count: 0, created_at: '2026-01-01T00:00:00Z' },
} as unknown as Lease;

/** A `next` that records the calls it gets (the queue's HTTP call, replaced to count them). */
function recordingNext() {
  const calls: number[] = [];
  return { calls, next: async (projectId: number) => (calls.push(projectId), lease) };
}

describe('the view registry', () => {
  it('picks a view by medium; registering is one call and can be undone', () => {
    const registry = new ViewRegistry();
    expect(registry.get('text')).toBeNull();
    const unregister = registry.register(fakeText);
    expect(registry.get('text')).toBe(fakeText);
    expect(registry.get('image')).toBeNull();
    expect(registry.media()).toEqual(['text']);
    expect(() => registry.register(fakeText)).toThrow('already registered');
    unregister();
    expect(registry.get('text')).toBeNull();
  });

  it("gives a registered view the shell's actions in its own scope", () => {
    const keymap = keymapOf(fakeText);
    const key = (k: string, shiftKey = false) => ({ key: k, code: '', ctrlKey: false, metaKey: false, shiftKey, altKey: false, target: null });
    expect(keymap.lookup(key('a'), ['text'])).toBe('prediction.accept');
    expect(keymap.lookup(key('a', true), ['text'])).toBe('prediction.acceptAll');
    expect(keymap.lookup(key('z'), ['text'])).toBeNull();
    expect(keymap.conflicts()).toEqual([]);
  });

  it('says honestly that a medium has no workspace yet', () => {
    const found = viewForMedia('video', new ViewRegistry());
    expect('missing' in found && found.missing).toMatch(/^There is no workspace for video yet/);
  });
});

describe('the queue before a lease', () => {
  it('takes no lease for a medium without a view', async () => {
    const { calls, next } = recordingNext();
    const step = await nextStep(4, 'text', new ViewRegistry(), next);
    expect(step).toEqual({ kind: 'no-view', message: expect.stringMatching(/no workspace for text yet/) });
    expect(calls).toEqual([]);
  });

  it('asks for the next task once the medium has a view', async () => {
    const registry = new ViewRegistry();
    registry.register(fakeText);
    const { calls, next } = recordingNext();
    expect(await nextStep(4, 'text', registry, next)).toEqual({ kind: 'lease', lease });
    expect(calls).toEqual([4]);
    expect(await nextStep(4, 'text', registry, async () => null)).toEqual({ kind: 'done' });
  });
});

describe('the shell', () => {
  it('mounts the view registered for the medium, with the task and the shared controls', () => {
    const registry = new ViewRegistry();
    registry.register(fakeText);
    const view = registry.get(project('text').media) as ViewSpec;
    const { body } = render(Shell, { props: { project: project('text'), work: { kind: 'lease', lease }, view, onnext: () => {} } });
    expect(body).toContain('data-testid="fake-view"');
    expect(body).toContain('fake text view of task 41');
    expect(body).toContain('data-media="text"');
    expect(body).toMatch(/Task #41/);
    expect(body).toMatch(/>Skip</);
    expect(body).toMatch(/Instructions/);
    // Not ready until the view says so: no Submit yet, no image stage.
    expect(body).not.toMatch(/>Submit/);
    expect(body).not.toContain('data-testid="stage"');
  });
});

describe('offering Annotate', () => {
  it('only for a medium with a registered view; otherwise the browser view is coming', () => {
    const registry = new ViewRegistry();
    const offer = annotateOffer('text', registry);
    expect(offer).toEqual({ note: expect.stringContaining('text view for the browser is coming') });
    registry.register(fakeText);
    expect(annotateOffer('text', registry)).toEqual({ annotate: true });
    expect(annotateOffer('audio', registry)).toEqual({ note: expect.stringContaining('audio') });
  });
});

import { describe, expect, it } from 'vitest';
import { DeliveryPages, EVENT_KINDS, emptyWebhookForm, errorExcerpt, eventsText, webhookBody } from './webhooks';

describe('webhookBody', () => {
  it('sends every event (`*`) when none is ticked, and the whole organization without a project', () => {
    expect(webhookBody({ ...emptyWebhookForm(), url: ' http://127.0.0.1:9000/hook ' })).toEqual({ body: { url: 'http://127.0.0.1:9000/hook', events: ['*'] } });
  });

  it('sends the ticked events in the list’s order, the project and a description', () => {
    const form = { url: 'https://ci.example.com/h', events: ['task.completed', 'batch.completed'], projectId: '3', description: ' CI ' };
    expect(webhookBody(form)).toEqual({ body: { url: 'https://ci.example.com/h', events: ['task.completed', 'batch.completed'], project_id: 3, description: 'CI' } });
  });

  it('refuses an address that is not http(s) and an unknown event', () => {
    expect(webhookBody({ ...emptyWebhookForm(), url: 'ftp://x' })).toEqual({ error: 'URL: an http:// or https:// address.' });
    expect(webhookBody({ ...emptyWebhookForm(), url: '' })).toHaveProperty('error');
    expect(webhookBody({ ...emptyWebhookForm(), url: 'https://x', events: ['task.exploded'] })).toEqual({ error: 'Events: unknown task.exploded.' });
  });

  it('knows the server’s event kinds', () => {
    expect(EVENT_KINDS).toContain('batch.completed');
    expect(EVENT_KINDS).toContain('export.completed');
    expect(new Set(EVENT_KINDS).size).toBe(EVENT_KINDS.length);
  });
});

describe('the delivery log', () => {
  it('says what a webhook hears of', () => {
    expect(eventsText(['*'])).toBe('all events');
    expect(eventsText(['a', 'b'])).toBe('a, b');
  });

  it('shows the start of the error, else of a failed answer', () => {
    expect(errorExcerpt({ state: 'failed', last_error: 'connection\n refused', response_excerpt: null })).toBe('connection refused');
    expect(errorExcerpt({ state: 'failed', last_error: null, response_excerpt: 'x'.repeat(200) }, 10)).toBe('xxxxxxxxx…');
    expect(errorExcerpt({ state: 'succeeded', last_error: null, response_excerpt: 'ok' })).toBe('');
  });

  it('pages forward by cursor and back again', () => {
    const p = new DeliveryPages();
    expect(p.cursor).toBeNull();
    p.loaded(40);
    expect(p.hasNext).toBe(true);
    p.forward();
    expect([p.page, p.cursor, p.hasPrevious]).toEqual([2, 40, true]);
    p.loaded(null);
    expect(p.hasNext).toBe(false);
    p.forward();
    expect(p.page).toBe(2);
    p.back();
    expect([p.page, p.cursor]).toEqual([1, null]);
    p.loaded(40);
    p.forward();
    p.loaded(20);
    p.forward();
    expect([p.page, p.cursor]).toEqual([3, 20]);
    p.first();
    expect(p.cursor).toBeNull();
  });
});

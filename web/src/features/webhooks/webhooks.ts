/** Webhooks of an organization: the create form → request body, the event kinds, the delivery
 * log's pages, and the webhook calls. */

import { api, call, type Schemas } from '../../lib';

export type Webhook = Schemas['WebhookRead'];
export type WebhookWithSecret = Schemas['WebhookSecretRead'];
export type WebhookCreate = Schemas['WebhookCreate'];
export type Delivery = Schemas['DeliveryRead'];
export type DeliveryPage = Schemas['DeliveryList'];

/** The event kinds a webhook can hear of: the server's `EventKind` enum
 * (`schemas/enums.py`, documented in docs/webhooks.md). The API types `events` as plain strings,
 * so the list is kept here; `*` means all of them, including kinds added later. */
export const EVENT_KINDS: readonly string[] = [
  'task.created',
  'task.completed',
  'task.updated',
  'task.deleted',
  'task.reported',
  'task.report_resolved',
  'annotation.created',
  'annotation.updated',
  'annotation.deleted',
  'batch.completed',
  'import.finished',
  'export.completed',
  'project.created',
  'project.updated',
  'project.deleted',
];

/** The create form as the user filled it ('' project: the whole organization). */
export interface WebhookForm {
  url: string;
  /** Empty: every event (`*`). */
  events: string[];
  projectId: string;
  description: string;
}

export function emptyWebhookForm(): WebhookForm {
  return { url: '', events: [], projectId: '', description: '' };
}

/** The body of `POST /organizations/{id}/webhooks` for `form`, or what is wrong with it (the
 * server checks the address itself: private and loopback ones are refused unless allowed). */
export function webhookBody(form: WebhookForm): { body: WebhookCreate } | { error: string } {
  const url = form.url.trim();
  if (!/^https?:\/\/\S+$/i.test(url)) return { error: 'URL: an http:// or https:// address.' };
  const unknown = form.events.filter((e) => !EVENT_KINDS.includes(e));
  if (unknown.length) return { error: `Events: unknown ${unknown.join(', ')}.` };
  const body: WebhookCreate = { url, events: form.events.length ? EVENT_KINDS.filter((e) => form.events.includes(e)) : ['*'] };
  if (form.projectId) {
    if (!/^[1-9]\d*$/.test(form.projectId)) return { error: 'Project: choose one, or the whole organization.' };
    body.project_id = Number(form.projectId);
  }
  if (form.description.trim()) body.description = form.description.trim();
  return { body };
}

/** The events a webhook hears of, as shown in its row. */
export function eventsText(events: readonly string[]): string {
  return events.includes('*') ? 'all events' : events.join(', ');
}

/** The start of a delivery's error or of the receiver's answer, for the log's row. */
export function errorExcerpt(d: Pick<Delivery, 'last_error' | 'response_excerpt' | 'state'>, max = 120): string {
  const text = d.last_error ?? (d.state === 'succeeded' ? '' : (d.response_excerpt ?? ''));
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Delivery log pages: each page's cursor (the first page has none) and where the next one starts. */
export class DeliveryPages {
  private cursors: (number | null)[] = [null];
  private index = 0;
  next: number | null = null;

  /** The cursor of the page to show. */
  get cursor(): number | null {
    return this.cursors[this.index] ?? null;
  }
  get page(): number {
    return this.index + 1;
  }
  get hasPrevious(): boolean {
    return this.index > 0;
  }
  get hasNext(): boolean {
    return this.next !== null;
  }
  /** Record the answer for the current page. */
  loaded(nextCursor: number | null | undefined): void {
    this.next = nextCursor ?? null;
  }
  forward(): void {
    if (this.next === null) return;
    this.cursors = [...this.cursors.slice(0, this.index + 1), this.next];
    this.index++;
  }
  back(): void {
    if (this.index > 0) this.index--;
  }
  first(): void {
    this.index = 0;
  }
}

export const DELIVERY_PAGE_SIZE = 20;

const orgPath = (org: number) => ({ params: { path: { organization_id: org } } });
const hookPath = (id: number) => ({ params: { path: { webhook_id: id } } });

export const listWebhooks = (org: number): Promise<Webhook[]> => call(api.GET('/api/v1/organizations/{organization_id}/webhooks', orgPath(org)));
export const createWebhook = (org: number, body: WebhookCreate): Promise<WebhookWithSecret> =>
  call(api.POST('/api/v1/organizations/{organization_id}/webhooks', { ...orgPath(org), body }));
export const setActive = (id: number, active: boolean): Promise<Webhook> => call(api.PATCH('/api/v1/webhooks/{webhook_id}', { ...hookPath(id), body: { active } }));
export const deleteWebhook = (id: number): Promise<void> => call(api.DELETE('/api/v1/webhooks/{webhook_id}', hookPath(id))).then(() => undefined);
export const rotateSecret = (id: number): Promise<WebhookWithSecret> => call(api.POST('/api/v1/webhooks/{webhook_id}/rotate-secret', hookPath(id)));
export const pingWebhook = (id: number): Promise<Delivery> => call(api.POST('/api/v1/webhooks/{webhook_id}/ping', hookPath(id)));
export const listDeliveries = (id: number, cursor: number | null, limit = DELIVERY_PAGE_SIZE): Promise<DeliveryPage> =>
  call(api.GET('/api/v1/webhooks/{webhook_id}/deliveries', { params: { path: { webhook_id: id }, query: cursor === null ? { limit } : { cursor, limit } } }));
export const redeliver = (deliveryId: number): Promise<Delivery> =>
  call(api.POST('/api/v1/deliveries/{delivery_id}/redeliver', { params: { path: { delivery_id: deliveryId } } }));

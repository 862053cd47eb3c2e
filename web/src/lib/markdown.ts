/** Markdown to sanitized HTML, for project instructions. */

import DOMPurify from 'dompurify';
import { marked } from 'marked';

/** Safe HTML of `source` (GitHub-flavoured Markdown; scripts, handlers and iframes removed). */
export function renderMarkdown(source: string): string {
  const html = marked.parse(source, { async: false, gfm: true, breaks: false });
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true } });
}

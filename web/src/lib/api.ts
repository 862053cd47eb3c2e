/** The app's one HTTP context and API client. */

import { HttpContext, createApi } from './http';

/** CSRF token and 401 hook shared by every request of the app. */
export const http = new HttpContext();

/** The typed API client (paths from openapi.json). */
export const api = createApi(http);

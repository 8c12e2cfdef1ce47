// What the console's middleware puts on the context for its pages: the admin API client and the session's CSRF token.
import type { AppEnv } from '../http/context.js';
import type { AdminClient } from './admin-client.js';

export interface UiVars {
  admin: AdminClient;
  /** The session's CSRF token, for the hidden field of every form that changes something. */
  csrf: string;
}

export interface UiEnv {
  Variables: AppEnv['Variables'] & { ui: UiVars };
}

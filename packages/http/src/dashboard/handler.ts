import { jsonResponse } from '../exchange.js';
import { attachCore, type JobkitHandler } from '../fetch.js';
import type { RequestEntryOptions } from '../options.js';
import { createDashboard, type DashboardOptions } from './dashboard.js';

/** The operator dashboard alone, as a web-standard handler (mount it e.g. at /dashboard, next to the API). */
export function createDashboardHandler(opts: DashboardOptions & RequestEntryOptions): JobkitHandler {
  const dashboard = createDashboard(opts);
  return attachCore(
    { dispatch: (req) => dashboard.dispatch(req), notFound: () => jsonResponse(404, { error: { code: 'NOT_FOUND', message: 'not found' } }) },
    opts,
  );
}

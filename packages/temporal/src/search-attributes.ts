/**
 * Custom search attributes that make Cascadence runs findable in Temporal's UI and CLI
 * (`temporal workflow list -q 'CascadenceTask="etl"'`): every run is the same workflow type, so
 * the task/flow name and what started the run are indexed here. Registered on the server when
 * missing (the dev server and self-hosted clusters allow it through the operator service).
 */
import type { Client } from '@temporalio/client';
import { defineSearchAttributeKey, type SearchAttributePair } from '@temporalio/common';
import { TemporalErrorCode, temporalError } from './errors';

/** Keyword: the task or flow name of the run. */
export const TASK_SEARCH_ATTRIBUTE = 'CascadenceTask';
/** Keyword: what started the run — `run` (TemporalBackend, `task run`) or `schedule`. */
export const TRIGGER_SEARCH_ATTRIBUTE = 'CascadenceTrigger';

export type RunTrigger = 'run' | 'schedule';

/** temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD */
const INDEXED_VALUE_TYPE_KEYWORD = 2;
const NAMES = [TASK_SEARCH_ATTRIBUTE, TRIGGER_SEARCH_ATTRIBUTE];
const taskKey = defineSearchAttributeKey(TASK_SEARCH_ATTRIBUTE, 'KEYWORD');
const triggerKey = defineSearchAttributeKey(TRIGGER_SEARCH_ATTRIBUTE, 'KEYWORD');

/** The search attributes of one run. */
export function runSearchAttributes(task: string, trigger: RunTrigger): SearchAttributePair[] {
  return [
    { key: taskKey, value: task },
    { key: triggerKey, value: trigger },
  ];
}

const registered = new WeakMap<Client, Map<string, Promise<void>>>();

/** Adds the Cascadence search attributes to `namespace` when missing; once per client and namespace. */
export function ensureSearchAttributes(client: Client, namespace: string, address: string): Promise<void> {
  let byNamespace = registered.get(client);
  if (byNamespace === undefined) registered.set(client, (byNamespace = new Map()));
  let done = byNamespace.get(namespace);
  if (done === undefined) {
    done = register(client, namespace, address);
    done.catch(() => byNamespace.delete(namespace));
    byNamespace.set(namespace, done);
  }
  return done;
}

async function register(client: Client, namespace: string, address: string): Promise<void> {
  const operator = client.connection.operatorService;
  try {
    const missing = async (): Promise<string[]> => {
      const existing = await operator.listSearchAttributes({ namespace });
      return NAMES.filter((name) => !(name in (existing.customAttributes ?? {})));
    };
    const absent = await missing();
    if (absent.length === 0) return;
    try {
      await operator.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(absent.map((name) => [name, INDEXED_VALUE_TYPE_KEYWORD])),
      });
    } catch (error) {
      // Another client may have added them meanwhile ("already exists"): fine if they are all there now.
      if ((await missing()).length > 0) throw error;
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw temporalError(
      TemporalErrorCode.CONNECT,
      `cannot register the search attributes ${NAMES.join(', ')} in namespace "${namespace}" at Temporal ${address}: ${message}`,
      {
        details: { namespace, address },
        suggestions: [
          `create them once: ${NAMES.map((name) => `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type Keyword`).join('; ')}`,
          'or start runs without them: { searchAttributes: false }',
        ],
      },
    );
  }
}

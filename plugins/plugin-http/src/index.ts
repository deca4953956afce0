import { definePlugin, type Plugin } from '@cascadence/core';
import { http } from './http';

export { http, runHttp, type HttpResult } from './http';
export {
  DEFAULT_HTTP_TIMEOUT_MS,
  DEFAULT_MAX_RESPONSE_BYTES,
  httpOptionsSchema,
  type HttpOptions,
  type QueryValue,
  type RedirectMode,
  type ResponseType,
} from './options';
export { statusMatches, type StatusPattern } from './status';
export { HttpErrorCode } from './errors';

/** The plugin object (also the default export), e.g. for `loadPlugins({ plugins: [httpPlugin] })`. */
export const httpPlugin: Plugin = definePlugin({
  name: '@cascadence/plugin-http',
  apiVersion: 1,
  processors: [http],
});

export default httpPlugin;

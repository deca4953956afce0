// `@cascadence/temporal/testing`: tooling for tests and benchmarks (a throwaway dev server), kept
// off the main entry so an application's import of @cascadence/temporal promises only the backend.
export { startDevServer, findTemporalBinary, freePort, HOW_TO_GET_A_SERVER, type DevServer, type DevServerOptions } from './devserver';

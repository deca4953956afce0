export { describeSchedulerContract, type SchedulerContractSubject } from './scheduler-contract';
export { freePort } from './free-port';
export { stopChild } from './stop-child';
export {
  findJaegerBinary,
  findTraces,
  getTrace,
  parentId,
  spanNamed,
  spansNamed,
  startJaeger,
  tag,
  type Jaeger,
  type JaegerSpan,
  type JaegerTrace,
} from './jaeger';

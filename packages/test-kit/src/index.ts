export { describeSchedulerContract, type SchedulerContractSubject } from './scheduler-contract';
export { freePort } from './free-port';

export { describeSchedulerContract, type SchedulerContractSubject } from './scheduler-contract';

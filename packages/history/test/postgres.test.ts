import { describeHistoryStore } from './store-suite';
import { describeOnPostgres } from './postgres-server';

describeOnPostgres('run history on a real PostgreSQL server', 'history', describeHistoryStore);

import { describeHistoryStore } from './store-suite';
import { freshDatabase, postgresAvailable, startPostgres, type PostgresServer } from './postgres-server';

// Under CI the server must be there (scripts/ensure-postgres.sh installs it): fail, never skip.
const run = postgresAvailable() || process.env.CI === 'true' ? describe : describe.skip;

run('run history on a real PostgreSQL server', () => {
  let server: PostgresServer;
  let n = 0;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  describeHistoryStore(async () => ({ url: await freshDatabase(server.url, `history_${process.pid}_${++n}`) }));
});

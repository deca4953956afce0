// The project's config: where its tasks are. flows/*.yml is read without being listed.
export default {
  tasks: ['./tasks.mjs'],
  timezone: 'UTC',
};

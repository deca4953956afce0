// Project config, read by the `task` CLI (and by run.mjs until then).
export default {
  // Modules whose exported tasks and flows join the project.
  tasks: ['./tasks.mjs'],
  // YAML flows (flows/ is also scanned by default).
  flows: ['./flows/*.yml'],
  plugins: {
    // Extra plugins by package name or shorthand ('slugify' = cascadence-plugin-slugify).
    use: [],
    // Plugins never to load, even when installed.
    deny: [],
    // Load every dependency in package.json named like a plugin. Both of ours come in this way.
    discover: true,
  },
};

// What a new project is made of: its language, optional parts and the names every project has.

export type Language = 'ts' | 'js';

/** The optional parts of a project. */
export const PROJECT_PARTS = ['schedules', 'metrics', 'temporal', 'shell', 'http'] as const;
export type ProjectPart = (typeof PROJECT_PARTS)[number];

export const PART_DESCRIPTIONS: Record<ProjectPart, string> = {
  schedules: 'cron schedules (schedules.yml, `task scheduler`)',
  metrics: 'Prometheus metrics (@cascadence/metrics)',
  temporal: 'Temporal: run the same flows as durable workflows (@cascadence/temporal)',
  shell: 'shell steps in YAML flows (@cascadence/plugin-shell)',
  http: 'HTTP request steps in YAML flows (@cascadence/plugin-http)',
};

export interface ProjectOptions {
  /** npm package name of the project. */
  name: string;
  language: Language;
  parts: Record<ProjectPart, boolean>;
}

/** Files of a new project, by path relative to its folder ('/' separators). */
export type FileMap = Record<string, string>;

/** The code flow, YAML flow and task names every project has. */
export const PROJECT_NAMES = { codeFlow: 'stats', yamlFlow: 'report', httpFlow: 'ping', tasks: ['load-numbers', 'summarize'] } as const;

import { cascadenceRange, toolVersion, type TemplateVersions } from './versions';
import { PROJECT_NAMES, type FileMap, type ProjectOptions } from './project-options';
import { PING_FLOW, renderConfig, renderReportFlow, SCHEDULES, TASKS_JS, TASKS_TS, TSCONFIG } from './project-sources';
import { renderTest } from './project-test-file';
import { renderReadme } from './project-readme';

export {
  PART_DESCRIPTIONS,
  PROJECT_NAMES,
  PROJECT_PARTS,
  type FileMap,
  type Language,
  type ProjectOptions,
  type ProjectPart,
} from './project-options';

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const sortKeys = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b, 'en')));

export function renderProject(options: ProjectOptions, versions: TemplateVersions): FileMap {
  const { parts } = options;
  const ts = options.language === 'ts';
  const ext = ts ? 'ts' : 'js';
  const files: FileMap = {};

  // package.json
  const dependencies: Record<string, string> = {
    '@cascadence/cli': cascadenceRange(versions, '@cascadence/cli'),
    '@cascadence/core': cascadenceRange(versions, '@cascadence/core'),
  };
  if (parts.metrics) dependencies['@cascadence/metrics'] = cascadenceRange(versions, '@cascadence/metrics');
  if (parts.temporal) dependencies['@cascadence/temporal'] = cascadenceRange(versions, '@cascadence/temporal');
  if (parts.shell) dependencies['@cascadence/plugin-shell'] = cascadenceRange(versions, '@cascadence/plugin-shell');
  if (parts.http) dependencies['@cascadence/plugin-http'] = cascadenceRange(versions, '@cascadence/plugin-http');
  const devDependencies: Record<string, string> = {};
  if (ts) {
    for (const tool of ['@types/node', 'tsx', 'typescript']) devDependencies[tool] = toolVersion(versions, tool);
  }
  const scripts: Record<string, string> = {
    start: `task run ${PROJECT_NAMES.yamlFlow}`,
    test: ts ? 'node --import tsx --test test/*.test.ts' : 'node --test test/*.test.js',
  };
  if (ts) scripts.typecheck = 'tsc --noEmit';
  if (parts.schedules) scripts.scheduler = 'task scheduler';
  if (parts.temporal) scripts.worker = 'task worker';
  files['package.json'] = json({
    name: options.name,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=20' },
    scripts,
    dependencies: sortKeys(dependencies),
    ...(ts ? { devDependencies: sortKeys(devDependencies) } : {}),
  });

  files['.gitignore'] = [
    'node_modules/',
    '# Cascadence state: disabled tasks, schedule run state, compiled TypeScript',
    '.cascadence/',
    'dist/',
    '*.log',
    '',
  ].join('\n');

  files[`cascadence.config.${ext}`] = renderConfig(options);
  if (ts) files['tsconfig.json'] = json(TSCONFIG);
  files[`src/tasks.${ext}`] = ts ? TASKS_TS : TASKS_JS;
  files[`flows/${PROJECT_NAMES.yamlFlow}.yml`] = renderReportFlow(options);
  if (parts.http) files[`flows/${PROJECT_NAMES.httpFlow}.yml`] = PING_FLOW;
  if (parts.schedules) files['schedules.yml'] = SCHEDULES;
  files[`test/project.test.${ext}`] = renderTest(options);
  files['README.md'] = renderReadme(options);
  return files;
}

import type { ListRequest } from './fast-path';
import { LIST_PLUGIN_NEEDS, listOutput } from './list-output';
import { commandProjectOptions, loadProject } from './project/project';

/**
 * `task list` as the oclif command does it (same project loading, same text), without oclif.
 * Undefined when loading the project fails: the binary then runs oclif, which loads it again (the
 * modules already imported are not run twice) and reports the error in its own words and exit
 * code. Warnings are held until the project has loaded, so that they are printed once either way.
 */
export async function listWithoutOclif(request: ListRequest): Promise<number | undefined> {
  const warnings: string[] = [];
  let text: string;
  try {
    const project = await loadProject({
      ...commandProjectOptions(request, (line) => warnings.push(line)),
      pluginNeeds: LIST_PLUGIN_NEEDS,
    });
    text = listOutput(project, request.json);
  } catch {
    return undefined;
  }
  for (const line of warnings) process.stderr.write(`${line}\n`);
  // As oclif's Command module does: a reader that went away (`task list | head -1`) is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') return;
    throw error;
  });
  process.stdout.write(text);
  return 0;
}

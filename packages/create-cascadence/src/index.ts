export { main, create, parseArgs, packageManager, DEFAULTS, USAGE, type CreateResult, type MainIo, type ParsedArgs } from './main';
export {
  renderProject,
  PROJECT_PARTS,
  PART_DESCRIPTIONS,
  PROJECT_NAMES,
  type FileMap,
  type Language,
  type ProjectOptions,
  type ProjectPart,
} from './project';
export { renderPlugin, renderPluginScaffold, pluginShorthand, type InstalledCheck, type PluginOptions } from './plugin';
export { defaultProcessorName, packageNameProblem, pluginNameProblem, processorNameProblem, toPackageName, toPluginName } from './names';
export { templateVersions, type TemplateVersions } from './versions';
export { CreateError, folderContents, writeFiles, type WriteReport } from './write';

import Graph from './commands/graph';
import List from './commands/list';
import Run from './commands/run';
import { Disable, Enable } from './commands/toggle';

/** Every `task` command, found by oclif through the explicit discovery strategy (package.json "oclif"). */
export const COMMANDS = {
  list: List,
  run: Run,
  enable: Enable,
  disable: Disable,
  graph: Graph,
};

import Cancel from './commands/cancel';
import Graph from './commands/graph';
import List from './commands/list';
import Replay from './commands/replay';
import Retry from './commands/retry';
import Run from './commands/run';
import Runs from './commands/runs';
import Schedule from './commands/schedule';
import Scheduler from './commands/scheduler';
import Schedules from './commands/schedules';
import Show from './commands/show';
import { Disable, Enable } from './commands/toggle';
import Ui from './commands/ui';
import Unschedule from './commands/unschedule';
import Worker from './commands/worker';

/** Every `task` command, found by oclif through the explicit discovery strategy (package.json "oclif"). */
export const COMMANDS = {
  list: List,
  run: Run,
  enable: Enable,
  disable: Disable,
  graph: Graph,
  schedule: Schedule,
  unschedule: Unschedule,
  schedules: Schedules,
  scheduler: Scheduler,
  worker: Worker,
  replay: Replay,
  runs: Runs,
  show: Show,
  retry: Retry,
  cancel: Cancel,
  ui: Ui,
};

import { CascadenceError, ErrorCode } from './errors';
import { defineFlow, type Flow, type FlowStep, type TriggerRule } from './flow';
import type {
  FinalOutputs,
  MappedOutput,
  MapSource,
  NeededResults,
  Simplify,
  StepOutput,
  StepOutputs,
  TaskReference,
  TypedStep,
} from './flow-types';
import type { RetryPolicy } from './retry';

/** A flow's own settings, given to `flow(name, settings)`. */
export interface FlowSettings {
  description?: string;
  retry?: RetryPolicy;
  timeoutMs?: number;
  tags?: string[];
  /** `leaves`: the run succeeds when its final steps succeeded or were skipped on purpose (see FlowDefinition). */
  statusFrom?: 'steps' | 'leaves';
}

/** Says at compile time that an id is already used, instead of silently typing it twice. */
type NewStepId<Id extends string, Outputs> = Id extends keyof Outputs ? `step "${Id}" is already defined` : Id;

/** One link of the builder's chain: each `step` adds one, so builders can branch without copying. */
interface StepLink {
  readonly previous: StepLink | undefined;
  readonly id: string;
  readonly step: FlowStep;
}

/**
 * Builds a typed flow one step at a time: each step sees the outputs of the steps before it, so
 * every output is inferred, however deep the graph (the object form of `defineFlow` infers only
 * what does not depend on `ctx`). Immutable: `step` returns a new builder. `build` checks the
 * flow exactly as `defineFlow` does.
 */
// `{}` is the empty record of outputs before the first step; it is intersected, never used alone.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export class FlowBuilder<Input, Outputs extends StepOutputs = {}, Needed extends string = never> {
  /** @internal use `flow()`. */
  constructor(
    private readonly name: string,
    private readonly settings: FlowSettings,
    private readonly last: StepLink | undefined,
  ) {}

  /**
   * Adds step `id`. `needs` may name only steps added before it, and `ctx.results` holds exactly
   * those; the step's output type is inferred from its `run`, `task` or `uses`.
   */
  step<
    const Id extends string,
    Need extends keyof Outputs & string = never,
    When extends TriggerRule = 'all-succeeded',
    RunReturn = never,
    TaskRef extends TaskReference = never,
    Uses extends string = never,
    With = never,
    Map extends MapSource<Need> = never,
    FnItem = never,
  >(
    id: NewStepId<Id, Outputs>,
    step: TypedStep<Input, NeededResults<Outputs, Need, When>, Need, When, RunReturn, TaskRef, Uses, With, Map, FnItem>,
  ): FlowBuilder<Input, Simplify<Outputs & { [K in Id]: MappedOutput<StepOutput<RunReturn, TaskRef, Uses>, Map, FnItem> }>, Needed | Need> {
    return new FlowBuilder(this.name, this.settings, { previous: this.last, id, step: step as FlowStep });
  }

  /**
   * The flow, checked. Its output is `output(results, input)` when given (`results` holds the
   * steps that succeeded), otherwise the outputs of its final steps that succeeded.
   */
  build(): Flow<Input, Simplify<FinalOutputs<Outputs, Needed>>, Outputs>;
  build<Output>(output: (results: Partial<Outputs>, input: Input) => Output): Flow<Input, Output, Outputs>;
  build(output?: (results: Partial<Outputs>, input: Input) => unknown): Flow<Input, unknown, Outputs> {
    const links: StepLink[] = [];
    for (let link = this.last; link !== undefined; link = link.previous) links.push(link);
    // Declaration order matters (the run's error is the first failed step in that order).
    const steps: Record<string, FlowStep> = Object.create(null);
    for (let i = links.length - 1; i >= 0; i--) {
      const { id, step } = links[i] as StepLink;
      if (id in steps) {
        throw new CascadenceError(ErrorCode.DUPLICATE_STEP, `flow "${this.name}": duplicate step id "${id}"`, {
          details: { flow: `flow "${this.name}"`, step: id },
        });
      }
      steps[id] = step;
    }
    return defineFlow({
      name: this.name,
      ...this.settings,
      steps,
      ...(output === undefined ? {} : { output: output as (results: Record<string, unknown>, input: unknown) => unknown }),
    } as Parameters<typeof defineFlow>[0]) as unknown as Flow<Input, unknown, Outputs>;
  }
}

/**
 * Starts a typed flow: `flow<Input>('name').step('a', {...}).step('b', { needs: ['a'], ... }).build()`.
 * `Input` is the flow's input, given to every step without its own `with`.
 */
export function flow<Input = unknown>(name: string, settings: FlowSettings = {}): FlowBuilder<Input> {
  return new FlowBuilder<Input>(name, settings, undefined);
}

/**
 * Types that follow the data through a flow written in code: what each step returns, what a step
 * sees in `ctx.results` (only what it `needs`) and what a run of the flow returns. Types only:
 * nothing here exists at run time, and YAML/JSON flows (`flowFromSpec`) stay untyped.
 */
import type { Flow, TriggerRule } from './flow';
import type { Processor } from './processor';
import type { RunResult } from './result';
import type { RetryPolicy } from './retry';
import type { Task, TaskContext } from './task';

/** Outputs of a flow's steps, by step id. */
export type StepOutputs = Record<string, unknown>;

/**
 * Processors by name, so that a `uses:` step's output is typed. Empty here: a plugin (or your
 * project) adds its processors by declaration merging —
 * `declare module '@cascadence/core' { interface ProcessorTypes { shell: typeof shell } }`.
 * A name not listed gives `unknown`.
 */
// Empty on purpose: declaration merging fills it.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ProcessorTypes {}

/** Output of the processor registered under `Name` in `ProcessorTypes`; `unknown` otherwise. */
export type ProcessorOutput<Name> = Name extends keyof ProcessorTypes
  ? ProcessorTypes[Name] extends Processor<any, infer Output>
    ? Awaited<Output>
    : unknown
  : unknown;

/** What a `task:` step returns: a flow's output, a task's output; a task *name* is `unknown`. */
export type TaskOutput<T> = T extends { readonly kind: 'flow' }
  ? T extends Flow<any, infer Output, any>
    ? Output
    : unknown
  : T extends Task<any, infer Output, any>
    ? Awaited<Output>
    : unknown;

/**
 * What a step returns, from the one of `run` (its return, awaited), `task` or `uses` it has.
 * Unused kinds are `never`. (A future field that changes the output, such as a fan-out returning
 * one output per item, wraps this: `Field extends never ? StepOutput<...> : StepOutput<...>[]`.)
 */
export type StepOutput<RunReturn, TaskRef, Uses> = [TaskRef] extends [never]
  ? [Uses] extends [never]
    ? Awaited<RunReturn>
    : ProcessorOutput<Uses>
  : TaskOutput<TaskRef>;

/**
 * `ctx.results` of a step: only the steps it `needs`. With the default rule (`all-succeeded`) the
 * step runs only when all of them succeeded, so each is present; under any other rule a need may
 * have failed or been skipped, so each may be missing.
 */
export type NeededResults<Outputs, Need extends keyof Outputs, When> = [When] extends ['all-succeeded']
  ? { [K in Need]: Outputs[K] }
  : { [K in Need]?: Outputs[K] };

/** The step's input: its `with` when it has one, otherwise the flow's input. */
export type StepInput<FlowInput, With> = [With] extends [never] ? FlowInput : With;

/**
 * Where a `map` step's items come from, as the builder types it (a function source is typed by
 * its own generic, so that `ctx` is typed inside it): a needed step's id, or a key path into one
 * (`'list.items'`: items typed `unknown`).
 */
export type MapSource<Need extends string> = Need | `${Need}.${string}`;

/**
 * A `map` step's item type: the function source's element type (`FnItem`), else the element type
 * of the needed step's array output (`unknown` for key paths).
 */
export type MapItem<Results, Map, FnItem> = [FnItem] extends [never]
  ? Map extends keyof Results
    ? NonNullable<Results[Map]> extends readonly (infer Item)[]
      ? Item
      : unknown
    : unknown
  : FnItem;

/** Whether a step maps: it has a string source (`Map`) or a function source (`FnItem`). */
type Maps<Map, FnItem> = [Map | FnItem] extends [never] ? false : true;

/** The input a step's code receives: one item for a `map` step, otherwise StepInput. */
export type StepCodeInput<FlowInput, With, Results, Map, FnItem> =
  Maps<Map, FnItem> extends true ? MapItem<Results, Map, FnItem> : StepInput<FlowInput, With>;

/** A step's output: a `map` step's is the array of its items' outputs, in item order. */
export type MappedOutput<Output, Map, FnItem> = Maps<Map, FnItem> extends true ? Output[] : Output;

/** A flow's default output: the outputs of its final steps (those nothing needs) that succeeded. */
export type FinalOutputs<Outputs, Needed> = { [K in Exclude<keyof Outputs, Needed>]?: Outputs[K] };

/** Fields every typed step may have besides what it runs. */
export interface TypedStepSettings<Need extends string, When extends TriggerRule> {
  /** Step ids whose outputs this step receives through `ctx.results` (only those). */
  needs?: readonly Need[];
  /** Trigger rule; default `all-succeeded`. */
  when?: When;
  retry?: RetryPolicy;
  timeoutMs?: number;
  description?: string;
}

/**
 * One step of a flow built with `flow().step(id, ...)`. Exactly
 * one of `run`, `task`, `uses` (checked when the flow is defined). New plain fields slot in here.
 */
export interface TypedStep<
  FlowInput,
  Results extends Record<string, unknown>,
  Need extends string,
  When extends TriggerRule,
  RunReturn,
  TaskRef,
  Uses extends string,
  With,
  Map = never,
  FnItem = never,
> extends TypedStepSettings<Need, When> {
  /** An inline function; its return (awaited) is the step's output (one item's, for a `map` step). */
  run?: (ctx: TaskContext<Results>, input: StepCodeInput<FlowInput, With, Results, Map, FnItem>) => RunReturn;
  /**
   * A task or flow object (typed output; its input type must accept the step's input), or the
   * name of one known to the engine's registry (`unknown`).
   */
  task?: TaskRef & AcceptsInput<TaskRef, StepCodeInput<FlowInput, With, Results, Map, FnItem>>;
  /** Runs the step once per item (see FlowStep.map); each item is typed from its source. */
  map?: Map | ((ctx: TaskContext<Results>) => readonly FnItem[]);
  /** For a `map` step: items running at once at most. */
  concurrency?: number;
  /** For a `map` step: `settle` (default) or `fail-fast`. */
  onItemFailure?: 'settle' | 'fail-fast';
  /** A processor name; its output is typed when the name is listed in `ProcessorTypes`. */
  uses?: Uses;
  /** Input of the step (a processor's options); when absent the step receives the flow's input. */
  with?: With;
}

/**
 * Nothing when a task or flow accepts `Input`; otherwise a message the task reference cannot
 * match, so the mismatch is a compile error that says what is wrong.
 */
export type AcceptsInput<TaskRef, Input> = [Input] extends [RunInput<TaskRef>]
  ? unknown
  : { 'the step input (the flow input, or the step with) does not fit the task input': RunInput<TaskRef> };

/** A task or flow a `task:` step can hold, or a task name. */
export type TaskReference = Task<any, any, any> | Flow<any, any, any> | string;

/** Flattens an intersection for readable hovers and messages. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** What `engine.run(runnable, input)` accepts as input: the flow's or task's input type. */
export type RunInput<R> = R extends { readonly kind: 'flow' }
  ? R extends Flow<infer Input, any, any>
    ? Input
    : unknown
  : R extends Task<infer Input, any, any>
    ? Input
    : unknown;

/** What running `R` returns: a typed flow's output and step outputs, a task's output. */
export type RunResultOf<R> = R extends { readonly kind: 'flow' }
  ? R extends Flow<any, infer Output, infer Outputs>
    ? RunResult<Output, Outputs>
    : RunResult
  : R extends Task<any, infer Output, any>
    ? RunResult<Awaited<Output>>
    : RunResult;

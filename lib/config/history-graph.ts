import * as v from 'valibot';
import { looseObject, nonNegativeInt, record } from '../../lambdas/shared/validation';

/*
 * Events per state, by the event types of the Step Functions API reference (HistoryEvent.type), checked against
 * real histories (cloudonaut.io, "Step Functions pitfall: maximum number of history events", 2022: a Lambda task
 * 5 events, a Choice 2, a Wait 2) and LocalStack's emulation of them:
 * - every state emits <Type>StateEntered and <Type>StateExited; a Fail state only FailStateEntered;
 * - a Task attempt adds Scheduled, Started, Succeeded/Failed/TimedOut (LambdaFunction* for a function ARN, Task* for
 *   an integration), and TaskSubmitted for `.waitForTaskToken` and `.sync`;
 * - a Parallel adds ParallelStateStarted, ParallelStateSucceeded/Failed, and every branch's events;
 * - a retry repeats the attempt's events, not the state's Entered/Exited;
 * - the execution itself: ExecutionStarted and its end (Succeeded, Failed, TimedOut).
 */
const STATE_ENTERED_EXITED = 2;
const FAIL_STATE_EVENTS = 1;
const EXECUTION_EVENTS = 2;
const TASK_ATTEMPT_EVENTS = 3;
const CALLBACK_TASK_ATTEMPT_EVENTS = 4;
const PARALLEL_ATTEMPT_EVENTS = 2;
const DEFAULT_MAX_ATTEMPTS = 3; // ASL's default for a retrier

/** The subset of ASL the estimate reads; everything else passes through. */
export interface AslMachine {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
}
export interface AslState {
  readonly Type: string;
  readonly Resource?: string | undefined;
  readonly Next?: string | undefined;
  readonly End?: boolean | undefined;
  readonly Default?: string | undefined;
  readonly Choices?: readonly { readonly Next: string }[] | undefined;
  readonly Catch?: readonly { readonly Next: string }[] | undefined;
  readonly Retry?: readonly { readonly MaxAttempts?: number | undefined }[] | undefined;
  readonly Branches?: readonly AslMachine[] | undefined;
}
const machineSchema: v.GenericSchema<AslMachine> = v.lazy(() =>
  looseObject({
    StartAt: v.string(),
    States: record(
      v.string(),
      looseObject({
        Type: v.string(),
        Resource: v.optional(v.string()),
        Next: v.optional(v.string()),
        End: v.optional(v.boolean()),
        Default: v.optional(v.string()),
        Choices: v.optional(v.array(looseObject({ Next: v.string() }))),
        Catch: v.optional(v.array(looseObject({ Next: v.string() }))),
        Retry: v.optional(v.array(looseObject({ MaxAttempts: v.optional(nonNegativeInt) }))),
        Branches: v.optional(v.array(machineSchema)),
      }),
    ),
  }),
);

/** What bounds one loop of the state machine, and how to shrink it. */
export interface LoopBound {
  /** What the loop is, for the refusal: "snapshot wait loop". */
  readonly label: string;
  /** What one pass does, for the refusal: "polls". */
  readonly verb: string;
  /** Passes through the loop's header each time the loop is entered, at most (at least 1). */
  readonly passes: number;
  /** The configuration change that shortens it, naming the props. */
  readonly fix: string;
}

/** One loop of the estimate: how often it runs in a whole execution and what a pass costs on its own. */
export interface LoopFigure extends LoopBound {
  readonly header: string;
  readonly states: readonly string[];
  /** Passes in a whole execution: `passes` times the passes of every loop around it. */
  readonly totalPasses: number;
  /** Events of one pass through the loop's own states (inner loops once, no retries). */
  readonly eventsPerPass: number;
}

export interface HistoryEstimate {
  readonly events: number;
  readonly loops: readonly LoopFigure[];
}

/**
 * The most history events one execution of `definition` can write: every loop at its bound, and on the longest path
 * from start to end (the rollback and escalation states included) every retry taken. Each retrier counts its own
 * attempts (developer guide, "Handling errors": the ErrorA, ErrorB, ErrorC, ErrorB example), so a state can use up
 * all of them: its retries are the sum of its retriers' MaxAttempts. Loop passes are counted without retries (a
 * retry on every one of thousands of polls is not a case to refuse a configuration for); the margin between
 * HISTORY_EVENT_LIMIT and the quota holds about 150 fully retried Lambda calls.
 *
 * Loops are found in the graph (Next, Default, Choices, Catch) of each scope, Parallel branches on their own: an edge
 * back to a state that dominates its source closes a loop entered at that state, its header. A cycle with more than
 * one entry, a Map state and a loop missing from `bounds` are refused: none of them could be bounded.
 */
export function worstCaseHistoryEvents(
  definition: unknown,
  bounds: Readonly<Record<string, LoopBound>>,
): HistoryEstimate {
  const parsed = v.safeParse(machineSchema, definition);
  if (!parsed.success) {
    throw new Error(`history budget: the state machine definition is not ASL: ${parsed.issues[0].message}`);
  }
  const figures = new Map<string, LoopFigure>();
  const events = EXECUTION_EVENTS + new Scope(parsed.output, bounds, 1, figures).longestPath('worst');
  return { events, loops: [...figures.values()] };
}

type Mode = 'worst' | 'pass';

interface Loop {
  readonly header: string;
  readonly body: ReadonlySet<string>;
  readonly latches: ReadonlySet<string>;
  readonly bound: LoopBound;
}

/** One machine or Parallel branch: its states, the loops in it, and the acyclic graph left without the back edges. */
class Scope {
  private readonly order: string[];
  private readonly forward = new Map<string, string[]>();
  /** Every edge, back edges included, reversed. */
  private readonly predecessors = new Map<string, string[]>();
  private readonly loops = new Map<string, Loop>();

  constructor(
    private readonly machine: AslMachine,
    private readonly bounds: Readonly<Record<string, LoopBound>>,
    private readonly outerPasses: number,
    private readonly figures: Map<string, LoopFigure>,
  ) {
    const reachable = this.reachableFrom(machine.StartAt);
    for (const name of reachable) {
      for (const next of successorsOf(this.state(name)))
        this.predecessors.set(next, [...(this.predecessors.get(next) ?? []), name]);
    }
    const dominators = dominatorsOf(machine.StartAt, reachable, this.predecessors);
    const latchesByHeader = new Map<string, Set<string>>();
    for (const name of reachable) {
      const dominatedBy = dominators.get(name) ?? new Set<string>();
      const forward: string[] = [];
      for (const next of successorsOf(this.state(name))) {
        if (dominatedBy.has(next)) latchesByHeader.set(next, (latchesByHeader.get(next) ?? new Set()).add(name));
        else forward.push(next);
      }
      this.forward.set(name, forward);
    }
    this.order = this.topologicalOrder(reachable);
    for (const [header, latches] of latchesByHeader) this.loops.set(header, this.loopAt(header, latches));
    for (const loop of this.loops.values()) {
      const around = [...this.loops.values()].filter((other) => other !== loop && other.body.has(loop.header));
      const totalPasses = around.reduce((passes, other) => passes * other.bound.passes, loop.bound.passes);
      this.figures.set(loop.header, {
        ...loop.bound,
        header: loop.header,
        states: this.order.filter((name) => loop.body.has(name)),
        totalPasses: totalPasses * outerPasses,
        eventsPerPass: this.toLatch(loop, (name) => this.stateEvents(name, 'pass')),
      });
    }
  }

  /** The heaviest path from StartAt to an end state (Succeed, Fail, End), each loop's header carrying its passes. */
  longestPath(mode: Mode): number {
    const best = new Map<string, number>();
    for (const name of [...this.order].reverse()) {
      const next = Math.max(...(this.forward.get(name) ?? []).map((successor) => best.get(successor) ?? -Infinity));
      best.set(name, this.weight(name, mode) + (isEnd(this.state(name)) ? Math.max(0, next) : next));
    }
    const events = best.get(this.machine.StartAt) ?? -Infinity;
    if (!Number.isFinite(events)) throw new Error(`history budget: no path from ${this.machine.StartAt} ends`);
    return events;
  }

  /** A state's own events, plus (for a loop's header) the passes before the last one, which the path walks. */
  private weight(name: string, mode: Mode): number {
    const loop = this.loops.get(name);
    return this.stateEvents(name, mode) + (loop ? (loop.bound.passes - 1) * this.iteration(loop) : 0);
  }

  /** One full pass through a loop, inner loops at their bounds, no retries. */
  private iteration(loop: Loop): number {
    return this.toLatch(loop, (name) =>
      name === loop.header ? this.stateEvents(name, 'pass') : this.weight(name, 'pass'),
    );
  }

  /** The heaviest path from the loop's header to a state that jumps back to it, inside the loop. */
  private toLatch(loop: Loop, weight: (name: string) => number): number {
    const best = new Map<string, number>();
    for (const name of [...this.order].reverse().filter((member) => loop.body.has(member))) {
      const inside = (this.forward.get(name) ?? []).filter((successor) => loop.body.has(successor));
      const next = Math.max(loop.latches.has(name) ? 0 : -Infinity, ...inside.map((s) => best.get(s) ?? -Infinity));
      best.set(name, weight(name) + next);
    }
    return best.get(loop.header) ?? 0;
  }

  private stateEvents(name: string, mode: Mode): number {
    const state = this.state(name);
    const withRetries = (attempt: number) =>
      STATE_ENTERED_EXITED + attempt * (1 + (mode === 'worst' ? retries(state) : 0));
    switch (state.Type) {
      case 'Pass':
      case 'Wait':
      case 'Choice':
      case 'Succeed':
        return STATE_ENTERED_EXITED;
      case 'Fail':
        return FAIL_STATE_EVENTS;
      case 'Task':
        return withRetries(
          /\.(waitForTaskToken|sync(:2)?)$/.test(state.Resource ?? '')
            ? CALLBACK_TASK_ATTEMPT_EVENTS
            : TASK_ATTEMPT_EVENTS,
        );
      case 'Parallel': {
        const passes = this.outerPasses * this.passesAround(name);
        const branches = (state.Branches ?? []).map((branch) =>
          new Scope(branch, this.bounds, passes, this.figures).longestPath(mode),
        );
        return withRetries(PARALLEL_ATTEMPT_EVENTS + branches.reduce((sum, events) => sum + events, 0));
      }
      default:
        throw new Error(`history budget: ${name} is a ${state.Type} state, whose events it cannot bound`);
    }
  }

  private passesAround(name: string): number {
    return [...this.loops.values()].filter((loop) => loop.body.has(name)).reduce((p, loop) => p * loop.bound.passes, 1);
  }

  private loopAt(header: string, latches: ReadonlySet<string>): Loop {
    // The loop's states: those that reach a latch backwards without passing its header.
    const body = new Set([header]);
    const pending = [...latches];
    for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
      if (body.has(name)) continue;
      body.add(name);
      pending.push(...(this.predecessors.get(name) ?? []));
    }
    const bound = this.bounds[header];
    const states = this.order.filter((member) => body.has(member)).join(' → ');
    if (bound === undefined) {
      throw new Error(
        `history budget: the loop ${states} (entered at ${header}) has no known bound; ` +
          'add its header and the configuration that bounds it to loopBoundsFor in lib/config/history-budget.ts',
      );
    }
    if (!Number.isInteger(bound.passes) || bound.passes < 1) {
      throw new Error(`history budget: the ${bound.label} ${header} needs a whole number of passes ≥ 1`);
    }
    return { header, body, latches, bound };
  }

  private reachableFrom(start: string): string[] {
    const seen = new Set<string>();
    const pending = [start];
    for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
      if (seen.has(name)) continue;
      seen.add(name);
      pending.push(...successorsOf(this.state(name)));
    }
    return [...seen];
  }

  /** Kahn's algorithm over the forward edges: what is left over is a cycle no single state dominates. */
  private topologicalOrder(names: readonly string[]): string[] {
    const incoming = new Map(names.map((name) => [name, 0]));
    for (const next of this.forward.values())
      for (const name of next) incoming.set(name, (incoming.get(name) ?? 0) + 1);
    const ready = names.filter((name) => incoming.get(name) === 0);
    const order: string[] = [];
    for (let name = ready.shift(); name !== undefined; name = ready.shift()) {
      order.push(name);
      for (const next of this.forward.get(name) ?? []) {
        const left = (incoming.get(next) ?? 0) - 1;
        incoming.set(next, left);
        if (left === 0) ready.push(next);
      }
    }
    if (order.length !== names.length) {
      // Left over: the cycle and what only it leads to; peel off the latter.
      const left = new Set(names.filter((name) => !order.includes(name)));
      for (let peeled = true; peeled; ) {
        const sinks = [...left].filter((name) => !(this.forward.get(name) ?? []).some((next) => left.has(next)));
        for (const name of sinks) left.delete(name);
        peeled = sinks.length > 0;
      }
      const cycle = [...left].join(', ');
      throw new Error(
        `history budget: the cycle through ${cycle} can be entered at more than one state; give it one entry`,
      );
    }
    return order;
  }

  private state(name: string): AslState {
    const state = this.machine.States[name];
    if (state === undefined) throw new Error(`history budget: no state named ${name}`);
    return state;
  }
}

function successorsOf(state: AslState): string[] {
  const next = [
    state.Next,
    state.Default,
    ...(state.Choices ?? []).map((c) => c.Next),
    ...(state.Catch ?? []).map((c) => c.Next),
  ];
  return [...new Set(next.filter((name): name is string => name !== undefined))];
}

function isEnd(state: AslState): boolean {
  return state.End === true || state.Type === 'Succeed' || state.Type === 'Fail';
}

function retries(state: AslState): number {
  return (state.Retry ?? []).reduce((sum, retrier) => sum + (retrier.MaxAttempts ?? DEFAULT_MAX_ATTEMPTS), 0);
}

/** Iterative dominator sets: d dominates n when every path from the start to n passes d. */
function dominatorsOf(
  start: string,
  names: readonly string[],
  predecessors: ReadonlyMap<string, readonly string[]>,
): Map<string, Set<string>> {
  const dominators = new Map(names.map((name) => [name, new Set(name === start ? [start] : names)]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const name of names) {
      if (name === start) continue;
      const sets = (predecessors.get(name) ?? []).map((p) => dominators.get(p) ?? new Set<string>());
      const common = new Set([...(sets[0] ?? [])].filter((d) => sets.every((set) => set.has(d))));
      common.add(name);
      if (common.size !== dominators.get(name)?.size) {
        dominators.set(name, common);
        changed = true;
      }
    }
  }
  return dominators;
}

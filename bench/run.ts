// npm run bench -- [flags]: how fast is this stack on this machine, at each number of API replicas, where does each
// request's CPU go, what do faults do to users, and is configuration B faster than A. Orchestration only: the stack
// operations are in tools/stack, the steps and figures in this folder.
import { relative } from 'node:path';
import { ComposeProject } from '../tools/stack/index.js';
import { USAGE, UsageError, parseBenchArgs, type BenchOptions } from './cli-options.js';
import { prepare, type BenchContext } from './context.js';
import { reportOutcome } from './outcome.js';
import { emptyMeasurements, planSteps, plannedLoadMs, runPlan, type Measurements } from './plan.js';
import { Progress } from './progress.js';
import { measuredAnything, writeRecord } from './record.js';

/** The flags, or the exit code when there is nothing to measure (--help, or a usage error). */
function readFlags(argv: string[]): BenchOptions | number {
  try {
    const options = parseBenchArgs(argv);
    if (!options.help) return options;
    process.stdout.write(USAGE);
    return 0;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\nRun \`npm run bench -- --help\` for the flags.\n`);
    return 2;
  }
}

// One Ctrl-C reaches this process more than once: from the terminal and relayed by npm and tsx, within milliseconds.
const SAME_PRESS_MS = 1000;

/** Ctrl-C (or SIGTERM) stops the load and takes the stacks down; a second press exits at once. */
function onInterrupt(controller: AbortController, progress: Progress, stacks: () => readonly ComposeProject[]): void {
  let interruptedAt: number | undefined;
  const handle = (signal: NodeJS.Signals): void => {
    const up = stacks();
    if (interruptedAt !== undefined && Date.now() - interruptedAt < SAME_PRESS_MS) return;
    if (interruptedAt !== undefined) {
      const down = up.map((stack) => stack.describe(ComposeProject.DOWN_ARGS)).join('; ');
      process.stderr.write(`\nbench: ${signal} again, exiting now.${down === '' ? '' : ` The stacks may still run: ${down}`}\n`);
      process.exit(130);
    }
    interruptedAt = Date.now();
    progress.step(`${signal}: stopping the load${up.length > 0 ? ' and taking the stack down' : ''}`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}

/** Writes what was measured before a failure, marked incomplete. */
async function writePartialRecord(ctx: BenchContext, measured: Measurements, reason: string): Promise<void> {
  if (!measuredAnything(measured)) return;
  try {
    const { reportPath } = await writeRecord(ctx, measured, reason);
    process.stderr.write(`bench: what was measured before that is in ${reportPath} (marked incomplete)\n`);
  } catch (recordError) {
    process.stderr.write(`bench: could not write the partial report: ${String(recordError)}\n`);
  }
}

/** Takes down every stack the bench brought up with its secret files, and closes the compose log. */
async function tearDown(ctx: BenchContext): Promise<void> {
  for (const { stack, secrets } of ctx.targets) {
    if (stack !== undefined) {
      ctx.progress.step(`taking the stack down: ${stack.describe(ComposeProject.DOWN_ARGS)}`);
      await stack.down().catch((error: unknown) => process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`));
    }
    await secrets?.remove();
  }
  await new Promise<void>((resolve) => (ctx.composeLog === undefined ? resolve() : ctx.composeLog.end(() => resolve())));
}

async function main(argv: string[]): Promise<number> {
  const options = readFlags(argv);
  if (typeof options === 'number') return options;
  const controller = new AbortController();
  const progress = new Progress();
  let ctx: BenchContext | undefined;
  onInterrupt(controller, progress, () => ctx?.targets.flatMap((target) => (target.stack === undefined ? [] : [target.stack])) ?? []);
  const measured = emptyMeasurements();
  try {
    ctx = await prepare(argv, options, progress, controller.signal);
    const steps = planSteps(ctx);
    progress.planLoad(plannedLoadMs(steps, options));
    await runPlan(ctx, steps, measured);
    progress.step('recording machine and versions');
    const { record, reportPath } = await writeRecord(ctx, measured);
    progress.step(`wrote ${relative(process.cwd(), reportPath)}, results.json and the k6 HTML reports beside it`);
    return reportOutcome(record, reportPath);
  } catch (error) {
    const message = controller.signal.aborted ? 'interrupted' : error instanceof Error ? error.message : String(error);
    process.stderr.write(`bench: ${message}\n`);
    if (ctx !== undefined) await writePartialRecord(ctx, measured, message);
    return controller.signal.aborted ? 130 : 1;
  } finally {
    if (ctx !== undefined) await tearDown(ctx);
  }
}

process.exitCode = await main(process.argv.slice(2));

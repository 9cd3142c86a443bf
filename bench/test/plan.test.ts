import { describe, expect, it } from 'vitest';
import type { K6Runner } from '../../tools/stack/index.js';
import { parseBenchArgs } from '../cli-options.js';
import type { Target } from '../context.js';
import { planSteps, plannedLoadMs, type Step } from '../plan.js';

const k6 = {} as K6Runner;
const target = (side?: 'a' | 'b'): Target => ({ ...(side === undefined ? {} : { side }), project: `p${side ?? ''}`, port: 1, baseUrl: 'http://127.0.0.1:1', settings: {}, build: true, k6 });

function describeSteps(steps: Step[]): string[] {
  return steps.map((step) => {
    const side = step.target.side === undefined ? '' : `${step.target.side}:`;
    switch (step.kind) {
      case 'deploy':
        return `${side}${step.first ? 'up' : 'scale'} ${step.replicas}`;
      case 'closed':
        return `${side}closed r${step.replicas} #${step.run}`;
      case 'open':
        return `${side}open r${step.replicas} ${step.fraction}`;
      case 'fault':
        return `${side}fault ${step.fault}`;
      case 'round':
        return `${side}round ${step.round}`;
      default:
        return `${side}${step.kind} r${step.replicas}`;
    }
  });
}

describe('planSteps: one list of planned runs for every kind of bench', () => {
  it('measures each replica count: up or rescale, warm-up, closed runs, open runs, ceiling', () => {
    const options = parseBenchArgs(['--replicas', '1,2', '--runs', '2', '--open', '0.5,0.8']);
    const steps = planSteps({ options, replicas: options.replicas, targets: [target()] });
    expect(describeSteps(steps)).toEqual([
      'up 1', 'warmup r1', 'closed r1 #1', 'closed r1 #2', 'open r1 0.5', 'open r1 0.8', 'ceiling r1',
      'scale 2', 'warmup r2', 'closed r2 #1', 'closed r2 #2', 'open r2 0.5', 'open r2 0.8', 'ceiling r2',
    ]);
    expect(plannedLoadMs(steps, options)).toBe(2 * 5_000 + 2 * 5 * 20_000);
  });

  it('runs each fault on a stack back at full strength, warming up once', () => {
    const options = parseBenchArgs(['--fault', 'kill-replica,scale']);
    expect(describeSteps(planSteps({ options, replicas: options.replicas, targets: [target()] }))).toEqual([
      'up 3', 'warmup r3', 'fault kill-replica', 'scale 3', 'fault scale',
    ]);
  });

  it('brings both sides of a comparison up, warms each, then alternates which goes first in each round', () => {
    const options = parseBenchArgs(['--compare', '', 'DB_POOL_MAX=1', '--rounds', '3', '--warmup', '0s']);
    expect(describeSteps(planSteps({ options, replicas: options.replicas, targets: [target('a'), target('b')] }))).toEqual([
      'a:up 1', 'b:up 1', 'a:round 1', 'b:round 1', 'b:round 2', 'a:round 2', 'a:round 3', 'b:round 3',
    ]);
  });
});

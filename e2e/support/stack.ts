import { inject } from 'vitest';
import { ComposeProject, type ComposeCli, type Credentials } from '../../tools/stack/index.js';

/** What the global setup started, as handed to every test file (plain data: it crosses into the test workers). */
export interface StackInfo {
  cli: ComposeCli;
  cwd: string;
  project: string;
  /** Variables compose.yaml interpolates (port, user names, the folder of its secret files), on top of the environment. */
  env: Record<string, string>;
  baseUrl: string;
  replicas: number;
  db: { user: string; password: string; name: string };
  stats: { user: string; password: string };
  demo: Credentials;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The compose stack every e2e file talks to, brought up once for the run (e2e/global-setup.ts). */
    stack: StackInfo;
  }
}

/** The running stack: its compose project (to scale it, as an operator would) and how to reach it. */
export interface Stack extends StackInfo {
  compose: ComposeProject;
}

/** The stack the global setup brought up. */
export function runningStack(): Stack {
  const info = inject('stack');
  return { ...info, compose: new ComposeProject({ cli: info.cli, name: info.project, cwd: info.cwd, env: info.env }) };
}

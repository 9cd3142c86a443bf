// One copy of every operation on the stack, shared by the bench (bench/), the end-to-end tests (e2e/) and any
// other tool: compose v1/v2, Docker Swarm, Kubernetes, the Docker client, "HAProxy routes to N ready replicas", the demo user, and k6.
export { APP_SERVICE, COMPOSE_DIR, COMPOSE_FILE, ComposeProject, composeVersion, detectComposeCli, parseComposeCli } from './compose.js';
export type { ComposeCli } from './compose.js';
export {
  COMPOSE_PROJECT_LABEL,
  COMPOSE_SERVICE_LABEL,
  containerAddress,
  containerName,
  docker,
  engineVersion,
  execInContainer,
  imagePresent,
  inspectContainer,
  pullImage,
  projectContainers,
  projectLeftovers,
  projectPublishingPort,
  readContainerStats,
  serviceContainer,
  serviceOf,
  STACK_NAMESPACE_LABEL,
  waitForSettledService,
  SWARM_SERVICE_LABEL,
} from './docker.js';
export type { ContainerDetails, ContainerStats, ContainerSummary, CpuStats, MemoryStats } from './docker.js';
export { PAGE_SIZE, demoUser, demoUserSeededWith, listRecipes, login, request } from './api.js';
export type { Credentials, RecipePage, Reply } from './api.js';
export {
  CONVERGE_TIMEOUT_MS,
  DEFAULT_APP_IMAGE,
  DEFAULT_APP_REPLICAS,
  DEFAULT_SECRETS_DIR,
  STACK_FILE,
  SwarmStack,
  choosePostgresNode,
  ensureApiImage,
  ensureSwarm,
  forgetPostgresNode,
  leaveSwarm,
  leaveSwarmIfInitialisedHere,
  swarmActive,
} from './swarm.js';
export type { Announce } from './swarm.js';
export { SECRET_NAMES, temporarySecrets, writeSecrets } from './secrets.js';
export type { SecretName, SecretValues, TemporarySecrets } from './secrets.js';
export { KUSTOMIZE_DIR, KubernetesStack, kubectl, kubectlProgram, renderKustomization } from './kubernetes.js';
export type { KustomizePatch, PodState, PortForward } from './kubernetes.js';
export { withDeadline } from './deadline.js';
export { WaitTimeoutError, waitFor } from './waiting.js';
export type { WaitOptions } from './waiting.js';
export { waitForRouting } from './routing.js';
export type { Routing } from './routing.js';
export { backendRows, haproxyStatsCredentials, parseHaproxyStats, readHaproxyStats } from './haproxy-stats.js';
export type { StatsRow } from './haproxy-stats.js';
export { K6_DIR, K6_THRESHOLDS_CROSSED, K6UnavailableError, binaryK6, chooseK6Source, findOnPath, imageK6, k6Runner, pinnedK6Image } from './k6.js';
export type { K6Result, K6Run, K6Runner, K6Source } from './k6.js';
export { runCommand, tail } from './processes.js';
export { parseK6Summary } from './k6-summary.js';
export type { K6Figures, LatencyMs } from './k6-summary.js';
export { FAULTS, injectFault, tcpAccepts } from './faults.js';
export type { Fault, FaultMarks } from './faults.js';
export { POSTGRES_PASSWORD_SHELL, csvRecords, parseCsv, psqlCommand, queryStack } from './database.js';
export type { QueryTarget, Row } from './database.js';
export { TimedWaitStrategy } from './wait-strategy.js';

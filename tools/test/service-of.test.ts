import { describe, expect, it } from 'vitest';
import { serviceOf } from '../stack/docker.js';

// Labels as `docker ps` shows them: a compose container, a Swarm task of stack "recipes", and a Swarm task run from an
// image Compose v2 built, which carries the building project's labels into every container.
const COMPOSE = { 'com.docker.compose.project': 'recipes-bench', 'com.docker.compose.service': 'app' };
const SWARM = { 'com.docker.stack.namespace': 'recipes', 'com.docker.swarm.service.name': 'recipes_pgbouncer' };
const IMAGE_BUILT_BY_COMPOSE = { 'com.docker.compose.project': 'recipes-e2e-1a2b', 'com.docker.compose.service': 'migrate' };

describe('serviceOf', () => {
  it("names a compose container's service", () => {
    expect(serviceOf({ Labels: COMPOSE })).toBe('app');
  });

  it("names a Swarm task's service without the stack prefix", () => {
    expect(serviceOf({ Labels: SWARM })).toBe('pgbouncer');
  });

  it('takes the Swarm labels over compose labels that came with the image', () => {
    const labels = { ...IMAGE_BUILT_BY_COMPOSE, 'com.docker.stack.namespace': 'recipes', 'com.docker.swarm.service.name': 'recipes_app' };
    expect(serviceOf({ Labels: labels })).toBe('app');
  });

  it('keeps a Swarm service name that lacks the stack prefix whole, and says unknown without labels', () => {
    expect(serviceOf({ Labels: { 'com.docker.stack.namespace': 'recipes', 'com.docker.swarm.service.name': 'monitoring' } })).toBe('monitoring');
    expect(serviceOf({ Labels: {} })).toBe('unknown');
  });
});

import { expect, it } from 'vitest';
import type { ContainerDetails } from '../stack/docker.js';
import { unsettledContainers } from '../stack/docker.js';

type Details = Pick<ContainerDetails, 'Name' | 'State'>;

function container(name: string, state: { Running?: boolean; Restarting?: boolean; health?: string }): Details {
  return {
    Name: `/${name}`,
    State: {
      Running: state.Running ?? false,
      Restarting: state.Restarting ?? false,
      ...(state.health === undefined ? {} : { Health: { Status: state.health } }),
    } as ContainerDetails['State'],
  };
}

it('calls a service settled when every running container is healthy, stopped ones aside', () => {
  expect(
    unsettledContainers([
      container('app-1', { Running: true, health: 'healthy' }),
      container('app-2', { Running: false, health: 'unhealthy' }),
      container('migrate-1', { Running: true }),
    ]),
  ).toEqual([]);
});

it('names the containers that are restarting, starting their health check, or unhealthy', () => {
  expect(
    unsettledContainers([
      container('app-1', { Running: true, Restarting: true, health: 'unhealthy' }),
      container('app-2', { Running: true, health: 'starting' }),
      container('app-3', { Running: true, health: 'unhealthy' }),
      container('app-4', { Running: true, health: 'healthy' }),
    ]),
  ).toEqual(['app-1 restarting', 'app-2 starting', 'app-3 unhealthy']);
});

import { inspectContainer, projectContainers } from '../../tools/stack/index.js';

/**
 * Every environment variable of the project's containers (stopped ones too, such as the migrate step) that holds
 * one of `secretValues`, as "<container>: NAME=value"; empty when the passwords reach the tiers as secret files only.
 */
export async function environmentsHolding(project: string, secretValues: readonly string[]): Promise<string[]> {
  if (secretValues.some((value) => value.length < 8)) throw new Error('a secret this short could match by chance');
  const containers = await projectContainers(project, { all: true });
  const environments = await Promise.all(
    containers.map(async (container) => {
      const details = await inspectContainer(container.Id);
      return (details.Config.Env ?? []).map((entry) => `${details.Name.replace(/^\//, '')}: ${entry}`);
    }),
  );
  return environments.flat().filter((entry) => secretValues.some((value) => entry.includes(value)));
}

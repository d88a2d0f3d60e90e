import { configSchema, loadConfig, localEnvironment, type Config } from '../../schemas/config';
import type { Scenario } from './scenario';

/** Configuration for the local runtime: local defaults, then the process environment, then explicit overrides. */
export function localConfig(overrides: Record<string, string> = {}): Config {
  const fromProcess: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = process.env[key];
    if (value !== undefined && value !== '') fromProcess[key] = value;
  }
  return loadConfig({ ...localEnvironment(), ...fromProcess, ...overrides });
}

/**
 * The local deployment's configuration for a scenario: cross-region copies use each target region's KMS key
 * from the scenario (on AWS: TARGET_KMS_KEYS), and restoring into a region other than the pipeline's needs
 * its RDS events forwarded (TARGET_REGIONS): the local deployment forwards every region of the scenario, as
 * docs/deploy.md tells a real one to; clones and point-in-time restores are allowed from the scenario's clusters
 * that have backups (CLONE_SOURCE_CLUSTERS); post-restore SQL may come from the scenario's buckets (HOOK_SOURCES).
 */
export function scenarioConfig(scenario: Pick<Scenario, 'regions'> & { buckets?: Record<string, string> }, env: Record<string, string> = {}): Config {
  const targetKeys = Object.entries(scenario.regions)
    .filter(([, r]) => r.kmsKeys?.length)
    .map(([region, r]) => `${region}=${r.kmsKeys![0]}`)
    .join(',');
  const targetRegions = Object.keys(scenario.regions).filter((r) => r !== (env.REGION ?? localConfig().REGION));
  // Clones and point-in-time restores are allowed from the scenario's clusters that have backups.
  const cloneSources = Object.values(scenario.regions).flatMap((r) => r.clusters.filter((c) => c.automatedSnapshots).map((c) => c.id));
  return localConfig({
    ...(targetKeys ? { TARGET_KMS_KEYS: targetKeys } : {}),
    TARGET_REGIONS: targetRegions.join(','),
    CLONE_SOURCE_CLUSTERS: cloneSources.join(','),
    // Post-restore SQL may be read from the scenario's buckets (on AWS: HOOK_SOURCES, the s3:GetObject grant).
    HOOK_SOURCES: Object.keys(scenario.buckets ?? {}).map((b) => `${b}/`).join(','),
    ...env,
  });
}

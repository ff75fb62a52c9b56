// `collectCvmStatistics` (run by a Schedule): Prism heartbeat statistics and CUDO monitor samples of every
// running CVM, summarised per CVM into the result and logged. One CVM's failure is reported, not fatal.
import { log } from '@temporalio/workflow';
import type { Provider } from '../contract/common';
import { CollectCvmStatisticsInputSchema, type CollectCvmStatisticsInput, type CollectCvmStatisticsResult, type CvmStatistics } from '../contract/fleet';
import { FleetProgress, inventory, notConfigured, type InventoryItem } from './support/fleet';
import { describeFailure, parseWorkflowInput } from './support/input';
import { providerActivities, type LifecycleActivities } from './support/options';
import { providerPort, type ProviderPort } from './support/provider-port';

export async function collectCvmStatistics(raw: CollectCvmStatisticsInput = {}): Promise<CollectCvmStatisticsResult> {
  const input = parseWorkflowInput('collectCvmStatistics', CollectCvmStatisticsInputSchema, raw);
  const progress = new FleetProgress();
  const acts = providerActivities(input.providerCallTimeout);
  const result: CollectCvmStatisticsResult = { collectedAt: new Date().toISOString(), providers: {}, cvms: [] };

  for (const provider of input.providers) {
    const { statistics, profile } = providerPort(provider);
    if (!statistics) {
      result.providers[provider] = { running: 0, skipped: profile.noStatistics };
      continue;
    }
    progress.step(`list-${provider}`);
    let items: InventoryItem[];
    try {
      items = (await inventory(acts, provider)).filter((i) => i.class === 'running');
    } catch (err) {
      const why = notConfigured(err);
      if (!why) throw err;
      result.providers[provider] = { running: 0, skipped: why };
      continue;
    }
    result.providers[provider] = { running: items.length, skipped: null };
    progress.step(`collect-${provider}`, `${items.length} running`);
    for (const item of items) result.cvms.push(await collectOne(acts, provider, statistics, item, input.days));
  }

  progress.step('done', `${result.cvms.length} CVMs`);
  for (const c of result.cvms) log.info('cvm statistics', { ...c });
  return result;
}

async function collectOne(acts: LifecycleActivities, provider: Provider, statistics: NonNullable<ProviderPort['statistics']>, item: InventoryItem, days: number): Promise<CvmStatistics> {
  const base: CvmStatistics = { provider, cvmId: item.cvmId, name: item.name, samples: 0, onlineSamples: null, offlineSamples: null, cpuAvg: null, cpuMax: null, latestAt: null, error: null };
  try {
    return { ...base, ...(await statistics.collect(acts, item.cvmId, days)) };
  } catch (err) {
    return { ...base, error: describeFailure(err).message };
  }
}

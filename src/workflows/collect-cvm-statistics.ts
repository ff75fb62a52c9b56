// `collectCvmStatistics` (run by a Schedule): Prism heartbeat statistics and CUDO monitor samples of every
// running CVM, summarised per CVM into the result and logged. One CVM's failure is reported, not fatal.
import { log } from '@temporalio/workflow';
import type { Provider } from '../contract/common';
import { CollectCvmStatisticsInputSchema, type CollectCvmStatisticsInput, type CollectCvmStatisticsResult, type CvmStatistics } from '../contract/fleet';
import { FleetProgress, inventory, notConfigured, type InventoryItem } from './support/fleet';
import { describeFailure, parseWorkflowInput } from './support/input';
import { providerActivities, type LifecycleActivities } from './support/options';

export async function collectCvmStatistics(raw: CollectCvmStatisticsInput = {}): Promise<CollectCvmStatisticsResult> {
  const input = parseWorkflowInput('collectCvmStatistics', CollectCvmStatisticsInputSchema, raw);
  const progress = new FleetProgress();
  const acts = providerActivities(input.providerCallTimeout);
  const result: CollectCvmStatisticsResult = { collectedAt: new Date().toISOString(), providers: {}, cvms: [] };

  for (const provider of input.providers) {
    if (provider === 'phala') {
      result.providers[provider] = { running: 0, skipped: 'Phala Cloud has no statistics endpoint' };
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
    for (const item of items) result.cvms.push(await collectOne(acts, provider, item, input.days));
  }

  progress.step('done', `${result.cvms.length} CVMs`);
  for (const c of result.cvms) log.info('cvm statistics', { ...c });
  return result;
}

async function collectOne(acts: LifecycleActivities, provider: Provider, item: InventoryItem, days: number): Promise<CvmStatistics> {
  const base: CvmStatistics = { provider, cvmId: item.cvmId, name: item.name, samples: 0, onlineSamples: null, offlineSamples: null, cpuAvg: null, cpuMax: null, latestAt: null, error: null };
  try {
    if (provider === 'prism') {
      const s = await acts.prismGetCvmStatistics({ id: item.cvmId, days });
      return { ...base, samples: s.cvm_stats.length, onlineSamples: s.onlineSamples, offlineSamples: s.offlineSamples, latestAt: s.latest?.timestamp ?? null };
    }
    const m = await acts.cudoMonitorVm({ id: item.cvmId });
    const items = m.items as Array<{ cpu?: number | null; timestamp?: string | null }>;
    const cpu = items.map((i) => i.cpu).filter((c): c is number => typeof c === 'number');
    const latest = items.map((i) => i.timestamp).filter((t): t is string => typeof t === 'string').sort((a, b) => Number(a) - Number(b)).pop();
    return {
      ...base,
      samples: items.length,
      cpuAvg: cpu.length ? Math.round((cpu.reduce((a, b) => a + b, 0) / cpu.length) * 100) / 100 : null,
      cpuMax: cpu.length ? Math.max(...cpu) : null,
      latestAt: latest ? (/^\d+$/.test(latest) ? new Date(Number(latest) * (latest.length <= 10 ? 1000 : 1)).toISOString() : latest) : null,
    };
  } catch (err) {
    return { ...base, error: describeFailure(err).message };
  }
}

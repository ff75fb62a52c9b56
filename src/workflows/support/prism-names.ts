// Prism allows two CVMs of one name, so a name is never proof of ownership; this is the one way a workflow
// finds the live CVMs of a name (to refuse a stranger's, or to spot the one its own create made).
import { isLivePrismCvmNamed } from '../../contract/rules/prism';
import type { LifecycleActivities } from './options';

export interface NamedPrismCvm {
  id: string;
  createdAt: string | null;
}

/** Live CVMs of exactly this name, newest first (Prism's name filter also matches parts of names). */
export async function livePrismCvmsNamed(acts: LifecycleActivities, name: string): Promise<NamedPrismCvm[]> {
  const found: NamedPrismCvm[] = [];
  for (let offset = 0, page = 0; page < 20; page++) {
    const list = await acts.prismListCvms({ name, limit: 100, offset });
    for (const i of list.items) if (isLivePrismCvmNamed(i.cvm, name)) found.push({ id: i.cvm.id, createdAt: i.cvm.created_at ?? null });
    offset += list.items.length;
    if (list.items.length === 0 || offset >= list.total) break;
  }
  return found.sort((a, b) => Date.parse(b.createdAt ?? '') - Date.parse(a.createdAt ?? ''));
}

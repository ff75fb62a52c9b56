// `cvmflow endpoints` / `npm run -s endpoints`: the endpoint catalogue as a table, markdown or JSON.
import { ENDPOINT_CATALOGUE } from '../../providers/catalogue';

export type EndpointFormat = 'table' | 'markdown' | 'json';

export function renderEndpoints(format: EndpointFormat): string {
  if (format === 'json') return `${JSON.stringify(ENDPOINT_CATALOGUE.map(({ provider, method, path, activity, summary }) => ({ provider, method, path, activity, summary })), null, 2)}\n`;
  if (format === 'markdown') {
    const rows = ENDPOINT_CATALOGUE.map((e) => `| ${e.provider} | \`${e.method} ${e.path}\` | \`${e.activity}\` |`);
    return ['| provider | endpoint | activity |', '|---|---|---|', ...rows].join('\n') + '\n';
  }
  const width = Math.max(...ENDPOINT_CATALOGUE.map((e) => e.method.length + e.path.length + 1));
  return ENDPOINT_CATALOGUE.map((e) => `${e.provider.padEnd(6)} ${`${e.method} ${e.path}`.padEnd(width)}  ${e.activity}`).join('\n') + '\n';
}

if (require.main === module) {
  const args = process.argv.slice(2);
  process.stdout.write(renderEndpoints(args.includes('--json') ? 'json' : args.includes('--markdown') ? 'markdown' : 'table'));
}

// `cvmflow endpoints` / `npm run -s endpoints`: the endpoint catalogue as a table, markdown or JSON.
import { ENDPOINT_CATALOGUE } from '../../providers/catalogue';

export type EndpointFormat = 'table' | 'markdown' | 'json';

export function renderEndpoints(format: EndpointFormat): string {
  if (format === 'json') {
    const rows = ENDPOINT_CATALOGUE.map(({ provider, method, path, activity, summary, beyondDocs }) => ({ provider, method, path, activity, summary, ...(beyondDocs ? { beyondDocs } : {}) }));
    return `${JSON.stringify(rows, null, 2)}\n`;
  }
  const beyond = ENDPOINT_CATALOGUE.filter((e) => e.beyondDocs);
  const notes = [...new Set(beyond.map((e) => e.beyondDocs!))];
  if (format === 'markdown') {
    const rows = ENDPOINT_CATALOGUE.map((e) => `| ${e.provider} | \`${e.method} ${e.path}\`${e.beyondDocs ? ' †' : ''} | \`${e.activity}\` |`);
    const footnote = notes.length ? ['', `† beyond the documented endpoints: described in ${notes.map((n) => `\`${n}\``).join(', ')}.`] : [];
    return ['| provider | endpoint | activity |', '|---|---|---|', ...rows, ...footnote].join('\n') + '\n';
  }
  const width = Math.max(...ENDPOINT_CATALOGUE.map((e) => e.method.length + e.path.length + 1));
  const lines = ENDPOINT_CATALOGUE.map((e) => `${e.provider.padEnd(6)} ${`${e.method} ${e.path}`.padEnd(width)}  ${e.activity}${e.beyondDocs ? '  (beyond the docs †)' : ''}`);
  if (notes.length) lines.push(`† described in ${notes.join(', ')}, not in the provider docs`);
  return lines.join('\n') + '\n';
}

if (require.main === module) {
  const args = process.argv.slice(2);
  process.stdout.write(renderEndpoints(args.includes('--json') ? 'json' : args.includes('--markdown') ? 'markdown' : 'table'));
}

// `cvmflow onchain submit <name> --tx 0x…`: delivers the on-chain registration of a Phala CVM with an
// on-chain KMS to the `provisionPhalaCvm` waiting for it (the `submitOnChainTransaction` update).
import { connect, EXIT, parse, printJson, usageError, type GlobalFlags, type Io } from './common';

export const ONCHAIN_USAGE = `usage: cvmflow onchain submit <name> --tx 0x<64 hex> --app 0x<40 hex> [--deployer 0x<40 hex>] [--contract 0x<40 hex>] [--env-pubkey HEX] [--json]
  <name>        the Phala CVM name (its lifecycle is cvm/phala/<name>, waiting in step await-onchain)
  --tx          the registration transaction hash
  --app         the DstackApp address the transaction registered
  --deployer    the deploying account (else the lifecycle input's kms.deployerAddress)
  --contract    the KMS contract it was sent to (checked against the input's kms.contractAddress)
  --env-pubkey  the app's env encryption key from the KMS (required when the CVM has env vars)
`;

export async function runOnchain(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') return (io.stdout.write(ONCHAIN_USAGE), sub === undefined ? EXIT.usage : EXIT.ok);
  if (sub !== 'submit') throw usageError(`onchain: unknown subcommand "${sub}" (expected submit)`);
  const { values, positionals } = parse(
    rest,
    { tx: { type: 'string' }, app: { type: 'string' }, deployer: { type: 'string' }, contract: { type: 'string' }, 'env-pubkey': { type: 'string' } },
    'onchain submit',
  );
  const flags = values as GlobalFlags & { tx?: string; app?: string; deployer?: string; contract?: string; 'env-pubkey'?: string };
  if (flags.help) return (io.stdout.write(ONCHAIN_USAGE), EXIT.ok);
  const name = positionals[0];
  if (!name) throw usageError('onchain submit: missing <name>');
  if (!flags.tx) throw usageError('onchain submit: --tx is required (0x followed by 64 hex digits)');
  const c = await connect(flags, io.env);
  try {
    const tx = {
      transactionHash: flags.tx,
      ...(flags.app ? { appAddress: flags.app } : {}),
      ...(flags.deployer ? { deployerAddress: flags.deployer } : {}),
      ...(flags.contract ? { contractAddress: flags.contract } : {}),
      ...(flags['env-pubkey'] ? { appEnvEncryptPubkey: flags['env-pubkey'] } : {}),
    };
    const r = await c.submitOnChainTransaction(name, tx).catch((err: { name?: string; message?: string; cause?: { message?: string } }) => {
      if (err.name === 'CvmflowInputError') throw usageError(err.message!);
      if (err.name === 'WorkflowUpdateFailedError' && err.cause?.message) throw usageError(`rejected: ${err.cause.message}`);
      if (err.name === 'WorkflowNotFoundError') throw usageError(`no running lifecycle cvm/phala/${name}`);
      throw err;
    });
    if (flags.json) printJson(io, { workflowId: `cvm/phala/${name}`, ...r });
    else io.stdout.write(`cvm/phala/${name}: transaction ${flags.tx} accepted (compose hash ${r.composeHash}); committing\n`);
    return EXIT.ok;
  } finally {
    await c.close();
  }
}

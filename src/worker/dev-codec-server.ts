// With the codec on, `npm start` runs cvmflow's codec server beside the embedded dev server, so the dev
// server's Web UI (started with --ui-codec-endpoint) shows payloads decoded. Loopback only, for the UI's origin.
import type { Logger } from 'pino';
import { CodecServerConfigError, startCodecServer, type RunningCodecServer } from '../codec/codec-server';
import { EncryptionCodec } from '../codec/payload-codec';
import type { CvmflowConfig } from './config';
import { DevServerError } from './dev-server';

export async function startDevCodecServer(config: CvmflowConfig, logger: Logger, ip = '127.0.0.1'): Promise<RunningCodecServer | undefined> {
  if (!config.codec.keyRing) return undefined;
  const ui = config.devServer.uiPort;
  try {
    const server = await startCodecServer({
      codec: new EncryptionCodec(config.codec.keyRing),
      host: ip,
      port: config.codec.devServerPort,
      allowedOrigins: [`http://${ip}:${ui}`, `http://localhost:${ui}`],
      log: (fields, message) => logger.debug(fields, message),
    });
    logger.info({ url: server.url, keys: config.codec.keyRing.ids, encryptsWith: config.codec.keyRing.current }, 'payload codec on; codec server for the Temporal UI is listening');
    return server;
  } catch (err) {
    if (err instanceof CodecServerConfigError) throw new DevServerError(`${err.message} (set CVMFLOW_DEV_CODEC_SERVER_PORT)`);
    throw err;
  }
}

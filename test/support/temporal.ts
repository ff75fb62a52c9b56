// Access to the run's shared dev server for integration tests: connections, the test bundle, unique names.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';

export function testAddress(): string {
  const address = process.env.CVMFLOW_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('CVMFLOW_TEST_TEMPORAL_ADDRESS is not set: run integration tests through jest (global setup starts the server)');
  return address;
}

export function testBundle(): { codePath: string } {
  return { codePath: process.env.CVMFLOW_TEST_WORKFLOW_BUNDLE! };
}

export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface TestTemporal {
  client: Client;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

export async function connectTestTemporal(): Promise<TestTemporal> {
  const connection = await Connection.connect({ address: testAddress() });
  const nativeConnection = await NativeConnection.connect({ address: testAddress() });
  return {
    client: new Client({ connection, namespace: 'default' }),
    nativeConnection,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

/** A worker on a fresh task queue with the test bundle; options override the defaults. */
export async function createTestWorker(t: TestTemporal, opts: Partial<WorkerOptions> & { activities: object }): Promise<Worker> {
  return Worker.create({
    connection: t.nativeConnection,
    namespace: 'default',
    taskQueue: opts.taskQueue ?? unique('tq'),
    workflowBundle: testBundle(),
    ...opts,
  });
}

// Every CUDO activity called as a plain function (outside Temporal) against the sandbox over real sockets.
import { createCudoActivities } from '../../../../src/activities/cudo';
import { cudoEndpoints } from '../../../../src/providers/cudo/endpoints';
import { ProviderError } from '../../../../src/providers/http/errors';
import { BOOT_MS, detailsOf, failureOf, manualClock, startCudo, vmBody } from './helpers';

describe('CUDO activities', () => {
  const mc = manualClock();
  let env: Awaited<ReturnType<typeof startCudo>>;
  beforeAll(async () => {
    env = await startCudo({ clock: mc.clock });
  });
  afterAll(() => env.close());

  test('there is one activity per documented endpoint, named as the catalogue says', () => {
    const names = Object.keys(env.activities).sort();
    expect(names).toEqual(cudoEndpoints.map((e) => e.activity).sort());
    expect(names).toHaveLength(25);
  });

  test('catalogue: data centers (filters), GPU models, machine types with Decimal prices, public images', async () => {
    const all = await env.activities.cudoListDataCenters();
    expect(all.dataCenters.map((d) => d.id)).toEqual(expect.arrayContaining(['gb-bournemouth-1', 'in-hyderabad-1']));
    const gb = all.dataCenters.find((d) => d.id === 'gb-bournemouth-1')!;
    expect(gb.ipv4PriceHr).toEqual({ value: '0.005' });
    expect(gb.ipv4Free).toBeGreaterThan(0);
    const green = await env.activities.cudoListDataCenters({ renewableEnergy: true });
    expect(green.dataCenters.every((d) => d.renewableEnergy)).toBe(true);
    expect(green.dataCenters.length).toBeLessThan(all.dataCenters.length);
    const us = await env.activities.cudoListDataCenters({ regionId: ['us-west', 'se-central'] });
    expect(us.dataCenters.map((d) => d.id).sort()).toEqual(['se-smedjebacken-1', 'us-santaclara-1']);

    const gpus = await env.activities.cudoListGpuModels();
    expect(gpus.gpuModels.find((g) => g.id === 'h100-sxm')).toMatchObject({ vendorName: 'NVIDIA', memoryGib: 80 });

    const mts = await env.activities.cudoListMachineTypes();
    const milan = mts.machineTypes.find((m) => m.machineType === 'epyc-milan' && m.dataCenterId === 'gb-bournemouth-1')!;
    expect(milan.vcpuPriceHr).toEqual({ value: '0.0028' });
    expect(milan.gpuPriceHr).toEqual({ value: '0.00' });
    expect(milan.totalVcpuFree).toBe(512);
    const a4000 = mts.machineTypes.find((m) => m.gpuModelId === 'rtx-a4000')!;
    expect(a4000.gpuPriceHr?.value).toBe('0.15');

    const imgs = await env.activities.cudoListPublicImages();
    expect(imgs.images.find((i) => i.id === 'ubuntu-2204')).toMatchObject({ platform: 'linux', sizeGib: 3 });
    expect(imgs.images.find((i) => i.id === 'ubuntu-2204-nvidia-535-docker-v20240214')!.installedPackages.length).toBeGreaterThan(1);
  });

  test('create → PENDING, count and list, GET moves to ACTIVE; free capacity drops', async () => {
    const created = await env.activities.cudoCreateVm(vmBody('act-vm-1'));
    expect(created).toMatchObject({ id: 'act-vm-1', alreadyExisted: false, lifecycle: { class: 'transitional', state: 'PENDING' } });
    expect(created.vm).toMatchObject({ id: 'act-vm-1', datacenterId: 'gb-bournemouth-1', vcpus: 2, memory: 4, gpuQuantity: 0, state: 'PENDING', shortState: 'pend' });
    expect((await env.activities.cudoCountVms()).count).toBe(1);
    mc.advance(BOOT_MS);
    const got = await env.activities.cudoGetVm({ id: 'act-vm-1' });
    expect(got.lifecycle.class).toBe('running');
    expect(got.VM).toMatchObject({ state: 'ACTIVE', shortState: 'runn', metadata: { 'managed-by': 'cvmflow' } });
    expect(got.VM.publicImageId).toBe('ubuntu-2204');
    expect(got.VM.publicIpAddress).toMatch(/^203\.0\.113\./);
    // prices: GET's top level equals VM.price (ipv4PriceHr vs ipv4AddressPriceHr)
    expect(got.totalPriceHr).toEqual(got.VM.price!.totalPriceHr);
    expect(got.ipv4PriceHr).toEqual(got.VM.price!.ipv4AddressPriceHr);
    // 2 × 0.0028 + 4 × 0.0032 + 20 × 0.00011 + 0.005 = 0.0256
    expect(got.totalPriceHr!.value).toBe('0.0256');
    const milan = (await env.activities.cudoListMachineTypes()).machineTypes.find((m) => m.machineType === 'epyc-milan' && m.dataCenterId === 'gb-bournemouth-1')!;
    expect(milan.totalVcpuFree).toBe(510);
  });

  test('list VMs with a networkId filter', async () => {
    await env.activities.cudoCreateVm(vmBody('act-vm-net', { nics: [{ networkId: 'net-a', assignPublicIp: false, securityGroupIds: ['allow-ssh'] }] }));
    const all = await env.activities.cudoListVms();
    expect(all.VMs.map((v) => v.id).sort()).toEqual(['act-vm-1', 'act-vm-net']);
    const onNet = await env.activities.cudoListVms({ networkId: 'net-a' });
    expect(onNet.VMs.map((v) => v.id)).toEqual(['act-vm-net']);
    expect(onNet.VMs[0]!.nics[0]).toMatchObject({ networkId: 'net-a', securityGroupIds: ['allow-ssh'], externalIpAddress: '' });
    expect((await env.activities.cudoListVms({ networkId: 'net-zzz' })).VMs).toEqual([]);
    expect((await env.activities.cudoCountVms()).count).toBe(2);
  });

  test('update metadata: merge or replace', async () => {
    const merged = await env.activities.cudoUpdateVmMetadata({ id: 'act-vm-1', metadata: { stage: 'ready' }, merge: true });
    expect(merged.metadata).toEqual({ 'managed-by': 'cvmflow', 'workflow-id': 'wf-act-vm-1', stage: 'ready' });
    const replaced = await env.activities.cudoUpdateVmMetadata({ id: 'act-vm-1', metadata: { only: 'this' } });
    expect(replaced.metadata).toEqual({ only: 'this' });
    expect(env.sb.vm('act-vm-1')!.metadata).toEqual({ only: 'this' });
  });

  test('attach and detach a security group: HOTPLUGGING, then back to ACTIVE', async () => {
    expect(await env.activities.cudoAttachSecurityGroup({ id: 'act-vm-1', securityGroupId: 'allow-https' })).toEqual({});
    expect(env.sb.vm('act-vm-1')).toMatchObject({ state: 'HOTPLUGGING', shortState: 'hotp', securityGroupIds: ['allow-https'] });
    const busy = await failureOf(env.activities.cudoDetachSecurityGroup({ id: 'act-vm-1', securityGroupId: 'allow-https' }));
    expect(detailsOf(busy)).toMatchObject({ code: 'FAILED_PRECONDITION', kind: 'conflict' });
    mc.advance(3_000);
    const got = await env.activities.cudoGetVm({ id: 'act-vm-1' });
    expect(got.VM.state).toBe('ACTIVE');
    expect(got.VM.securityGroups.map((g) => g.id)).toEqual(['allow-https']);
    expect(got.VM.rules[0]).toMatchObject({ protocol: 'PROTOCOL_TCP', ports: '443' });
    expect(await env.activities.cudoDetachSecurityGroup({ id: 'act-vm-1', securityGroupId: 'allow-https' })).toEqual({});
    mc.advance(3_000);
    expect(env.sb.vm('act-vm-1')).toMatchObject({ state: 'ACTIVE', securityGroupIds: [] });
    const unknown = await failureOf(env.activities.cudoAttachSecurityGroup({ id: 'act-vm-1', securityGroupId: 'no-such-sg' }));
    expect(unknown.type).toBe('ProviderNotFound');
  });

  test('connect returns the VNC URL but never the token', async () => {
    const r = await env.activities.cudoConnectVm({ id: 'act-vm-1', connectionId: 'c1' });
    expect(r.connectUrl).toMatch(/^wss:\/\/.*act-vm-1.*connectionId=c1$/);
    expect(r.tokenIssued).toBe(true);
    expect(r).not.toHaveProperty('token');
    const direct = await env.client.connectVm({ id: 'act-vm-1' });
    expect(direct.token.length).toBeGreaterThan(10); // the client itself hands the token to its caller
  });

  test('list disks and resize one: RESIZING_DISK with the disk LOCKED, then back', async () => {
    const disks = await env.activities.cudoListVmDisks({ id: 'act-vm-1' });
    expect(disks.disks).toHaveLength(1);
    const boot = disks.disks[0]!;
    expect(boot).toMatchObject({ diskType: 'DISK_TYPE_BOOT', sizeGib: 20, diskState: 'DISK_STATE_USED', vmId: 'act-vm-1' });
    expect(await env.activities.cudoResizeVmDisk({ id: 'act-vm-1', diskId: boot.id!, sizeGib: 40 })).toEqual({});
    const during = await env.activities.cudoListVmDisks({ id: 'act-vm-1' });
    expect(during.disks[0]).toMatchObject({ sizeGib: 40, diskState: 'DISK_STATE_LOCKED' });
    expect(env.sb.vm('act-vm-1')).toMatchObject({ state: 'RESIZING_DISK', shortState: 'drsz' });
    mc.advance(5_000);
    expect(env.sb.vm('act-vm-1')!.state).toBe('ACTIVE');
    const shrink = await failureOf(env.activities.cudoResizeVmDisk({ id: 'act-vm-1', diskId: boot.id!, sizeGib: 30 }));
    expect(shrink.type).toBe('ProviderInvalidRequest');
  });

  test('monitor: int64 counters as exact strings', async () => {
    mc.advance(5 * 60_000);
    env.sb.setMonitorBase('act-vm-1', 2n ** 62n + 1n);
    const r = await env.activities.cudoMonitorVm({ id: 'act-vm-1' });
    expect(r.items.length).toBeGreaterThan(3);
    const last = r.items.at(-1)!;
    expect(typeof last.netRx).toBe('string');
    expect(BigInt(last.netRx!)).toBeGreaterThan(2n ** 62n);
    expect(BigInt(last.netRx!) > BigInt(r.items[0]!.netRx!)).toBe(true);
    expect(typeof last.cpu).toBe('number');
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  test('reboot stays ACTIVE (passing through boot)', async () => {
    expect(await env.activities.cudoRebootVm({ id: 'act-vm-1' })).toEqual({});
    const v = await env.activities.cudoGetVm({ id: 'act-vm-1' });
    expect(v.VM).toMatchObject({ state: 'ACTIVE', shortState: 'boot' });
    expect(v.lifecycle.class).toBe('running');
    mc.advance(6_000);
    expect(env.sb.vm('act-vm-1')).toMatchObject({ shortState: 'runn', reboots: 1 });
  });

  test('stop then start', async () => {
    expect(await env.activities.cudoStopVm({ id: 'act-vm-1' })).toEqual({});
    expect((await env.activities.cudoGetVm({ id: 'act-vm-1' })).VM).toMatchObject({ state: 'STOPPING', shortState: 'shut' });
    mc.advance(8_000);
    expect((await env.activities.cudoGetVm({ id: 'act-vm-1' })).lifecycle).toMatchObject({ class: 'stopped', state: 'STOPPED', shortState: 'poff' });
    expect(await env.activities.cudoStartVm({ id: 'act-vm-1' })).toEqual({});
    expect((await env.activities.cudoGetVm({ id: 'act-vm-1' })).VM).toMatchObject({ state: 'STARTING', shortState: 'boot' });
    mc.advance(10_000);
    expect((await env.activities.cudoGetVm({ id: 'act-vm-1' })).lifecycle.class).toBe('running');
  });

  test('resize vCPUs/memory: answers {vm}, RESIZING then the prior state', async () => {
    const r = await env.activities.cudoResizeVm({ id: 'act-vm-1', vcpus: 4, memoryGib: 8 });
    expect(r.vm).toMatchObject({ id: 'act-vm-1', vcpus: 4, memory: 8, state: 'RESIZING' });
    mc.advance(5_000);
    expect(env.sb.vm('act-vm-1')).toMatchObject({ state: 'ACTIVE', vcpus: 4, memoryGib: 8 });
    const bad = await failureOf(env.activities.cudoResizeVm({ id: 'act-vm-1' }));
    expect(bad.type).toBe('InvalidActivityInput');
  });

  test('private images: create (LOCKED, VM HOTPLUGGING) → READY, get, update, list paged, delete', async () => {
    const created = await env.activities.cudoCreatePrivateImage({ vmId: 'act-vm-1', id: 'golden-1', description: 'first' });
    expect(created.image).toMatchObject({ id: 'golden-1', state: 'LOCKED', sizeGib: 40, dataCenterId: 'gb-bournemouth-1', projectId: env.sb.projectId });
    expect(env.sb.vm('act-vm-1')!.state).toBe('HOTPLUGGING');
    const dup = await failureOf(env.activities.cudoCreatePrivateImage({ vmId: 'act-vm-1', id: 'golden-1' }));
    expect(detailsOf(dup)).toMatchObject({ status: 409, code: 'ALREADY_EXISTS' });
    const locked = await failureOf(env.activities.cudoDeletePrivateImage({ id: 'golden-1' }));
    expect(detailsOf(locked).code).toBe('FAILED_PRECONDITION');
    mc.advance(15_000);
    expect((await env.activities.cudoGetPrivateImage({ id: 'golden-1' })).image.state).toBe('READY');
    expect(env.sb.vm('act-vm-1')!.state).toBe('ACTIVE');
    expect(await env.activities.cudoUpdatePrivateImage({ id: 'golden-1', description: 'renamed' })).toEqual({});
    expect((await env.activities.cudoGetPrivateImage({ id: 'golden-1' })).image.description).toBe('renamed');

    for (const id of ['golden-2', 'golden-3']) {
      await env.activities.cudoCreatePrivateImage({ vmId: 'act-vm-1', id });
      mc.advance(15_000);
    }
    const page1 = await env.activities.cudoListPrivateImages({ pageNumber: 1, pageSize: 2 });
    expect(page1).toMatchObject({ totalCount: 3, pageNumber: 1, pageSize: 2 });
    expect(page1.images.map((i) => i.id)).toEqual(['golden-1', 'golden-2']);
    const page2 = await env.activities.cudoListPrivateImages({ pageNumber: 2, pageSize: 2 });
    expect(page2.images.map((i) => i.id)).toEqual(['golden-3']);
    expect((await env.client.listAllPrivateImages(2)).map((i) => i.id)).toEqual(['golden-1', 'golden-2', 'golden-3']);

    expect(await env.activities.cudoDeletePrivateImage({ id: 'golden-2' })).toEqual({});
    expect((await failureOf(env.activities.cudoGetPrivateImage({ id: 'golden-2' }))).type).toBe('ProviderNotFound');
    expect((await env.activities.cudoListPrivateImages()).totalCount).toBe(2);
  });

  test('a VM can boot from a READY private image', async () => {
    const r = await env.activities.cudoCreateVm(vmBody('from-golden', { bootDiskImageId: 'golden-1', bootDisk: { sizeGib: 40 } }));
    expect(r.vm).toMatchObject({ privateImageId: 'golden-1', publicImageId: '' });
  });

  test('terminate: DELETING → DELETED/done (readable) → 404; terminating again is alreadyGone', async () => {
    const r = await env.activities.cudoTerminateVm({ id: 'act-vm-1' });
    expect(r).toMatchObject({ alreadyGone: false, lifecycle: { class: 'transitional', state: 'DELETING' } });
    expect((await env.activities.cudoGetVm({ id: 'act-vm-1' })).VM).toMatchObject({ state: 'DELETING', shortState: 'epil' });
    mc.advance(6_000);
    const deleted = await env.activities.cudoGetVm({ id: 'act-vm-1' });
    expect(deleted.lifecycle).toMatchObject({ class: 'gone', state: 'DELETED', shortState: 'done' });
    mc.advance(60_000);
    expect((await failureOf(env.activities.cudoGetVm({ id: 'act-vm-1' }))).type).toBe('ProviderNotFound');
    expect(await env.activities.cudoTerminateVm({ id: 'act-vm-1' })).toMatchObject({ alreadyGone: true, lifecycle: { class: 'gone' } });
    const milan = (await env.activities.cudoListMachineTypes()).machineTypes.find((m) => m.machineType === 'epyc-milan' && m.dataCenterId === 'gb-bournemouth-1')!;
    expect(milan.totalVcpuFree).toBe(512 - 2 - 2); // act-vm-net and from-golden still hold theirs
  });

  test('terminate mid-transition is refused with code 9', async () => {
    await env.activities.cudoCreateVm(vmBody('young-vm'));
    const f = await failureOf(env.activities.cudoTerminateVm({ id: 'young-vm' }));
    expect(detailsOf(f)).toMatchObject({ status: 400, code: 'FAILED_PRECONDITION', kind: 'conflict' });
  });

  test('create takes no password (it would land in history) and names the bad field', async () => {
    const f = await failureOf(env.activities.cudoCreateVm({ ...vmBody('pw-vm'), password: 'SuperSecret1' } as never));
    expect(f.type).toBe('InvalidActivityInput');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('password');
    expect(f.message).not.toContain('SuperSecret1');
    const g = await failureOf(env.activities.cudoCreateVm(vmBody('pw-vm', { bootDisk: { sizeGib: 20, id: 'fixed-disk' } as never })));
    expect(g.type).toBe('InvalidActivityInput');
    const noResolver = await failureOf(env.activities.cudoCreateVm({ ...vmBody('pw-vm'), passwordRef: 'env:CVMFLOW_SECRET_VM_PW' }));
    expect(noResolver.type).toBe('InvalidActivityInput');
  });

  test('a passwordRef is resolved inside the activity and sent, never returned', async () => {
    const refs: string[] = [];
    const withSecrets = createCudoActivities(env.client, {
      resolveSecret: async (ref) => {
        refs.push(ref);
        return ref.endsWith('SHORT') ? 'abc' : 'Correct-Horse-42';
      },
    });
    const short = await failureOf(withSecrets.cudoCreateVm({ ...vmBody('pw-vm'), passwordRef: 'env:CVMFLOW_SECRET_SHORT' }));
    expect(short.type).toBe('ProviderInvalidRequest'); // the resolved value reached the request validation
    expect(short.message).not.toContain('abc');
    const r = await withSecrets.cudoCreateVm({ ...vmBody('pw-vm'), passwordRef: 'env:CVMFLOW_SECRET_GOOD' });
    expect(r.id).toBe('pw-vm');
    expect(JSON.stringify(r)).not.toContain('Correct-Horse-42');
    expect(refs).toEqual(['env:CVMFLOW_SECRET_SHORT', 'env:CVMFLOW_SECRET_GOOD']);
    const broken = createCudoActivities(env.client, { resolveSecret: () => Promise.reject(new Error('no such secret')) });
    expect((await failureOf(broken.cudoCreateVm({ ...vmBody('pw-vm-2'), passwordRef: 'env:CVMFLOW_SECRET_NONE' }))).type).toBe('SecretUnavailable');
  });
});

describe('CUDO create answered 504 yet created (notes §8.2)', () => {
  const mc = manualClock();
  let env: Awaited<ReturnType<typeof startCudo>>;
  beforeAll(async () => {
    env = await startCudo({ clock: mc.clock });
  });
  afterAll(() => env.close());
  afterEach(() => env.sb.server.faults.clear());

  test('the generic `after` fault: create gets 504, a GET afterwards finds the VM', async () => {
    env.sb.server.faults.add({ endpoint: 'cudoCreateVm', fault: { type: 'after', status: 504, body: { code: 4, message: 'upstream request timeout', details: [] } } });
    const err = (await env.client.createVm(vmBody('ambiguous-1')).catch((e: unknown) => e)) as ProviderError;
    expect(err).toMatchObject({ kind: 'timeout', status: 504, code: 'DEADLINE_EXCEEDED', retryable: true });
    const found = await env.client.findVm({ id: 'ambiguous-1' });
    expect(found?.VM).toMatchObject({ id: 'ambiguous-1', state: 'PENDING' });
    mc.advance(BOOT_MS);
    expect((await env.client.getVm({ id: 'ambiguous-1' })).VM.state).toBe('ACTIVE');
  });

  test('the activity: first attempt fails retryable, the retry gets 409 and recognises its own VM', async () => {
    env.sb.server.faults.add({ endpoint: 'cudoCreateVm', fault: { type: 'after', status: 504 } });
    const first = await failureOf(env.activities.cudoCreateVm(vmBody('ambiguous-2')));
    expect(first.nonRetryable).toBe(false);
    const retry = await env.activities.cudoCreateVm(vmBody('ambiguous-2'));
    expect(retry).toMatchObject({ id: 'ambiguous-2', alreadyExisted: true, vm: { id: 'ambiguous-2' } });
    expect(env.sb.vms().filter((v) => v.id === 'ambiguous-2')).toHaveLength(1);
    // someone else's VM with that id (different metadata) stays a conflict
    const other = await failureOf(env.activities.cudoCreateVm(vmBody('ambiguous-2', { metadata: { 'workflow-id': 'another' } })));
    expect(other.type).toBe('ProviderConflict');
  });

  test('a proxy 504 that is not JSON: retryable timeout, VM exists', async () => {
    env.sb.proxyTimeoutNextCreate();
    const f = await failureOf(env.activities.cudoCreateVm(vmBody('ambiguous-3')));
    expect(f.type).toBe('ProviderTimeout');
    expect(f.nonRetryable).toBe(false);
    expect(f.message).toMatch(/504 Gateway Time-out/);
    expect(f.message).not.toMatch(/</);
    expect(env.sb.vm('ambiguous-3')).toBeDefined();
    expect((await env.activities.cudoCreateVm(vmBody('ambiguous-3'))).alreadyExisted).toBe(true);
  });
});

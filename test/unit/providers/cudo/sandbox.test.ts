// The CUDO sandbox itself: time-driven states at the clock's speed, failure helpers, protojson switches, input
// tolerance and validation, and the admin API.
import { SandboxClock } from '../../../../src/sandbox/http/clock';
import { classifyCudoVm } from '../../../../src/contract/rules/cudo';
import { BOOT_MS, manualClock, startCudo, vmBody } from './helpers';

async function raw(url: string, key: string, method: string, path: string, body?: unknown) {
  const r = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe('CUDO sandbox state machine over time (fast clock)', () => {
  test('create moves PENDING → CLONING → STARTING → ACTIVE with paired shortStates at speed 40 (each state lasts long enough to be seen on a loaded machine)', async () => {
    const env = await startCudo({ clock: new SandboxClock(40) });
    try {
      await env.client.countVms(); // warm the connection
      const created = await env.client.createVm(vmBody('fast-vm'));
      const seen: string[] = [`${created.vm?.state}/${created.vm?.shortState}`];
      const deadline = Date.now() + 15_000;
      for (;;) {
        const { VM } = await env.client.getVm({ id: 'fast-vm' });
        const pair = `${VM.state}/${VM.shortState}`;
        if (seen.at(-1) !== pair) seen.push(pair);
        if (classifyCudoVm(VM).class === 'running' || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 4));
      }
      expect(seen[0]).toBe('PENDING/pend');
      expect(seen.at(-1)).toBe('ACTIVE/runn');
      const order = ['PENDING/pend', 'CLONING/clon', 'CLONING/prol', 'STARTING/boot', 'ACTIVE/runn'];
      expect(seen.every((p) => order.includes(p))).toBe(true);
      expect(seen.map((p) => order.indexOf(p))).toEqual([...seen.map((p) => order.indexOf(p))].sort((a, b) => a - b));
      expect(seen).toContain('STARTING/boot');
    } finally {
      await env.close();
    }
  });
});

describe('CUDO sandbox behaviour', () => {
  const mc = manualClock();
  let env: Awaited<ReturnType<typeof startCudo>>;
  const P = () => `/v1/projects/${env.sb.projectId}`;
  beforeAll(async () => {
    env = await startCudo({ clock: mc.clock });
  });
  afterAll(() => env.close());
  afterEach(() => env.sb.setEmitUnpopulated(true));

  test('failNextCreate: the create is accepted, then the VM ends FAILED/fail; it can be terminated', async () => {
    env.sb.failNextCreate();
    const r = await env.activities.cudoCreateVm(vmBody('doomed'));
    expect(r.vm?.state).toBe('PENDING');
    mc.advance(BOOT_MS);
    const got = await env.activities.cudoGetVm({ id: 'doomed' });
    expect(got.VM).toMatchObject({ state: 'FAILED', shortState: 'fail' });
    expect(got.lifecycle.class).toBe('failed');
    expect((await env.activities.cudoTerminateVm({ id: 'doomed' })).alreadyGone).toBe(false);
    // only the next create was affected
    await env.activities.cudoCreateVm(vmBody('healthy'));
    mc.advance(BOOT_MS);
    expect(env.sb.vm('healthy')!.state).toBe('ACTIVE');
  });

  test('the admin route arms the same failure', async () => {
    const r = await fetch(`${env.url}/_sandbox/fail-next-create`, { method: 'POST', body: JSON.stringify({ count: 1 }), headers: { 'content-type': 'application/json' } });
    expect(await r.json()).toEqual({ failNextCreate: 1 });
    await env.client.createVm(vmBody('doomed-2'));
    mc.advance(BOOT_MS);
    expect(env.sb.vm('doomed-2')).toMatchObject({ state: 'FAILED', shortState: 'fail' });
    const list = (await (await fetch(`${env.url}/_sandbox/vms`)).json()) as { vms: Array<{ id: string; state: string }> };
    expect(list.vms.find((v) => v.id === 'doomed-2')?.state).toBe('FAILED');
  });

  test('a data center without free IPv4s accepts the create, then the VM goes FAILED (dstack #1075)', async () => {
    await env.client.createVm(vmBody('no-ip', { dataCenterId: 'in-hyderabad-1', machineType: 'intel-cascadelake' }));
    mc.advance(BOOT_MS);
    expect(env.sb.vm('no-ip')!.state).toBe('FAILED');
    const before = (await env.client.listDataCenters()).dataCenters.find((d) => d.id === 'se-smedjebacken-1')!.ipv4Free;
    await env.client.createVm(vmBody('with-ip', { dataCenterId: 'se-smedjebacken-1', machineType: 'epyc-rome' }));
    const after = (await env.client.listDataCenters()).dataCenters.find((d) => d.id === 'se-smedjebacken-1')!.ipv4Free;
    expect(after).toBe(before - 1);
  });

  test('compact protojson (zero values omitted): missing state reads as CLONING, {} reads as zero', async () => {
    await env.client.createVm(vmBody('compact-vm'));
    mc.advance(3_000 + 1_000); // CLONING, the enum's zero value
    env.sb.setEmitUnpopulated(false);
    const r = await raw(env.url, env.sb.apiKey, 'GET', `${P()}/vms/compact-vm`);
    const vm = r.json!.VM as Record<string, unknown>;
    expect(vm).not.toHaveProperty('state');
    expect(vm.shortState).toBe('clon');
    expect(vm).not.toHaveProperty('gpuQuantity');
    expect(vm).not.toHaveProperty('expireTime');
    const parsed = await env.activities.cudoGetVm({ id: 'compact-vm' });
    expect(parsed.VM.state).toBeUndefined();
    expect(parsed.VM.gpuQuantity).toBeUndefined();
    expect(parsed.lifecycle).toMatchObject({ class: 'transitional', shortState: 'clon' });
    const imgs = await raw(env.url, env.sb.apiKey, 'GET', `${P()}/images`);
    expect(imgs.json).toEqual({ pageNumber: 1, pageSize: 10 });
    expect(await env.activities.cudoListPrivateImages()).toEqual({ images: [], totalCount: 0, pageNumber: 1, pageSize: 10 });
  });

  test('stock protojson (zero values emitted): "", 0, [] and null parse', async () => {
    const r = await raw(env.url, env.sb.apiKey, 'GET', `${P()}/vms/compact-vm`);
    const vm = r.json!.VM as Record<string, unknown>;
    expect(vm).toMatchObject({ state: 'CLONING', gpuQuantity: 0, gpuModel: '', expireTime: null, commitmentEndTime: null, storageDisks: [] });
    expect((await env.activities.cudoGetVm({ id: 'compact-vm' })).VM.expireTime).toBeUndefined();
    // admin switch
    const sw = await fetch(`${env.url}/_sandbox/emit-unpopulated`, { method: 'POST', body: JSON.stringify({ emit: false }), headers: { 'content-type': 'application/json' } });
    expect(await sw.json()).toEqual({ emitUnpopulated: false });
    expect((await raw(env.url, env.sb.apiKey, 'GET', `${P()}/vms/compact-vm`)).json!.VM).not.toHaveProperty('gpuModel');
  });

  test('success is always 200 with a JSON object ({} when empty)', async () => {
    mc.advance(BOOT_MS);
    const r = await raw(env.url, env.sb.apiKey, 'POST', `${P()}/vms/compact-vm/reboot`, { ignored: true });
    expect(r).toMatchObject({ status: 200, text: '{}' });
  });

  test('input: proto snake_case names, numeric strings and numeric enums are accepted; map keys stay', async () => {
    const r = await raw(env.url, env.sb.apiKey, 'POST', `${P()}/vm`, {
      vm_id: 'snake-vm',
      data_center_id: 'gb-bournemouth-1',
      machine_type: 'epyc-milan',
      boot_disk_image_id: 'ubuntu-2204',
      vcpus: '2',
      memory_gib: 4,
      gpus: 0,
      ssh_key_source: 3,
      boot_disk: { size_gib: 25 },
      metadata: { snake_key: 'v' },
      unknown_field: 'ignored',
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: 'snake-vm', vm: { sshKeySource: 'SSH_KEY_SOURCE_NONE', bootDiskSizeGib: 25, metadata: { snake_key: 'v' } } });
  });

  test.each([
    ['vmId against the pattern', { vmId: 'Bad_ID' }, 400, 3, /regex/],
    ['a too-long vmId', { vmId: 'a'.repeat(64) }, 400, 3, /regex/],
    ['missing machineType', { machineType: '' }, 400, 3, /MachineType/],
    ['an unknown data center', { dataCenterId: 'xx-nowhere-1' }, 400, 3, /data center/],
    ['an unknown image', { bootDiskImageId: 'windows-95' }, 400, 3, /image/],
    ['an unknown enum name', { sshKeySource: 'SSH_KEY_SOURCE_MAGIC' }, 400, 3, /enum/],
    ['a short password', { password: 'abc' }, 400, 3, /Password/],
    ['a vCPU/memory ratio out of range', { vcpus: 8, memoryGib: 2 }, 400, 3, /ratio/],
    ['GPUs on a CPU machine type', { gpus: 1 }, 400, 3, /no GPUs/],
    ['an unknown security group', { securityGroupIds: ['nope'] }, 404, 5, /security group/],
  ])('create validation: %s', async (_name, patch, status, code, message) => {
    const r = await raw(env.url, env.sb.apiKey, 'POST', `${P()}/vm`, { ...vmBody('valid-id'), ...patch });
    expect(r.status).toBe(status);
    expect(r.json).toMatchObject({ code, details: [] });
    expect(String(r.json!.message)).toMatch(message);
    expect(env.sb.vm('valid-id')).toBeUndefined();
  });

  test('a non-JSON body is 400 code 3', async () => {
    const r = await raw(env.url, env.sb.apiKey, 'POST', `${P()}/vm`, '{not json');
    expect(r.status).toBe(400);
    expect(r.json!.code).toBe(3);
  });

  test('an explicit duplicate bootDisk.id is 409 code 6 "A disk with that id already exists"', async () => {
    const first = await raw(env.url, env.sb.apiKey, 'POST', `${P()}/vm`, { ...vmBody('disk-a'), bootDisk: { id: 'fixed-boot', sizeGib: 20 } });
    expect(first.status).toBe(200);
    const second = await raw(env.url, env.sb.apiKey, 'POST', `${P()}/vm`, { ...vmBody('disk-b'), bootDisk: { id: 'fixed-boot', sizeGib: 20 } });
    expect(second).toMatchObject({ status: 409, json: { code: 6, message: 'A disk with that id already exists' } });
  });

  test('validateOnly answers the VM without creating it', async () => {
    const r = await env.client.createVm(vmBody('dry-run', { validateOnly: true }));
    expect(r).toMatchObject({ id: 'dry-run', vm: { id: 'dry-run' } });
    expect(env.sb.vm('dry-run')).toBeUndefined();
  });

  test('capacity: the largest VM a host can take; free figures drop and come back', async () => {
    const mt = () => env.client.listMachineTypes().then((r) => r.machineTypes.find((m) => m.machineType === 'epyc-rome-rtx-a5000')!);
    const before = await mt();
    expect(before).toMatchObject({ totalGpuFree: 8, maxGpuFree: 8 });
    await env.client.createVm(vmBody('gpu-vm', { dataCenterId: 'se-smedjebacken-1', machineType: 'epyc-rome-rtx-a5000', gpus: 2, vcpus: 8, memoryGib: 32 }));
    expect(await mt()).toMatchObject({ totalGpuFree: 6, maxGpuFree: 6, totalVcpuFree: before.totalVcpuFree! - 8 });
    const tooMany = await raw(env.url, env.sb.apiKey, 'POST', `${P()}/vm`, vmBody('gpu-vm-2', { dataCenterId: 'se-smedjebacken-1', machineType: 'epyc-rome-rtx-a5000', gpus: 7, vcpus: 14, memoryGib: 56 }));
    expect(tooMany).toMatchObject({ status: 400, json: { code: 3, message: 'There are no hosts available for your specified virtual machine' } });
    mc.advance(BOOT_MS);
    await env.client.terminateVm({ id: 'gpu-vm' });
    mc.advance(6_000 + 60_000 + 1);
    expect(await env.client.findVm({ id: 'gpu-vm' })).toBeUndefined();
    expect(await mt()).toMatchObject({ totalGpuFree: 8, maxGpuFree: 8 });
    // the vmId can be used again once the VM is gone (undocumented; the sandbox allows it)
    expect((await env.client.createVm(vmBody('gpu-vm', { dataCenterId: 'se-smedjebacken-1', machineType: 'epyc-rome-rtx-a5000', gpus: 1, vcpus: 4, memoryGib: 16 }))).id).toBe('gpu-vm');
  });

  test('admin capacity and ipv4 routes', async () => {
    const c = await fetch(`${env.url}/_sandbox/capacity`, { method: 'POST', body: JSON.stringify({ dataCenterId: 'us-santaclara-1', machineType: 'epyc-genoa', maxVcpuFree: 0 }), headers: { 'content-type': 'application/json' } });
    expect(c.status).toBe(200);
    const r = await raw(env.url, env.sb.apiKey, 'POST', `${P()}/vm`, vmBody('no-host', { dataCenterId: 'us-santaclara-1', machineType: 'epyc-genoa' }));
    expect(r.status).toBe(400);
    expect(r.json!.message).toBe('There are no hosts available for your specified virtual machine');
    const ip = await fetch(`${env.url}/_sandbox/ipv4`, { method: 'POST', body: JSON.stringify({ dataCenterId: 'us-santaclara-1', free: 0 }), headers: { 'content-type': 'application/json' } });
    expect(ip.status).toBe(200);
    expect((await env.client.listDataCenters({ regionId: ['us-west'] })).dataCenters[0]!.ipv4Free).toBe(0);
  });

  test('query parameters are parsed like grpc-gateway (type mismatch → 400 code 3)', async () => {
    const r = await raw(env.url, env.sb.apiKey, 'POST', `${P()}/vms/compact-vm/resize?vcpus=abc`);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 3 });
    expect(String(r.json!.message)).toMatch(/type mismatch, parameter: vcpus/);
  });

  test('wrong-state actions are 400 code 9; actions on a missing VM are 404 code 5', async () => {
    const stop = await raw(env.url, env.sb.apiKey, 'POST', `${P()}/vms/no-ip/stop`); // FAILED
    expect(stop).toMatchObject({ status: 400, json: { code: 9 } });
    const missing = await raw(env.url, env.sb.apiKey, 'POST', `${P()}/vms/ghost/start`);
    expect(missing).toMatchObject({ status: 404, json: { code: 5 } });
  });
});

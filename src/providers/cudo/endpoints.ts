// CUDO Compute VM API (docs: provider-docs/cudo-compute-vms.txt): the 25 documented endpoints, one activity each.
// Paths are relative to https://rest.compute.cudo.org; project-scoped ones carry {projectId}, filled by the client.
import type { EndpointDef } from '../http/endpoint';

const P = '/v1/projects/{projectId}';

const defs = [
  { provider: 'cudo', method: 'GET', path: `${P}/count-vms`, activity: 'cudoCountVms', summary: 'Count the VMs of the project' },
  { provider: 'cudo', method: 'GET', path: `${P}/images`, activity: 'cudoListPrivateImages', summary: 'List private VM images (paged: pageNumber, pageSize)' },
  { provider: 'cudo', method: 'POST', path: `${P}/images`, activity: 'cudoCreatePrivateImage', summary: 'Create a private VM image from a VM (query vmId, id, description)' },
  { provider: 'cudo', method: 'GET', path: `${P}/images/{id}`, activity: 'cudoGetPrivateImage', summary: 'Get a private VM image' },
  { provider: 'cudo', method: 'DELETE', path: `${P}/images/{id}`, activity: 'cudoDeletePrivateImage', summary: 'Delete a private VM image' },
  { provider: 'cudo', method: 'POST', path: `${P}/images/{id}`, activity: 'cudoUpdatePrivateImage', summary: 'Update a private VM image description (query description)' },
  { provider: 'cudo', method: 'POST', path: `${P}/vm`, activity: 'cudoCreateVm', summary: 'Create a virtual machine (client-chosen vmId)' },
  { provider: 'cudo', method: 'POST', path: `${P}/vm/{id}/metadata`, activity: 'cudoUpdateVmMetadata', summary: 'Update (replace or merge) VM metadata' },
  { provider: 'cudo', method: 'PATCH', path: `${P}/vm/{id}/security-group/attach`, activity: 'cudoAttachSecurityGroup', summary: 'Attach a security group to a VM (query securityGroupId)' },
  { provider: 'cudo', method: 'PATCH', path: `${P}/vm/{id}/security-group/detach`, activity: 'cudoDetachSecurityGroup', summary: 'Detach a security group from a VM (query securityGroupId)' },
  { provider: 'cudo', method: 'GET', path: `${P}/vms`, activity: 'cudoListVms', summary: 'List the VMs of the project (not paginated; query networkId)' },
  { provider: 'cudo', method: 'GET', path: `${P}/vms/{id}`, activity: 'cudoGetVm', summary: 'Get a VM with its hourly prices' },
  { provider: 'cudo', method: 'GET', path: `${P}/vms/{id}/connect`, activity: 'cudoConnectVm', summary: 'Connect to a VM console via VNC' },
  { provider: 'cudo', method: 'GET', path: `${P}/vms/{id}/disks`, activity: 'cudoListVmDisks', summary: 'List the disks attached to a VM' },
  { provider: 'cudo', method: 'PATCH', path: `${P}/vms/{id}/disks`, activity: 'cudoResizeVmDisk', summary: "Resize a VM's disk (query diskId, sizeGib)" },
  { provider: 'cudo', method: 'GET', path: `${P}/vms/{id}/monitor`, activity: 'cudoMonitorVm', summary: 'Monitoring samples of a VM (int64 counters as strings)' },
  { provider: 'cudo', method: 'POST', path: `${P}/vms/{id}/reboot`, activity: 'cudoRebootVm', summary: 'Reboot a VM' },
  { provider: 'cudo', method: 'POST', path: `${P}/vms/{id}/start`, activity: 'cudoStartVm', summary: 'Start a stopped VM' },
  { provider: 'cudo', method: 'POST', path: `${P}/vms/{id}/stop`, activity: 'cudoStopVm', summary: 'Stop a running VM' },
  { provider: 'cudo', method: 'POST', path: `${P}/vms/{id}/terminate`, activity: 'cudoTerminateVm', summary: 'Terminate (delete) a VM' },
  { provider: 'cudo', method: 'POST', path: `${P}/vms/{id}/resize`, activity: 'cudoResizeVm', summary: 'Resize vCPUs and memory of a VM (query vcpus, memoryGib)' },
  { provider: 'cudo', method: 'GET', path: '/v1/vms/data-centers', activity: 'cudoListDataCenters', summary: 'List VM data centers (query regionId, renewableEnergy)' },
  { provider: 'cudo', method: 'GET', path: '/v1/vms/gpu-models', activity: 'cudoListGpuModels', summary: 'List GPU models' },
  { provider: 'cudo', method: 'GET', path: '/v1/vms/machine-types-2', activity: 'cudoListMachineTypes', summary: 'List machine types per data center with prices and free capacity (v2)' },
  { provider: 'cudo', method: 'GET', path: '/v1/vms/public-images', activity: 'cudoListPublicImages', summary: 'List public VM images' },
] as const satisfies readonly EndpointDef[];

export const cudoEndpoints = [...defs] satisfies EndpointDef[];

export type CudoActivityName = (typeof defs)[number]['activity'];

const byActivity = new Map<string, EndpointDef>(cudoEndpoints.map((e) => [e.activity, e]));

/** The endpoint behind an activity name; throws for an unknown one (a programming error). */
export function cudoEndpoint(activity: CudoActivityName): EndpointDef {
  const e = byActivity.get(activity);
  if (!e) throw new Error(`unknown CUDO endpoint ${activity}`);
  return e;
}

"""Synthetic Azure Resource Graph snapshot generator for benchmarks.

In: ``--resources N --out PATH [--seed S] [--format json|jsonl]``.
Out: a deterministic snapshot of N ``resources`` rows (same seed and N -> identical bytes), either as
``az graph query -o json`` output (``{"count", "data", "skip_token": null, "total_records"}``, one compact
row per line) or as JSON Lines. Rows carry the full ARG column set and real ``properties`` shapes, 1-2 KB
each on average: ~30% storage accounts, ~30% private endpoints, ~20% virtual networks, ~20% disks/NICs/VMs.
Every private endpoint's ``privateLinkServiceId`` names a generated storage account (with randomly varied
id casing, as ARG really returns it) and ~70% of the storage accounts are targeted; the storage accounts
list the matching ``privateEndpointConnections`` back.

Rows are generated and written one at a time, so a 1,000,000-row file never sits in memory. Each
entity's identity (subscription, resource group, name) is a pure function of (seed, kind, index), which
is what lets a row point at another row without keeping a table of everything generated so far.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import tempfile
import uuid
from datetime import datetime, timedelta, timezone

import orjson

from argus.errors import UserError

# Rows come in blocks of ten: this layout fixes the mix at 30/30/20/20 and interleaves the kinds.
LAYOUT = ("storage",) * 3 + ("pe",) * 3 + ("vnet",) * 2 + ("other",) * 2
PER_BLOCK = {kind: LAYOUT.count(kind) for kind in dict.fromkeys(LAYOUT)}
FIRST_SLOT = {kind: LAYOUT.index(kind) for kind in PER_BLOCK}
N_SUBSCRIPTIONS = 16
N_RESOURCE_GROUPS = 48
LOCATIONS = ("westeurope", "northeurope", "germanywestcentral", "swedencentral", "eastus2", "uksouth")
WORKLOADS = ("app", "data", "web", "sap", "erp", "shared", "crm", "ai")
ENVIRONMENTS = ("prod", "dev", "test", "uat")
EPOCH = datetime(2022, 1, 1, tzinfo=timezone.utc)
SUBNET_COUNTS = (2, 2, 2, 2, 3, 3, 4, 6)  # most VNets have a handful of subnets, a few have many


class Estate:
    """Deterministic identities (subscription, resource group, name, id) for every generated entity."""

    def __init__(self, seed: int, n_rows: int):
        self.seed = seed
        self.tenant = str(self._uuid("tenant", 0))
        self.subscriptions = [str(self._uuid("subscription", i)) for i in range(N_SUBSCRIPTIONS)]
        self.count = {kind: count_of(kind, n_rows) for kind in PER_BLOCK}

    def _digest(self, kind: str, index: int) -> bytes:
        return hashlib.blake2b(f"{self.seed}/{kind}/{index}".encode(), digest_size=16).digest()

    def _uuid(self, kind: str, index: int) -> uuid.UUID:
        return uuid.UUID(bytes=self._digest(kind, index), version=4)

    def place(self, kind: str, index: int) -> tuple[str, str, str]:
        """(subscription id, resource group as created, location) of one entity."""
        d = self._digest(kind, index)
        rg_index = d[1] % N_RESOURCE_GROUPS
        workload, env = WORKLOADS[rg_index % len(WORKLOADS)], ENVIRONMENTS[rg_index % len(ENVIRONMENTS)]
        rg = f"rg-{workload}-{env}-{rg_index:02d}"
        if rg_index % 5 == 0:  # portal casing survives in ids; the resourceGroup column is lower-cased
            rg = rg.upper()
        return self.subscriptions[d[0] % N_SUBSCRIPTIONS], rg, LOCATIONS[d[2] % len(LOCATIONS)]

    def arm_id(self, kind: str, index: int, provider: str, name: str) -> str:
        sub, rg, _ = self.place(kind, index)
        return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{provider}/{name}"

    def guid(self, kind: str, index: int) -> str:
        return str(self._uuid(kind, index))

    def storage_name(self, k: int) -> str:
        return f"st{self._digest('storage', k).hex()[:6]}{k:x}"

    def storage_id(self, k: int) -> str:
        return self.arm_id("storage", k, "Microsoft.Storage/storageAccounts", self.storage_name(k))

    def pe_name(self, j: int) -> str:
        target, group = pe_target(j)
        return f"pe-{self.storage_name(target)}-{group}"

    def pe_id(self, j: int) -> str:
        return self.arm_id("pe", j, "Microsoft.Network/privateEndpoints", self.pe_name(j))

    def vnet_id(self, v: int) -> str:
        name = f"vnet-{WORKLOADS[v % len(WORKLOADS)]}-{v:06d}"
        return self.arm_id("vnet", v, "Microsoft.Network/virtualNetworks", name)

    def other_id(self, o: int) -> str:
        group = o // 3
        provider, name = {
            0: ("Microsoft.Compute/disks", f"vm-{group:06d}_OsDisk_1_{self._digest('disk', group).hex()}"),
            1: ("Microsoft.Network/networkInterfaces", f"vm-{group:06d}-nic-01"),
            2: ("Microsoft.Compute/virtualMachines", f"vm-{group:06d}"),
        }[o % 3]
        return self.arm_id("other", group, provider, name)


def count_of(kind: str, n_rows: int) -> int:
    """How many rows of ``kind`` the first ``n_rows`` rows hold."""
    blocks, rest = divmod(n_rows, len(LAYOUT))
    return blocks * PER_BLOCK[kind] + LAYOUT[:rest].count(kind)


def pe_target(j: int) -> tuple[int, str]:
    """Storage account index and group id private endpoint ``j`` connects to.

    Seven PEs in ten get their own account (blob); the other three add a file PE to one of the decade's
    first three accounts. Account j always precedes PE j in the output, so every target exists.
    """
    if j % 10 < 7:
        return j, "blob"
    return j - 7, "file"


def pes_of_storage(k: int, n_pe: int) -> list[int]:
    """Indexes of the generated private endpoints that point at storage account ``k`` (see pe_target)."""
    candidates = ([k] if k % 10 < 7 else []) + ([k + 7] if k % 10 < 3 else [])
    return [j for j in candidates if j < n_pe]


def vary_case(arm_id: str, rng: random.Random) -> str:
    """The same id in one of the casings ARM and ARG hand back in references."""
    choice = rng.randrange(4)
    if choice < 2:
        return arm_id if choice == 0 else arm_id.lower()
    head, _, tail = arm_id.partition("/providers/")
    if choice == 2:
        return head.lower() + "/providers/" + tail
    provider = "/".join(tail.split("/")[:2]).lower()
    return head + "/providers/" + provider + "/" + "/".join(tail.split("/")[2:])


def timestamp(rng: random.Random) -> str:
    moment = EPOCH + timedelta(seconds=rng.randrange(4 * 365 * 86400), microseconds=rng.randrange(10**6))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def arm_row(est: Estate, entity: str, index: int, arm_id: str, type_: str, properties: dict, **columns) -> dict:
    """One ARG ``resources`` row, columns in ARG order; ``entity``/``index`` place it (see Estate.place)."""
    sub, rg, location = est.place(entity, index)
    return {
        "id": arm_id, "name": arm_id.rsplit("/", 1)[1], "type": type_, "tenantId": est.tenant,
        "kind": columns.get("kind", ""), "location": location, "resourceGroup": rg.lower(),
        "subscriptionId": sub, "managedBy": columns.get("managedBy", ""), "sku": columns.get("sku"),
        "plan": None, "properties": properties, "tags": columns.get("tags"),
        "identity": columns.get("identity"), "zones": columns.get("zones"), "extendedLocation": None,
    }


def tags_for(rng: random.Random, index: int) -> dict | None:
    if rng.random() < 0.3:
        return None
    return {"environment": ENVIRONMENTS[index % len(ENVIRONMENTS)], "costCenter": f"CC-{1000 + index % 97}"}


def storage_row(est: Estate, k: int, rng: random.Random) -> dict:
    name, sid = est.storage_name(k), est.storage_id(k)
    v2 = rng.random() < 0.85
    created = timestamp(rng)
    endpoints = {part: f"https://{name}.{part}.core.windows.net/" for part in ("blob", "queue", "table", "file")}
    if v2:
        endpoints["dfs"] = f"https://{name}.dfs.core.windows.net/"
    default_action = "Deny" if rng.random() < 0.6 else "Allow"
    props = {
        "privateEndpointConnections": [storage_pe_connection(est, sid, name, j)
                                       for j in pes_of_storage(k, est.count["pe"])],
        "allowBlobPublicAccess": rng.random() < 0.1,
        "networkAcls": {
            "bypass": "AzureServices", "virtualNetworkRules": [], "defaultAction": default_action,
            "ipRules": [{"value": f"203.0.113.{rng.randrange(1, 255)}", "action": "Allow"}]
            if default_action == "Deny" and rng.random() < 0.3 else [],
        },
        "supportsHttpsTrafficOnly": True,
        "encryption": {"services": {s: {"enabled": True} for s in ("file", "blob")},
                       "keySource": "Microsoft.Storage"},
        "provisioningState": "Succeeded", "creationTime": created,
        "primaryEndpoints": endpoints, "primaryLocation": est.place("storage", k)[2], "statusOfPrimary": "available",
    }
    tls = rng.random()
    if tls < 0.95:  # 85% TLS 1.2, 10% TLS 1.0, 5% without the property (the service default)
        props["minimumTlsVersion"] = "TLS1_2" if tls < 0.85 else "TLS1_0"
    if v2:
        props.update(accessTier="Hot", publicNetworkAccess="Enabled" if rng.random() < 0.8 else "Disabled")
    return arm_row(est, "storage", k, sid, "microsoft.storage/storageaccounts", props,
                   kind="StorageV2" if v2 else "Storage", tags=tags_for(rng, k),
                   sku={"name": rng.choice(("Standard_LRS", "Standard_GRS", "Standard_ZRS")), "tier": "Standard"})


def storage_pe_connection(est: Estate, sid: str, name: str, j: int) -> dict:
    conn = f"{name}.{est.guid('pe-connection', j)}"
    return {
        "id": f"{sid}/privateEndpointConnections/{conn}", "name": conn,
        "type": "Microsoft.Storage/storageAccounts/privateEndpointConnections",
        "properties": {
            "provisioningState": "Succeeded", "privateEndpoint": {"id": est.pe_id(j)},
            "privateLinkServiceConnectionState": {"status": "Approved", "description": "Auto-Approved",
                                                  "actionRequired": "None"},
        },
    }


def pe_row(est: Estate, j: int, rng: random.Random) -> dict:
    pid, name = est.pe_id(j), est.pe_name(j)
    target, group = pe_target(j)
    account = est.storage_name(target)
    ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(4, 255)}"
    vnet = est.vnet_id(j % est.count["vnet"]) if est.count["vnet"] else est.vnet_id(0)
    props = {
        "provisioningState": "Succeeded",
        "privateLinkServiceConnections": [{
            "name": name, "id": f"{pid}/privateLinkServiceConnections/{name}",
            "properties": {
                "provisioningState": "Succeeded", "privateLinkServiceId": vary_case(est.storage_id(target), rng),
                "groupIds": [group],
                "privateLinkServiceConnectionState": {"status": "Approved", "description": "Auto-Approved",
                                                      "actionsRequired": "None"},
            },
        }],
        "manualPrivateLinkServiceConnections": [],
        "subnet": {"id": f"{vnet}/subnets/snet-pe"},
        "ipConfigurations": [],
        "networkInterfaces": [{"id": pid.replace("/privateEndpoints/", "/networkInterfaces/")
                               + f".nic.{est.guid('pe-nic', j)}"}],
        "customDnsConfigs": [{"fqdn": f"{account}.{group}.core.windows.net", "ipAddresses": [ip]}],
        "applicationSecurityGroups": [],
    }
    return arm_row(est, "pe", j, pid, "microsoft.network/privateendpoints", props, tags=tags_for(rng, j))


def subnet(est: Estate, vid: str, v: int, s: int, rng: random.Random) -> dict:
    name = ("snet-pe", "snet-app", "snet-data", "snet-web", "snet-mgmt", "snet-integration")[s]
    props = {"provisioningState": "Succeeded", "addressPrefix": f"10.{v % 256}.{s}.0/24",
             "delegations": [], "privateEndpointNetworkPolicies": "Disabled" if s == 0 else "Enabled",
             "privateLinkServiceNetworkPolicies": "Enabled"}
    if s and rng.random() < 0.4:
        props["networkSecurityGroup"] = {
            "id": est.arm_id("vnet", v, "Microsoft.Network/networkSecurityGroups", f"nsg-{name}-{v:06d}")}
    if s == 5 or (s and rng.random() < 0.15):
        props["delegations"] = [{
            "name": "delegation", "id": f"{vid}/subnets/{name}/delegations/delegation",
            "type": "Microsoft.Network/virtualNetworks/subnets/delegations",
            "properties": {"provisioningState": "Succeeded", "serviceName": "Microsoft.Web/serverFarms",
                           "actions": ["Microsoft.Network/virtualNetworks/subnets/action"]}}]
    return {"name": name, "id": f"{vid}/subnets/{name}", "properties": props}


def vnet_row(est: Estate, v: int, rng: random.Random) -> dict:
    vid = est.vnet_id(v)
    props = {
        "provisioningState": "Succeeded", "resourceGuid": est.guid("vnet-guid", v),
        "addressSpace": {"addressPrefixes": [f"10.{v % 256}.0.0/16"]},
        "dhcpOptions": {"dnsServers": [] if rng.random() < 0.7 else ["10.0.1.4", "10.0.1.5"]},
        "subnets": [subnet(est, vid, v, s, rng) for s in range(rng.choice(SUBNET_COUNTS))],
        "virtualNetworkPeerings": [], "enableDdosProtection": False,
    }
    return arm_row(est, "vnet", v, vid, "microsoft.network/virtualnetworks", props, tags=tags_for(rng, v))


def disk_row(est: Estate, o: int, rng: random.Random) -> dict:
    group = o // 3
    vm_exists = o + 2 < est.count["other"]
    size = rng.choice((32, 64, 127, 128, 256, 512))
    props = {
        "osType": rng.choice(("Windows", "Linux")), "hyperVGeneration": "V2",
        "creationData": {"createOption": "FromImage"}, "diskSizeGB": size, "diskIOPSReadWrite": 500,
        "diskMBpsReadWrite": 100, "encryption": {"type": "EncryptionAtRestWithPlatformKey"},
        "networkAccessPolicy": "AllowAll", "publicNetworkAccess": "Enabled", "timeCreated": timestamp(rng),
        "provisioningState": "Succeeded", "diskState": "Attached" if vm_exists else "Unattached",
        "diskSizeBytes": size * 1024**3, "uniqueId": est.guid("disk-guid", group), "tier": "P10",
    }
    return arm_row(est, "other", group, est.other_id(o), "microsoft.compute/disks", props,
                   managedBy=est.other_id(o + 2) if vm_exists else "", tags=tags_for(rng, o),
                   sku={"name": "Premium_LRS", "tier": "Premium"}, zones=[str(rng.randint(1, 3))])


def nic_row(est: Estate, o: int, rng: random.Random) -> dict:
    group, nid = o // 3, est.other_id(o)
    vnet = est.vnet_id(group % est.count["vnet"]) if est.count["vnet"] else est.vnet_id(0)
    props = {
        "provisioningState": "Succeeded", "resourceGuid": est.guid("nic-guid", group),
        "ipConfigurations": [{
            "name": "ipconfig1", "id": f"{nid}/ipConfigurations/ipconfig1",
            "etag": f'W/"{est.guid("nic-etag", group)}"',
            "type": "Microsoft.Network/networkInterfaces/ipConfigurations",
            "properties": {"provisioningState": "Succeeded",
                           "privateIPAddress": f"10.{group % 256}.1.{rng.randrange(4, 255)}",
                           "privateIPAllocationMethod": "Dynamic", "subnet": {"id": f"{vnet}/subnets/snet-app"},
                           "primary": True, "privateIPAddressVersion": "IPv4"}}],
        "dnsSettings": {"dnsServers": [], "appliedDnsServers": []},
        "enableAcceleratedNetworking": rng.random() < 0.5, "enableIPForwarding": False,
        "nicType": "Standard", "primary": True,
    }
    if o + 1 < est.count["other"]:
        props["virtualMachine"] = {"id": est.other_id(o + 1)}
    return arm_row(est, "other", group, nid, "microsoft.network/networkinterfaces", props, tags=tags_for(rng, o))


def vm_row(est: Estate, o: int, rng: random.Random) -> dict:
    group, disk = o // 3, est.other_id(o - 2)
    os_type = rng.choice(("Windows", "Linux"))
    props = {
        "vmId": est.guid("vm-guid", group),
        "hardwareProfile": {"vmSize": rng.choice(("Standard_D2s_v5", "Standard_D4s_v5", "Standard_E8s_v5"))},
        "storageProfile": {
            "osDisk": {"osType": os_type, "name": disk.rsplit("/", 1)[1], "createOption": "FromImage",
                       "caching": "ReadWrite", "managedDisk": {"storageAccountType": "Premium_LRS", "id": disk},
                       "deleteOption": "Delete"},
            "dataDisks": []},
        "networkProfile": {"networkInterfaces": [{"id": est.other_id(o - 1)}]},
        "diagnosticsProfile": {"bootDiagnostics": {"enabled": True}},
        "provisioningState": "Succeeded", "timeCreated": timestamp(rng),
        "extended": {"instanceView": {"powerState": {"code": "PowerState/running", "level": "Info",
                                                     "displayStatus": "VM running"}}},
    }
    return arm_row(est, "other", group, est.other_id(o), "microsoft.compute/virtualmachines", props,
                   tags=tags_for(rng, o), zones=[str(rng.randint(1, 3))])


BUILDERS = {"storage": storage_row, "pe": pe_row, "vnet": vnet_row,
            "other": lambda est, o, rng: (disk_row, nic_row, vm_row)[o % 3](est, o, rng)}


def rows(seed: int, n_rows: int):
    """Yield the ``n_rows`` rows in output order."""
    est, rng = Estate(seed, n_rows), random.Random(seed)
    for i in range(n_rows):
        block, slot = divmod(i, len(LAYOUT))
        kind = LAYOUT[slot]
        yield BUILDERS[kind](est, block * PER_BLOCK[kind] + slot - FIRST_SLOT[kind], rng)


def write(path: str, seed: int, n_rows: int, fmt: str) -> tuple[int, int]:
    """Stream the snapshot to ``path`` via a temp file + rename; returns (row bytes, file bytes).

    argus.errors.atomic_write takes the whole text at once, which is exactly what a 1M-row file must not
    be, so the same temp-and-rename is done here around an incremental writer.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UserError(f"--out {path} is a directory, expected a file name")
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".gen-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise UserError(f"cannot write to {directory}: {exc.strerror}") from None
    row_bytes = 0
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as fh:
            if fmt == "json":
                fh.write(b'{"count": %d, "data": [\n' % n_rows)
            for i, row in enumerate(rows(seed, n_rows)):
                data = orjson.dumps(row)
                row_bytes += len(data)
                if fmt == "json" and i:
                    fh.write(b",\n")
                fh.write(data if fmt == "json" else data + b"\n")
            if fmt == "json":
                fh.write(b'\n], "skip_token": null, "total_records": %d}\n' % n_rows)
            size = fh.tell()
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return row_bytes, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gen.py", description="Write a synthetic ARG snapshot for benchmarks.")
    parser.add_argument("--resources", type=int, required=True, metavar="N", help="number of resource rows")
    parser.add_argument("--out", required=True, metavar="PATH", help="output file")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7); same seed, same bytes")
    parser.add_argument("--format", choices=("json", "jsonl"), default="json",
                        help="json: `az graph query -o json` document (default); jsonl: one row per line")
    args = parser.parse_args(argv)
    try:
        if args.resources < 1:
            raise UserError(f"--resources must be at least 1, got {args.resources}")
        row_bytes, size = write(args.out, args.seed, args.resources, args.format)
    except UserError as exc:
        print(f"gen.py: error: {exc}", file=sys.stderr)
        return 2
    mix = ", ".join(f"{kind} {count_of(kind, args.resources)}" for kind in ("storage", "pe", "vnet", "other"))
    print(f"wrote {args.resources} rows ({mix}) to {args.out}: {size / 1e6:.1f} MB, "
          f"average row {row_bytes / args.resources:.0f} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

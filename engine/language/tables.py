"""The tables a rule can name and the columns of their rows: Azure Resource Graph's tables and the appliance
facts table.

In: nothing. Out: `KNOWN_TABLES` (lower-case names, as ARG spells them), `ARG_COLUMNS` (the columns every ARG
table shares) and `TABLE_COLUMNS` (table -> its columns). The language (checker, compiler, path reads) and the
snapshot loader both read these; they live in the language stage so that checking a rule never imports the
loader.
"""

from __future__ import annotations

KNOWN_TABLES = (
    "resources", "resourcecontainers", "dnsresources", "advisorresources", "alertsmanagementresources",
    "appserviceresources", "authorizationresources", "computeresources", "extensibilityresources",
    "guestconfigurationresources", "healthresources", "kubernetesconfigurationresources", "maintenanceresources",
    "migrateresources", "networkresources", "patchassessmentresources", "policyresources",
    "recoveryservicesresources", "securityresources", "servicehealthresources", "spotresources",
    "appliance",
)
ARG_COLUMNS = ("id", "name", "type", "tenantId", "kind", "location", "resourceGroup", "subscriptionId",
               "managedBy", "sku", "plan", "properties", "tags", "identity", "zones", "extendedLocation")
TABLE_COLUMNS = {t: ARG_COLUMNS for t in KNOWN_TABLES if t != "appliance"}
TABLE_COLUMNS["appliance"] = ("id", "type", "name", "kind", "collected_at", "config", "proxy", "dns")

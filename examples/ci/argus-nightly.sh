#!/usr/bin/env bash
# Nightly argus scan for cron on a Linux host: collect a snapshot, scan it against the previous report,
# keep every report and snapshot under a timestamped name, record the scan in the history DB and redraw
# the trend chart. Exit code: argus scan's (0 clean, 1 new failing findings, 2 the scan failed).
#
#   17 5 * * *  MANAGEMENT_GROUP=mg-contoso-platform /opt/argus/examples/ci/argus-nightly.sh >>/var/log/argus/nightly.log 2>&1
#
# Settings (environment): MANAGEMENT_GROUP (required), STATE_DIR (default /var/lib/argus),
# ARGUS (default: the argus next to this checkout's .venv), POLICIES (default: this checkout's policies.yaml),
# KEEP_DAYS (snapshots and reports older than this are deleted; default 90).
# Azure sign-in: DefaultAzureCredential, e.g. the VM's managed identity, or AZURE_CLIENT_ID,
# AZURE_TENANT_ID and AZURE_CLIENT_SECRET in the environment. The identity needs Reader on the scope.
set -euo pipefail

checkout="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${MANAGEMENT_GROUP:?set MANAGEMENT_GROUP to the management group to scan}"
STATE_DIR="${STATE_DIR:-/var/lib/argus}"
ARGUS="${ARGUS:-$checkout/.venv/bin/argus}"
POLICIES="${POLICIES:-$checkout/policies.yaml}"
KEEP_DAYS="${KEEP_DAYS:-90}"

mkdir -p "$STATE_DIR/snapshots" "$STATE_DIR/reports"
cd "$STATE_DIR"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"   # the file-name timestamp `sarif trend` understands

"$ARGUS" collect --management-group "$MANAGEMENT_GROUP" --output "snapshots/argus-$stamp.json" --quiet

compare=()
if [ -f reports/latest.json ]; then
  compare=(--baseline reports/latest.json --fail-on-new)
fi
set +e
"$ARGUS" scan --policies "$POLICIES" --snapshot "snapshots/argus-$stamp.json" "${compare[@]}" \
  --history history.db \
  --format json --output "reports/argus-$stamp.json" \
  --format sarif --output "reports/argus-$stamp.sarif" \
  --format markdown --output reports/latest.md
rc=$?
set -e

# Housekeeping never replaces the scan's exit code: a failing chart or clean-up is logged, not returned.
if [ -f "reports/argus-$stamp.json" ]; then
  ln -sfn "argus-$stamp.json" reports/latest.json || echo "argus-nightly: could not point reports/latest.json at this scan" >&2
fi
if [ -f history.db ]; then
  "$ARGUS" history history.db --chart reports/trend.html > reports/trend.txt \
    || echo "argus-nightly: argus history failed (exit $?); the scan's exit code stands" >&2
fi
find snapshots reports -type f -mtime +"$KEEP_DAYS" -delete || echo "argus-nightly: clean-up of old files failed" >&2
exit "$rc"

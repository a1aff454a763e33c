#!/bin/sh
# A Helm post-renderer: adds the livechat-analytics sidecar to Rocket.Chat's chart as Helm
# renders it (stdin: the chart's manifests; stdout: the same with the sidecar, its ConfigMap and
# its Service). Needs kubectl (for `kubectl kustomize`).
#   helm upgrade --install rocketchat rocketchat/rocketchat -f values.yaml \
#     --post-renderer config/kubernetes/sidecar/post-render.sh
# The patch targets the Deployment "rocketchat-rocketchat" (release "rocketchat"); for another
# release name, change the target in kustomization.yaml and add-sidecar.yaml.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A copy, so the placeholder rocketchat.yaml in the repository is never overwritten.
cp -R "$here/sidecar" "$here/components" "$work/"
cat > "$work/sidecar/rocketchat.yaml"
kubectl kustomize "$work/sidecar"

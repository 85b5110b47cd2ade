#!/usr/bin/env bash
# build.sh: the one entry point for building, serving and testing fabric-lro.
#
#   ./build.sh build    build the browser module (web/app.wasm) and the Worker (worker/build/)
#   ./build.sh serve    run the emulator, the proxy and the dashboard locally, and print the URL
#   ./build.sh test     run every test: host, race, wasm (Node), workerd and Chromium end to end
#   ./build.sh bench    run the benchmark harness (bench/) and print its ratios
#   ./build.sh deploy   deploy the Worker to Cloudflare with wrangler
#
# It installs what it needs (npm packages into ./node_modules, Chromium from Debian) and
# fails loudly, naming the step that failed.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD

step() { printf '\n==> %s\n' "$*" >&2; CURRENT_STEP="$*"; }
die() { printf '\nbuild.sh: FAILED at step: %s\n' "${CURRENT_STEP:-?}" >&2; exit 1; }
trap 'die' ERR
CURRENT_STEP=start

GOROOT_WASM="$(go env GOROOT)/lib/wasm"
WASM_GZIP_BUDGET=$((1250 * 1000)) # app.wasm, gzip -9, bytes (issue 5: 1.25 MB)

need_node_modules() {
  if [ ! -x node_modules/.bin/workerd ] || ! cmp -s package-lock.json node_modules/.package-lock.json 2>/dev/null; then
    step "npm ci (workerd into ./node_modules)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
  export WORKERD="$ROOT/node_modules/.bin/workerd"
}

need_chromium() {
  if ! command -v chromium >/dev/null 2>&1; then
    step "apt-get install chromium (Debian)"
    if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  fi
  export CHROMIUM="$(command -v chromium)"
}

build_web() {
  step "build browser module: GOOS=js GOARCH=wasm go build ./wasm -> web/app.wasm"
  GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o web/app.wasm ./wasm
  cp "$GOROOT_WASM/wasm_exec.js" web/wasm_exec.js
  local raw gz
  raw=$(stat -c %s web/app.wasm)
  gz=$(gzip -9 -c web/app.wasm | wc -c)
  printf 'web/app.wasm: %d bytes raw, %d bytes gzip (budget %d)\n' "$raw" "$gz" "$WASM_GZIP_BUDGET" >&2
  if [ "$gz" -gt "$WASM_GZIP_BUDGET" ]; then
    echo "web/app.wasm is over its gzip budget: $gz > $WASM_GZIP_BUDGET bytes" >&2
    false
  fi
}

build_worker() {
  step "build Worker: GOOS=js GOARCH=wasm go build ./worker -> worker/build/app.wasm"
  mkdir -p worker/build
  GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o worker/build/app.wasm ./worker
  cp "$GOROOT_WASM/wasm_exec.js" worker/build/wasm_exec.js
}

cmd_build() {
  step "go build ./... (host)"
  go build ./...
  build_web
  build_worker
}

cmd_test() {
  need_node_modules
  need_chromium
  cmd_build
  step "gofmt and go vet"
  local unformatted
  unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))
  if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted" >&2; false; fi
  go vet ./...
  GOOS=js GOARCH=wasm go vet ./wasm/... ./worker/... ./lro/...

  mkdir -p artifacts
  export FABRIC_LRO_E2E=1 FABRIC_LRO_ARTIFACTS="$ROOT/artifacts"
  local log="$ROOT/artifacts/test.log" status=0
  : >"$log"

  step "go test -race ./... (host, end-to-end included)"
  go test -race -count=1 -timeout 15m -v ./... 2>&1 | tee -a "$log" | grep -E '^(=== RUN|--- FAIL|FAIL|ok|panic)|_test.go' | grep -v '^=== RUN' || true
  [ "${PIPESTATUS[0]}" = 0 ] || status=1

  step "GOOS=js GOARCH=wasm go test (under Node)"
  PATH="$GOROOT_WASM:$PATH" GOOS=js GOARCH=wasm go test -count=1 -v ./lro/... ./wasm/... 2>&1 | tee -a "$log" | grep -E '^(--- FAIL|FAIL|ok|panic)|_test.go' || true
  [ "${PIPESTATUS[0]}" = 0 ] || status=1

  local passed failed skipped
  passed=$(grep -cE '^\s*--- PASS' "$log" || true)
  failed=$(grep -cE '^\s*--- FAIL' "$log" || true)
  skipped=$(grep -cE '^\s*--- SKIP' "$log" || true)
  step "summary (tests and subtests; full log in artifacts/test.log)"
  echo "tests: $passed passed, $failed failed, $skipped skipped"
  if [ "$status" != 0 ] || [ "$failed" != 0 ]; then
    CURRENT_STEP="go test (see the FAIL lines above and artifacts/test.log)"
    false
  fi
}

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }

case "${1:-}" in
  build) need_node_modules; cmd_build ;;
  test) cmd_test ;;
  serve) echo "build.sh serve: not built yet" >&2; exit 1 ;;
  -h|--help|help|"") usage ;;
  *) echo "build.sh: unknown command '$1'" >&2; usage; exit 2 ;;
esac

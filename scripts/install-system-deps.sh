#!/usr/bin/env bash
# System packages the test suite uses, installed when missing and when we can (root + apt):
#   mdbtools  - mdb-export, to read Arbin .res (MS Access) files
#   chromium  - headless browser check of the HTML report
# Without them the tests that need them skip with a reason; nothing else depends on them.
set -u
need=()
command -v mdb-export >/dev/null 2>&1 || need+=(mdbtools)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need+=(chromium)
if ((${#need[@]} == 0)); then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: apt-get not available; missing ${need[*]} (tests needing them will skip)"
  exit 0
fi
SUDO=""
if [[ $(id -u) != 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "system-deps: not root and no sudo; missing ${need[*]} (tests needing them will skip)"
    exit 0
  fi
fi
echo "system-deps: installing ${need[*]}"
$SUDO apt-get update -qq >/dev/null 2>&1 || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
  || echo "system-deps: could not install ${need[*]} (tests needing them will skip)"
exit 0

#!/usr/bin/env bash
# Debian packages the test suite needs: a PostgreSQL server and OpenSSH's sshd (started by the tests
# on 127.0.0.1), plus unixodbc for offline Synapse compiles. Installs only what is missing.
set -euo pipefail
need=()
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
id postgres >/dev/null 2>&1 || need+=(postgresql)
ls /usr/lib/*/libodbc.so.2 >/dev/null 2>&1 || need+=(unixodbc)
# headless Chromium renders the ops dashboard in tests (big: installed only when missing)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

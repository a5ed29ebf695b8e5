#!/usr/bin/env bash
# The one test command: formatting, lints and every test of the workspace.
# Installs the system packages the tests need (Debian, via apt-get) when they are
# missing, and stops with a clear message when it cannot.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the test suite talks to, as "command:package" pairs: the real tools
# that check what we issue (ssh-keygen -L reads our certificates, openssl recomputes the
# CA pin), the OpenSSH client and server tools the node is tested against (ssh, scp,
# sftp; sshd's package brings the sftp-server the node runs for the sftp subsystem),
# tmux to drive a terminal session, useradd for the OS user the node switches to,
# oathtool to cross-check our TOTP codes.
# Later issues add etcd and a browser here.
REQUIRED_TOOLS=(
  "ssh-keygen:openssh-client"
  "openssl:openssl"
  "oathtool:oathtool"
  "ssh:openssh-client"
  "scp:openssh-client"
  "sftp:openssh-client"
  "ssh-agent:openssh-client"
  "sshd:openssh-server"
  "/usr/lib/openssh/sftp-server:openssh-sftp-server"
  "tmux:tmux"
  "useradd:passwd"
)

missing=()
for pair in "${REQUIRED_TOOLS[@]}"; do
  tool=${pair%%:*}
  pkg=${pair#*:}
  command -v "$tool" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing missing packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    echo "test.sh: cannot install ${missing[*]}: not root and no sudo; install them and rerun" >&2
    exit 1
  fi
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"; }; then
    echo "test.sh: apt-get could not install ${missing[*]}; install them by hand and rerun" >&2
    exit 1
  fi
fi

for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    echo "test.sh: the Rust toolchain lacks $component; run 'rustup component add $component'" >&2
    exit 1
  fi
done

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --locked 2>&1 | tee "$log" || status=$?
# One closing line for the whole run: the sum over every test binary and doc-test run.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
     END { printf "workspace: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"

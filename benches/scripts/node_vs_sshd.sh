#!/usr/bin/env bash
# Our node (`teleport start`, auth + node in one process) against OpenSSH's sshd, in
# the same run, with the same OpenSSH client, key and certificate, on 127.0.0.1 only.
#
#   bash benches/scripts/node_vs_sshd.sh
#
# Workloads (each against both servers, interleaved so drift hits both alike):
#   1. throughput: download `ssh ... 'head -c 1G /dev/zero' > /dev/null` and upload
#      `ssh ... 'head -c 1G > /dev/null' < /dev/zero`, wall clock, RUNS each;
#   2. session setup: SETUP_N x `ssh ... true` (p50 / p90 wall clock), plus the same
#      with both sides on curve25519-sha256, without a remote shell (`-s nosuch`), and
#      with the plain key offered before the certificate;
#   3. memory per idle session: K sessions (`echo ready; exec cat`, stdin held open)
#      at once; ours = (teleport's VmRSS after - before) / K; sshd = sum of the
#      per-connection sshd processes' Pss (and VmRSS) / K.
# Prints a summary table and the ratios ours/sshd. Needs root (sshd privilege
# separation, /run/sshd), `ssh`, `ssh-keygen`, `sshd`; python3 for RTT_MS.
#
# Environment knobs (all bounded): RUNS (default 3, max 10), SETUP_N (30, 5..200),
# K (50, max 200), SIZE (bytes per throughput run, `head -c` syntax, default 1G),
# RTT_MS (default 0; 1..500 puts benches/scripts/delay_proxy.py, a relay adding
# RTT_MS/2 each way, in front of both servers: an emulated long link, still on
# 127.0.0.1), SKIP_BUILD=1 to reuse the target/release binaries.

set -euo pipefail

RUNS=${RUNS:-3}
SETUP_N=${SETUP_N:-30}
K=${K:-50}
SIZE=${SIZE:-1G}
RTT_MS=${RTT_MS:-0}
CIPHER=aes256-gcm@openssh.com
(( RUNS >= 1 && RUNS <= 10 )) || { echo "RUNS must be 1..10" >&2; exit 2; }
(( SETUP_N >= 5 && SETUP_N <= 200 )) || { echo "SETUP_N must be 5..200" >&2; exit 2; }
(( K >= 1 && K <= 200 )) || { echo "K must be 1..200" >&2; exit 2; }
(( RTT_MS >= 0 && RTT_MS <= 500 )) || { echo "RTT_MS must be 0..500" >&2; exit 2; }

die() { echo "node_vs_sshd: $*" >&2; exit 1; }
log() { echo "==> $*" >&2; }

# ---------------------------------------------------------------- prerequisites
for tool in ssh ssh-keygen; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "'$tool' is missing: apt-get install openssh-client"
done
SSHD=$(command -v sshd 2>/dev/null || true)
[[ -z $SSHD && -x /usr/sbin/sshd ]] && SSHD=/usr/sbin/sshd
[[ -n $SSHD ]] || die "'sshd' is missing: apt-get install openssh-server"
[[ $(id -u) -eq 0 ]] || die "run as root: sshd needs privilege separation (/run/sshd)"
for tool in awk sort timeout ps numfmt mkfifo; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing"
done
if ((RTT_MS > 0)); then
    python3 -c pass 2>/dev/null || die "RTT_MS needs python3 (apt-get install python3)"
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    log "cargo build --release --bin teleport --bin tctl"
    cargo build --release --bin teleport --bin tctl
fi
TELEPORT=$ROOT/target/release/teleport
TCTL_BIN=$ROOT/target/release/tctl
[[ -x $TELEPORT && -x $TCTL_BIN ]] || die "release binaries missing under target/release"

# ---------------------------------------------------------------- cleanup
TMP=$(mktemp -d /tmp/node_vs_sshd.XXXXXX)
TELEPORT_PID=
SSHD_PID=
CLIENT_PIDS=()
HOLD_FD_OPEN=0
PROXY_PIDS=

sshd_conn_pids() { # every sshd process below the listener (monitors and session children)
    ps -e -o pid=,ppid=,comm= | awk -v root="$SSHD_PID" '
        { ppid[$1]=$2; comm[$1]=$3 }
        END {
            for (p in ppid) {
                if (comm[p] != "sshd" || p == root) continue
                q = ppid[p]
                for (i = 0; i < 50 && q > 1; i++) { if (q == root) { print p; break } q = ppid[q] }
            }
        }'
}

cleanup() {
    local status=$?
    set +e
    if ((${#CLIENT_PIDS[@]})); then
        kill "${CLIENT_PIDS[@]}" 2>/dev/null
        wait "${CLIENT_PIDS[@]}" 2>/dev/null
    fi
    ((HOLD_FD_OPEN)) && exec 7>&-
    # sshd's per-connection processes outlive the listener: end them first
    if [[ -n $SSHD_PID ]]; then
        local conns
        conns=$(sshd_conn_pids)
        # shellcheck disable=SC2086 # one pid a word
        [[ -n $conns ]] && kill $conns 2>/dev/null
    fi
    for pid in $PROXY_PIDS; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    for pid in $SSHD_PID $TELEPORT_PID; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in $SSHD_PID $TELEPORT_PID; do
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if ((status != 0)); then
        for f in teleport.log sshd.log; do
            [[ -f $TMP/$f ]] && { echo "--- last lines of $f" >&2; tail -n 20 "$TMP/$f" >&2; }
        done
    fi
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    if python3 -c 'pass' >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
        return
    fi
    local p
    for _ in $(seq 1 100); do
        p=$((20000 + RANDOM % 40000))
        [[ -z $(ss -Htln "sport = :$p") ]] && { echo "$p"; return; }
    done
    die "no free port found"
}

now_ns() { date +%s%N; }

# ---------------------------------------------------------------- teleport
AUTH_PORT=$(free_port)
NODE_PORT=$(free_port)
while [[ $NODE_PORT == "$AUTH_PORT" ]]; do NODE_PORT=$(free_port); done
NODENAME=bench-node
CLUSTER=bench.localhost
LOGIN=$(id -un)

cat >"$TMP/teleport.yaml" <<EOF
teleport:
  nodename: $NODENAME
  data_dir: $TMP/data
  log:
    output: stderr
    severity: INFO
  storage:
    type: dir
auth_service:
  enabled: "yes"
  cluster_name: $CLUSTER
  listen_addr: 127.0.0.1:$AUTH_PORT
ssh_service:
  enabled: "yes"
  listen_addr: 127.0.0.1:$NODE_PORT
proxy_service:
  enabled: "no"
EOF

tctl() { "$TCTL_BIN" -c "$TMP/teleport.yaml" "$@"; }

log "starting teleport (auth 127.0.0.1:$AUTH_PORT, node 127.0.0.1:$NODE_PORT)"
"$TELEPORT" start --config "$TMP/teleport.yaml" >"$TMP/teleport.log" 2>&1 &
TELEPORT_PID=$!
for _ in $(seq 1 300); do
    grep -q "Teleport process started" "$TMP/teleport.log" && break
    kill -0 "$TELEPORT_PID" 2>/dev/null || die "teleport exited during start"
    sleep 0.1
done
grep -q "Teleport process started" "$TMP/teleport.log" || die "teleport did not start in 30 s"

tctl users add bench --logins="$LOGIN" --roles=access >/dev/null
tctl auth sign --user=bench --out="$TMP/bench" --ttl=2h >/dev/null
[[ -f $TMP/bench && -f $TMP/bench-cert.pub ]] || die "tctl auth sign wrote no key/cert"
chmod 600 "$TMP/bench"
tctl auth export --type=host >"$TMP/known_hosts"
tctl auth export --type=user-ca-keys >"$TMP/user_ca.pub"
grep -q '^ssh-' "$TMP/user_ca.pub" || die "unexpected user CA export: $(cat "$TMP/user_ca.pub")"

# ---------------------------------------------------------------- sshd
SSHD_PORT=$(free_port)
while [[ $SSHD_PORT == "$AUTH_PORT" || $SSHD_PORT == "$NODE_PORT" ]]; do SSHD_PORT=$(free_port); done
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$TMP/ssh_host_ed25519_key"
cat >"$TMP/sshd_config" <<EOF
ListenAddress 127.0.0.1
HostKey $TMP/ssh_host_ed25519_key
TrustedUserCAKeys $TMP/user_ca.pub
AuthorizedKeysFile none
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
StrictModes no
PidFile $TMP/sshd.pid
Ciphers $CIPHER
MaxStartups $((K + 20))
MaxSessions 10
UseDNS no
PrintMotd no
PrintLastLog no
LogLevel ERROR
Subsystem sftp internal-sftp
EOF
"$SSHD" -t -f "$TMP/sshd_config" || die "sshd refused the config"
log "starting sshd (127.0.0.1:$SSHD_PORT)"
"$SSHD" -D -e -f "$TMP/sshd_config" -p "$SSHD_PORT" >"$TMP/sshd.log" 2>&1 &
SSHD_PID=$!
for _ in $(seq 1 100); do
    [[ -n $(ss -Htln "sport = :$SSHD_PORT") ]] && break
    kill -0 "$SSHD_PID" 2>/dev/null || die "sshd exited during start"
    sleep 0.1
done
[[ -n $(ss -Htln "sport = :$SSHD_PORT") ]] || die "sshd is not listening after 10 s"

# ---------------------------------------------------------------- emulated long link
OURS_PORT=$NODE_PORT
THEIRS_PORT=$SSHD_PORT
if ((RTT_MS > 0)); then
    half=$(awk -v r="$RTT_MS" 'BEGIN {print r / 2}')
    for target in NODE SSHD; do
        port=$(free_port)
        if [[ $target == NODE ]]; then
            OURS_PORT=$port
            to=$NODE_PORT
        else
            THEIRS_PORT=$port
            to=$SSHD_PORT
        fi
        python3 "$ROOT/benches/scripts/delay_proxy.py" "$port" "$to" "$half" 3600 \
            >>"$TMP/proxy.log" 2>&1 &
        PROXY_PIDS="$PROXY_PIDS $!"
        for _ in $(seq 1 100); do
            [[ -n $(ss -Htln "sport = :$port") ]] && break
            sleep 0.1
        done
        [[ -n $(ss -Htln "sport = :$port") ]] || die "the delay proxy did not start"
    done
    log "emulated round trip of $RTT_MS ms: ours via 127.0.0.1:$OURS_PORT, sshd via 127.0.0.1:$THEIRS_PORT"
fi

# ---------------------------------------------------------------- the client
# CLIENT alone (`-i` only) makes OpenSSH offer the plain key first and then its
# certificate; with CERT the certificate is offered first. Every workload but the
# "key-first" setup variant uses CERT.
CLIENT=(-F /dev/null -o "Ciphers=$CIPHER" -o BatchMode=yes -o IdentitiesOnly=yes
    -i "$TMP/bench" -o LogLevel=ERROR -o ConnectTimeout=10)
CERT=(-o CertificateFile="$TMP/bench-cert.pub")
SERVER_OURS=(-o UserKnownHostsFile="$TMP/known_hosts" -o StrictHostKeyChecking=yes
    -o HostKeyAlias="$NODENAME.$CLUSTER" -p "$OURS_PORT")
SERVER_SSHD=(-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -p "$THEIRS_PORT")
OURS=("${CLIENT[@]}" "${CERT[@]}" "${SERVER_OURS[@]}")
THEIRS=("${CLIENT[@]}" "${CERT[@]}" "${SERVER_SSHD[@]}")
DEST=$LOGIN@127.0.0.1

run_ssh() { # run_ssh ours|sshd SECONDS [-o OPTION | -s]... COMMAND...
    local who=$1 secs=$2 extra=()
    shift 2
    while [[ ${1:-} == -o || ${1:-} == -s ]]; do
        if [[ $1 == -o ]]; then extra+=("$1" "$2"); shift 2; else extra+=("$1"); shift; fi
    done
    if [[ $who == ours ]]; then
        timeout "$secs" ssh "${OURS[@]}" "${extra[@]}" "$DEST" "$@"
    else
        timeout "$secs" ssh "${THEIRS[@]}" "${extra[@]}" "$DEST" "$@"
    fi
}

kex_of() { # the key exchange, host key and cipher the client negotiated
    local -n opts=$2
    timeout 20 ssh -v "${opts[@]}" "$DEST" true 2>&1 |
        awk '/kex: algorithm:/ {k=$NF} /kex: host key algorithm:/ {h=$NF}
             /kex: server->client cipher:/ {c=$5} END {print k", "h", "c}'
}

log "checking that the same key + certificate logs in to both"
for who in ours sshd; do
    # shellcheck disable=SC2016 # expanded by the remote shell
    got=$(run_ssh "$who" 20 'echo hello-$(id -un)') || die "login to $who failed"
    [[ $got == "hello-$LOGIN" ]] || die "$who answered '$got'"
    bytes=$(run_ssh "$who" 60 'head -c 64M /dev/zero' | wc -c)
    [[ $bytes == 67108864 ]] || die "$who sent $bytes bytes instead of 64 MiB"
done
KEX_OURS=$(kex_of ours OURS)
KEX_SSHD=$(kex_of sshd THEIRS)

# ---------------------------------------------------------------- stats helpers
# percentile P (nearest rank) of the numbers on stdin
pct() { sort -g | awk -v p="$1" '{a[NR]=$1} END {r=int((p*NR+99)/100); if (r<1) r=1; print a[r]}'; }
best_of() { sort -g | tail -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }

kib_field() { # kib_field FILE FIELD -> value in KiB (0 if missing)
    awk -v f="$2:" '$1 == f {print $2; found=1} END {if (!found) print 0}' "$1" 2>/dev/null || echo 0
}

# ---------------------------------------------------------------- 3. memory
# Measured first, while the teleport process has served only the checks above (the
# transfers later would leave freed buffers in its heap for the sessions to reuse).
log "memory: $K idle sessions on each server"
FIFO=$TMP/hold
mkfifo "$FIFO"
exec 7<>"$FIFO"
HOLD_FD_OPEN=1

open_sessions() { # open_sessions ours|sshd -> waits until K say "ready" (at most 120 s)
    local who=$1 i ready=0
    if [[ $who == ours ]]; then local -n opts=OURS; else local -n opts=THEIRS; fi
    mkdir -p "$TMP/idle-$who"
    for ((i = 0; i < K; i++)); do
        # exec: $! is then timeout's own pid; 7>&-: the client must not hold the
        # FIFO's write end, or closing ours would never give it EOF
        (exec timeout 300 ssh "${opts[@]}" "$DEST" 'echo ready; exec cat' \
            <"$FIFO" >"$TMP/idle-$who/$i" 2>&1 7>&-) &
        CLIENT_PIDS+=($!)
        # a few at a time, as users arrive; keeps both servers' accept queues short
        ((i % 10 == 9)) && sleep 0.2
    done
    for _ in $(seq 1 1200); do
        ready=$(cat "$TMP/idle-$who"/* 2>/dev/null | grep -c '^ready$' || true)
        ((ready >= K)) && break
        sleep 0.1
    done
    ((ready >= K)) || die "only $ready of $K sessions to $who opened in 120 s"
}

close_sessions() {
    if ((${#CLIENT_PIDS[@]})); then
        kill "${CLIENT_PIDS[@]}" 2>/dev/null || true
        wait "${CLIENT_PIDS[@]}" 2>/dev/null || true
    fi
    CLIENT_PIDS=()
}

# warm both up with one session each so the first connection's one-off costs are not counted
run_ssh ours 20 true
run_ssh sshd 20 true
sleep 2
RSS_BEFORE=$(kib_field /proc/$TELEPORT_PID/status VmRSS)
PSS_BEFORE=$(kib_field /proc/$TELEPORT_PID/smaps_rollup Pss)
open_sessions ours
sleep 2
RSS_AFTER=$(kib_field /proc/$TELEPORT_PID/status VmRSS)
PSS_AFTER=$(kib_field /proc/$TELEPORT_PID/smaps_rollup Pss)
close_sessions
MEM_OURS=$(awk -v a="$RSS_AFTER" -v b="$RSS_BEFORE" -v k="$K" 'BEGIN {printf "%.0f", (a-b)/k}')
MEM_OURS_PSS=$(awk -v a="$PSS_AFTER" -v b="$PSS_BEFORE" -v k="$K" 'BEGIN {printf "%.0f", (a-b)/k}')

sleep 1
BASE_SSHD=$(sshd_conn_pids | wc -l)
open_sessions sshd
sleep 2
SSHD_PSS=0
SSHD_RSS=0
SSHD_PROCS=0
for pid in $(sshd_conn_pids); do
    SSHD_PSS=$((SSHD_PSS + $(kib_field "/proc/$pid/smaps_rollup" Pss)))
    SSHD_RSS=$((SSHD_RSS + $(kib_field "/proc/$pid/status" VmRSS)))
    SSHD_PROCS=$((SSHD_PROCS + 1))
done
close_sessions
MEM_SSHD=$(awk -v a="$SSHD_PSS" -v k="$K" 'BEGIN {printf "%.0f", a/k}')
MEM_SSHD_RSS=$(awk -v a="$SSHD_RSS" -v k="$K" 'BEGIN {printf "%.0f", a/k}')
exec 7>&-
HOLD_FD_OPEN=0
# the sessions' `cat`s end when their connections close; give both servers a moment
sleep 2
log "teleport VmRSS: $RSS_BEFORE KiB before, $RSS_AFTER KiB with $K sessions; sshd: $SSHD_PROCS processes (had $BASE_SSHD before)"

# ---------------------------------------------------------------- 2. session setup
# Four variants, interleaved (ours, sshd, ours, sshd, ...), wall clock per `ssh` run:
#   true     `ssh ... true`: the figure the target is about;
#   kex      the same with both sides on curve25519-sha256 (sshd otherwise picks
#            sntrup761x25519-sha512, which russh 0.65 does not offer);
#   nosh     `ssh ... -s nosuch`: connect, key exchange, login and a session channel
#            whose subsystem request both servers refuse, so no remote shell runs;
#   keyfirst `-i` without `-o CertificateFile`: OpenSSH then offers the plain key
#            before the certificate (as README's tour does).
KEYFIRST_N=5
log "session setup: $SETUP_N x each of 'ssh true', curve25519 'ssh true', 'ssh -s nosuch'; $KEYFIRST_N x key-first, on each server"
setup_once() { # setup_once VARIANT WHO -> appends microseconds to $TMP/setup-VARIANT-WHO
    local variant=$1 who=$2 t0 t1 err
    t0=$(now_ns)
    case $variant in
    true) run_ssh "$who" 20 true || die "'ssh true' to $who failed" ;;
    kex) run_ssh "$who" 20 -o KexAlgorithms=curve25519-sha256 true 2>/dev/null ||
        die "curve25519 'ssh true' to $who failed" ;;
    nosh)
        err=$(run_ssh "$who" 20 -s nosuch 2>&1 </dev/null) || true
        [[ $err == *"subsystem request failed"* ]] || die "'ssh -s nosuch' to $who: $err"
        ;;
    keyfirst)
        if [[ $who == ours ]]; then
            timeout 20 ssh "${CLIENT[@]}" "${SERVER_OURS[@]}" "$DEST" true
        else
            timeout 20 ssh "${CLIENT[@]}" "${SERVER_SSHD[@]}" "$DEST" true
        fi || die "key-first 'ssh true' to $who failed"
        ;;
    esac
    t1=$(now_ns)
    echo $(((t1 - t0) / 1000)) >>"$TMP/setup-$variant-$who"
}
for ((i = 0; i < SETUP_N; i++)); do
    for variant in true kex nosh; do
        for who in ours sshd; do setup_once "$variant" "$who"; done
    done
done
for ((i = 0; i < KEYFIRST_N; i++)); do
    for who in ours sshd; do setup_once keyfirst "$who"; done
done
ms() { awk '{printf "%.1f", $1 / 1000}'; }
declare -A P50 P90
for variant in true kex nosh keyfirst; do
    for who in ours sshd; do
        P50[$variant-$who]=$(pct 50 <"$TMP/setup-$variant-$who" | ms)
        P90[$variant-$who]=$(pct 90 <"$TMP/setup-$variant-$who" | ms)
    done
done

# ---------------------------------------------------------------- 1. throughput
# down: the brief's `ssh ... 'head -c 1G /dev/zero' > /dev/null`;
# up:   `ssh ... 'head -c 1G > /dev/null' < /dev/zero` (the client sends until the
#       command has read SIZE bytes and the channel closes).
# Wall clock of the whole `ssh` run, so each figure includes one session setup (about
# the `ssh true` p50 above); "net" divides by (wall - that p50) instead.
SIZE_BYTES=$(numfmt --from=iec "$SIZE")
log "throughput: $RUNS x download and upload of $SIZE on each server"
for ((i = 0; i < RUNS; i++)); do
    for dir in down up; do
        for who in ours sshd; do
            t0=$(now_ns)
            if [[ $dir == down ]]; then
                run_ssh "$who" 120 "head -c $SIZE /dev/zero" >/dev/null ||
                    die "download from $who failed"
            else
                run_ssh "$who" 120 "head -c $SIZE >/dev/null" </dev/zero ||
                    die "upload to $who failed"
            fi
            t1=$(now_ns)
            echo "$((t1 - t0))" >>"$TMP/tput-$dir-$who"
        done
    done
done
mibs() { # mibs SUBTRACT_MS: nanoseconds on stdin -> MiB/s, one per line
    awk -v b="$SIZE_BYTES" -v sub_ms="$1" '{printf "%.0f\n", b / 1048576 / (($1 / 1e9) - sub_ms / 1000)}'
}
declare -A TMED TBEST TNET TALL
for dir in down up; do
    for who in ours sshd; do
        f=$TMP/tput-$dir-$who
        TMED[$dir-$who]=$(mibs 0 <"$f" | pct 50)
        TBEST[$dir-$who]=$(mibs 0 <"$f" | best_of)
        TNET[$dir-$who]=$(mibs "${P50[true-$who]}" <"$f" | pct 50)
        TALL[$dir-$who]=$(mibs 0 <"$f" | paste -sd' ')
    done
done

# ---------------------------------------------------------------- report
verdict() { # verdict VALUE OP TARGET
    awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN {
        ok = (op == ">=") ? (v >= t) : (v <= t); print ok ? "met" : "NOT met" }'
}
R_TPUT=$(ratio "${TMED[down-ours]}" "${TMED[down-sshd]}")
R_SETUP=$(ratio "${P50[true-ours]}" "${P50[true-sshd]}")
row_t() { # row_t DIR LABEL
    echo "| $2 | ${TMED[$1-ours]} (best ${TBEST[$1-ours]}) | ${TMED[$1-sshd]} (best ${TBEST[$1-sshd]}) | $(ratio "${TMED[$1-ours]}" "${TMED[$1-sshd]}") (best $(ratio "${TBEST[$1-ours]}" "${TBEST[$1-sshd]}"))"
}
row_s() { # row_s VARIANT LABEL
    echo "| $2 | ${P50[$1-ours]} / ${P90[$1-ours]} | ${P50[$1-sshd]} / ${P90[$1-sshd]} | $(ratio "${P50[$1-ours]}" "${P50[$1-sshd]}")"
}

cat <<REPORT

Node vs OpenSSH sshd: $(uname -sm), $(nproc) CPUs; $($SSHD -V 2>&1 | head -n 1 || true)
client: $(ssh -V 2>&1); cipher $CIPHER; login $LOGIN (shell $(getent passwd "$LOGIN" | cut -d: -f7)); emulated RTT ${RTT_MS} ms
negotiated (kex, host key, cipher): ours [$KEX_OURS]; sshd [$KEX_SSHD]

| workload | ours (teleport node) | OpenSSH sshd | ours/sshd | target |
| --- | --- | --- | --- | --- |
$(row_t down "download $SIZE, MiB/s, median of $RUNS") | >= 1.5: $(verdict "$R_TPUT" ">=" 1.5) |
| download, net of one session setup, MiB/s (median) | ${TNET[down-ours]} | ${TNET[down-sshd]} | $(ratio "${TNET[down-ours]}" "${TNET[down-sshd]}") | |
$(row_t up "upload $SIZE, MiB/s, median of $RUNS") | |
| upload, net of one session setup, MiB/s (median) | ${TNET[up-ours]} | ${TNET[up-sshd]} | $(ratio "${TNET[up-ours]}" "${TNET[up-sshd]}") | |
$(row_s true "session setup \`ssh true\`, ms p50 / p90, n=$SETUP_N") | <= 0.5: $(verdict "$R_SETUP" "<=" 0.5) |
$(row_s kex "  same, both on curve25519-sha256") | |
$(row_s nosh "  no remote shell (\`ssh -s nosuch\`, refused subsystem)") | |
$(row_s keyfirst "  plain key offered before the cert (\`-i\` only), n=$KEYFIRST_N") | |
| memory per idle session, KiB, K=$K | $MEM_OURS (VmRSS delta; Pss delta $MEM_OURS_PSS) | $MEM_SSHD (Pss; VmRSS $MEM_SSHD_RSS) | $(ratio "$MEM_OURS" "$MEM_SSHD") | ours <= 200: $(verdict "$MEM_OURS" "<=" 200) |

download runs, MiB/s: ours ${TALL[down-ours]}; sshd ${TALL[down-sshd]}
upload runs, MiB/s:   ours ${TALL[up-ours]}; sshd ${TALL[up-sshd]}
memory: teleport VmRSS $RSS_BEFORE -> $RSS_AFTER KiB (Pss $PSS_BEFORE -> $PSS_AFTER) with $K sessions;
        sshd: $SSHD_PROCS per-connection sshd processes, Pss $SSHD_PSS KiB, VmRSS $SSHD_RSS KiB in all
REPORT

#!/usr/bin/env bash
# The cost of recording a maintenance session: `cat` of a 100 MB file over the session, once
# directly and once inside `clearbox maint record` (which runs cat on a pty of its own, copies
# the output to its terminal, and writes the hash-chained asciicast, fdatasync every second).
# Runs alternate (direct, recorded, direct, ...); the median wall times are compared.
#
#   bench/maint_record_bench.sh [--runs N] [--mb N] [--binary] [--ssh|--ssh-exec|--exec]
#     (default) a pty session without ssh: the reader is python3's pty module standing in
#               for sshd's side of the pty: the recorder's cost against the bare pty
#     --ssh:    a real session: `ssh -tt` to a private sshd on 127.0.0.1 (a port of its own,
#               a throw-away host key and client key, stopped at exit), whose ForceCommand
#               is `clearbox maint record` on the recorded runs. Needs openssh-server, root.
#     --ssh-exec: the same sshd, but `ssh host CMD` without a pty (as scp and scripted
#               maintenance run): the recorder takes its pipe path
#     --binary: random bytes instead of text (every invalid UTF-8 byte is written as a
#               4-byte escape: the worst case for the recording's size)
#     --exec:   the exec path instead (ssh host CMD, scp): no pty on either side, the reader
#               gets a pipe from `cat` or from `clearbox maint record --no-pty -- cat`
# Prints the medians of wall time and of CPU time (user + system, of everything the reader
# started), and "ratio recorded/direct: R (target <= 1.10)" for the wall time.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
CLEARBOX=${CLEARBOX:-$SRC/build/clearbox}
RUNS=5 MB=100 BINARY=0 MODE=pty SSH_TTY_FLAG=-tt
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --mb) MB=$2; shift 2 ;;
    --binary) BINARY=1; shift ;;
    --exec) MODE=exec; shift ;;
    --ssh) MODE=ssh; shift ;;
    --ssh-exec) MODE=ssh; SSH_TTY_FLAG=-T; shift ;;
    *) echo "usage: $0 [--runs N] [--mb N] [--binary] [--ssh|--ssh-exec|--exec]" >&2; exit 2 ;;
  esac
done
WORK=${BENCH_DIR:-$SRC/build/bench-maint}
mkdir -p "$WORK"
input=$WORK/input-$MB-$BINARY
if [[ ! -f $input ]]; then
  if [[ $BINARY == 1 ]]; then
    head -c "${MB}M" /dev/urandom >"$input"
  else  # log-like text: 100-column lines of base64
    head -c "$((MB * 3 / 4))M" /dev/urandom | base64 -w 99 >"$input"
  fi
fi
cat "$input" >/dev/null  # warm the page cache

# Runs ARGS on a pty (or, with --exec, with a pipe for stdout), reads everything as a
# terminal (or sshd) would; prints the wall time, the children's CPU time and the byte count.
timed() {
  python3 - "$MODE" "$@" <<'PY'
import os, pty, sys, time
mode, argv = sys.argv[1], sys.argv[2:]
t0 = time.monotonic()
if mode == "pty":
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
else:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.dup2(w, 1)
        os.close(r)
        devnull = os.open("/dev/null", os.O_RDONLY)
        os.dup2(devnull, 0)
        os.execvp(argv[0], argv)
    os.close(w)
    fd = r
n = 0
while True:
    try:
        d = os.read(fd, 1 << 16)
    except OSError:
        break
    if not d:
        break
    n += len(d)
_, st, ru = os.wait4(pid, 0)
if os.waitstatus_to_exitcode(st) != 0:
    sys.exit("command failed: %r" % argv)
print("%.3f %.3f %d" % (time.monotonic() - t0, ru.ru_utime + ru.ru_stime, n))
PY
}

direct_cmd=(cat "$input")
flags=(--no-input)
[[ $MODE == exec ]] && flags=(--no-pty)
recorded_cmd=("$CLEARBOX" maint record --out "$WORK/rec" --ticket BENCH --serial 1 --device bench
  "${flags[@]}" -- cat "$input")
if [[ $MODE == ssh ]]; then
  # Port P: a plain session; port P+1: the same sshd, ForceCommand clearbox maint record.
  S=$WORK/sshd
  rm -rf "$S" && mkdir -p "$S"
  ssh-keygen -q -t ed25519 -N '' -f "$S/host" && ssh-keygen -q -t ed25519 -N '' -f "$S/user"
  cp "$S/user.pub" "$S/authorized_keys"
  port=$((20000 + RANDOM % 20000))
  cat >"$S/sshd_config" <<CFG
ListenAddress 127.0.0.1
Port $port
Port $((port + 1))
HostKey $S/host
AuthorizedKeysFile $S/authorized_keys
PidFile $S/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin yes
Match LocalPort $((port + 1))
  ForceCommand $CLEARBOX maint record --out $WORK/rec --ticket BENCH --serial 1 --device bench --no-input
CFG
  # A throw-away device account with /bin/sh, as on a router: root's login shell here may be
  # bash with a heavy ~/.bashrc, which bash reads for every command sshd runs, so twice when
  # the recorder runs the command through the shell: that is not the recorder's cost.
  account=cbbench$$
  useradd -M -d / -s /bin/sh "$account"
  usermod -p '*' "$account"  # no password, not locked: sshd refuses locked accounts
  mkdir -p "$WORK/rec" && chown "$account" "$WORK/rec"
  chmod o+rx "$WORK" && chmod o+r "$input"
  [[ -d /run/sshd ]] || mkdir -m 0755 /run/sshd
  /usr/sbin/sshd -f "$S/sshd_config" -E "$S/sshd.log"
  trap 'kill "$(cat "$S/sshd.pid")" 2>/dev/null || true; userdel "$account" 2>/dev/null || true' EXIT
  sleep 0.5
  ssh_to() {
    echo ssh "$SSH_TTY_FLAG" -q -i "$S/user" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
      -o BatchMode=yes -p "$1" "$account@127.0.0.1"
  }
  read -ra direct_cmd <<<"$(ssh_to "$port") cat $input"
  read -ra recorded_cmd <<<"$(ssh_to $((port + 1))) cat $input"
  MODE=pipe  # the ssh client's stdout is read through a pipe; ssh itself asks for the pty
fi

direct=() recorded=() direct_cpu=() recorded_cpu=()
for ((i = 1; i <= RUNS; i++)); do
  read -r t c n < <(timed "${direct_cmd[@]}")
  direct+=("$t") direct_cpu+=("$c")
  rm -rf "$WORK"/rec/*
  read -r t2 c2 n2 < <(timed "${recorded_cmd[@]}")
  recorded+=("$t2") recorded_cpu+=("$c2")
  cast=$(ls "$WORK"/rec/*.cast)
  echo "run $i: direct ${t}s (cpu ${c}s), recorded ${t2}s (cpu ${c2}s); reader got $n / $n2 bytes; recording $(stat -c %s "$cast") bytes"
done
"$CLEARBOX" maint replay "$cast" --verify >/dev/null || { echo "the last recording does not verify" >&2; exit 1; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
md=$(median "${direct[@]}") mr=$(median "${recorded[@]}")
mdc=$(median "${direct_cpu[@]}") mrc=$(median "${recorded_cpu[@]}")
echo "input: $MB MB $([[ $BINARY == 1 ]] && echo random bytes || echo text), $([[ -n ${port:-} ]] && echo "ssh $SSH_TTY_FLAG" || echo "$MODE") path, $RUNS runs each, load average $(cut -d' ' -f1-3 /proc/loadavg)"
[[ -n ${port:-} ]] && echo "(cpu: of the ssh client only; the server side is not a child of the reader)"
echo "median direct:   ${md}s wall, ${mdc}s cpu"
echo "median recorded: ${mr}s wall, ${mrc}s cpu"
awk -v a="$mrc" -v b="$mdc" 'BEGIN {printf "cpu ratio recorded/direct: %.3f\n", a / b}'
awk -v a="$mr" -v b="$md" 'BEGIN {printf "ratio recorded/direct: %.3f (target <= 1.10)\n", a / b}'
rm -rf "$WORK/rec"

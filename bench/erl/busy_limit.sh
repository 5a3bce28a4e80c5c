#!/usr/bin/env bash
# Two local erl nodes (loopback only): b idles, a floods it once frozen
# (busy_limit.erl). Usage: busy_limit.sh EBIN [N SECONDS]
set -u
EBIN=$1; shift
COOKIE=snowbench
SUF="$$"
A="bl_a_$SUF@127.0.0.1"; B="bl_b_$SUF@127.0.0.1"
DIST=(-kernel inet_dist_use_interface '{127,0,0,1}')
erl -noshell -name "$B" -setcookie $COOKIE "${DIST[@]}" >/dev/null 2>&1 &
BPID=$!
erl -noshell -name "$A" -setcookie $COOKIE "${DIST[@]}" -pa "$EBIN" \
    -s busy_limit main "$B" "$@"
RC=$?
# a kills b (SIGKILL) at the end; make sure it is gone (by PID only).
for _ in $(seq 50); do kill -0 $BPID 2>/dev/null || break; sleep 0.1; done
if kill -0 $BPID 2>/dev/null; then kill -CONT $BPID; kill -9 $BPID; echo "warning: had to kill node b ($BPID)" >&2; fi
wait $BPID 2>/dev/null
exit $RC

#!/usr/bin/env bash
# Development/CI Elasticsearch: a single node run in-process by tools/elasticsearch (see its README).
#
#   scripts/elasticsearch.sh start    build the launcher if needed, start the node, wait until it answers
#   scripts/elasticsearch.sh stop     stop it (SIGTERM, then SIGKILL after 60 s)
#   scripts/elasticsearch.sh status   exit 0 and print the URL if it runs, exit 3 if not
#   scripts/elasticsearch.sh wait     wait until GET / answers
#
# Environment: HUICAI_ES_DIR (default /tmp/huicai-es: pid file, log, node data), HUICAI_ES_PORT (default 9200),
# HUICAI_ES_TIMEOUT (seconds, default 120), HUICAI_ES_CDS=0|1 (class-data sharing archive; default 1, 0 if CI=true),
# ES_JAVA_OPTS (appended to the defaults -Xms512m -Xmx1g -XX:TieredStopAtLevel=1 ..., so it wins).
# All commands are idempotent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOL_DIR="$ROOT/tools/elasticsearch"
JAR="$TOOL_DIR/target/huicai-es-launcher.jar"
JSA="$TOOL_DIR/target/huicai-es.jsa"
ES_DIR="${HUICAI_ES_DIR:-/tmp/huicai-es}"
PORT="${HUICAI_ES_PORT:-9200}"
TIMEOUT="${HUICAI_ES_TIMEOUT:-120}"
URL="http://127.0.0.1:${PORT}"
PID_FILE="$ES_DIR/elasticsearch.pid"
LOG_FILE="$ES_DIR/elasticsearch.out"

log() { echo "elasticsearch.sh: $*" >&2; }

# True when GET / answers 200.
answers() {
    if command -v curl >/dev/null 2>&1; then
        curl -fsS -o /dev/null --max-time 5 "$URL/" 2>/dev/null
    else
        python3 -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' "$URL/" 2>/dev/null
    fi
}

# Prints the pid of our launcher if it runs; the command-line check guards against a recycled pid.
running_pid() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(cat "$PID_FILE")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'huicai-es-launcher' || return 1
    echo "$pid"
}

build() {
    local stale=""
    if [[ ! -f "$JAR" || ! -d "$TOOL_DIR/target/lib" ]]; then
        stale="missing"
    elif [[ -n "$(find "$TOOL_DIR/pom.xml" "$TOOL_DIR/src" -newer "$JAR" -print -quit)" ]]; then
        stale="out of date"
    fi
    [[ -z "$stale" ]] && return 0
    command -v mvn >/dev/null || { log "mvn not found; install Maven and a JDK 17+"; return 1; }
    log "building the launcher ($stale)"
    # Offline first (fast, no network); online when the local Maven repository lacks something.
    # Build output goes to stderr: stdout carries only the URL.
    local -a mvn=(mvn -q -B -Dstyle.color=never)
    (cd "$TOOL_DIR" && { "${mvn[@]}" -o package >/dev/null 2>&1 || "${mvn[@]}" package >&2; })
    # maven-jar-plugin leaves an unchanged jar untouched; mark it as built from the current sources.
    touch "$JAR"
}

# True while the process in the pid file is alive. Unlike running_pid it does not check the command line: right
# after `setsid java … &` the child may still be the forked shell, not yet java (a race seen under load in CI).
# If setsid had to fork (its caller led a process group), $! was setsid's own short-lived pid: the java it started is
# then found by its arguments and written to the pid file instead.
process_alive() {
    [[ -f "$PID_FILE" ]] || return 1
    kill -0 "$(cat "$PID_FILE")" 2>/dev/null && return 0
    local found
    found="$(pgrep -f -- "--http-port $PORT --data-dir $ES_DIR/node" | head -n 1 || true)"
    [[ -n "$found" ]] || return 1
    echo "$found" >"$PID_FILE"
}

wait_ready() {
    local deadline=$((SECONDS + TIMEOUT))
    until answers; do
        if [[ -f "$PID_FILE" ]] && ! process_alive; then
            log "the node exited during start-up; last lines of $LOG_FILE:"
            tail -n 40 "$LOG_FILE" >&2 || true
            return 1
        fi
        if ((SECONDS >= deadline)); then
            log "no answer from $URL after ${TIMEOUT}s; see $LOG_FILE and $ES_DIR/node/logs/"
            return 1
        fi
        sleep 1
    done
    echo "$URL"
}

start() {
    mkdir -p "$ES_DIR/tmp"
    exec 9>"$ES_DIR/.lock"
    flock 9
    if running_pid >/dev/null; then
        wait_ready
        return
    fi
    if answers; then
        log "something else already answers on $URL; stop it or set HUICAI_ES_PORT"
        return 1
    fi
    build
    command -v java >/dev/null || { log "java not found; install a JDK 17+"; return 1; }
    # The Netty flags are those of the official distribution's jvm.options. TieredStopAtLevel=1 (C1 JIT only)
    # halves the CPU of start-up and of short bulk loads, which is all a test node does; -XX:TieredStopAtLevel=4
    # in ES_JAVA_OPTS restores the C2 compiler.
    local -a opts=(-Xms512m -Xmx1g -XX:+UseG1GC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError
        "-Djava.io.tmpdir=$ES_DIR/tmp" -Dfile.encoding=UTF-8
        -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true -Dio.netty.recycler.maxCapacityPerThread=0)
    # Class-data sharing: the first run after a build records the loaded classes when the node stops, later runs
    # map them and start in about half the CPU time. HUICAI_ES_CDS=0 turns it off; a stale archive is ignored.
    # Off by default under CI (CI=true): a fresh clone rebuilds the jar, so its archive would never be reused.
    local cds_default=1
    [[ "${CI:-}" == true ]] && cds_default=0
    if [[ "${HUICAI_ES_CDS:-$cds_default}" != 0 ]]; then
        if [[ -f "$JSA" && "$JSA" -nt "$JAR" ]]; then
            opts+=("-XX:SharedArchiveFile=$JSA")
        else
            rm -f "$JSA"
            opts+=("-XX:ArchiveClassesAtExit=$JSA")
        fi
        opts+=(-Xlog:cds=off -Xlog:cds+dynamic=off)
    fi
    # shellcheck disable=SC2206  # ES_JAVA_OPTS is a list of words on purpose
    opts+=(${ES_JAVA_OPTS:-})
    log "starting Elasticsearch on $URL (log $LOG_FILE)"
    # setsid: the node outlives this shell and its process group; 9>&-: it must not inherit the lock.
    setsid java "${opts[@]}" -jar "$JAR" --http-port "$PORT" --data-dir "$ES_DIR/node" \
        >>"$LOG_FILE" 2>&1 </dev/null 9>&- &
    echo $! >"$PID_FILE"
    wait_ready
}

stop() {
    local pid
    if ! pid="$(running_pid)"; then
        rm -f "$PID_FILE"
        log "not running"
        return 0
    fi
    kill -TERM "$pid"
    # up to 60 s: the first stop after a build also writes the class-data archive
    for _ in $(seq 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid did not stop within 60s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PID_FILE"
    log "stopped"
}

status() {
    local pid
    if pid="$(running_pid)"; then
        if answers; then
            echo "running (pid $pid) at $URL"
        else
            echo "starting (pid $pid), $URL not answering yet"
        fi
        return 0
    fi
    echo "not running"
    return 3
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    wait) wait_ready ;;
    *)
        echo "usage: $0 start|stop|status|wait" >&2
        exit 2
        ;;
esac

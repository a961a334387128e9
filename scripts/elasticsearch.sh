#!/usr/bin/env bash
# Development/CI Elasticsearch run in-process by tools/elasticsearch (see its README): one node by default, or a
# cluster of HUICAI_ES_NODES nodes on this machine.
#
#   scripts/elasticsearch.sh start [I]   build the launcher if needed, start the node(s), wait until they answer
#                                        (a cluster: until all its nodes have joined); I: node I of a cluster only
#   scripts/elasticsearch.sh stop [I]    stop them (SIGTERM, then SIGKILL after 60 s)
#   scripts/elasticsearch.sh kill I      SIGKILL node I of a cluster, as a crash would (no clean shutdown)
#   scripts/elasticsearch.sh status [I]  exit 0 and print the URL(s) if all run, exit 3 if one does not
#   scripts/elasticsearch.sh wait        wait until GET / answers (a cluster: on every node, all nodes joined)
#   scripts/elasticsearch.sh urls        print the URL(s), comma-separated, without starting anything
#
# Environment: HUICAI_ES_DIR (default /tmp/huicai-es: pid file, log, node data), HUICAI_ES_PORT (default 9200),
# HUICAI_ES_TIMEOUT (seconds, default 120), HUICAI_ES_CDS=0|1 (class-data sharing archive; default 1, 0 if CI=true),
# ES_JAVA_OPTS (appended to the defaults -Xms512m -Xmx1g -XX:TieredStopAtLevel=1 ..., so it wins).
# A cluster: HUICAI_ES_NODES=N (default 1) starts nodes huicai-es-1..N, HTTP on HUICAI_ES_PORT..+N-1, transport on
# HUICAI_ES_TRANSPORT_PORT..+N-1 (default HUICAI_ES_PORT+100), data in $HUICAI_ES_DIR/node<I>, pid files
# node<I>.pid, output node<I>.out; heap -Xms256m -Xmx512m per node. stdout carries only the URL(s): the last line of
# `start` is the node's URL, or the cluster's URLs comma-separated (what ELASTICSEARCH_URL accepts).
# All commands are idempotent. Run every command with the same HUICAI_ES_NODES the cluster was started with.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOL_DIR="$ROOT/tools/elasticsearch"
JAR="$TOOL_DIR/target/huicai-es-launcher.jar"
JSA="$TOOL_DIR/target/huicai-es.jsa"
ES_DIR="${HUICAI_ES_DIR:-/tmp/huicai-es}"
BASE_PORT="${HUICAI_ES_PORT:-9200}"
NODES="${HUICAI_ES_NODES:-1}"
BASE_TRANSPORT_PORT="${HUICAI_ES_TRANSPORT_PORT:-$((BASE_PORT + 100))}"
TIMEOUT="${HUICAI_ES_TIMEOUT:-120}"

log() { echo "elasticsearch.sh: $*" >&2; }

[[ "$NODES" =~ ^[1-9][0-9]*$ ]] || { log "HUICAI_ES_NODES must be a positive number, not '$NODES'"; exit 2; }

# Selects node I: sets PORT, URL, NODE_DIR, PID_FILE, LOG_FILE (and, in a cluster, NODE_NAME, TRANSPORT_PORT).
# A single node keeps the paths it always had (elasticsearch.pid, elasticsearch.out, node/).
select_node() {
    local i=$1
    PORT=$((BASE_PORT + i - 1))
    URL="http://127.0.0.1:${PORT}"
    if ((NODES == 1)); then
        NODE_DIR="$ES_DIR/node"
        PID_FILE="$ES_DIR/elasticsearch.pid"
        LOG_FILE="$ES_DIR/elasticsearch.out"
    else
        NODE_DIR="$ES_DIR/node$i"
        PID_FILE="$ES_DIR/node$i.pid"
        LOG_FILE="$ES_DIR/node$i.out"
        NODE_NAME="huicai-es-$i"
        TRANSPORT_PORT=$((BASE_TRANSPORT_PORT + i - 1))
    fi
}

all_urls() {
    local i urls=()
    for ((i = 1; i <= NODES; i++)); do
        select_node "$i"
        urls+=("$URL")
    done
    (IFS=,; echo "${urls[*]}")
}

# True when GET $1 answers 2xx.
http_ok() {
    if command -v curl >/dev/null 2>&1; then
        curl -fsS -o /dev/null --max-time "${2:-5}" "$1" 2>/dev/null
    else
        python3 -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2]))' \
            "$1" "${2:-5}" 2>/dev/null
    fi
}

# True when GET / of the selected node answers 200.
answers() { http_ok "$URL/"; }

# Prints the pid of the selected node's launcher if it runs; the command-line check guards against a recycled pid.
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

# True while the process in the selected node's pid file is alive. Unlike running_pid it does not check the command
# line: right after `setsid java … &` the child may still be the forked shell, not yet java (a race seen under load
# in CI). If setsid had to fork (its caller led a process group), $! was setsid's own short-lived pid: the java it
# started is then found by its arguments and written to the pid file instead.
process_alive() {
    [[ -f "$PID_FILE" ]] || return 1
    kill -0 "$(cat "$PID_FILE")" 2>/dev/null && return 0
    local found
    found="$(pgrep -f -- "--http-port $PORT --data-dir $NODE_DIR( |\$)" | head -n 1 || true)"
    [[ -n "$found" ]] || return 1
    echo "$found" >"$PID_FILE"
}

# Runs "$@" every second until it succeeds; fails (saying why) when the node's process exits ("exited $1") or the
# shared deadline $DEADLINE passes (message $2).
wait_until() {
    local while_doing=$1 too_late=$2
    shift 2
    until "$@"; do
        if [[ -f "$PID_FILE" ]] && ! process_alive; then
            log "the node on $URL exited $while_doing; last lines of $LOG_FILE:"
            tail -n 40 "$LOG_FILE" >&2 || true
            return 1
        fi
        if ((SECONDS >= DEADLINE)); then
            log "$too_late"
            return 1
        fi
        sleep 1
    done
}

# Waits until the selected node answers (until the shared deadline $DEADLINE); in a cluster, until it sees all
# NODES nodes (it has joined the cluster, which has a master).
wait_node() {
    wait_until "during start-up" "no answer from $URL after ${TIMEOUT}s; see $LOG_FILE and $NODE_DIR/logs/" answers \
        || return 1
    ((NODES == 1)) && return 0
    wait_until "while joining" "$URL does not see $NODES nodes after ${TIMEOUT}s; see $NODE_DIR/logs/" \
        http_ok "$URL/_cluster/health?wait_for_nodes=$NODES&timeout=5s" 10
}

# Nodes named by the command's argument (one node of a cluster), or all.
nodes_of() {
    if [[ -n "${1:-}" ]]; then
        [[ "$1" =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= NODES)) || {
            log "no node '$1' (HUICAI_ES_NODES=$NODES)"
            return 2
        }
        echo "$1"
    else
        seq 1 "$NODES"
    fi
}

wait_ready() {
    local i nodes
    DEADLINE=$((SECONDS + TIMEOUT))
    nodes="$(nodes_of "${1:-}")"
    for i in $nodes; do
        select_node "$i"
        wait_node
    done
    [[ -n "${1:-}" ]] && echo "$URL" || all_urls
}

# Launches the selected node in the background (no wait).
launch() {
    # The Netty flags are those of the official distribution's jvm.options. TieredStopAtLevel=1 (C1 JIT only)
    # halves the CPU of start-up and of short bulk loads, which is all a test node does; -XX:TieredStopAtLevel=4
    # in ES_JAVA_OPTS restores the C2 compiler. A cluster's nodes get half the heap each.
    local -a heap=(-Xms512m -Xmx1g)
    ((NODES > 1)) && heap=(-Xms256m -Xmx512m)
    local -a opts=("${heap[@]}" -XX:+UseG1GC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError
        "-Djava.io.tmpdir=$ES_DIR/tmp" -Dfile.encoding=UTF-8
        -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true -Dio.netty.recycler.maxCapacityPerThread=0)
    # Class-data sharing: the first run after a build records the loaded classes when the node stops, later runs
    # map them and start in about half the CPU time. HUICAI_ES_CDS=0 turns it off; a stale archive is ignored.
    # Off by default under CI (CI=true): a fresh clone rebuilds the jar, so its archive would never be reused.
    # In a cluster only node 1 records the archive (two JVMs must not write one file).
    local cds_default=1
    [[ "${CI:-}" == true ]] && cds_default=0
    if [[ "${HUICAI_ES_CDS:-$cds_default}" != 0 ]]; then
        if [[ -f "$JSA" && "$JSA" -nt "$JAR" ]]; then
            opts+=("-XX:SharedArchiveFile=$JSA")
        elif [[ "$PORT" == "$BASE_PORT" ]]; then
            rm -f "$JSA"
            opts+=("-XX:ArchiveClassesAtExit=$JSA")
        fi
        opts+=(-Xlog:cds=off -Xlog:cds+dynamic=off)
    fi
    # shellcheck disable=SC2206  # ES_JAVA_OPTS is a list of words on purpose
    opts+=(${ES_JAVA_OPTS:-})
    local -a args=(--http-port "$PORT" --data-dir "$NODE_DIR")
    if ((NODES > 1)); then
        local i seeds=() names=()
        for ((i = 1; i <= NODES; i++)); do
            seeds+=("127.0.0.1:$((BASE_TRANSPORT_PORT + i - 1))")
            names+=("huicai-es-$i")
        done
        args+=(--node-name "$NODE_NAME" --transport-port "$TRANSPORT_PORT" --seed-hosts "$(IFS=,; echo "${seeds[*]}")")
        # Bootstrapping names the first master nodes once, when the cluster forms; a node that has data already
        # belongs to a cluster and rejoins it through the seed hosts.
        if [[ ! -d "$NODE_DIR/data/_state" ]]; then
            args+=(--initial-master-nodes "$(IFS=,; echo "${names[*]}")")
        fi
    fi
    log "starting Elasticsearch on $URL (log $LOG_FILE)"
    # setsid: the node outlives this shell and its process group; 9>&-: it must not inherit the lock.
    setsid java "${opts[@]}" -jar "$JAR" "${args[@]}" >>"$LOG_FILE" 2>&1 </dev/null 9>&- &
    echo $! >"$PID_FILE"
}

start() {
    local i nodes started=0
    nodes="$(nodes_of "${1:-}")"
    mkdir -p "$ES_DIR/tmp"
    exec 9>"$ES_DIR/.lock"
    flock 9
    for i in $nodes; do
        select_node "$i"
        running_pid >/dev/null && continue
        if answers; then
            log "something else already answers on $URL; stop it or set HUICAI_ES_PORT"
            return 1
        fi
        if ((started == 0)); then
            build
            command -v java >/dev/null || { log "java not found; install a JDK 17+"; return 1; }
        fi
        launch
        started=$((started + 1))
    done
    wait_ready "${1:-}"
}

stop_one() {
    local pid
    if ! pid="$(running_pid)"; then
        rm -f "$PID_FILE"
        log "not running ($URL)"
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
    log "stopped ($URL)"
}

stop() {
    local i nodes pids=()
    nodes="$(nodes_of "${1:-}")"
    if [[ "$nodes" != *[[:space:]]* ]]; then
        select_node "$nodes"
        stop_one
        return
    fi
    for i in $nodes; do  # a cluster's nodes stop side by side
        select_node "$i"
        stop_one &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i"; done
}

kill_node() {
    [[ -n "${1:-}" ]] || { log "kill needs a node number"; return 2; }
    local pid node
    node="$(nodes_of "$1")"
    select_node "$node"
    if pid="$(running_pid)"; then
        kill -KILL "$pid"
        while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
        log "killed node $1 ($URL, pid $pid)"
    else
        log "node $1 is not running"
    fi
    rm -f "$PID_FILE"
}

status() {
    local i nodes pid rc=0
    nodes="$(nodes_of "${1:-}")"
    for i in $nodes; do
        select_node "$i"
        if pid="$(running_pid)"; then
            if answers; then
                echo "running (pid $pid) at $URL"
            else
                echo "starting (pid $pid), $URL not answering yet"
            fi
        else
            echo "not running${NODE_NAME:+ ($URL)}"
            rc=3
        fi
    done
    return $rc
}

case "${1:-}" in
    start) start "${2:-}" ;;
    stop) stop "${2:-}" ;;
    kill) kill_node "${2:-}" ;;
    status) status "${2:-}" ;;
    wait) wait_ready "${2:-}" ;;
    urls) all_urls ;;
    *)
        echo "usage: $0 start|stop|status|wait [NODE] | kill NODE | urls" >&2
        exit 2
        ;;
esac

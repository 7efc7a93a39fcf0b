# Sourced by ./trapdoor and ./run-tests: sets JAVA_HOME to a JDK >= 25 or explains why it cannot.
# Order: $JAVA_HOME if it is one, then the newest /usr/lib/jvm/* that is, then the java on PATH.

trapdoor_jdk_major() {
    local v
    v=$("$1/bin/java" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')
    v=${v%%.*}
    case "$v" in ''|*[!0-9]*) echo 0 ;; *) echo "$v" ;; esac
}

trapdoor_find_jdk() {
    local want=25 best="" best_major=0 d m
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] && [ "$(trapdoor_jdk_major "$JAVA_HOME")" -ge $want ]; then
        return 0
    fi
    for d in /usr/lib/jvm/*; do
        [ -x "$d/bin/javac" ] || continue
        m=$(trapdoor_jdk_major "$d")
        if [ "$m" -ge $want ] && [ "$m" -gt "$best_major" ]; then best=$d; best_major=$m; fi
    done
    if [ -z "$best" ] && command -v java >/dev/null 2>&1; then
        d=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
        if [ -x "$d/bin/javac" ] && [ "$(trapdoor_jdk_major "$d")" -ge $want ]; then best=$d; fi
    fi
    if [ -z "$best" ]; then
        echo "trapdoor: needs a JDK $want or newer; none found in JAVA_HOME or /usr/lib/jvm (install e.g. temurin-25-jdk)." >&2
        return 1
    fi
    export JAVA_HOME=$best
}

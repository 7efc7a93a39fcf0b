# Sourced by the scripts that run mains from runtime's test classes (benchmarks, the differential
# tester, the fuzzer, the objdump corpus check). trapdoor_test_main_setup ROOT LOG compiles the
# runtime with its test classes and sets JAVA, CP and JFLAGS (the parent pom's trapdoor.jvm.flags,
# the flags ./trapdoor uses).
# shellcheck source=scripts/lib/jdk.sh
. "$(dirname "${BASH_SOURCE[0]}")/jdk.sh"

trapdoor_test_main_setup() {
    local root=$1 log=${2:-/dev/null}
    trapdoor_find_jdk || return 1
    local cpfile="$root/runtime/target/test-main-classpath.txt"
    if ! (cd "$root" && { mvn -B -o -q -pl runtime test-compile || mvn -B -q -pl runtime test-compile; } >"$log" 2>&1 \
            && mvn -B -o -q -pl runtime dependency:build-classpath -Dmdep.outputFile="$cpfile" >>"$log" 2>&1); then
        echo "trapdoor: maven build failed${log:+ (see $log)}" >&2
        return 1
    fi
    JAVA="$JAVA_HOME/bin/java"
    CP="$root/runtime/target/test-classes:$root/runtime/target/classes:$(cat "$cpfile")"
    read -r -a JFLAGS <<<"$(sed -n 's:.*<trapdoor.jvm.flags>\(.*\)</trapdoor.jvm.flags>.*:\1:p' "$root/pom.xml")"
}

#!/usr/bin/env bash
# The Kotlin/JVM bindings (bindings/kotlin) and their example (examples/kotlin).
#
#   1. `mvn install` on bindings/kotlin: cargo builds the divex-ffi cdylib, uniffi-bindgen
#      generates the Kotlin bindings from it, kotlin-maven-plugin compiles them with the facade,
#      JUnit 5 runs the full PC 1000 flow, the error classes and every spec vector, and the jar
#      (with the native library inside) goes to the local Maven repository;
#   2. the example, built against that jar, runs: a treatment provider reports a drug test to a
#      court and the court opens it.
#
# Needs: a JDK 17+, Maven 3.8+ and the Rust toolchain (rustup). Maven downloads the Kotlin
# compiler, JNA and JUnit from Maven Central on first use. MVN_FLAGS adds Maven flags (e.g.
# MVN_FLAGS=-o offline); DIVEX_KOTLIN_RELEASE=1 builds the optimised cdylib (-Prelease).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v java >/dev/null || { echo "test-kotlin.sh: java (JDK 17+) not found" >&2; exit 1; }
command -v mvn >/dev/null || { echo "test-kotlin.sh: mvn (Maven 3.8+) not found" >&2; exit 1; }

mvn_flags=(-B -q -Dstyle.color=never ${MVN_FLAGS:-})
if [[ "${DIVEX_KOTLIN_RELEASE:-0}" == 1 ]]; then
  mvn_flags+=(-Prelease)
fi

echo "--> bindings/kotlin: build the cdylib, generate the bindings, compile, test, install"
# `clean` first: bindings generated and classes compiled by an older checkout (another package,
# a removed type) would otherwise be compiled and linked with the new ones. The cdylib is
# cargo's, under the workspace target/, so cleaning costs only the Kotlin compile.
mvn "${mvn_flags[@]}" -Dcargo.flags=--quiet -f bindings/kotlin clean install

for report in bindings/kotlin/target/surefire-reports/*.txt; do
  sed -n 's/^Tests run:/  Tests run:/p' "$report"
done

echo "--> examples/kotlin: a treatment provider reports a drug test to a court"
mvn "${mvn_flags[@]}" -f examples/kotlin compile exec:java

#!/usr/bin/env bash
# Fuzzes occam's four targets (occam::fuzz_targets: sql_frontend, wire, value_codecs, keycode) for MINUTES
# in all (default 60), a quarter each. With cargo-fuzz and a nightly toolchain it runs libFuzzer
# (`cargo +nightly fuzz run`, AddressSanitizer) on a scratch copy of the committed corpus, so new inputs stay
# under target/; otherwise the stable harness (crates/occam/tests/fuzz_smoke.rs) in rounds with random
# seeds. Any crash stops the run: libFuzzer leaves it in fuzz/artifacts/<target>/, the harness in
# target/fuzz-smoke/. Fix it, then keep the input as a regression seed in fuzz/corpus/<target>/.
#
#   bench/fuzz.sh                 # 60 minutes
#   bench/fuzz.sh 10
#   FUZZ_ENGINE=stable bench/fuzz.sh 10      # the stable harness even where cargo-fuzz is installed
#   FUZZ_JOBS=4 bench/fuzz.sh 60             # libFuzzer: parallel jobs per target
#   FUZZ_TIMEOUT=5 bench/fuzz.sh 10          # libFuzzer: an input running 5 s counts as a hang (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-60}
targets=(sql_frontend wire value_codecs keycode)
seconds_each=$(( minutes * 60 / ${#targets[@]} ))
engine=${FUZZ_ENGINE:-}
if [[ -z $engine ]]; then
    if cargo fuzz --version >/dev/null 2>&1 && rustup run nightly rustc --version >/dev/null 2>&1; then
        engine=libfuzzer
    else
        engine=stable
    fi
fi
echo "fuzzing ${targets[*]} for ${minutes} minutes (${seconds_each}s each) with ${engine}"

if [[ $engine == libfuzzer ]]; then
    for target in "${targets[@]}"; do
        scratch=target/fuzz-corpus/$target
        mkdir -p "$scratch"
        cp -n fuzz/corpus/"$target"/* "$scratch"/ 2>/dev/null || true
        echo "== $target"
        # -timeout: a hang is an input that runs 60 s (each statement has a 250 ms statement_timeout).
        parallel=()
        if (( ${FUZZ_JOBS:-1} > 1 )); then
            # libFuzzer's fork mode: its jobs log to fuzz-N.log in the current directory.
            parallel=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS")
        fi
        cargo +nightly fuzz run --fuzz-dir fuzz "$target" "$scratch" -- \
            -max_total_time="$seconds_each" -timeout="${FUZZ_TIMEOUT:-60}" -rss_limit_mb=4096 -max_len=4096 \
            -print_final_stats=1 "${parallel[@]}"
    done
else
    # Rounds of 60 s per target, each with a new random seed, until the time is used.
    round=$(( seconds_each < 60 ? seconds_each : 60 ))
    rounds=$(( seconds_each / round ))
    cargo test -q -p occam --test fuzz_smoke --no-run
    for (( i = 1; i <= rounds; i++ )); do
        seed=$(( (RANDOM << 15) | RANDOM ))
        echo "== round $i/$rounds, seed $seed (replay: OCCAM_FUZZ_SEED=$seed OCCAM_FUZZ_SECONDS=$round)"
        log=target/fuzz-smoke/round.log
        mkdir -p target/fuzz-smoke
        if ! OCCAM_FUZZ_SEED=$seed OCCAM_FUZZ_SECONDS=$round \
            cargo test -q -p occam --test fuzz_smoke -- --nocapture >"$log" 2>&1; then
            grep -E "panicked|saved" "$log" || tail -20 "$log"
            echo "crash found; inputs under target/fuzz-smoke/ (an abort leaves the input in <target>.last)"
            exit 1
        fi
        grep -E "^fuzz target" "$log" || true
    done
fi
echo "fuzzing finished without a crash"

//! libFuzzer driver for `occam::fuzz_targets::value_codecs` (see that module for what it checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    occam::fuzz_targets::install_panic_hook(|| std::process::abort());
    occam::fuzz_targets::value_codecs(data)
});

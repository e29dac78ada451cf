#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| otelcost::fuzzing::usage_map(data));

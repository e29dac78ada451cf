//! The fuzz targets' entry points on their committed seed corpora (fuzz/corpus/<target>/)
//! and on inputs that once failed, so `cargo test` runs what the fuzzers start from and
//! keeps every crash they found fixed (none so far: see fuzz/README.md). Each entry point
//! must return without panicking whatever the bytes.

use otelcost::fuzzing;
use std::path::Path;

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target)] = &[
    ("json_request", fuzzing::json_request),
    ("protobuf_request", fuzzing::protobuf_request),
    ("chunker", fuzzing::chunker),
    ("whole_path", fuzzing::whole_path),
    ("price_overrides", fuzzing::price_overrides),
    ("rules", fuzzing::rules),
    ("usage_map", fuzzing::usage_map),
    ("http_body", fuzzing::http_body),
];

#[test]
fn every_target_takes_its_seed_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for (name, target) in TARGETS {
        let dir = root.join(name);
        let mut seeds = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            target(&bytes);
            // Cut short, every seed is a truncated input too.
            target(&bytes[..bytes.len() / 2]);
            seeds += 1;
        }
        assert!(seeds > 0, "no seeds for {name}");
    }
}

/// Hostile shapes for every target: empty, one byte, huge lengths, deep nesting, bad
/// compression headers.
#[test]
fn every_target_takes_hostile_shapes() {
    let deep = [b"[".repeat(100_000), b"]".repeat(100_000)].concat();
    let inputs: &[&[u8]] = &[
        b"",
        b"\x00",
        b"\xff\xff\xff\xff",
        b"\x0a\xff\xff\xff\xff\x0f",
        b"\x01\x7f\xff\xff\xff",
        b"\x03\x28\xb5\x2f\xfd\x00\x00",
        b"\x03\x1f\x8b\x08\x00\x00\x00\x00\x00",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff",
        br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"gen_ai.usage.input_tokens","value":{"doubleValue":1e400}}]}]}]}]}"#,
        b"[[model]]\nid = \"x\"\ninput_mtok = 1e99999999999\n",
        b"[dimensions]\nteam = [\"a\", \"b\"]\n[[rule]]\n",
        &deep,
    ];
    for (_, target) in TARGETS {
        for input in inputs {
            target(input);
        }
    }
}

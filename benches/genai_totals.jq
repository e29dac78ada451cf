# benches/genai_totals.jq — the jq peer of the scale benchmark: per response model, the
# GenAI calls and token totals of an OTLP/JSON-lines trace dump (one ExportTraceServiceRequest
# per line, as the Collector file exporter and shared/bench/gen_otlp.py write them).
#
#   jq -nr -f benches/genai_totals.jq dump.jsonl
#
# Prints one tab-separated row per model: model, requests, input (non-cached: input_tokens
# minus cache_read), cache_read, output, reasoning; the columns check_totals.py --tsv reads.
# A span is a call when it carries gen_ai.response.model. jq counts in doubles, exact up to
# 2^53 tokens per total.

# The span's attributes as one object: key -> value (int64 values are strings in OTLP/JSON).
def attrs: reduce (.attributes // [])[] as $kv ({}; .[$kv.key] = ($kv.value | .stringValue // .intValue // .doubleValue));
def n($key): (.[$key] // 0) | tonumber;

reduce (inputs | .resourceSpans[]?.scopeSpans[]?.spans[]? | attrs | select(has("gen_ai.response.model"))) as $a ({};
  ($a | n("gen_ai.usage.cache_read.input_tokens")) as $cache_read
  | .[$a["gen_ai.response.model"]] |= {
      requests: (.requests + 1),
      input: (.input + ($a | n("gen_ai.usage.input_tokens")) - $cache_read),
      cache_read: (.cache_read + $cache_read),
      output: (.output + ($a | n("gen_ai.usage.output_tokens"))),
      reasoning: (.reasoning + ($a | n("gen_ai.usage.reasoning.output_tokens")))
    })
| to_entries[]
| [.key, .value.requests, .value.input, .value.cache_read, .value.output, .value.reasoning]
| @tsv

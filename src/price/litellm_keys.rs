// Included by src/price/load.rs and by build.rs (which keeps only these fields of the
// bundled LiteLLM map): one list for both.

/// Key prefixes of the LiteLLM fields read (tiers share the prefix).
const LITELLM_KEYS: &[&str] = &[
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "output_cost_per_reasoning_token",
    "mode",
    "litellm_provider",
];

//! Provider names as telemetry writes them, and the catalog provider each one means:
//! shared by extract (is a provider well known?) and price (which catalog provider?).

/// Telemetry provider names (`gen_ai.provider.name`, `gen_ai.system`, LiteLLM provider
/// names) that are not themselves genai-prices ids or caught by `provider_match`.
pub fn alias(s: &str) -> Option<&'static str> {
    Some(match s {
        "gcp.vertex_ai" | "gcp.gemini" | "gcp.gen_ai" | "vertex_ai" | "vertex_ai_beta" | "vertexai" | "vertex"
        | "gemini" | "google_genai" | "google.genai" | "google_ai_studio" => "google",
        "aws.bedrock" | "aws" | "bedrock" | "bedrock_converse" | "amazon_bedrock" | "aws_bedrock"
        | "amazon-bedrock" => "aws",
        "azure.ai.openai" | "azure.ai.inference" | "az.ai.openai" | "az.ai.inference" | "azure" | "azure_ai"
        | "azure_openai" => "azure",
        "xai" | "x_ai" | "x.ai" | "x-ai" => "x-ai",
        "mistral_ai" | "mistralai" => "mistral",
        "together_ai" | "together-ai" | "togetherai" => "together",
        "fireworks_ai" | "fireworks-ai" => "fireworks",
        "moonshot" => "moonshotai",
        "openai" => "openai",
        "anthropic" => "anthropic",
        _ => return None,
    })
}

/// Whether a telemetry provider name is a well-known provider (`openai`, `aws.bedrock`,
/// …): for such calls the server address cannot change the price and is not kept.
pub fn is_well_known(name: &str) -> bool {
    // Asked per call: most names are already lower case, and need no lowered copy.
    let name = name.trim();
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        alias(&name.to_ascii_lowercase()).is_some()
    } else {
        alias(name).is_some()
    }
}

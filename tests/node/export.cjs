// Exports CALLS chat spans (semconv gen_ai usage) with the Node SDK's OTLP/HTTP JSON
// exporter to $OTEL_EXPORTER_OTLP_ENDPOINT, two spans a request. Run by tests/live.rs
// with NODE_PATH pointing at the modules .ci/run installed.
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { resourceFromAttributes } = require('@opentelemetry/resources');

const calls = Number(process.env.CALLS || 3);
const exporter = new OTLPTraceExporter({ url: `${process.env.OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces` });
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'live-node' }),
  spanProcessors: [new BatchSpanProcessor(exporter, { maxExportBatchSize: 2, scheduledDelayMillis: 100 })],
});
const tracer = provider.getTracer('live-node');
for (let i = 0; i < calls; i++) {
  const span = tracer.startSpan('chat gpt-4o-mini', {
    kind: 2, // CLIENT
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': 2000 + i,
      'gen_ai.usage.output_tokens': 300,
    },
  });
  span.end();
}
provider.shutdown().then(
  () => process.exit(0),
  (e) => { console.error('export failed:', e); process.exit(1); },
);

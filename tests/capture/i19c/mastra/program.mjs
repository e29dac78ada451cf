// Mastra (@mastra/core Agent) + @mastra/observability + @mastra/otel-exporter (custom OTLP/HTTP protobuf
// endpoint = the local sink). Model: AI SDK OpenAI-compatible provider pointed at the fake OpenAI API.
// Calls: agent with long instructions twice (cache miss, hit), o4-mini (reasoning), stream (includeUsage),
// tool agent (tool call + answer), stream with the provider's default settings (no includeUsage).
import { Mastra } from '@mastra/core/mastra';
import { Agent } from '@mastra/core/agent';
import { createTool } from '@mastra/core/tools';
import { Observability } from '@mastra/observability';
import { OtelExporter } from '@mastra/otel-exporter';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { z } from 'zod';

const BASE = process.env.FAKE_URL + '/v1';
const fake = createOpenAICompatible({ name: 'fakeai', baseURL: BASE, apiKey: 'sk-fake-local', includeUsage: true });
const fakeDefault = createOpenAICompatible({ name: 'fakeai-default', baseURL: BASE, apiKey: 'sk-fake-local' });
const BIG = 'You are a helpful cooking assistant that converts all units to metric. '.repeat(8).trim();

const getWeather = createTool({
  id: 'get_weather',
  description: 'weather for a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => `Rain, 7C in ${city}`,
});

const mastra = new Mastra({
  agents: {
    cook: new Agent({ id: 'cook', name: 'cook', instructions: BIG, model: fake.chatModel('gpt-4o-mini') }),
    thinker: new Agent({ id: 'thinker', name: 'thinker', instructions: 'Think hard.', model: fake.chatModel('o4-mini') }),
    weather: new Agent({ id: 'weather', name: 'weather', instructions: 'You answer weather questions.',
                         model: fake.chatModel('gpt-4o-mini'), tools: { get_weather: getWeather } }),
    punster: new Agent({ id: 'punster', name: 'punster', instructions: 'Make puns.', model: fake.chatModel('gpt-4.1-mini') }),
    punsterDefault: new Agent({ id: 'punster-default', name: 'punster-default', instructions: 'Make puns.',
                                model: fakeDefault.chatModel('gpt-4.1-mini') }),
  },
  observability: new Observability({
    configs: {
      otel: {
        serviceName: 'mastra-capture',
        exporters: [new OtelExporter({ provider: { custom: { endpoint: process.env.OTLP_ENDPOINT + '/v1/traces',
                                                              protocol: 'http/protobuf' } } })],
      },
    },
  }),
});

const show = (label, r) => console.log(label, JSON.stringify(r.text), JSON.stringify(r.usage ?? r.totalUsage));
show('cook1', await mastra.getAgent('cook').generate('Convert 2 cups of flour.'));
show('cook2', await mastra.getAgent('cook').generate('Convert 350F.'));
show('thinker', await mastra.getAgent('thinker').generate('Is 97 prime?'));
{
  const s = await mastra.getAgent('punster').stream('A pun about bread.');
  let t = ''; for await (const c of s.textStream) t += c;
  console.log('stream', JSON.stringify(t), JSON.stringify(await s.usage));
}
{
  const r = await mastra.getAgent('weather').generate('Weather in Oslo?', { maxSteps: 3 });
  console.log('weather', JSON.stringify(r.text), JSON.stringify(r.usage), JSON.stringify(r.totalUsage), 'steps', r.steps?.length);
}
{
  const s = await mastra.getAgent('punsterDefault').stream('Another pun about bread.');
  let t = ''; for await (const c of s.textStream) t += c;
  console.log('stream-default', JSON.stringify(t), JSON.stringify(await s.usage));
}
await new Promise((r) => setTimeout(r, 1000));
await mastra.shutdown();
console.log('done');

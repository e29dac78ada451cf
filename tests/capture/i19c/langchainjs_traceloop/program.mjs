// LangChain JS (@langchain/openai) + Traceloop Node SDK (@traceloop/node-server-sdk) -> OTLP/HTTP sink.
// TL_MODE=default : traceloop.initialize() with no instrumentModules (the LangChain callback instrumentation is
//                   always on; the openai-module hook cannot patch ESM imports).
// TL_MODE=openai  : also instrumentModules: { openAI: OpenAI } (the documented way for ESM apps), i.e. both the
//                   LangChain and the OpenAI instrumentations.
// Calls: long system prompt twice (cache miss, hit), o4-mini (reasoning), stream (langchain default streamUsage),
//        bindTools round trip (tool call + answer).
import * as traceloop from '@traceloop/node-server-sdk';
import OpenAI from 'openai';

const mode = process.env.TL_MODE || 'default';
traceloop.initialize({
  appName: `langchainjs-traceloop-${mode}`,
  baseUrl: process.env.OTLP_ENDPOINT,
  apiKey: 'tl-fake-local',
  disableBatch: true,
  traceloopSyncEnabled: false,
  ...(mode === 'openai' ? { instrumentModules: { openAI: OpenAI, langchain: true } } : {}),
});

const { ChatOpenAI } = await import('@langchain/openai');
const { HumanMessage, SystemMessage, ToolMessage } = await import('@langchain/core/messages');
const { tool } = await import('@langchain/core/tools');
const { z } = await import('zod');

const cfg = { configuration: { baseURL: process.env.FAKE_URL + '/v1' }, apiKey: 'sk-fake-local', maxRetries: 0 };
const BIG = 'You are a helpful cooking assistant that converts all units to metric. '.repeat(8).trim();
const llm = new ChatOpenAI({ model: 'gpt-4o-mini', ...cfg });

for (const q of ['Convert 2 cups of flour.', 'Convert 350F.']) {
  const r = await llm.invoke([new SystemMessage(BIG), new HumanMessage(q)]);
  console.log('invoke', JSON.stringify(r.content), JSON.stringify(r.usage_metadata));
}
{
  const r = await new ChatOpenAI({ model: 'o4-mini', ...cfg }).invoke('Is 97 prime?');
  console.log('o4-mini', JSON.stringify(r.usage_metadata));
}
{
  let acc;
  for await (const c of await new ChatOpenAI({ model: 'gpt-4.1-mini', ...cfg }).stream('A pun about bread.')) {
    acc = acc ? acc.concat(c) : c;
  }
  console.log('stream', JSON.stringify(acc.content), JSON.stringify(acc.usage_metadata));
}
{
  const getWeather = tool(async ({ city }) => `Rain, 7C in ${city}`, {
    name: 'get_weather', description: 'weather for a city', schema: z.object({ city: z.string() }),
  });
  const withTools = llm.bindTools([getWeather]);
  const msgs = [new HumanMessage('Weather in Oslo?')];
  const ai = await withTools.invoke(msgs);
  console.log('tool call', JSON.stringify(ai.tool_calls), JSON.stringify(ai.usage_metadata));
  msgs.push(ai);
  for (const tc of ai.tool_calls) msgs.push(new ToolMessage({ content: await getWeather.invoke(tc.args), tool_call_id: tc.id }));
  const ai2 = await withTools.invoke(msgs);
  console.log('answer', JSON.stringify(ai2.content), JSON.stringify(ai2.usage_metadata));
}
await traceloop.forceFlush();
await new Promise((r) => setTimeout(r, 1500));
console.log('done');
process.exit(0);

// The official openai client (4.x) against `llmrt serve`: a chat completion, a streamed one and a
// text completion, each of whose text must equal the greedy text the test driver
// (test_server.py, case openai_node) computed with `llmrt generate`. Inputs come in environment
// variables: LLMRT_BASE_URL, LLMRT_MODEL_ID, LLMRT_MAX_TOKENS, LLMRT_CHAT_CONTENT,
// LLMRT_CHAT_EXPECTED, LLMRT_PROMPT, LLMRT_COMPLETION_EXPECTED.
import assert from "node:assert/strict";
import OpenAI from "openai";

const env = (name) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const client = new OpenAI({ baseURL: env("LLMRT_BASE_URL"), apiKey: "test-key", maxRetries: 0, timeout: 20000 });
const model = env("LLMRT_MODEL_ID");
const maxTokens = Number(env("LLMRT_MAX_TOKENS"));
const messages = [{ role: "user", content: env("LLMRT_CHAT_CONTENT") }];

const chat = await client.chat.completions.create({ model, messages, max_tokens: maxTokens, temperature: 0 });
assert.equal(chat.object, "chat.completion");
assert.equal(chat.choices[0].message.role, "assistant");
assert.equal(chat.choices[0].message.content, env("LLMRT_CHAT_EXPECTED"));
assert.ok(["stop", "length"].includes(chat.choices[0].finish_reason));
assert.equal(chat.usage.total_tokens, chat.usage.prompt_tokens + chat.usage.completion_tokens);

const stream = await client.chat.completions.create({
  model, messages, max_tokens: maxTokens, temperature: 0, stream: true,
});
let streamed = "";
let finish = null;
for await (const chunk of stream) {
  assert.equal(chunk.object, "chat.completion.chunk");
  streamed += chunk.choices[0].delta.content ?? "";
  finish = chunk.choices[0].finish_reason ?? finish;
}
assert.equal(streamed, env("LLMRT_CHAT_EXPECTED"));
assert.equal(finish, chat.choices[0].finish_reason);

const completion = await client.completions.create({
  model, prompt: env("LLMRT_PROMPT"), max_tokens: maxTokens, temperature: 0,
});
assert.equal(completion.object, "text_completion");
assert.equal(completion.choices[0].text, env("LLMRT_COMPLETION_EXPECTED"));

const models = await client.models.list();
assert.ok(models.data.some((m) => m.id === model));
console.log("openai client: chat, streamed chat, completion and models ok");

// OpenAI's response shapes: whole completions, streamed chunks as server-sent events, usage and
// error objects. Only building JSON here; the routes decide what to send when.
#pragma once

#include "api_error.h"
#include "job.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace cli::serve {

// What every object of one response repeats.
struct ResponseMeta {
    std::string id;       // "chatcmpl-N" or "cmpl-N"
    int64_t created = 0;  // Unix seconds
    std::string model;
    bool chat = false;
};

// number: distinct per response within the process (the routes count them).
ResponseMeta make_meta(bool chat, const std::string &model, uint64_t number);

nlohmann::ordered_json usage_json(int32_t n_prompt, int32_t n_completion);
// One answer of a request (a request with n > 1 has several).
struct Choice {
    std::string text;
    std::string finish_reason;
    bool with_logprobs = false;
    std::vector<TokenLogprob> logprobs;
};

// OpenAI's logprobs object for tokens: chat {"content": [{token, logprob, bytes, top_logprobs}]};
// completions {"tokens", "token_logprobs", "top_logprobs", "text_offset"}, offsets counted from
// text_offset (the bytes of the answer before these tokens).
nlohmann::ordered_json logprobs_json(bool chat, const std::vector<TokenLogprob> &tokens, size_t text_offset);

// A whole (non-streamed) chat.completion or text_completion.
nlohmann::ordered_json completion_json(const ResponseMeta &m, const std::vector<Choice> &choices, int32_t n_prompt,
                                       int32_t n_completion);
// One streamed chunk. Chat: delta is {"role": ...} or {"content": ...} or {} with the finish reason;
// text completions carry the text itself. finish_reason "" is sent as null.
// logprobs: logprobs_json of the chunk's tokens, or null.
nlohmann::ordered_json chunk_json(const ResponseMeta &m, int index, const std::string &text, bool role_only,
                                  const std::string &finish_reason,
                                  nlohmann::ordered_json logprobs = nlohmann::ordered_json());
// The last chunk with stream_options.include_usage: no choices, the usage.
nlohmann::ordered_json usage_chunk_json(const ResponseMeta &m, int32_t n_prompt, int32_t n_completion);

nlohmann::ordered_json error_json(const ApiError &e);

// "data: <json>\n\n"; invalid UTF-8 (never expected: pieces are whole characters) becomes U+FFFD.
std::string sse_event(const nlohmann::ordered_json &value);
std::string sse_done();
// value.dump() with the same replacement, for plain responses.
std::string dump(const nlohmann::ordered_json &value);

}  // namespace cli::serve

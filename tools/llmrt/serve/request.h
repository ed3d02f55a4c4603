// Parsing and validation of the JSON bodies of /v1/completions and /v1/chat/completions into a
// plain struct. Every problem (malformed JSON, a field of the wrong type or out of range) is an
// ApiError(400) naming the field, so the routes never see a half-valid request.
#pragma once

#include "llmrt.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace cli::serve {

struct GenerationRequest {
    bool chat = false;
    bool stream = false;
    bool include_usage = false;            // stream_options.include_usage
    nlohmann::json messages;               // chat: [{role, content: string}, ...]
    std::string prompt;                    // completion: text
    std::vector<llmrt_token> prompt_ids;   // completion: ids given instead of text
    bool prompt_is_ids = false;
    int32_t max_tokens = -1;               // -1: until the context is full
    int32_t n = 1;                         // answers to generate
    bool seeded = false;                   // the request gave a seed
    std::vector<std::string> stop;
    llmrt_sampler_params sampling{};       // its logit_bias is unset: see logit_bias
    std::vector<llmrt_logit_bias> logit_bias;
    int32_t top_logprobs = -1;             // -1: no logprobs; else each token's and this many more
};

// The body as JSON; malformed text or anything but an object is an ApiError(400).
nlohmann::json parse_json_object(const std::string &body);

// The fields of a completion (chat = false) or chat completion request; n_vocab bounds the ids
// of logit_bias and of a prompt given as ids.
GenerationRequest parse_generation_request(const nlohmann::json &body, bool chat, int32_t n_vocab);

// /tokenize's content and /detokenize's tokens.
std::string parse_tokenize_content(const nlohmann::json &body);
bool parse_add_special(const nlohmann::json &body);
std::vector<llmrt_token> parse_token_ids(const nlohmann::json &value, const std::string &param, int32_t n_vocab);

}  // namespace cli::serve

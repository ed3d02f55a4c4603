#include "request.h"

#include "api_error.h"

#include <cmath>

namespace cli::serve {

using json = nlohmann::json;

namespace {

const char *type_name(const json &v) { return v.type_name(); }

ApiError wrong_type(const std::string &param, const char *want, const json &got) {
    return invalid_request("'" + param + "' must be " + want + ", not " + type_name(got), param, "invalid_type");
}

// The field if present and not null; OpenAI's clients send null for "unset".
const json *field(const json &body, const char *name) {
    const auto it = body.find(name);
    return it == body.end() || it->is_null() ? nullptr : &*it;
}

double number_in(const json &body, const char *name, double fallback, double lo, double hi) {
    const json *v = field(body, name);
    if (!v) return fallback;
    if (!v->is_number()) throw wrong_type(name, "a number", *v);
    const double x = v->get<double>();
    if (!std::isfinite(x) || x < lo || x > hi) {
        throw invalid_request("'" + std::string(name) + "' must be between " + json(lo).dump() + " and " +
                                  json(hi).dump(),
                              name, "out_of_range");
    }
    return x;
}

int64_t integer_in(const json &body, const char *name, int64_t fallback, int64_t lo, int64_t hi) {
    const json *v = field(body, name);
    if (!v) return fallback;
    // 4.0 is accepted as 4, as Python's OpenAI servers do; 4.5 is not an integer.
    if (!v->is_number() || (v->is_number_float() && std::trunc(v->get<double>()) != v->get<double>())) {
        throw wrong_type(name, "an integer", *v);
    }
    const double x = v->get<double>();
    if (x < static_cast<double>(lo) || x > static_cast<double>(hi)) {
        throw invalid_request("'" + std::string(name) + "' must be between " + std::to_string(lo) + " and " +
                                  std::to_string(hi),
                              name, "out_of_range");
    }
    return v->is_number_unsigned() ? static_cast<int64_t>(v->get<uint64_t>()) : v->get<int64_t>();
}

bool boolean(const json &body, const char *name, bool fallback) {
    const json *v = field(body, name);
    if (!v) return fallback;
    if (!v->is_boolean()) throw wrong_type(name, "a boolean", *v);
    return v->get<bool>();
}

std::vector<std::string> parse_stop(const json &body) {
    const json *v = field(body, "stop");
    if (!v) return {};
    if (v->is_string()) return {v->get<std::string>()};
    if (!v->is_array()) throw wrong_type("stop", "a string or an array of strings", *v);
    if (v->size() > 16) throw invalid_request("'stop' may hold at most 16 strings", "stop");
    std::vector<std::string> out;
    for (const json &s : *v) {
        if (!s.is_string()) throw wrong_type("stop", "a string or an array of strings", s);
        if (!s.get<std::string>().empty()) out.push_back(s.get<std::string>());
    }
    return out;
}

// OpenAI's {"token id": bias}; ids are strings because JSON keys are.
std::vector<llmrt_logit_bias> parse_logit_bias(const json &body, int32_t n_vocab) {
    const json *v = field(body, "logit_bias");
    if (!v) return {};
    if (!v->is_object()) throw wrong_type("logit_bias", "an object of token id to bias", *v);
    std::vector<llmrt_logit_bias> out;
    for (const auto &[key, bias] : v->items()) {
        char *end = nullptr;
        const long id = std::strtol(key.c_str(), &end, 10);
        if (key.empty() || *end != '\0' || id < 0 || id >= n_vocab) {
            throw invalid_request("'logit_bias': '" + key + "' is not a token id of this model", "logit_bias");
        }
        if (!bias.is_number() || !std::isfinite(bias.get<double>()) || std::fabs(bias.get<double>()) > 100.0) {
            throw invalid_request("'logit_bias': biases are numbers from -100 to 100", "logit_bias");
        }
        out.push_back({static_cast<llmrt_token>(id), bias.get<float>()});
    }
    return out;
}

llmrt_sampler_params parse_sampling(const json &body) {
    llmrt_sampler_params p;
    llmrt_sampler_params_init(&p);
    p.temperature = static_cast<float>(number_in(body, "temperature", p.temperature, 0.0, 2.0));
    p.top_p = static_cast<float>(number_in(body, "top_p", p.top_p, 0.0, 1.0));
    p.min_p = static_cast<float>(number_in(body, "min_p", p.min_p, 0.0, 1.0));
    p.top_k = static_cast<int32_t>(integer_in(body, "top_k", p.top_k, 0, 1 << 30));
    p.presence_penalty = static_cast<float>(number_in(body, "presence_penalty", 0.0, -2.0, 2.0));
    p.frequency_penalty = static_cast<float>(number_in(body, "frequency_penalty", 0.0, -2.0, 2.0));
    const json *seed = field(body, "seed");
    if (seed) p.seed = static_cast<uint64_t>(integer_in(body, "seed", 0, 0, INT64_MAX));
    return p;
}

// A message's content: a string, or OpenAI's array of parts of which the text ones are kept.
std::string message_text(const json &content) {
    if (content.is_string()) return content.get<std::string>();
    if (!content.is_array()) throw wrong_type("messages", "messages whose content is a string or an array of parts", content);
    std::string text;
    for (const json &part : content) {
        if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") ||
            !part["text"].is_string()) {
            throw invalid_request("'messages': only text content parts are supported", "messages", "unsupported");
        }
        text += part["text"].get<std::string>();
    }
    return text;
}

json parse_messages(const json &body) {
    const json *v = field(body, "messages");
    if (!v) throw invalid_request("'messages' is required", "messages");
    if (!v->is_array() || v->empty()) throw invalid_request("'messages' must be a non-empty array", "messages");
    json out = json::array();
    for (const json &m : *v) {
        if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
            throw invalid_request("each message needs a string 'role'", "messages");
        }
        json copy = m;  // other fields (name, tool_calls, ...) go to the template as they are
        copy["content"] = m.contains("content") && !m["content"].is_null() ? message_text(m["content"]) : "";
        out.push_back(std::move(copy));
    }
    return out;
}

void parse_prompt(const json &body, int32_t n_vocab, GenerationRequest &r) {
    const json *v = field(body, "prompt");
    if (!v) throw invalid_request("'prompt' is required", "prompt");
    if (v->is_string()) {
        r.prompt = v->get<std::string>();
        return;
    }
    if (v->is_array() && v->size() == 1 && (*v)[0].is_string()) {
        r.prompt = (*v)[0].get<std::string>();
        return;
    }
    if (v->is_array() && !v->empty() && (*v)[0].is_number()) {
        r.prompt_ids = parse_token_ids(*v, "prompt", n_vocab);
        r.prompt_is_ids = true;
        return;
    }
    if (v->is_array() && v->empty()) throw invalid_request("the prompt is empty", "prompt");
    if (v->is_array()) throw invalid_request("several prompts in one request are not supported", "prompt", "unsupported");
    throw wrong_type("prompt", "a string or an array of token ids", *v);
}

ApiError unsupported(const std::string &param) {
    return invalid_request("'" + param + "' is not supported by this server", param, "unsupported");
}

// Chat: logprobs (a boolean) and top_logprobs (0 to 20, with logprobs only); completions: logprobs
// (0 to 5: the chosen token's and that many alternatives). -1 when not asked.
int32_t parse_logprobs(const json &body, bool chat) {
    if (!chat) return static_cast<int32_t>(integer_in(body, "logprobs", -1, 0, 5));
    const auto top = static_cast<int32_t>(integer_in(body, "top_logprobs", 0, 0, 20));
    if (!boolean(body, "logprobs", false)) {
        if (field(body, "top_logprobs")) throw invalid_request("'top_logprobs' needs 'logprobs': true", "top_logprobs");
        return -1;
    }
    return top;
}

// OpenAI fields this server does not implement: refused when they ask for something, rather than
// answered as if they had not been given; their types are checked all the same.
void refuse_unsupported(const json &body, bool chat) {
    if (!chat && boolean(body, "echo", false)) throw unsupported("echo");
    if (!chat && integer_in(body, "best_of", 1, 1, 128) > 1) throw unsupported("best_of");
    if (const json *suffix = field(body, "suffix")) {
        if (!suffix->is_string()) throw wrong_type("suffix", "a string", *suffix);
        if (!suffix->get<std::string>().empty()) throw unsupported("suffix");
    }
    if (const json *tools = field(body, "tools")) {
        if (!tools->is_array()) throw wrong_type("tools", "an array", *tools);
        if (!tools->empty()) throw unsupported("tools");
    }
    if (const json *format = field(body, "response_format")) {
        if (!format->is_object()) throw wrong_type("response_format", "an object", *format);
        if (format->value("type", "text") != "text") throw unsupported("response_format");
    }
    if (const json *user = field(body, "user"); user && !user->is_string()) throw wrong_type("user", "a string", *user);
}

}  // namespace

json parse_json_object(const std::string &body) {
    json value = json::parse(body, nullptr, false);
    if (value.is_discarded()) throw invalid_request("the request body is not valid JSON", "", "invalid_json");
    if (!value.is_object()) throw invalid_request("the request body must be a JSON object", "", "invalid_json");
    return value;
}

GenerationRequest parse_generation_request(const json &body, bool chat, int32_t n_vocab) {
    GenerationRequest r;
    r.chat = chat;
    if (const json *model = field(body, "model"); model && !model->is_string()) {
        throw wrong_type("model", "a string", *model);
    }
    if (chat) {
        r.messages = parse_messages(body);
    } else {
        parse_prompt(body, n_vocab, r);
    }
    const char *max_name = chat && field(body, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
    r.max_tokens = static_cast<int32_t>(integer_in(body, max_name, -1, 1, 1 << 30));
    refuse_unsupported(body, chat);
    r.n = static_cast<int32_t>(integer_in(body, "n", 1, 1, 128));
    r.seeded = field(body, "seed") != nullptr;
    r.stream = boolean(body, "stream", false);
    if (const json *opts = field(body, "stream_options")) {
        if (!opts->is_object()) throw wrong_type("stream_options", "an object", *opts);
        r.include_usage = boolean(*opts, "include_usage", false);
    }
    r.stop = parse_stop(body);
    r.sampling = parse_sampling(body);
    r.logit_bias = parse_logit_bias(body, n_vocab);
    r.top_logprobs = parse_logprobs(body, chat);
    return r;
}

std::string parse_tokenize_content(const json &body) {
    const json *v = field(body, "content");
    if (!v) throw invalid_request("'content' is required", "content");
    if (!v->is_string()) throw wrong_type("content", "a string", *v);
    return v->get<std::string>();
}

bool parse_add_special(const json &body) { return boolean(body, "add_special", false); }

std::vector<llmrt_token> parse_token_ids(const json &value, const std::string &param, int32_t n_vocab) {
    if (!value.is_array()) throw wrong_type(param, "an array of token ids", value);
    std::vector<llmrt_token> ids;
    for (const json &t : value) {
        if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() >= n_vocab) {
            throw invalid_request("'" + param + "' must hold token ids from 0 to " + std::to_string(n_vocab - 1), param);
        }
        ids.push_back(static_cast<llmrt_token>(t.get<int64_t>()));
    }
    return ids;
}

}  // namespace cli::serve

#include "runtime/chat_prompt.h"

#include "core/error.h"

namespace llmrt {

const char kPlainTranscriptTemplate[] =
    "{% for m in messages %}"
    "{% if m.role == 'system' %}{{ m.content + '\\n\\n' }}"
    "{% elif m.role == 'user' %}{{ 'User: ' + m.content + '\\n' }}"
    "{% else %}{{ 'Assistant:' + m.content + '\\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";

namespace {

// An answer in the plain transcript ends where the model starts the user's next line.
const char kPlainTranscriptStop[] = "\nUser:";

std::string trim(const std::string &s) {
    const size_t begin = s.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) return "";
    return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

}  // namespace

std::vector<int32_t> tokenize_rendered_chat(const Tokenizer &tok, const std::string &text) {
    bool add_bos = true;
    if (tok.bos() >= 0) {
        const std::string bos_text = tok.decode({tok.bos()}, false);
        add_bos = bos_text.empty() || text.compare(0, bos_text.size(), bos_text) != 0;
    }
    return tok.encode(text, add_bos, true);
}

std::vector<std::string> answer_stops(const std::string &tmpl, const chat::ChatTemplateOptions &options) {
    if (tmpl == kPlainTranscriptTemplate) return {kPlainTranscriptStop};
    // What the template writes after a probe answer.
    const std::string marker = "\x01llmrt-answer\x01";
    try {
        nlohmann::ordered_json probe = nlohmann::ordered_json::array();
        probe.push_back({{"role", "user"}, {"content", "hi"}});
        probe.push_back({{"role", "assistant"}, {"content", marker}});
        chat::ChatTemplateOptions o = options;
        o.add_generation_prompt = false;
        const std::string text = chat::render_chat_template(tmpl, probe, o);
        const size_t at = text.rfind(marker);
        const std::string end = at == std::string::npos ? "" : trim(text.substr(at + marker.size()));
        if (!end.empty()) return {end};
    } catch (const Error &) {
        // A template that refuses this probe conversation may still work for real ones.
    }
    return {};
}

}  // namespace llmrt

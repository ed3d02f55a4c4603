// Renders every case of ../shared/reference/chat-templates.json (real chat templates rendered by
// Jinja2 3.1.2 as transformers sets it up) and requires byte-identical output, or an error where
// Jinja2 raised one. The variables passed follow the file's `engine.render_call`.
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "chat/chat_template.h"
#include "chat/jinja_error.h"

namespace {

using json = nlohmann::ordered_json;
using llmrt::chat::ChatTemplateOptions;
using llmrt::chat::render_chat_template;
using llmrt::jinja::JinjaError;

// Cases llmrt cannot yet render identically, as "template/conversation/add_generation_prompt",
// each with the reason. Keep empty when everything passes.
const std::set<std::string> kExpectedFailures = {};

json load_reference() {
    std::ifstream in(std::string(LLMRT_SHARED_DIR) + "/reference/chat-templates.json");
    if (!in) return json();
    return json::parse(in);
}

// engine.globals.strftime_now: the fixed time 2025-03-14T15:09:26 (a Friday).
std::tm fixed_now() {
    std::tm tm{};
    tm.tm_year = 2025 - 1900;
    tm.tm_mon = 2;
    tm.tm_mday = 14;
    tm.tm_hour = 15;
    tm.tm_min = 9;
    tm.tm_sec = 26;
    tm.tm_wday = 5;
    tm.tm_yday = 72;
    return tm;
}

// engine.render_call: messages, tools (None when absent), documents=None, add_generation_prompt,
// every special token the template's tokenizer_config lists, and the case's extra_kwargs.
ChatTemplateOptions options_for(const json &tmpl, const json &c) {
    ChatTemplateOptions o;
    o.add_generation_prompt = c.at("add_generation_prompt").get<bool>();
    o.tools = c.contains("tools") ? c["tools"] : json();
    o.extra = tmpl.at("special_tokens");
    if (c.contains("extra_kwargs")) o.extra.update(c["extra_kwargs"]);
    // The README: firefunction-v2 also gets `functions` (json.dumps(tools, indent=2), "" without
    // tools) and a fixed `datetime`, as llama.cpp's common/chat.cpp passes them.
    if (tmpl.at("name").get<std::string>().find("firefunction") != std::string::npos) {
        o.extra["functions"] = c.contains("tools") ? llmrt::chat::render_template(
                                                         "{{ tools | tojson(true, 2, (',', ': ')) }}",
                                                         json{{"tools", c["tools"]}}, fixed_now())
                                                   : "";
        o.extra["datetime"] = "Mar 14 2025 15:09:26 GMT";
    }
    o.now = fixed_now();
    return o;
}

struct Outcome {
    bool ok = false;
    std::string detail;
};

Outcome run_case(const json &tmpl, const json &c) {
    const std::string text = tmpl.at("template").get<std::string>();
    std::string got;
    try {
        got = render_chat_template(text, c.at("messages"), options_for(tmpl, c));
    } catch (const JinjaError &e) {
        if (!c.contains("error")) return {false, std::string("raised ") + e.what()};
        // "<ExceptionType>: <message>" exactly as Jinja2 reported it.
        const std::string want = c["error"].get<std::string>();
        if (want == e.what()) return {true, ""};
        return {false, std::string("error '") + e.what() + "', expected '" + want + "'"};
    }
    if (c.contains("error")) return {false, "rendered, expected error " + c["error"].get<std::string>()};
    const std::string want = c.at("output").get<std::string>();
    if (got == want) return {true, ""};
    size_t at = 0;
    while (at < got.size() && at < want.size() && got[at] == want[at]) ++at;
    const size_t from = at > 40 ? at - 40 : 0;
    return {false, "differs at byte " + std::to_string(at) + ":\n  got:  " + json(got.substr(from, 120)).dump() +
                       "\n  want: " + json(want.substr(from, 120)).dump()};
}

TEST(ChatTemplateReference, EveryCaseMatchesJinja2) {
    const json ref = load_reference();
    ASSERT_TRUE(ref.is_object()) << "cannot read " << LLMRT_SHARED_DIR << "/reference/chat-templates.json";
    size_t total = 0, passed = 0, errors_matched = 0;
    for (const auto &tmpl : ref.at("templates")) {
        for (const auto &c : tmpl.at("cases")) {
            const std::string id = tmpl["name"].get<std::string>() + "/" + c["conversation"].get<std::string>() + "/" +
                                   (c["add_generation_prompt"].get<bool>() ? "gen" : "nogen") +
                                   (c.contains("note") ? "/noted" : "") +
                                   (c.contains("extra_kwargs") ? "/extra_kwargs" : "");
            const Outcome r = run_case(tmpl, c);
            ++total;
            if (r.ok) {
                ++passed;
                errors_matched += c.contains("error") ? 1 : 0;
                EXPECT_EQ(kExpectedFailures.count(id), 0u) << id << " passes: remove it from kExpectedFailures";
            } else {
                EXPECT_EQ(kExpectedFailures.count(id), 1u) << id << ": " << r.detail;
            }
        }
    }
    EXPECT_EQ(total, ref.at("n_renderings").get<size_t>());
    std::cout << "[ chat ] " << passed << " / " << total << " reference renderings match (" << errors_matched
              << " of them expected errors)\n";
}

}  // namespace

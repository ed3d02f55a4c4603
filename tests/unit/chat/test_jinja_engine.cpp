// The Jinja engine feature by feature: jinja_cases.json (written by gen_jinja_cases.py from what
// Jinja2 renders or raises), and malformed or hostile templates, which must fail with an error,
// never crash.
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "chat/chat_template.h"
#include "chat/jinja_error.h"

namespace {

using json = nlohmann::ordered_json;
using llmrt::jinja::JinjaError;

std::tm fixed_now() {  // gen_jinja_cases.py's strftime_now: 2025-03-14 15:09:26, a Friday
    std::tm tm{};
    tm.tm_year = 125;
    tm.tm_mon = 2;
    tm.tm_mday = 14;
    tm.tm_hour = 15;
    tm.tm_min = 9;
    tm.tm_sec = 26;
    tm.tm_wday = 5;
    tm.tm_yday = 72;
    return tm;
}

std::string render(const std::string &tmpl, const json &vars = json::object()) {
    return llmrt::chat::render_template(tmpl, vars, fixed_now());
}

json cases() {
    std::ifstream in(std::string(LLMRT_SOURCE_DIR) + "/tests/unit/chat/jinja_cases.json");
    EXPECT_TRUE(in.good());
    return json::parse(in);
}

TEST(JinjaEngine, RendersLikeJinja2) {
    const json c = cases();
    ASSERT_GT(c["render"].size(), 20u);
    for (const auto &k : c["render"]) {
        try {
            EXPECT_EQ(render(k["template"], k["vars"]), k["output"].get<std::string>()) << k["name"];
        } catch (const JinjaError &e) {
            ADD_FAILURE() << k["name"] << " raised " << e.what();
        }
    }
}

TEST(JinjaEngine, RaisesLikeJinja2) {
    const json c = cases();
    ASSERT_GT(c["errors"].size(), 10u);
    for (const auto &k : c["errors"]) {
        try {
            render(k["template"], k["vars"]);
            ADD_FAILURE() << k["name"] << " rendered; Jinja2 raised " << k["error"];
        } catch (const JinjaError &e) {
            EXPECT_EQ(std::string(e.what()), k["error"].get<std::string>()) << k["name"];
        }
    }
}

// Every malformed template is a TemplateSyntaxError naming the problem, not a crash or a hang.
TEST(JinjaEngine, MalformedTemplatesAreSyntaxErrors) {
    const char *bad[] = {
        "{% if %}", "{% if x %}", "{% for %}", "{{ x", "{{ }}", "{% endif %}", "{% for x in y %}{% endif %}",
        "{{ \"abc }}", "{# x", "{{ x | }}", "{{ (1 }}", "{{ [1, }}", "{{ {1: }}", "{% macro %}", "{% set %}",
        "{% unknown %}", "{{ x y }}", "{{ 1 +* 2 }}", "{% if x %}{% else %}{% else %}{% endif %}", "{{ x[ }}",
        "{{ @ }}", "{%- -%}", "{{ x is }}", "{% for a, in b %}{% endfor %}", "{% raw %}never closed",
        "{{ 'unterminated", "{% set x = %}", "{{ x.1a }}", "{% filter %}x{% endfilter %}", "{{ x[::] ] }}",
        "{%", "{{", "{{ '\\x4' }}", "{% macro m(a b) %}{% endmacro %}", "{{ f(a=1, 2) }}",
    };
    for (const char *t : bad) {
        try {
            render(t);
            ADD_FAILURE() << "rendered: " << t;
        } catch (const JinjaError &e) {
            EXPECT_EQ(e.type(), "TemplateSyntaxError") << t << ": " << e.what();
            EXPECT_FALSE(e.message().empty()) << t;
        }
    }
}

TEST(JinjaEngine, HostileTemplatesFailCleanly) {
    // Nesting deep enough to overflow a naive recursive-descent parser's stack.
    const std::string deep_parens = "{{ " + std::string(100000, '(') + "1" + std::string(100000, ')') + " }}";
    EXPECT_THROW(render(deep_parens), JinjaError);
    std::string deep_ifs;
    for (int i = 0; i < 5000; ++i) deep_ifs += "{% if true %}";
    EXPECT_THROW(render(deep_ifs), JinjaError);
    std::string deep_not = "{{ ";
    for (int i = 0; i < 100000; ++i) deep_not += "not ";
    EXPECT_THROW(render(deep_not + "x }}"), JinjaError);
    // Unbounded macro recursion and huge ranges raise instead of exhausting the machine.
    EXPECT_THROW(render("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"), JinjaError);
    EXPECT_THROW(render("{{ range(1000000000) | length }}"), JinjaError);
    // Deeply nested values, built by a template or passed as data, cannot exhaust the stack.
    EXPECT_THROW(render("{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}"),
                 JinjaError);
    EXPECT_THROW(render("{% set ns = namespace(x={}) %}{% for i in range(100000) %}{% set ns.x = {'k': ns.x} %}{% endfor %}"),
                 JinjaError);
    EXPECT_THROW(render("{{ x }}", json{{"x", json::parse(std::string(5000, '[') + std::string(5000, ']'))}}), JinjaError);
    EXPECT_EQ(render("{% set ns = namespace(x=1) %}{% for i in range(400) %}{% set ns.x = [ns.x] %}{% endfor %}"
                     "{{ ns.x == ns.x }}{{ (ns.x | tojson)[:3] }}"),
              "True[[[");
    // Bytes that are not UTF-8 pass through text and string operations untouched.
    EXPECT_EQ(render("\xff{{ '\xfe' | length }}{{ x[1:] }}", {{"x", "a\xc3"}}), "\xff" "1\xc3");
}

TEST(JinjaEngine, ChatTemplateVariables) {
    // render_chat_template passes tools and documents as None, so they are defined.
    llmrt::chat::ChatTemplateOptions o;
    o.now = fixed_now();
    const json messages = json::array({{{"role", "user"}, {"content", "hi"}}});
    const std::string t =
        "{{ tools is defined }}{{ tools is none }}{{ documents is none }}{{ bos_token is defined }}"
        "{{ add_generation_prompt }}{% for m in messages %}{{ m.role }}{% endfor %}{{ extra }}";
    EXPECT_EQ(llmrt::chat::render_chat_template(t, messages, o), "TrueTrueTrueFalseFalseuser");
    o.bos_token = "<s>";
    o.add_generation_prompt = true;
    o.tools = json::array();
    o.extra = {{"extra", "!"}, {"bos_token", "<override>"}};
    EXPECT_EQ(llmrt::chat::render_chat_template(t + "{{ bos_token }}", messages, o), "TrueFalseTrueTrueTrueuser!<override>");
    EXPECT_THROW(llmrt::chat::render_chat_template(t, json::object(), o), JinjaError);
}

}  // namespace

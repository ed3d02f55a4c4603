// The chat-template C API: rendering (array and JSON forms) against Jinja2's reference renderings,
// buffer sizing, template errors as statuses with Jinja2's messages, and a model's own template.
#include <cstdlib>
#include <unistd.h>

#include "test_support.h"

namespace {

using ojson = nlohmann::ordered_json;

ojson reference() {
    std::ifstream in(test::shared_path("reference/chat-templates.json"));
    EXPECT_TRUE(in.good());
    return ojson::parse(in);
}

const ojson &find_template(const ojson &ref, const std::string &name) {
    for (const auto &t : ref["templates"])
        if (t["name"] == name) return t;
    ADD_FAILURE() << name << " is not in the reference";
    return ref;
}

// Renders through llmrt_chat_apply_template_json; returns the status and fills out.
llmrt_status render_json(const llmrt_model *model, const char *tmpl, const std::string &messages,
                         const llmrt_chat_template_params &p, std::string &out) {
    size_t len = 0;
    llmrt_status st = llmrt_chat_apply_template_json(model, tmpl, messages.c_str(), &p, nullptr, 0, &len);
    if (st != LLMRT_ERR_BUFFER_TOO_SMALL) return st;
    std::string buf(len + 1, '\0');
    st = llmrt_chat_apply_template_json(model, tmpl, messages.c_str(), &p, &buf[0], buf.size(), &len);
    out.assign(buf.data(), len);
    return st;
}

// Every reference case whose rendering does not depend on the current date (strftime_now) or on
// variables only llama.cpp passes (firefunction's `functions`), through the C API.
TEST(ChatTemplateApi, JsonMessagesMatchJinja2References) {
    const ojson ref = reference();
    size_t checked = 0;
    for (const auto &t : ref["templates"]) {
        const std::string text = t["template"].get<std::string>();
        if (text.find("strftime_now") != std::string::npos || t["name"].get<std::string>().find("firefunction") != std::string::npos)
            continue;
        for (const auto &c : t["cases"]) {
            ojson extra = t["special_tokens"];
            if (c.contains("extra_kwargs")) extra.update(c["extra_kwargs"]);
            const std::string extra_text = extra.dump();
            const std::string tools_text = c.contains("tools") ? c["tools"].dump() : "";
            llmrt_chat_template_params p;
            llmrt_chat_template_params_init(&p);
            p.add_generation_prompt = c["add_generation_prompt"].get<bool>() ? 1 : 0;
            p.tools_json = c.contains("tools") ? tools_text.c_str() : nullptr;
            p.extra_vars_json = extra_text.c_str();
            std::string out;
            const llmrt_status st = render_json(nullptr, text.c_str(), c["messages"].dump(), p, out);
            if (c.contains("error")) {
                EXPECT_EQ(st, LLMRT_ERR_INVALID_ARGUMENT) << t["name"] << " " << c["conversation"];
                EXPECT_EQ(std::string(llmrt_last_error()), c["error"].get<std::string>());
            } else {
                ASSERT_EQ(st, LLMRT_OK) << t["name"] << " " << c["conversation"] << ": " << llmrt_last_error();
                EXPECT_EQ(out, c["output"].get<std::string>()) << t["name"] << " " << c["conversation"];
            }
            ++checked;
        }
    }
    EXPECT_GT(checked, 400u);
}

TEST(ChatTemplateApi, MessageArrayAndBufferSizes) {
    const ojson ref = reference();
    const ojson &t = find_template(ref, "microsoft-Phi-3.5-mini-instruct");
    const std::string text = t["template"].get<std::string>();
    for (const auto &c : t["cases"]) {
        if (c["conversation"] != "multi_turn" || !c["add_generation_prompt"].get<bool>()) continue;
        std::vector<std::string> roles, contents;
        for (const auto &m : c["messages"]) {
            roles.push_back(m["role"]);
            contents.push_back(m["content"]);
        }
        std::vector<llmrt_chat_message> msgs;
        for (size_t i = 0; i < roles.size(); ++i) msgs.push_back({roles[i].c_str(), contents[i].c_str()});
        llmrt_chat_template_params p;
        llmrt_chat_template_params_init(&p);
        EXPECT_EQ(p.add_generation_prompt, 1);
        const std::string eos = t["special_tokens"]["eos_token"];
        p.eos_token = eos.c_str();
        const std::string want = c["output"];

        size_t len = 0;
        EXPECT_EQ(llmrt_chat_apply_template(nullptr, text.c_str(), msgs.data(), msgs.size(), &p, nullptr, 0, &len),
                  LLMRT_ERR_BUFFER_TOO_SMALL);
        EXPECT_EQ(len, want.size());
        std::string buf(want.size(), 'x');  // one byte short: no room for the terminator
        EXPECT_EQ(llmrt_chat_apply_template(nullptr, text.c_str(), msgs.data(), msgs.size(), &p, &buf[0], buf.size(), &len),
                  LLMRT_ERR_BUFFER_TOO_SMALL);
        buf.assign(want.size() + 1, 'x');
        ASSERT_EQ(llmrt_chat_apply_template(nullptr, text.c_str(), msgs.data(), msgs.size(), &p, &buf[0], buf.size(), &len),
                  LLMRT_OK)
            << llmrt_last_error();
        EXPECT_EQ(len, want.size());
        EXPECT_EQ(std::string(buf.c_str()), want);
        return;
    }
    FAIL() << "no multi_turn case with a generation prompt";
}

TEST(ChatTemplateApi, ErrorsAreStatusesWithJinjaMessages) {
    llmrt_chat_template_params p;
    llmrt_chat_template_params_init(&p);
    std::string out;
    const char *raising = "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}";
    EXPECT_EQ(render_json(nullptr, raising, R"([{"role": "system", "content": "x"}])", p, out), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_STREQ(llmrt_last_error(), "TemplateError: System role not supported");

    EXPECT_EQ(render_json(nullptr, "{% for m in messages %}{{ m.content }}", "[]", p, out), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(llmrt_last_error()).find("TemplateSyntaxError"), std::string::npos) << llmrt_last_error();

    EXPECT_EQ(render_json(nullptr, "{{ x }}", "[{\"role\": ", p, out), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(render_json(nullptr, "{{ x }}", "{}", p, out), LLMRT_ERR_INVALID_ARGUMENT);
    p.extra_vars_json = "[1]";
    EXPECT_EQ(render_json(nullptr, "{{ x }}", "[]", p, out), LLMRT_ERR_INVALID_ARGUMENT);

    size_t len = 0;
    llmrt_chat_message bad{nullptr, "x"};
    EXPECT_EQ(llmrt_chat_apply_template(nullptr, "x", &bad, 1, nullptr, nullptr, 0, &len), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_chat_apply_template(nullptr, "x", nullptr, 0, nullptr, nullptr, 0, nullptr), LLMRT_ERR_INVALID_ARGUMENT);
    // Neither a template nor a model to take one from.
    EXPECT_EQ(llmrt_chat_apply_template(nullptr, nullptr, nullptr, 0, nullptr, nullptr, 0, &len), LLMRT_ERR_INVALID_ARGUMENT);
}

// stories260K-hf with a tokenizer_config.json that lists named templates, as
// CohereForAI/c4ai-command-r-plus's does.
class ModelTemplate : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/llmrt-chat-XXXXXX";
        const char *d = mkdtemp(pattern);
        ASSERT_NE(d, nullptr);
        dir_ = d;
        const std::string src = test::shared_path("models/stories260K-hf");
        for (const char *f : {"config.json", "generation_config.json", "model.safetensors", "special_tokens_map.json", "tokenizer.model"})
            ASSERT_EQ(symlink((src + "/" + f).c_str(), (dir_ + "/" + f).c_str()), 0) << f;
        nlohmann::json config = test::read_json(src + "/tokenizer_config.json");
        config["chat_template"] = {
            {{"name", "default"}, {"template", kDefault}},
            {{"name", "tool_use"}, {"template", "tools: {{ tools | length }}"}},
        };
        std::ofstream(dir_ + "/tokenizer_config.json") << config.dump();
    }
    void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

    static constexpr const char *kDefault =
        "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}{{ eos_token }}{% endfor %}"
        "{% if add_generation_prompt %}[assistant]{% endif %}";
    std::string dir_;
};

std::string model_template(const llmrt_model *m, const char *name) {
    size_t len = 0;
    // Capacity 0 never holds the terminator: the call only reports the length.
    EXPECT_EQ(llmrt_model_chat_template(m, name, nullptr, 0, &len), LLMRT_ERR_BUFFER_TOO_SMALL);
    std::string buf(len + 1, '\0');
    EXPECT_EQ(llmrt_model_chat_template(m, name, &buf[0], buf.size(), &len), LLMRT_OK) << llmrt_last_error();
    return std::string(buf.c_str());
}

TEST_F(ModelTemplate, NamedTemplatesAndTheModelsTokens) {
    test::ModelPtr m = test::load(dir_);
    ASSERT_TRUE(m);
    EXPECT_EQ(model_template(m.get(), nullptr), kDefault);
    EXPECT_EQ(model_template(m.get(), "default"), kDefault);
    EXPECT_EQ(model_template(m.get(), "tool_use"), "tools: {{ tools | length }}");
    EXPECT_EQ(model_template(m.get(), "absent"), "");

    // tmpl NULL: the model's default template, with its BOS/EOS text.
    const llmrt_chat_message msgs[] = {{"user", "Hi"}, {"assistant", "Hello"}};
    llmrt_chat_template_params p;
    llmrt_chat_template_params_init(&p);
    char buf[256];
    size_t len = 0;
    ASSERT_EQ(llmrt_chat_apply_template(m.get(), nullptr, msgs, 2, &p, buf, sizeof buf, &len), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(std::string(buf, len), "<s>[user] Hi</s>[assistant] Hello</s>[assistant]");
    p.bos_token = "";
    p.add_generation_prompt = 0;
    ASSERT_EQ(llmrt_chat_apply_template(m.get(), nullptr, msgs, 1, &p, buf, sizeof buf, &len), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(std::string(buf, len), "[user] Hi</s>");
}

TEST(ChatTemplateApi, GgufWithoutTemplate) {
    test::ModelPtr m = test::load(test::source_path("models/stories260K/stories260K.gguf"));
    ASSERT_TRUE(m);
    size_t len = 7;
    char buf[4];
    ASSERT_EQ(llmrt_model_chat_template(m.get(), nullptr, buf, sizeof buf, &len), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(len, 0u);
    EXPECT_STREQ(buf, "");
    const llmrt_chat_message msg{"user", "Hi"};
    EXPECT_EQ(llmrt_chat_apply_template(m.get(), nullptr, &msg, 1, nullptr, buf, sizeof buf, &len), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(llmrt_last_error()).find("no chat template"), std::string::npos) << llmrt_last_error();
}

}  // namespace

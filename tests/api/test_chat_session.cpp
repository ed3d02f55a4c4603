// Chat sessions (llmrt_chat_session_*): multi-round chat that evaluates only each turn's new
// tokens and answers exactly as a fresh context given the whole rendered conversation would;
// truncation, a full window, the pull form and bad input. stories260K has no chat template: the
// tests use its plain-transcript fallback and a ChatML template given explicitly.
#include <string>
#include <vector>

#include "test_support.h"

namespace {

const std::string kModel = test::source_path("models/stories260K/stories260K.gguf");
const char kChatml[] =
    "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

using SessionPtr = llmrt::chat_session_ptr;

SessionPtr make_session(llmrt_context *ctx, llmrt_sampler *s, const char *tmpl, const char *system) {
    llmrt_chat_session_params p;
    llmrt_chat_session_params_init(&p);
    p.chat_template = tmpl;
    p.system_prompt = system;
    llmrt_chat_session *out = nullptr;
    EXPECT_EQ(llmrt_chat_session_create(ctx, s, &p, &out), LLMRT_OK) << llmrt_last_error();
    return SessionPtr(out);
}

llmrt_generate_params answer_params(int32_t max_new_tokens) {
    llmrt_generate_params gp;
    llmrt_generate_params_init(&gp);
    gp.max_new_tokens = max_new_tokens;
    return gp;
}

int32_t collect_ids(const char *, size_t, int32_t token, void *user_data) {
    if (token >= 0) static_cast<std::vector<llmrt_token> *>(user_data)->push_back(token);
    return 0;
}

struct Message {
    std::string role, content;
};

std::vector<Message> history(const llmrt_chat_session *session) {
    std::vector<Message> out;
    for (int32_t i = 0; i < llmrt_chat_session_n_messages(session); ++i) {
        const char *role = nullptr, *content = nullptr;
        EXPECT_EQ(llmrt_chat_session_message(session, i, &role, &content), LLMRT_OK) << llmrt_last_error();
        out.push_back({role, content});
    }
    return out;
}

std::string render(llmrt_model *m, const char *tmpl, const std::vector<Message> &messages) {
    std::vector<llmrt_chat_message> list;
    for (const Message &msg : messages) list.push_back({msg.role.c_str(), msg.content.c_str()});
    std::vector<char> buf(1 << 16);
    size_t length = 0;
    EXPECT_EQ(llmrt_chat_apply_template(m, tmpl, list.data(), list.size(), nullptr, buf.data(), buf.size(), &length),
              LLMRT_OK)
        << llmrt_last_error();
    return std::string(buf.data(), length);
}

// The answer a fresh context gives to the rendered prompt (greedy), with the session's stop.
std::vector<llmrt_token> fresh_answer(llmrt_model *m, const std::string &prompt, const char *stop, int32_t max_new) {
    auto ctx = test::context(m, 512);
    auto s = test::greedy_sampler();
    llmrt_generate_params gp = answer_params(max_new);
    gp.stop_strings = &stop;
    gp.n_stop_strings = 1;
    llmrt_generation *gen = nullptr;
    EXPECT_EQ(llmrt_generation_create(ctx.get(), s.get(), prompt.c_str(), &gp, &gen), LLMRT_OK) << llmrt_last_error();
    std::vector<llmrt_token> ids;
    const char *piece = nullptr;
    size_t len = 0;
    llmrt_token token = -1;
    while (llmrt_generation_next(gen, &piece, &len, &token) == LLMRT_OK)
        if (token >= 0) ids.push_back(token);
    llmrt_generation_free(gen);
    return ids;
}

// Three turns: each evaluates only what the cache does not hold, and answers as a fresh context.
void check_three_turns(const char *tmpl, const char *render_tmpl, const char *stop) {
    auto m = test::load(kModel);
    auto ctx = test::context(m.get(), 512);
    auto s = test::greedy_sampler();
    auto session = make_session(ctx.get(), s.get(), tmpl, "You tell short stories.");
    const char *turns[] = {"Tell me about a cat.", "What did the cat eat?", "And then?"};
    int32_t previous_prompt = 0;
    for (const char *turn : turns) {
        ASSERT_EQ(llmrt_chat_session_add_message(session.get(), "user", turn), LLMRT_OK) << llmrt_last_error();
        const std::string prompt = render(m.get(), render_tmpl, history(session.get()));
        const int32_t n_prompt = static_cast<int32_t>(test::tokenize(m.get(), prompt).size());

        std::vector<llmrt_token> answer;
        const llmrt_generate_params gp = answer_params(12);
        ASSERT_EQ(llmrt_chat_session_respond(session.get(), &gp, collect_ids, &answer), LLMRT_OK) << llmrt_last_error();

        const int32_t evaluated = llmrt_chat_session_n_evaluated(session.get());
        const int32_t reused = llmrt_chat_session_n_reused(session.get());
        EXPECT_EQ(evaluated + reused, n_prompt) << turn;
        if (previous_prompt > 0) {
            // At least the previous prompt comes from the cache; the rest is the new turn.
            EXPECT_GE(reused, previous_prompt) << turn;
            EXPECT_LT(evaluated, n_prompt - previous_prompt) << turn;
        } else {
            EXPECT_EQ(reused, 0);
        }
        previous_prompt = n_prompt;
        EXPECT_FALSE(answer.empty());
        EXPECT_EQ(answer, fresh_answer(m.get(), prompt, stop, 12)) << turn;
        // The answer is the conversation's last message.
        const std::vector<Message> h = history(session.get());
        EXPECT_EQ(h.back().role, "assistant");
    }
    EXPECT_EQ(llmrt_chat_session_n_messages(session.get()), 7);
}

TEST(ChatSession, PlainTranscriptEvaluatesOnlyTheNewTurn) {
    // The session's documented fallback for a model without a template, which applications reach
    // as llmrt_chat_plain_template.
    check_three_turns(nullptr, llmrt_chat_plain_template(), "\nUser:");
}

TEST(ChatSession, GivenTemplateEvaluatesOnlyTheNewTurn) { check_three_turns(kChatml, kChatml, "<|im_end|>"); }

TEST(ChatSession, TruncateDropsTheOldestTurnsButTheSystemMessage) {
    auto m = test::load(kModel);
    auto ctx = test::context(m.get(), 512);
    auto s = test::greedy_sampler();
    auto session = make_session(ctx.get(), s.get(), kChatml, "sys");
    const llmrt_generate_params gp = answer_params(4);
    for (const char *turn : {"one", "two", "three"}) {
        ASSERT_EQ(llmrt_chat_session_add_message(session.get(), "user", turn), LLMRT_OK);
        ASSERT_EQ(llmrt_chat_session_respond(session.get(), &gp, nullptr, nullptr), LLMRT_OK) << llmrt_last_error();
    }
    ASSERT_EQ(llmrt_chat_session_truncate(session.get(), 1), LLMRT_OK) << llmrt_last_error();
    std::vector<Message> h = history(session.get());
    ASSERT_EQ(h.size(), 5u);
    EXPECT_EQ(h[0].role, "system");
    EXPECT_EQ(h[1].content, "two");
    // The answer after truncation still matches a fresh context.
    ASSERT_EQ(llmrt_chat_session_add_message(session.get(), "user", "four"), LLMRT_OK);
    const std::string prompt = render(m.get(), kChatml, history(session.get()));
    std::vector<llmrt_token> answer;
    ASSERT_EQ(llmrt_chat_session_respond(session.get(), &gp, collect_ids, &answer), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(answer, fresh_answer(m.get(), prompt, "<|im_end|>", 4));
    // The cache still holds the system message: it is reused, the rest re-evaluated.
    EXPECT_GT(llmrt_chat_session_n_reused(session.get()), 0);

    ASSERT_EQ(llmrt_chat_session_truncate(session.get(), 100), LLMRT_OK);
    h = history(session.get());
    ASSERT_EQ(h.size(), 1u);
    EXPECT_EQ(h[0].content, "sys");
    ASSERT_EQ(llmrt_chat_session_reset(session.get()), LLMRT_OK);
    EXPECT_EQ(llmrt_chat_session_n_messages(session.get()), 1);
    EXPECT_EQ(llmrt_context_n_past(ctx.get()), 0);
}

TEST(ChatSession, AFullWindowDropsTheOldestTurns) {
    auto m = test::load(kModel);
    auto ctx = test::context(m.get(), 96);
    auto s = test::greedy_sampler();
    auto session = make_session(ctx.get(), s.get(), kChatml, "sys");
    const llmrt_generate_params gp = answer_params(16);
    int32_t dropped = 0;
    for (int turn = 0; turn < 8; ++turn) {
        ASSERT_EQ(llmrt_chat_session_add_message(session.get(), "user", "Tell me a story."), LLMRT_OK);
        ASSERT_EQ(llmrt_chat_session_respond(session.get(), &gp, nullptr, nullptr), LLMRT_OK)
            << "turn " << turn << ": " << llmrt_last_error();
        dropped += llmrt_chat_session_n_dropped(session.get());
        const std::vector<Message> h = history(session.get());
        EXPECT_EQ(h[0].role, "system");
        EXPECT_EQ(h[1].role, "user");  // a whole turn goes: the conversation still starts with a user
        EXPECT_LE(llmrt_context_n_past(ctx.get()), 96);
    }
    EXPECT_GT(dropped, 0);
    EXPECT_EQ(dropped % 2, 0);  // user message and answer together
    // A message that cannot fit even alone is a clear error, and the session stays usable.
    std::string huge;
    for (int i = 0; i < 60; ++i) huge += "cat dog ";
    ASSERT_EQ(llmrt_chat_session_add_message(session.get(), "user", huge.c_str()), LLMRT_OK);
    EXPECT_EQ(llmrt_chat_session_respond(session.get(), &gp, nullptr, nullptr), LLMRT_ERR_CONTEXT_FULL);
}

TEST(ChatSession, PullFormAddsTheAnswerWhenItEnds) {
    auto m = test::load(kModel);
    auto ctx = test::context(m.get(), 256);
    auto s = test::greedy_sampler();
    auto session = make_session(ctx.get(), s.get(), kChatml, nullptr);
    ASSERT_EQ(llmrt_chat_session_add_message(session.get(), "user", "Hello"), LLMRT_OK);
    const llmrt_generate_params gp = answer_params(8);
    llmrt_generation *gen = nullptr;
    ASSERT_EQ(llmrt_chat_session_respond_begin(session.get(), &gp, &gen), LLMRT_OK) << llmrt_last_error();
    // The session waits for its answer.
    EXPECT_EQ(llmrt_chat_session_add_message(session.get(), "user", "x"), LLMRT_ERR_BUSY);
    EXPECT_EQ(llmrt_chat_session_respond(session.get(), &gp, nullptr, nullptr), LLMRT_ERR_BUSY);
    std::string text;
    const char *piece = nullptr;
    size_t len = 0;
    while (llmrt_generation_next(gen, &piece, &len, nullptr) == LLMRT_OK) text.append(piece, len);
    std::vector<Message> h = history(session.get());
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h[1].role, "assistant");
    EXPECT_EQ(h[1].content, text);
    llmrt_generation_free(gen);
    EXPECT_EQ(llmrt_chat_session_n_messages(session.get()), 2);

    // Freed before its end: the part produced is the answer.
    ASSERT_EQ(llmrt_chat_session_add_message(session.get(), "user", "Again"), LLMRT_OK);
    ASSERT_EQ(llmrt_chat_session_respond_begin(session.get(), &gp, &gen), LLMRT_OK) << llmrt_last_error();
    text.clear();
    for (int i = 0; i < 3 && llmrt_generation_next(gen, &piece, &len, nullptr) == LLMRT_OK; ++i) text.append(piece, len);
    llmrt_generation_free(gen);
    h = history(session.get());
    ASSERT_EQ(h.size(), 4u);
    EXPECT_EQ(h[3].content, text);
}

TEST(ChatSession, BadInputGetsAClearStatus) {
    auto m = test::load(kModel);
    auto ctx = test::context(m.get(), 256);
    auto s = test::greedy_sampler();
    llmrt_chat_session *out = nullptr;
    EXPECT_EQ(llmrt_chat_session_create(nullptr, s.get(), nullptr, &out), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_chat_session_create(ctx.get(), nullptr, nullptr, &out), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_chat_session_create(ctx.get(), s.get(), nullptr, nullptr), LLMRT_ERR_INVALID_ARGUMENT);
    llmrt_chat_session_params p;
    llmrt_chat_session_params_init(&p);
    p.chat_template = "";
    EXPECT_EQ(llmrt_chat_session_create(ctx.get(), s.get(), &p, &out), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(out, nullptr);

    auto session = make_session(ctx.get(), s.get(), kChatml, nullptr);
    const llmrt_generate_params gp = answer_params(4);
    // Nothing to answer yet.
    EXPECT_EQ(llmrt_chat_session_respond(session.get(), &gp, nullptr, nullptr), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(llmrt_last_error()).find("user message"), std::string::npos) << llmrt_last_error();
    EXPECT_EQ(llmrt_chat_session_add_message(session.get(), nullptr, "x"), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_chat_session_add_message(session.get(), "", "x"), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_chat_session_add_message(nullptr, "user", "x"), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_chat_session_truncate(session.get(), -1), LLMRT_ERR_INVALID_ARGUMENT);
    const char *role = nullptr, *content = nullptr;
    EXPECT_EQ(llmrt_chat_session_message(session.get(), 0, &role, &content), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_chat_session_respond(nullptr, &gp, nullptr, nullptr), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_chat_session_n_messages(nullptr), 0);
    llmrt_chat_session_free(nullptr);
    // A generation handle live on the context blocks the session's answer.
    ASSERT_EQ(llmrt_chat_session_add_message(session.get(), "user", "hi"), LLMRT_OK);
    llmrt_generation *gen = nullptr;
    ASSERT_EQ(llmrt_generation_create(ctx.get(), s.get(), "x", &gp, &gen), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(llmrt_chat_session_respond(session.get(), &gp, nullptr, nullptr), LLMRT_ERR_BUSY);
    llmrt_generation_free(gen);
    EXPECT_EQ(llmrt_chat_session_respond(session.get(), &gp, nullptr, nullptr), LLMRT_OK) << llmrt_last_error();
    // An answer cannot answer itself.
    EXPECT_EQ(llmrt_chat_session_respond(session.get(), &gp, nullptr, nullptr), LLMRT_ERR_INVALID_ARGUMENT);

    // A template that raises: Jinja's message, and the session is still usable with another turn.
    auto raising = make_session(ctx.get(), s.get(), "{{ raise_exception('no chat here') }}", nullptr);
    ASSERT_EQ(llmrt_chat_session_add_message(raising.get(), "user", "hi"), LLMRT_OK);
    EXPECT_EQ(llmrt_chat_session_respond(raising.get(), &gp, nullptr, nullptr), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(llmrt_last_error()).find("no chat here"), std::string::npos) << llmrt_last_error();
}

}  // namespace

// Misuse of the C API that once crashed, hung or answered wrongly (issue 8): thread counts,
// re-entry from callbacks, cancel semantics, handle lifetimes, the log callback, bad logits.
// Each test is the regression test of one defect; CI also runs them under ASan/UBSan, which turns
// a use-after-free or a leak in the lifetime tests into a failure.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <string>
#include <vector>

#include "test_support.h"

// These tests also cover the pull form on the context
// (llmrt_generate_begin/_next/_end), deprecated but kept working: their warnings are expected here.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

const std::string kModel = test::source_path("models/stories260K/stories260K.gguf");
const char *kPrompt = "Once upon a time";

// Greedy text of a plain generation, the reference the misuse cases must still produce.
std::string greedy_text(llmrt_model *m, int32_t max_new_tokens) {
    auto ctx = test::context(m);
    auto s = test::greedy_sampler();
    llmrt_generate_params gp;
    llmrt_generate_params_init(&gp);
    gp.max_new_tokens = max_new_tokens;
    std::string text;
    auto cb = [](const char *piece, size_t len, int32_t, void *ud) -> int32_t {
        static_cast<std::string *>(ud)->append(piece, len);
        return 0;
    };
    EXPECT_EQ(llmrt_generate(ctx.get(), s.get(), kPrompt, &gp, cb, &text), LLMRT_OK) << llmrt_last_error();
    return text;
}

llmrt_status create_context(llmrt_model *m, int32_t n_threads, llmrt_context **out) {
    llmrt_context_params p;
    llmrt_context_params_init(&p);
    p.n_threads = n_threads;
    return llmrt_context_create(m, &p, out);
}

// ---- 1. thread counts ----

TEST(Reliability, AbsurdThreadCountsAreInvalidArguments) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    for (int32_t n : {-1, LLMRT_MAX_THREADS + 1, 2147483647}) {
        llmrt_context *c = reinterpret_cast<llmrt_context *>(&n);  // must be reset to NULL
        EXPECT_EQ(create_context(m.get(), n, &c), LLMRT_ERR_INVALID_ARGUMENT) << n;
        EXPECT_EQ(c, nullptr);
        EXPECT_NE(std::string(llmrt_last_error()).find("n_threads"), std::string::npos) << llmrt_last_error();

        llmrt_model_params mp;
        llmrt_model_params_init(&mp);
        mp.n_threads = n;
        llmrt_model *m2 = nullptr;
        EXPECT_EQ(llmrt_model_load(kModel.c_str(), &mp, &m2), LLMRT_ERR_INVALID_ARGUMENT) << n;
        EXPECT_EQ(m2, nullptr);
    }
}

// Once allocated the KV cache for 2^31 positions before refusing the size.
TEST(Reliability, AnAbsurdContextSizeIsRefusedBeforeAnythingIsAllocated) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    llmrt_context_params p;
    llmrt_context_params_init(&p);
    p.n_ctx = 2147483647;
    llmrt_context *c = nullptr;
    EXPECT_EQ(llmrt_context_create(m.get(), &p, &c), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(llmrt_last_error()).find("n_ctx 2147483647 is too large"), std::string::npos)
        << llmrt_last_error();
}

// A thread limit (ulimit -u, a container's pids limit) once deadlocked llmrt_context_create. In a
// child process that may not start threads, context creation must return a status, and work
// again with one thread. As root the limit is not enforced, so the child first becomes "nobody".
TEST(Reliability, ThreadStartFailureIsAStatusNotAHang) {
    llmrt_model_params mp;
    llmrt_model_params_init(&mp);
    mp.n_threads = 1;
    llmrt_model *raw = nullptr;
    ASSERT_EQ(llmrt_model_load(kModel.c_str(), &mp, &raw), LLMRT_OK) << llmrt_last_error();
    test::ModelPtr m(raw);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        alarm(60);  // a hang ends the child with SIGALRM, which the parent reports
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(77);
        const rlimit one{1, 1};
        if (setrlimit(RLIMIT_NPROC, &one) != 0) _exit(77);
        llmrt_context *c = nullptr;
        const llmrt_status st = create_context(m.get(), 8, &c);
        const bool says_thread = std::string(llmrt_last_error()).find("thread") != std::string::npos;
        if (st != LLMRT_ERR_OUT_OF_MEMORY || c != nullptr || !says_thread) _exit(1);
        if (create_context(m.get(), 1, &c) != LLMRT_OK) _exit(2);
        llmrt_context_free(c);
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "the child was killed by signal " << WTERMSIG(status) << " (14: it hung)";
    if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot drop privileges or set RLIMIT_NPROC here";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: wrong status or message, 2: one thread failed afterwards";
}

// ---- 2. re-entry from a callback ----

struct Reentry {
    llmrt_context *ctx = nullptr;
    llmrt_sampler *sampler = nullptr;
    std::string text;
    std::vector<llmrt_status> statuses;  // of the refused calls, in order
    int32_t n_past_before = 0, n_past_after = 0;
    bool logits_readable = true;
};

TEST(Reliability, CallsThatWouldChangeARunningContextAreRefusedFromItsCallback) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    const std::string expected = greedy_text(m.get(), 24);
    auto ctx = test::context(m.get());
    auto s = test::greedy_sampler();
    Reentry r;
    r.ctx = ctx.get();
    r.sampler = s.get();
    auto cb = [](const char *piece, size_t len, int32_t, void *ud) -> int32_t {
        auto *r = static_cast<Reentry *>(ud);
        r->text.append(piece, len);
        if (r->text.size() == len) {  // the first piece: try everything once
            r->n_past_before = llmrt_context_n_past(r->ctx);
            llmrt_context_reset(r->ctx);  // void: ignored with a warning
            const llmrt_token t = 1;
            r->statuses.push_back(llmrt_decode(r->ctx, &t, 1));
            r->statuses.push_back(llmrt_generate_begin(r->ctx, r->sampler, "x", nullptr));
            r->statuses.push_back(llmrt_generate(r->ctx, r->sampler, "x", nullptr, nullptr, nullptr));
            const char *piece2 = nullptr;
            size_t len2 = 0;
            r->statuses.push_back(llmrt_generate_next(r->ctx, &piece2, &len2, nullptr));
            r->statuses.push_back(llmrt_context_set_profiling(r->ctx, 1));
            llmrt_generate_end(r->ctx);  // void: ignored with a warning
            r->logits_readable = llmrt_get_logits(r->ctx) != nullptr;
            r->n_past_after = llmrt_context_n_past(r->ctx);
        }
        return 0;
    };
    llmrt_generate_params gp;
    llmrt_generate_params_init(&gp);
    gp.max_new_tokens = 24;
    llmrt_set_log_level(LLMRT_LOG_ERROR);  // the two ignored calls warn
    ASSERT_EQ(llmrt_generate(ctx.get(), s.get(), kPrompt, &gp, cb, &r), LLMRT_OK) << llmrt_last_error();
    llmrt_set_log_level(LLMRT_LOG_WARN);
    EXPECT_EQ(r.statuses, std::vector<llmrt_status>(5, LLMRT_ERR_BUSY));
    EXPECT_TRUE(r.logits_readable);
    EXPECT_EQ(r.n_past_after, r.n_past_before) << "a refused call changed the sequence";
    EXPECT_EQ(r.text, expected) << "the generation was disturbed by the refused calls";
    // Free again once the call has returned.
    const llmrt_token t = 1;
    EXPECT_EQ(llmrt_decode(ctx.get(), &t, 1), LLMRT_OK) << llmrt_last_error();
}

TEST(Reliability, FreeingTheContextFromItsCallbackCancelsAndFreesItAfterwards) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    llmrt_context *ctx = test::context(m.get()).release();
    auto s = test::greedy_sampler();
    struct State {
        llmrt_context *ctx;
        int calls = 0;
    } st{ctx};
    auto cb = [](const char *, size_t, int32_t, void *ud) -> int32_t {
        auto *st = static_cast<State *>(ud);
        if (++st->calls == 3) llmrt_context_free(st->ctx);
        return 0;
    };
    llmrt_generate_params gp;
    llmrt_generate_params_init(&gp);
    gp.max_new_tokens = 50;
    gp.stop_at_eos = 0;
    EXPECT_EQ(llmrt_generate(ctx, s.get(), kPrompt, &gp, cb, &st), LLMRT_CANCELLED);
    EXPECT_EQ(st.calls, 3);  // ASan reports any later use of ctx, LeakSanitizer a context never freed
}

TEST(Reliability, ASamplerFreedDuringAGenerationLivesUntilItEnds) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    const std::string expected = greedy_text(m.get(), 16);
    auto ctx = test::context(m.get());
    // Callback form: freed from the callback.
    llmrt_sampler *s = test::greedy_sampler().release();
    struct State {
        llmrt_sampler *s;
        std::string text;
    } st{s, ""};
    auto cb = [](const char *piece, size_t len, int32_t, void *ud) -> int32_t {
        auto *st = static_cast<State *>(ud);
        if (st->text.empty()) llmrt_sampler_free(st->s);
        st->text.append(piece, len);
        return 0;
    };
    llmrt_generate_params gp;
    llmrt_generate_params_init(&gp);
    gp.max_new_tokens = 16;
    ASSERT_EQ(llmrt_generate(ctx.get(), s, kPrompt, &gp, cb, &st), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(st.text, expected);
    // Pull form: freed between begin and next.
    llmrt_context_reset(ctx.get());
    s = test::greedy_sampler().release();
    ASSERT_EQ(llmrt_generate_begin(ctx.get(), s, kPrompt, &gp), LLMRT_OK) << llmrt_last_error();
    llmrt_sampler_free(s);
    std::string text;
    const char *piece = nullptr;
    size_t len = 0;
    llmrt_status status;
    while ((status = llmrt_generate_next(ctx.get(), &piece, &len, nullptr)) == LLMRT_OK) text.append(piece, len);
    EXPECT_EQ(status, LLMRT_END_OF_GENERATION) << llmrt_last_error();
    llmrt_generate_end(ctx.get());
    EXPECT_EQ(text, expected);
}

// ---- 6. cancel semantics ----

TEST(Reliability, ACancelBeforeACallAppliesToThatCallOnly) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    auto ctx = test::context(m.get());
    auto s = test::greedy_sampler();
    llmrt_generate_params gp;
    llmrt_generate_params_init(&gp);
    gp.max_new_tokens = 4;

    llmrt_context_cancel(ctx.get());
    EXPECT_EQ(llmrt_generate(ctx.get(), s.get(), kPrompt, &gp, nullptr, nullptr), LLMRT_CANCELLED);
    EXPECT_EQ(llmrt_generate_stop_code(ctx.get()), LLMRT_STOP_CANCELLED);
    EXPECT_EQ(llmrt_generate(ctx.get(), s.get(), kPrompt, &gp, nullptr, nullptr), LLMRT_OK) << llmrt_last_error();

    const std::vector<int32_t> ids = test::tokenize(m.get(), kPrompt);
    llmrt_context_reset(ctx.get());
    llmrt_context_cancel(ctx.get());
    EXPECT_EQ(llmrt_decode(ctx.get(), ids.data(), static_cast<int32_t>(ids.size())), LLMRT_CANCELLED);
    EXPECT_EQ(llmrt_context_n_past(ctx.get()), 0) << "a cancelled decode keeps none of its tokens";
    EXPECT_EQ(llmrt_decode(ctx.get(), ids.data(), static_cast<int32_t>(ids.size())), LLMRT_OK)
        << "a cancel must not outlive the call it cancelled: " << llmrt_last_error();

    llmrt_context_cancel(ctx.get());
    llmrt_context_reset(ctx.get());
    EXPECT_EQ(llmrt_decode(ctx.get(), ids.data(), static_cast<int32_t>(ids.size())), LLMRT_OK) << "reset clears a cancel";

    // Pull form: each next is a call of its own.
    llmrt_context_reset(ctx.get());
    ASSERT_EQ(llmrt_generate_begin(ctx.get(), s.get(), kPrompt, &gp), LLMRT_OK) << llmrt_last_error();
    const char *piece = nullptr;
    size_t len = 0;
    llmrt_context_cancel(ctx.get());
    EXPECT_EQ(llmrt_generate_next(ctx.get(), &piece, &len, nullptr), LLMRT_CANCELLED);
    EXPECT_EQ(llmrt_generate_next(ctx.get(), &piece, &len, nullptr), LLMRT_OK) << llmrt_last_error();
    llmrt_generate_end(ctx.get());
}

// ---- 7. a model freed before its context ----

TEST(Reliability, AContextKeepsItsModelAlive) {
    llmrt_model *m = test::load(kModel).release();
    ASSERT_NE(m, nullptr);
    const std::vector<int32_t> ids = test::tokenize(m, kPrompt);
    const int32_t n_vocab = llmrt_model_n_vocab(m);
    std::vector<float> expected;
    {
        auto ctx = test::context(m);
        ASSERT_EQ(llmrt_decode(ctx.get(), ids.data(), static_cast<int32_t>(ids.size())), LLMRT_OK);
        expected.assign(llmrt_get_logits(ctx.get()), llmrt_get_logits(ctx.get()) + n_vocab);
    }
    auto ctx = test::context(m);
    llmrt_model_free(m);  // the context still holds it
    ASSERT_EQ(llmrt_decode(ctx.get(), ids.data(), static_cast<int32_t>(ids.size())), LLMRT_OK) << llmrt_last_error();
    const float *logits = llmrt_get_logits(ctx.get());
    EXPECT_EQ(std::vector<float>(logits, logits + n_vocab), expected);
}

// ---- 5. the log callback may call into llmrt ----

struct LogState {
    std::atomic<int> messages{0};
};

void reinstalling_logger(int32_t, const char *, void *ud) {
    auto *st = static_cast<LogState *>(ud);
    ++st->messages;
    // Once deadlocked: the callback ran under the lock these take.
    llmrt_set_log_callback(reinstalling_logger, ud);
    llmrt_set_log_level(LLMRT_LOG_INFO);
}

TEST(Reliability, ALogCallbackMayCallIntoTheLibrary) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    LogState st;
    llmrt_set_log_level(LLMRT_LOG_INFO);
    llmrt_set_log_callback(reinstalling_logger, &st);
    auto run = std::async(std::launch::async, [&] {
        // A context of 8 positions fills up: the generation logs that it stopped (info).
        llmrt_context_params p;
        llmrt_context_params_init(&p);
        p.n_ctx = 8;
        llmrt_context *c = nullptr;
        EXPECT_EQ(llmrt_context_create(m.get(), &p, &c), LLMRT_OK);
        test::ContextPtr ctx(c);
        auto s = test::greedy_sampler();
        return llmrt_generate(ctx.get(), s.get(), "Once", nullptr, nullptr, nullptr);
    });
    if (run.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
        ADD_FAILURE() << "deadlock: the log callback could not call llmrt_set_log_callback";
        std::_Exit(1);
    }
    EXPECT_EQ(run.get(), LLMRT_OK);
    llmrt_set_log_callback(nullptr, nullptr);
    llmrt_set_log_level(LLMRT_LOG_WARN);
    EXPECT_GE(st.messages.load(), 1);
}

// ---- 11. the sampler on NaN/inf logits ----

TEST(Reliability, TheSamplerRefusesLogitsThatMeanNothing) {
    std::vector<float> logits(100, 0.5f);
    logits[7] = 3.0f;
    for (float temperature : {0.0f, 0.8f}) {
        llmrt_sampler_params p;
        llmrt_sampler_params_init(&p);
        p.temperature = temperature;
        p.seed = 1;
        llmrt_sampler *raw = nullptr;
        ASSERT_EQ(llmrt_sampler_create(&p, &raw), LLMRT_OK);
        test::SamplerPtr s(raw);
        llmrt_token t = -1;
        std::vector<float> bad = logits;
        bad[42] = std::nanf("");
        EXPECT_EQ(llmrt_sampler_sample(s.get(), bad.data(), 100, &t), LLMRT_ERR_INVALID_ARGUMENT);
        EXPECT_NE(std::string(llmrt_last_error()).find("token 42 is NaN"), std::string::npos) << llmrt_last_error();
        bad[42] = INFINITY;
        EXPECT_EQ(llmrt_sampler_sample(s.get(), bad.data(), 100, &t), LLMRT_ERR_INVALID_ARGUMENT);
        EXPECT_NE(std::string(llmrt_last_error()).find("+inf"), std::string::npos) << llmrt_last_error();
        std::vector<float> none(100, -INFINITY);
        EXPECT_EQ(llmrt_sampler_sample(s.get(), none.data(), 100, &t), LLMRT_ERR_INVALID_ARGUMENT);
        // -inf masks a token; the rest are still sampled.
        std::vector<float> masked(100, -INFINITY);
        masked[3] = 1.0f;
        ASSERT_EQ(llmrt_sampler_sample(s.get(), masked.data(), 100, &t), LLMRT_OK) << llmrt_last_error();
        EXPECT_EQ(t, 3);
    }
}

}  // namespace

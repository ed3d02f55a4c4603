// The C API's thread-safety promises (include/llmrt.h): a model is shared by many threads, a
// context is used by one thread at a time, llmrt_context_cancel may come from any thread, and
// the log callback may change at any time. Run by scripts/test_tsan.sh under ThreadSanitizer
// (label concurrency), where a data race fails the test even when the outputs happen to agree.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "../api/test_support.h"

// These tests also cover the pull form on the context
// (llmrt_generate_begin/_next/_end), deprecated but kept working: their warnings are expected here.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

const std::string kModel = test::source_path("models/stories260K/stories260K.gguf");
const char *const kPrompts[] = {"Once upon a time", "The cat", "Lily wanted to", "One day, a little"};
constexpr int kThreads = 4;

struct Output {
    std::vector<int32_t> tokens;
    std::string text;
};

int32_t collect(const char *piece, size_t len, int32_t token, void *user_data) {
    auto *out = static_cast<Output *>(user_data);
    if (token >= 0) out->tokens.push_back(token);
    out->text.append(piece, len);
    return 0;
}

llmrt_generate_params generate_params(int32_t max_new_tokens) {
    llmrt_generate_params p;
    llmrt_generate_params_init(&p);
    p.max_new_tokens = max_new_tokens;
    p.stop_at_eos = 0;  // every run produces exactly max_new_tokens tokens, so runs compare fully
    return p;
}

// One greedy generation on a fresh context of its own.
Output greedy(llmrt_model *model, const char *prompt, int32_t max_new_tokens, int32_t n_ctx = 256) {
    auto ctx = test::context(model, n_ctx, 2);
    auto sampler = test::greedy_sampler();
    Output out;
    const llmrt_generate_params p = generate_params(max_new_tokens);
    EXPECT_EQ(llmrt_generate(ctx.get(), sampler.get(), prompt, &p, collect, &out), LLMRT_OK) << llmrt_last_error();
    return out;
}

TEST(Concurrency, ThreadsWithTheirOwnContextsOnOneModelMatchASequentialRun) {
    auto model = test::load(kModel);
    ASSERT_TRUE(model);
    std::vector<Output> sequential;
    for (int i = 0; i < kThreads; ++i) sequential.push_back(greedy(model.get(), kPrompts[i % 4], 48));

    std::vector<Output> parallel(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
        threads.emplace_back([&, i] { parallel[static_cast<size_t>(i)] = greedy(model.get(), kPrompts[i % 4], 48); });
    for (auto &t : threads) t.join();

    for (int i = 0; i < kThreads; ++i) {
        SCOPED_TRACE(kPrompts[i % 4]);
        ASSERT_EQ(sequential[static_cast<size_t>(i)].tokens.size(), 48u);
        EXPECT_EQ(parallel[static_cast<size_t>(i)].tokens, sequential[static_cast<size_t>(i)].tokens);
        EXPECT_EQ(parallel[static_cast<size_t>(i)].text, sequential[static_cast<size_t>(i)].text);
    }
}

// Blocks the generation on its first token until the other thread has cancelled, so the cancel
// certainly arrives while llmrt_generate runs.
struct CancelProbe {
    std::atomic<bool> started{false};
    std::atomic<bool> cancel_sent{false};
    int tokens = 0;
};

int32_t wait_for_cancel(const char *, size_t, int32_t token, void *user_data) {
    auto *probe = static_cast<CancelProbe *>(user_data);
    if (token < 0) return 0;
    if (probe->tokens++ == 0) {
        probe->started = true;
        while (!probe->cancel_sent) std::this_thread::yield();
    }
    return 0;
}

TEST(Concurrency, CancelFromAnotherThreadStopsARunningGenerate) {
    auto model = test::load(kModel);
    ASSERT_TRUE(model);
    auto ctx = test::context(model.get(), 512, 2);
    auto sampler = test::greedy_sampler();
    CancelProbe probe;
    std::thread canceller([&] {
        while (!probe.started) std::this_thread::yield();
        llmrt_context_cancel(ctx.get());
        probe.cancel_sent = true;
    });
    const llmrt_generate_params p = generate_params(400);
    const llmrt_status st = llmrt_generate(ctx.get(), sampler.get(), "Once upon a time", &p, wait_for_cancel, &probe);
    canceller.join();
    EXPECT_EQ(st, LLMRT_CANCELLED) << llmrt_last_error();
    EXPECT_EQ(llmrt_generate_stop_code(ctx.get()), LLMRT_STOP_CANCELLED);
    EXPECT_LT(probe.tokens, 400);

    // The cancel was for that call only: the next one runs to its end.
    llmrt_context_reset(ctx.get());
    Output out;
    const llmrt_generate_params again = generate_params(8);
    EXPECT_EQ(llmrt_generate(ctx.get(), sampler.get(), "Once upon a time", &again, collect, &out), LLMRT_OK)
        << llmrt_last_error();
    EXPECT_EQ(out.tokens.size(), 8u);
}

// The header: a cancel applies to the running or the next call on the context (issue 8, defect 6:
// a cancel issued just before llmrt_generate starts must not be dropped) and is cleared when
// that call returns.
TEST(Concurrency, CancelFromAnotherThreadBeforeGenerateStopsThatGenerateOnly) {
    auto model = test::load(kModel);
    ASSERT_TRUE(model);
    auto ctx = test::context(model.get(), 512, 2);
    auto sampler = test::greedy_sampler();
    std::thread([&] { llmrt_context_cancel(ctx.get()); }).join();
    Output cancelled;
    const llmrt_generate_params p = generate_params(32);
    EXPECT_EQ(llmrt_generate(ctx.get(), sampler.get(), "Once upon a time", &p, collect, &cancelled), LLMRT_CANCELLED);
    EXPECT_LT(cancelled.tokens.size(), 32u);

    llmrt_context_reset(ctx.get());
    Output out;
    EXPECT_EQ(llmrt_generate(ctx.get(), sampler.get(), "Once upon a time", &p, collect, &out), LLMRT_OK)
        << llmrt_last_error();
    EXPECT_EQ(out.tokens.size(), 32u);
}

// Cancels hammering a context from another thread: every call ends with OK or CANCELLED, never
// anything else, and a run that was not cancelled is complete.
TEST(Concurrency, CancelsRacingWithGenerationsEndEveryCallCleanly) {
    auto model = test::load(kModel);
    ASSERT_TRUE(model);
    auto ctx = test::context(model.get(), 256, 2);
    auto sampler = test::greedy_sampler();
    std::atomic<bool> done{false};
    std::thread canceller([&] {
        while (!done) {
            llmrt_context_cancel(ctx.get());
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    });
    int n_cancelled = 0, n_ok = 0;
    for (int i = 0; i < 20; ++i) {
        llmrt_context_reset(ctx.get());
        Output out;
        const llmrt_generate_params p = generate_params(16);
        const llmrt_status st = llmrt_generate(ctx.get(), sampler.get(), kPrompts[i % 4], &p, collect, &out);
        ASSERT_TRUE(st == LLMRT_OK || st == LLMRT_CANCELLED) << st << ": " << llmrt_last_error();
        if (st == LLMRT_OK) {
            ++n_ok;
            EXPECT_EQ(out.tokens.size(), 16u);
        } else {
            ++n_cancelled;
        }
    }
    done = true;
    canceller.join();
    EXPECT_EQ(n_ok + n_cancelled, 20);
    EXPECT_GT(n_cancelled, 0);
}

struct LogCount {
    std::atomic<int> messages{0};
};

void count_log(int32_t, const char *message, void *user_data) {
    // Reads the message, so a callback given a freed or torn string shows under the sanitizers.
    if (message[0] != '\0') static_cast<LogCount *>(user_data)->messages++;
}

// Generations that log (each fills its small context, which logs at info level) while another
// thread keeps switching the log callback: every message reaches one of the callbacks, and the
// generations' outputs are those of a quiet run.
TEST(Concurrency, LogCallbackChangedWhileOtherThreadsGenerateAndLog) {
    auto model = test::load(kModel);
    ASSERT_TRUE(model);
    constexpr int32_t kCtx = 24;
    const Output quiet = greedy(model.get(), kPrompts[0], 64, kCtx);
    ASSERT_FALSE(quiet.tokens.empty());

    LogCount a, b;
    llmrt_set_log_callback(count_log, &a);
    llmrt_set_log_level(LLMRT_LOG_DEBUG);
    std::atomic<bool> done{false};
    std::thread switcher([&] {
        for (int i = 0; !done; ++i) {
            llmrt_set_log_callback(count_log, i % 2 ? &a : &b);
            std::this_thread::yield();
        }
    });
    constexpr int kRuns = 6;
    std::vector<Output> outputs(kThreads * kRuns);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int r = 0; r < kRuns; ++r) outputs[static_cast<size_t>(t * kRuns + r)] = greedy(model.get(), kPrompts[0], 64, kCtx);
        });
    }
    for (auto &t : threads) t.join();
    done = true;
    switcher.join();
    llmrt_set_log_level(LLMRT_LOG_WARN);
    llmrt_set_log_callback(nullptr, nullptr);

    for (const Output &out : outputs) EXPECT_EQ(out.tokens, quiet.tokens);
    EXPECT_GE(a.messages + b.messages, kThreads * kRuns);
}

}  // namespace

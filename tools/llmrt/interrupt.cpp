#include "interrupt.h"

#include "library.h"

#include <atomic>
#include <csignal>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <unistd.h>

namespace cli {

namespace {

std::mutex g_mutex;                 // guards g_context against being freed while cancelled
llmrt_context *g_context = nullptr; // the context Ctrl-C cancels, if any
int g_pollers = 0;                  // live StopOnInterrupt objects
std::atomic<bool> g_interrupted{false};

void watch_for_sigint(sigset_t set) {
    while (true) {
        int signal_number = 0;
        if (sigwait(&set, &signal_number) != 0) {
            continue;
        }
        std::lock_guard<std::mutex> lock(g_mutex);
        // A second Ctrl-C means "stop now", as does one when there is nothing to cancel cleanly.
        if (g_interrupted.exchange(true) || (g_context == nullptr && g_pollers == 0)) {
            static const char message[] = "\ninterrupted\n";
            (void)!write(STDERR_FILENO, message, sizeof message - 1);
            _exit(130);
        }
        if (g_context != nullptr) {
            llmrt_context_cancel(g_context);
        }
    }
}

} // namespace

void install_interrupt_watcher() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread(watch_for_sigint, set).detach();
}

bool interrupt_requested() { return g_interrupted.load(); }

void clear_interrupt() { g_interrupted.store(false); }

void throw_if_interrupted() {
    if (interrupt_requested()) {
        throw Interrupted();
    }
}

CancelOnInterrupt::CancelOnInterrupt(llmrt_context *ctx) {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_context = ctx;
}

CancelOnInterrupt::~CancelOnInterrupt() {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_context = nullptr;
}

StopOnInterrupt::StopOnInterrupt() {
    std::lock_guard<std::mutex> lock(g_mutex);
    ++g_pollers;
}

StopOnInterrupt::~StopOnInterrupt() {
    std::lock_guard<std::mutex> lock(g_mutex);
    --g_pollers;
}

} // namespace cli

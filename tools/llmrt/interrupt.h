// Ctrl-C handling. llmrt_context_cancel is not documented as async-signal-safe, so it is never
// called from a signal handler: SIGINT is blocked in every thread and one watcher thread receives
// it with sigwait() and cancels the registered context from ordinary thread context.
#pragma once

#include "llmrt.h"

namespace cli {

// Must run first in main(), before any llmrt call, so that threads the library starts inherit the
// blocked SIGINT and the signal can only reach the watcher.
void install_interrupt_watcher();

// True once Ctrl-C was pressed.
bool interrupt_requested();
// Throws Interrupted if Ctrl-C was pressed. Needed because llmrt_context_reset clears a pending
// cancel: loops that reset check this after each step.
void throw_if_interrupted();

// While alive, Ctrl-C cancels ctx (a second Ctrl-C, or one with no context registered, exits at
// once with status 130).
class CancelOnInterrupt {
public:
    explicit CancelOnInterrupt(llmrt_context *ctx);
    ~CancelOnInterrupt();
    CancelOnInterrupt(const CancelOnInterrupt &) = delete;
    CancelOnInterrupt &operator=(const CancelOnInterrupt &) = delete;
};

} // namespace cli

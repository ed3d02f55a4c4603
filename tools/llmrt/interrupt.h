// Ctrl-C handling. llmrt_context_cancel is not documented as async-signal-safe, so it is never
// called from a signal handler: SIGINT is blocked in every thread and one watcher thread receives
// it with sigwait() and cancels the registered context from ordinary thread context, or raises a
// flag that a polling operation (quantization) checks.
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
// Forgets a Ctrl-C that has been handled, so that the next one cancels again instead of exiting
// (llmrt chat: Ctrl-C stops one answer, and the conversation goes on).
void clear_interrupt();

// While alive, Ctrl-C cancels ctx (a second Ctrl-C, or one with no context registered, exits at
// once with status 130).
class CancelOnInterrupt {
public:
    explicit CancelOnInterrupt(llmrt_context *ctx);
    ~CancelOnInterrupt();
    CancelOnInterrupt(const CancelOnInterrupt &) = delete;
    CancelOnInterrupt &operator=(const CancelOnInterrupt &) = delete;
};

// While alive, Ctrl-C only sets the flag interrupt_requested() reports, for work that polls it
// (the quantization progress callback returns non-zero once it is set). A second Ctrl-C still
// exits at once with status 130.
class StopOnInterrupt {
public:
    StopOnInterrupt();
    ~StopOnInterrupt();
    StopOnInterrupt(const StopOnInterrupt &) = delete;
    StopOnInterrupt &operator=(const StopOnInterrupt &) = delete;
};

} // namespace cli

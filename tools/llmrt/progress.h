// Progress of a quantization on stderr, driven by llmrt_quant_params.progress: one line redrawn in
// place on a terminal, plain lines otherwise (on a new tensor or every 10%), so logs stay short.
// The callback also asks the library to stop once Ctrl-C was pressed (see StopOnInterrupt).
#pragma once

#include "llmrt.h"

#include <mutex>
#include <string>

namespace cli {

class ProgressBar {
public:
    enum class Mode {
        Always,       // `llmrt quantize`: the progress is the command's output
        TerminalOnly, // load-time quantization: only on a terminal, erased when done
    };

    ProgressBar(std::string label, Mode mode);
    ~ProgressBar();
    ProgressBar(const ProgressBar &) = delete;
    ProgressBar &operator=(const ProgressBar &) = delete;

    // Sets params->progress and params->progress_user_data to report to this bar.
    void attach(llmrt_quant_params *params);
    // Ends the line drawn on a terminal (kept in Always mode, erased otherwise). Idempotent.
    void finish();

private:
    static int32_t callback(float fraction, const char *tensor_name, void *user_data);
    void update(float fraction, const char *tensor_name);

    std::string label_;
    Mode mode_;
    bool tty_ = false;
    bool drawn_ = false; // a terminal line is on screen and not yet ended
    int last_permille_ = -1;
    int last_printed_percent_ = -100;
    std::string last_tensor_;
    std::mutex mutex_; // the library may report from its worker threads
};

} // namespace cli

#include "progress.h"

#include "interrupt.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace cli {

namespace {

constexpr int kBarWidth = 30;
constexpr size_t kNameWidth = 48; // longer tensor names keep their end, the informative part

std::string shorten(const std::string &name) {
    return name.size() <= kNameWidth ? name : "..." + name.substr(name.size() - (kNameWidth - 3));
}

} // namespace

ProgressBar::ProgressBar(std::string label, Mode mode)
    : label_(std::move(label)), mode_(mode), tty_(isatty(STDERR_FILENO) == 1) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::attach(llmrt_quant_params *params) {
    params->progress = &ProgressBar::callback;
    params->progress_user_data = this;
}

int32_t ProgressBar::callback(float fraction, const char *tensor_name, void *user_data) {
    static_cast<ProgressBar *>(user_data)->update(fraction, tensor_name ? tensor_name : "");
    // Non-zero makes the library stop, clean up and return LLMRT_CANCELLED.
    return interrupt_requested() ? 1 : 0;
}

void ProgressBar::update(float fraction, const char *tensor_name) {
    std::lock_guard<std::mutex> lock(mutex_);
    fraction = std::min(1.0f, std::max(0.0f, std::isfinite(fraction) ? fraction : 0.0f));
    const std::string tensor = tensor_name;
    const bool new_tensor = tensor != last_tensor_;
    last_tensor_ = tensor;
    if (tty_) {
        // Redraw only when something visible changed: the writing phase reports very often.
        const int permille = static_cast<int>(fraction * 1000.0f);
        if (!new_tensor && permille == last_permille_) {
            return;
        }
        last_permille_ = permille;
        const int filled = static_cast<int>(fraction * kBarWidth);
        std::fprintf(stderr, "\r%s [%s%s] %5.1f%% %s\033[K", label_.c_str(),
                     std::string(static_cast<size_t>(filled), '#').c_str(),
                     std::string(static_cast<size_t>(kBarWidth - filled), '.').c_str(),
                     fraction * 100.0f, shorten(tensor).c_str());
        std::fflush(stderr);
        drawn_ = true;
        return;
    }
    if (mode_ == Mode::TerminalOnly) {
        return;
    }
    const int percent = static_cast<int>(fraction * 100.0f);
    if (new_tensor || percent >= last_printed_percent_ + 10 || (percent == 100 && last_printed_percent_ < 100)) {
        std::fprintf(stderr, "%s %3d%% %s\n", label_.c_str(), percent, tensor.c_str());
        std::fflush(stderr);
        last_printed_percent_ = percent;
    }
}

void ProgressBar::finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!drawn_) {
        return;
    }
    std::fputs(mode_ == Mode::Always ? "\n" : "\r\033[K", stderr);
    std::fflush(stderr);
    drawn_ = false;
}

} // namespace cli

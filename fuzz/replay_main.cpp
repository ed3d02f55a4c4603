// Replays fuzz inputs without libFuzzer: each path argument is a file or a directory of files,
// run once through the target's LLVMFuzzerTestOneInput. A defect shows as an abort or a
// sanitizer report, or as an input over the limits libFuzzer also applies (scripts/fuzz.sh):
// -timeout=S seconds per input and -rss_limit_mb=M peak memory, because a size trusted before it
// is checked shows as time and memory, not as a crash. The normal and ASan builds run this under
// ctest for the seeds and regressions.
//   fuzz_replay_<target> [-timeout=S] [-rss_limit_mb=M] PATH...   (absent paths are skipped)
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace fs = std::filesystem;

namespace {

// An input over the time limit may run for minutes more: stop it as libFuzzer would.
void on_timeout(int) {
    const char message[] = "  FAILED: over the time limit (-timeout)\n";
    (void)!write(STDOUT_FILENO, message, sizeof message - 1);
    _exit(1);
}

long peak_rss_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024;
}

}  // namespace

int main(int argc, char **argv) {
    unsigned timeout_s = 0;
    long rss_limit_mb = 0;
    std::vector<fs::path> inputs;
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], "-timeout=", 9) == 0) {
            timeout_s = static_cast<unsigned>(std::atoi(argv[i] + 9));
        } else if (std::strncmp(argv[i], "-rss_limit_mb=", 14) == 0) {
            rss_limit_mb = std::atol(argv[i] + 14);
        } else if (fs::is_directory(argv[i])) {
            for (const auto &entry : fs::directory_iterator(argv[i]))
                if (entry.is_regular_file()) inputs.push_back(entry.path());
        } else if (fs::is_regular_file(argv[i])) {
            inputs.emplace_back(argv[i]);
        }
    }
    std::sort(inputs.begin(), inputs.end());
    // A replay of nothing would pass while checking nothing (a moved or misnamed directory).
    if (inputs.empty()) {
        std::fprintf(stderr, "no inputs found\n");
        return 1;
    }
    signal(SIGALRM, on_timeout);
    for (const fs::path &path : inputs) {
        std::ifstream in(path, std::ios::binary);
        const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::printf("%s (%zu bytes)\n", path.c_str(), bytes.size());
        std::fflush(stdout);
        alarm(timeout_s);
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size());
        alarm(0);
        if (rss_limit_mb > 0 && peak_rss_mb() > rss_limit_mb) {
            std::printf("  FAILED: peak memory %ld MB (limit %ld MB)\n", peak_rss_mb(), rss_limit_mb);
            return 1;  // the peak stays, so later inputs could not be judged
        }
    }
    std::printf("replayed %zu inputs\n", inputs.size());
    return 0;
}

// llmrt check: verifies the checksums of an llmrt file and names every damaged tensor, without
// loading the model.
#include "args.h"
#include "interrupt.h"
#include "library.h"
#include "output.h"

#include <cstdio>
#include <string>
#include <vector>

namespace cli {

namespace {

struct Damaged {
    std::string kind;
    std::string name;
};

struct CheckState {
    size_t checked = 0;
    std::vector<Damaged> damaged;
    bool json = false;
};

int32_t on_region(const char *kind, const char *name, int32_t ok, void *user_data) {
    auto *state = static_cast<CheckState *>(user_data);
    ++state->checked;
    if (!ok) {
        state->damaged.push_back({kind, name});
        if (!state->json) std::printf("damaged %s '%s'\n", kind, name);
    }
    return interrupt_requested() ? 1 : 0;
}

} // namespace

int run_check(int argc, char **argv) {
    std::string path;
    CheckState state;
    ArgParser args("check", "FILE [--json]",
                   "Verifies the checksums of an llmrt file (its header, every tensor and embedded file) and "
                   "names each damaged tensor. Exits with 0 when all match, 1 otherwise.");
    args.string("-m", "--model", "FILE", "the llmrt file (or give it as the only argument)", &path);
    args.flag(nullptr, "--json", "print JSON", &state.json);
    // The file may be given as the one positional argument, as in `llmrt check model.llmrt`.
    std::vector<char *> rest(argv, argv + argc);
    bool positional = false;
    if (argc >= 2 && argv[1][0] != '-') {
        path = argv[1];
        rest.erase(rest.begin() + 1);
        positional = true;
    }
    if (!args.parse(static_cast<int>(rest.size()), rest.data())) {
        return 0;
    }
    if (positional == args.given("--model")) {
        throw UsageError("give the llmrt file once: llmrt check FILE");
    }

    const StopOnInterrupt stop_on_interrupt;
    const llmrt_status status = llmrt_check_file(path.c_str(), on_region, &state);
    if (status == LLMRT_CANCELLED && interrupt_requested()) {
        throw Interrupted();
    }
    const std::string error = status == LLMRT_OK ? "" : llmrt_last_error();
    if (state.json) {
        json damaged = json::array();
        for (const Damaged &d : state.damaged) {
            damaged.push_back({{"kind", d.kind}, {"name", d.name}});
        }
        print_json({{"file", path},
                    {"ok", status == LLMRT_OK},
                    {"checked", state.checked},
                    {"damaged", damaged},
                    {"error", error}});
        return status == LLMRT_OK ? 0 : 1;
    }
    check(status, "checking " + path);
    std::printf("%s: all %zu checksums match (header, tensors and embedded files)\n", path.c_str(), state.checked);
    return 0;
}

} // namespace cli

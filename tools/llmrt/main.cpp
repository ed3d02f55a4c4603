// llmrt: command-line front end over the public C API (include/llmrt.h).
//
// Exit codes: 0 success, 1 a failure at run time (message on stderr with llmrt_last_error()),
// 2 a command-line mistake, 130 interrupted by Ctrl-C.
//
// Adding a subcommand = one cmd_<name>.cpp defining run_<name>() + one line in kCommands below.
#include "args.h"
#include "interrupt.h"
#include "library.h"

#include "llmrt.h"

#include <cstdio>
#include <cstring>
#include <exception>

namespace cli {

// Each takes argv with argv[0] = the subcommand name and returns the exit code. They report
// failures by throwing UsageError, LibraryError, Interrupted or std::runtime_error.
int run_generate(int argc, char **argv);
int run_chat(int argc, char **argv);
int run_chat_template(int argc, char **argv);
int run_tokenize(int argc, char **argv);
int run_info(int argc, char **argv);
int run_perplexity(int argc, char **argv);
int run_bench(int argc, char **argv);
int run_quantize(int argc, char **argv);
int run_check(int argc, char **argv);
int run_eval(int argc, char **argv);
int run_serve(int argc, char **argv);

namespace {

struct Command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

const Command kCommands[] = {
    {"generate", "continue a prompt, streaming the text", run_generate},
    {"chat", "chat with a model in the terminal (its chat template, multi-turn)", run_chat},
    {"chat-template", "render a chat template with the variables of a JSON file", run_chat_template},
    {"tokenize", "print the token ids of a text", run_tokenize},
    {"info", "describe a model", run_info},
    {"perplexity", "perplexity of a text file (llama.cpp's method)", run_perplexity},
    {"eval", "zero-shot accuracy: lambada, hellaswag", run_eval},
    {"bench", "prompt and generation speed, bandwidth use", run_bench},
    {"quantize", "quantize a checkpoint into an llmrt file", run_quantize},
    {"check", "verify the checksums of an llmrt file", run_check},
    {"serve", "OpenAI-compatible HTTP server with continuous batching", run_serve},
};

void print_usage(FILE *out) {
    std::fprintf(out, "usage: llmrt <command> [options]   (llmrt <command> --help for its options)\n\ncommands:\n");
    for (const Command &c : kCommands) {
        std::fprintf(out, "  %-12s %s\n", c.name, c.summary);
    }
    std::fprintf(out, "\nllmrt %s\n", llmrt_version_string());
}

const Command *find_command(const char *name) {
    for (const Command &c : kCommands) {
        if (std::strcmp(c.name, name) == 0) {
            return &c;
        }
    }
    return nullptr;
}

// Runs the command and maps each kind of failure to its message and exit code.
int run_guarded(const Command &command, int argc, char **argv) {
    try {
        return command.run(argc, argv);
    } catch (const UsageError &e) {
        std::fprintf(stderr, "llmrt %s: %s\nTry 'llmrt %s --help'.\n", command.name, e.what(),
                     command.name);
        return 2;
    } catch (const Interrupted &) {
        std::fprintf(stderr, "llmrt %s: interrupted\n", command.name);
        return 130;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "llmrt %s: error: %s\n", command.name, e.what());
        return 1;
    }
}

} // namespace

} // namespace cli

int main(int argc, char **argv) {
    cli::install_interrupt_watcher();
    if (argc < 2) {
        cli::print_usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (std::strcmp(name, "-h") == 0 || std::strcmp(name, "--help") == 0 || std::strcmp(name, "help") == 0) {
        cli::print_usage(stdout);
        return 0;
    }
    if (std::strcmp(name, "--version") == 0) {
        std::printf("llmrt %s (API %u)\n", llmrt_version_string(), llmrt_api_version());
        return 0;
    }
    const cli::Command *command = cli::find_command(name);
    if (!command) {
        std::fprintf(stderr, "llmrt: unknown command '%s'\n\n", name);
        cli::print_usage(stderr);
        return 2;
    }
    return cli::run_guarded(*command, argc - 1, argv + 1);
}

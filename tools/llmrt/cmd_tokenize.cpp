// llmrt tokenize: the token ids (and their text pieces) a model's tokenizer gives for a text.
#include "args.h"
#include "library.h"
#include "output.h"

#include <cstdio>
#include <string>

namespace cli {

namespace {

struct TokenizeOptions {
    std::string model_path;
    std::string prompt;
    std::string file;
    bool no_bos = false;
    bool json = false;
};

} // namespace

int run_tokenize(int argc, char **argv) {
    TokenizeOptions o;
    ArgParser args("tokenize", "-m PATH -p TEXT | -f FILE [--no-bos] [--json]",
                   "Prints the token ids of TEXT (or of FILE's bytes, as they are): one line of space-separated ids, or with --json "
                   "{\"ids\": [...], \"pieces\": [...]}.");
    args.string("-m", "--model", "PATH", "model: GGUF file, llmrt file or Hugging Face directory",
                &o.model_path);
    args.string("-p", "--prompt", "TEXT", "text to tokenize", &o.prompt);
    args.string("-f", "--file", "FILE", "file whose text to tokenize, instead of -p", &o.file);
    args.flag(nullptr, "--no-bos", "do not add the model's BOS and other special tokens", &o.no_bos);
    args.flag(nullptr, "--json", "print JSON", &o.json);
    if (!args.parse(argc, argv)) {
        return 0;
    }
    args.require("--model");
    if (args.given("--prompt") == args.given("--file")) {
        throw UsageError("give exactly one of -p/--prompt and -f/--file");
    }

    const std::string text = args.given("--file") ? read_file(o.file) : o.prompt;
    const ModelPtr model = load_model(o.model_path);
    const std::vector<llmrt_token> ids = tokenize(model.get(), text, !o.no_bos);

    if (o.json) {
        json pieces = json::array();
        for (llmrt_token id : ids) {
            pieces.push_back(token_piece(model.get(), id));
        }
        print_json({{"ids", ids}, {"pieces", pieces}});
        return 0;
    }
    std::string line;
    for (size_t i = 0; i < ids.size(); ++i) {
        line += (i ? " " : "") + std::to_string(ids[i]);
    }
    std::printf("%s\n", line.c_str());
    return 0;
}

} // namespace cli

// llmrt chat-template: renders a chat template (a model's, or one from a file) with the variables
// of a JSON object and prints the text byte for byte, to see what a model is given.
#include "args.h"
#include "library.h"
#include "output.h"

#include <cstdio>
#include <string>

namespace cli {

namespace {

struct ChatTemplateOptions {
    std::string model_path;
    std::string template_path;
    std::string context_path;
    std::string name;
};

// The text the library renders, sized by asking for the length first.
std::string render(const llmrt_model *model, const char *tmpl, const std::string &messages,
                   const llmrt_chat_template_params &params) {
    size_t length = 0;
    const llmrt_status sized =
        llmrt_chat_apply_template_json(model, tmpl, messages.c_str(), &params, nullptr, 0, &length);
    if (sized != LLMRT_ERR_BUFFER_TOO_SMALL) {
        check(sized, "cannot render the template");
    }
    std::string text(length + 1, '\0');
    check(llmrt_chat_apply_template_json(model, tmpl, messages.c_str(), &params, text.data(), text.size(), &length),
          "cannot render the template");
    text.resize(length);
    return text;
}

} // namespace

int run_chat_template(int argc, char **argv) {
    ChatTemplateOptions o;
    ArgParser args("chat-template", "-m PATH [--name NAME] | --template FILE, --context FILE.json",
                   "Renders a chat template with the variables of a JSON object ({\"messages\": [...], "
                   "\"add_generation_prompt\": true, \"tools\": [...], \"bos_token\": \"<s>\", ...}) as Hugging Face's "
                   "apply_chat_template does, and prints the text byte for byte (no newline added). Variables the "
                   "object does not give are undefined, except that a model gives its BOS and EOS tokens' text. A "
                   "template that raises prints its message and exits with 1.");
    args.string("-m", "--model", "PATH", "the model whose chat template to render", &o.model_path);
    args.string(nullptr, "--name", "NAME", "with -m: a named template such as tool_use (default: the default one)",
                &o.name);
    args.string(nullptr, "--template", "FILE", "a Jinja template file instead of a model's", &o.template_path);
    args.string(nullptr, "--context", "FILE", "the JSON object of variables; \"messages\" is required",
                &o.context_path);
    if (!args.parse(argc, argv)) {
        return 0;
    }
    args.require("--context");
    if (args.given("--model") == args.given("--template")) {
        throw UsageError("give exactly one of -m/--model and --template");
    }
    if (args.given("--name") && !args.given("--model")) {
        throw UsageError("--name needs -m/--model");
    }
    json context;
    try {
        context = json::parse(read_file(o.context_path));
    } catch (const json::parse_error &e) {
        throw UsageError(o.context_path + ": not JSON: " + e.what());
    }
    if (!context.is_object() || !context.contains("messages") || !context["messages"].is_array()) {
        throw UsageError(o.context_path + ": a JSON object with a \"messages\" array is needed");
    }
    const std::string messages = context["messages"].dump();
    context.erase("messages");
    // Everything else is a variable as given: extra variables win over the library's defaults,
    // and add_generation_prompt is false unless the object says so, as in Jinja.
    const std::string extra = context.dump();
    llmrt_chat_template_params params;
    llmrt_chat_template_params_init(&params);
    params.add_generation_prompt = 0;
    params.extra_vars_json = extra.c_str();

    ModelPtr model;
    std::string tmpl;
    if (args.given("--model")) {
        model = load_model(o.model_path);
        tmpl = model_chat_template(model.get(), o.name.empty() ? nullptr : o.name.c_str());
        if (tmpl.empty()) {
            throw std::runtime_error(o.model_path + " has no chat template" +
                                     (o.name.empty() ? std::string() : " named " + o.name));
        }
    } else {
        tmpl = read_file(o.template_path);
    }
    const std::string text = render(model.get(), tmpl.c_str(), messages, params);
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
        std::fprintf(stderr, "llmrt chat-template: error: cannot write to stdout\n");
        return 1;
    }
    return 0;
}

} // namespace cli

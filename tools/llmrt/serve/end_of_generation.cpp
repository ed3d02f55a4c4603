#include "end_of_generation.h"

#include <algorithm>
#include <cstring>

namespace cli::serve {

std::vector<llmrt_token> end_of_generation_ids(const llmrt_model *model) {
    // llama.cpp's list of end-of-turn markers, which the library's generation also stops at.
    static const char *const kMarkers[] = {
        "<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|endoftext|>", "<|end_of_text|>",
        "<end_of_turn>", "<|end|>", "<EOT>", "<｜end▁of▁sentence｜>",
    };
    std::vector<llmrt_token> ids;
    if (llmrt_model_eos(model) >= 0) ids.push_back(llmrt_model_eos(model));
    for (const char *marker : kMarkers) {
        llmrt_token id[2];
        int32_t n = 0;
        // A vocabulary without the marker splits it into several ordinary tokens.
        if (llmrt_tokenize_n(model, marker, std::strlen(marker), 0, id, 2, &n) == LLMRT_OK && n == 1) {
            ids.push_back(id[0]);
        }
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

}  // namespace cli::serve

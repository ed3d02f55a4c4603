#include "tokenizer/bpe_model.h"

#include <algorithm>
#include <queue>

#include "core/error.h"
#include "tokenizer/unicode.h"

namespace llmrt {
namespace {

struct Symbol {
    int32_t id = -1;
    int prev = -1;
    int next = -1;
    bool alive = true;
};

struct Candidate {
    int32_t rank = 0;
    int left = 0;
    int right = 0;
    int32_t left_id = -1;
    int32_t right_id = -1;
    int32_t result = -1;
};

// Lowest rank first; on equal rank the leftmost pair (HF's Word::merge_all ordering).
struct CandidateOrder {
    bool operator()(const Candidate &a, const Candidate &b) const {
        return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
    }
};

}  // namespace

BpeModel::BpeModel(const TokenVocab &vocab, const std::vector<int32_t> &model_ids,
                   const std::vector<std::pair<std::string, std::string>> &merges, BpeOptions options,
                   const std::string &what)
    : vocab_(vocab), options_(options) {
    index_.reserve(model_ids.size());
    for (const int32_t id : model_ids) {
        if (vocab_.contains(id)) index_.emplace(std::string_view(vocab_.text(id)), id);
    }
    merges_.reserve(merges.size());
    std::string joined;
    for (size_t rank = 0; rank < merges.size(); ++rank) {
        const auto &[a, b] = merges[rank];
        const int32_t left = find(a);
        const int32_t right = find(b);
        joined.assign(a).append(b);
        const int32_t result = find(joined);
        if (left < 0 || right < 0 || result < 0) {
            const std::string &missing = left < 0 ? a : right < 0 ? b : joined;
            fail(Status::Format, what + ": merge " + std::to_string(rank) + " (\"" + a + "\" \"" + b +
                                       "\") uses \"" + missing + "\", which is not in the vocabulary");
        }
        // A repeated merge keeps its first (best) rank.
        merges_.emplace(pair_key(left, right), Merge{static_cast<int32_t>(rank), result});
    }
}

int32_t BpeModel::find(std::string_view text) const {
    const auto it = index_.find(text);
    return it == index_.end() ? -1 : it->second;
}

void BpeModel::encode(std::string_view word, std::vector<int32_t> &out) const {
    if (word.empty()) return;
    if (options_.ignore_merges) {
        const int32_t id = find(word);
        if (id >= 0) {
            out.push_back(id);
            return;
        }
    }

    // Initial symbols: one per character; unknown characters become byte tokens or unk.
    std::vector<Symbol> symbols;
    symbols.reserve(word.size());
    const auto add_symbol = [&](int32_t id) {
        Symbol s;
        s.id = id;
        s.prev = static_cast<int>(symbols.size()) - 1;
        if (!symbols.empty()) symbols.back().next = static_cast<int>(symbols.size());
        symbols.push_back(s);
    };
    const std::vector<int32_t> &byte_ids = vocab_.byte_token_ids();
    bool last_was_unk = false;
    for (size_t pos = 0; pos < word.size();) {
        const size_t len = utf8_char_length(word, pos);
        const std::string_view ch = word.substr(pos, len);
        pos += len;
        const int32_t id = find(ch);
        if (id >= 0) {
            add_symbol(id);
            last_was_unk = false;
            continue;
        }
        if (options_.byte_fallback &&
            std::all_of(ch.begin(), ch.end(), [&](char c) { return byte_ids[static_cast<uint8_t>(c)] >= 0; })) {
            for (const char c : ch) add_symbol(byte_ids[static_cast<uint8_t>(c)]);
            last_was_unk = false;
            continue;
        }
        if (options_.unk_id >= 0 && !(options_.fuse_unk && last_was_unk)) {
            add_symbol(options_.unk_id);
            last_was_unk = true;
        }
    }

    std::priority_queue<Candidate, std::vector<Candidate>, CandidateOrder> queue;
    const auto consider = [&](int left, int right) {
        if (left < 0 || right < 0) return;
        const int32_t a = symbols[static_cast<size_t>(left)].id;
        const int32_t b = symbols[static_cast<size_t>(right)].id;
        const auto it = merges_.find(pair_key(a, b));
        if (it == merges_.end()) return;
        queue.push(Candidate{it->second.rank, left, right, a, b, it->second.result});
    };
    for (size_t i = 1; i < symbols.size(); ++i) consider(static_cast<int>(i) - 1, static_cast<int>(i));

    while (!queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        Symbol &left = symbols[static_cast<size_t>(top.left)];
        Symbol &right = symbols[static_cast<size_t>(top.right)];
        // Skip candidates an earlier merge made stale.
        if (!left.alive || !right.alive || left.next != top.right || left.id != top.left_id ||
            right.id != top.right_id) {
            continue;
        }
        left.id = top.result;
        right.alive = false;
        left.next = right.next;
        if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = top.left;
        consider(left.prev, top.left);
        consider(top.left, left.next);
    }

    for (int i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
        out.push_back(symbols[static_cast<size_t>(i)].id);
    }
}

}  // namespace llmrt

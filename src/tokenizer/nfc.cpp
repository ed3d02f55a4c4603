// NFC = canonical decomposition, canonical ordering of combining marks, canonical composition
// (Unicode Standard Annex #15), with Hangul syllables handled algorithmically.
#include <algorithm>
#include <vector>

#include "tokenizer/unicode.h"
#include "tokenizer/unicode_tables.h"

namespace llmrt {
namespace {

constexpr uint32_t kHangulSBase = 0xAC00, kHangulLBase = 0x1100, kHangulVBase = 0x1161,
                   kHangulTBase = 0x11A7;
constexpr uint32_t kHangulLCount = 19, kHangulVCount = 21, kHangulTCount = 28;
constexpr uint32_t kHangulNCount = kHangulVCount * kHangulTCount;
constexpr uint32_t kHangulSCount = kHangulLCount * kHangulNCount;

uint8_t combining_class(uint32_t cp) {
    const CombiningClassRange *begin = kCombiningClassRanges;
    const CombiningClassRange *end = begin + kCombiningClassRangeCount;
    const auto *it = std::upper_bound(begin, end, cp, [](uint32_t c, const CombiningClassRange &r) {
        return c < r.first;
    });
    if (it == begin) return 0;
    --it;
    return cp <= it->last ? it->combining_class : 0;
}

const CanonicalDecomposition *find_decomposition(uint32_t cp) {
    const CanonicalDecomposition *begin = kCanonicalDecompositions;
    const CanonicalDecomposition *end = begin + kCanonicalDecompositionCount;
    const auto *it = std::lower_bound(begin, end, cp, [](const CanonicalDecomposition &d, uint32_t c) {
        return d.cp < c;
    });
    return (it != end && it->cp == cp) ? it : nullptr;
}

// Returns 0 when first + second do not compose.
uint32_t compose_pair(uint32_t first, uint32_t second) {
    if (first >= kHangulLBase && first < kHangulLBase + kHangulLCount && second >= kHangulVBase &&
        second < kHangulVBase + kHangulVCount) {
        return kHangulSBase +
               ((first - kHangulLBase) * kHangulVCount + (second - kHangulVBase)) * kHangulTCount;
    }
    if (first >= kHangulSBase && first < kHangulSBase + kHangulSCount &&
        (first - kHangulSBase) % kHangulTCount == 0 && second > kHangulTBase &&
        second < kHangulTBase + kHangulTCount) {
        return first + (second - kHangulTBase);
    }
    const CanonicalComposition *begin = kCanonicalCompositions;
    const CanonicalComposition *end = begin + kCanonicalCompositionCount;
    const auto *it = std::lower_bound(begin, end, std::make_pair(first, second),
                                      [](const CanonicalComposition &c, std::pair<uint32_t, uint32_t> k) {
                                          return std::make_pair(c.first, c.second) < k;
                                      });
    return (it != end && it->first == first && it->second == second) ? it->composite : 0;
}

void decompose(uint32_t cp, std::vector<uint32_t> &out) {
    if (cp >= kHangulSBase && cp < kHangulSBase + kHangulSCount) {
        const uint32_t s = cp - kHangulSBase;
        out.push_back(kHangulLBase + s / kHangulNCount);
        out.push_back(kHangulVBase + (s % kHangulNCount) / kHangulTCount);
        if (s % kHangulTCount != 0) out.push_back(kHangulTBase + s % kHangulTCount);
        return;
    }
    const CanonicalDecomposition *d = find_decomposition(cp);
    if (d == nullptr) {
        out.push_back(cp);
        return;
    }
    decompose(d->first, out);  // depth is bounded by the data (at most 4 levels)
    if (d->second != 0) decompose(d->second, out);
}

// Stable sort of every run of non-starters by combining class.
void canonical_order(std::vector<uint32_t> &cps) {
    size_t i = 0;
    while (i < cps.size()) {
        if (combining_class(cps[i]) == 0) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j < cps.size() && combining_class(cps[j]) != 0) ++j;
        std::stable_sort(cps.begin() + static_cast<std::ptrdiff_t>(i),
                         cps.begin() + static_cast<std::ptrdiff_t>(j),
                         [](uint32_t a, uint32_t b) { return combining_class(a) < combining_class(b); });
        i = j;
    }
}

void compose(std::vector<uint32_t> &cps) {
    std::vector<uint32_t> out;
    out.reserve(cps.size());
    size_t starter = SIZE_MAX;  // index in out of the last starter
    int last_class = -1;        // class of the last char after the starter; -1: none in between
    for (const uint32_t cp : cps) {
        const int klass = combining_class(cp);
        // A character between the starter and cp blocks them when its class is 0 or >= cp's.
        const bool blocked = last_class != -1 && (last_class == 0 || last_class >= klass);
        if (starter != SIZE_MAX && !blocked) {
            const uint32_t composite = compose_pair(out[starter], cp);
            if (composite != 0) {
                out[starter] = composite;
                continue;
            }
        }
        if (klass == 0) {
            starter = out.size();
            last_class = -1;
        } else {
            last_class = klass;
        }
        out.push_back(cp);
    }
    cps.swap(out);
}

void nfc_valid_run(std::string_view run, std::string &out) {
    std::vector<uint32_t> cps;
    cps.reserve(run.size());
    size_t pos = 0;
    uint32_t cp = 0;
    while (pos < run.size()) {
        pos += utf8_decode(run, pos, cp);  // the run is valid: never 0
        decompose(cp, cps);
    }
    canonical_order(cps);
    compose(cps);
    for (const uint32_t c : cps) utf8_append(out, c);
}

// Below U+0300 no character decomposes into something that does not compose back, and none
// combines with a preceding character, so such text is already NFC.
bool trivially_nfc(std::string_view text) {
    for (const char c : text) {
        if (static_cast<uint8_t>(c) >= 0xCC) return false;  // lead bytes of U+0300 and up
    }
    return true;
}

}  // namespace

std::string nfc_normalize(std::string_view text) {
    if (trivially_nfc(text)) return std::string(text);
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t valid = utf8_valid_prefix(text.substr(pos));
        if (valid > 0) {
            nfc_valid_run(text.substr(pos, valid), out);
            pos += valid;
        } else {
            out += text[pos++];  // an invalid byte: keep it as is
        }
    }
    return out;
}

}  // namespace llmrt

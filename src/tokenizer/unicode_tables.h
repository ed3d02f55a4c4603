// Canonical Unicode data for NFC, generated into unicode_tables.cpp by gen_unicode_tables.py.
// Every table is sorted by its first field so lookups can binary-search.
#pragma once

#include <cstddef>
#include <cstdint>

namespace llmrt {

struct CombiningClassRange {
    uint32_t first;
    uint32_t last;
    uint8_t combining_class;
};

// One level of a canonical decomposition: cp -> first [second]; second is 0 for singletons.
struct CanonicalDecomposition {
    uint32_t cp;
    uint32_t first;
    uint32_t second;
};

// A primary composite: first + second -> composite (exclusions already removed).
struct CanonicalComposition {
    uint32_t first;
    uint32_t second;
    uint32_t composite;
};

extern const CombiningClassRange kCombiningClassRanges[];
extern const size_t kCombiningClassRangeCount;
extern const CanonicalDecomposition kCanonicalDecompositions[];
extern const size_t kCanonicalDecompositionCount;
extern const CanonicalComposition kCanonicalCompositions[];
extern const size_t kCanonicalCompositionCount;

}  // namespace llmrt

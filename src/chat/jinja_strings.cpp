#include "chat/jinja_strings.h"

#include <algorithm>
#include <cctype>

#include "chat/jinja_error.h"
#include "chat/jinja_value.h"

namespace llmrt::jinja {

// Python's str.isspace() code points, as UTF-8: ASCII ones, U+0085, U+00A0, U+1680, U+2000-200A,
// U+2028, U+2029, U+202F, U+205F, U+3000.
bool is_py_whitespace_at(const std::string &s, size_t i, size_t &len) {
    const auto b = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
    const unsigned char c = b(0);
    len = 1;
    if (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f)) return true;
    len = 2;
    if (c == 0xC2 && (b(1) == 0x85 || b(1) == 0xA0)) return true;
    len = 3;
    if (c == 0xE1 && b(1) == 0x9A && b(2) == 0x80) return true;
    if (c == 0xE2 && b(1) == 0x80 && ((b(2) >= 0x80 && b(2) <= 0x8A) || b(2) == 0xA8 || b(2) == 0xA9 || b(2) == 0xAF))
        return true;
    if (c == 0xE2 && b(1) == 0x81 && b(2) == 0x9F) return true;
    if (c == 0xE3 && b(1) == 0x80 && b(2) == 0x80) return true;
    return false;
}

namespace {

// The text as code points, each flagged as whitespace or not.
struct Chars {
    std::vector<std::string> cps;
    std::vector<bool> space;
};

Chars split_chars(const std::string &s) {
    Chars c;
    c.cps = utf8_chars(s);
    for (const auto &cp : c.cps) {
        size_t len = 0;
        c.space.push_back(is_py_whitespace_at(cp, 0, len) && len == cp.size());
    }
    return c;
}

std::string join_range(const std::vector<std::string> &cps, size_t b, size_t e) {
    std::string out;
    for (size_t i = b; i < e; ++i) out += cps[i];
    return out;
}

}  // namespace

std::string py_strip(const std::string &s, const std::string *chars, bool left, bool right) {
    const Chars c = split_chars(s);
    std::vector<std::string> set;
    if (chars) set = utf8_chars(*chars);
    const auto strip_it = [&](size_t i) {
        return chars ? std::find(set.begin(), set.end(), c.cps[i]) != set.end() : static_cast<bool>(c.space[i]);
    };
    size_t b = 0, e = c.cps.size();
    if (left)
        while (b < e && strip_it(b)) ++b;
    if (right)
        while (e > b && strip_it(e - 1)) --e;
    return join_range(c.cps, b, e);
}

std::vector<std::string> py_split_ws(const std::string &s, int64_t maxsplit, bool from_right) {
    const Chars c = split_chars(s);
    std::vector<std::string> out;
    const size_t n = c.cps.size();
    if (!from_right) {
        size_t i = 0;
        while (i < n) {
            while (i < n && c.space[i]) ++i;
            if (i == n) break;
            if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
                size_t e = n;
                while (e > i && c.space[e - 1]) --e;
                out.push_back(join_range(c.cps, i, e));
                break;
            }
            size_t j = i;
            while (j < n && !c.space[j]) ++j;
            out.push_back(join_range(c.cps, i, j));
            i = j;
        }
        return out;
    }
    size_t i = n;
    while (i > 0) {
        while (i > 0 && c.space[i - 1]) --i;
        if (i == 0) break;
        if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
            size_t b = 0;
            while (b < i && c.space[b]) ++b;
            out.push_back(join_range(c.cps, b, i));
            break;
        }
        size_t j = i;
        while (j > 0 && !c.space[j - 1]) --j;
        out.push_back(join_range(c.cps, j, i));
        i = j;
    }
    std::reverse(out.begin(), out.end());
    return out;
}

std::vector<std::string> py_split(const std::string &s, const std::string &sep, int64_t maxsplit, bool from_right) {
    std::vector<std::string> out;
    if (!from_right) {
        size_t pos = 0;
        for (;;) {
            const size_t at = s.find(sep, pos);
            if (at == std::string::npos || (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit)) break;
            out.push_back(s.substr(pos, at - pos));
            pos = at + sep.size();
        }
        out.push_back(s.substr(pos));
        return out;
    }
    size_t end = s.size();
    for (;;) {
        if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) break;
        if (end < sep.size()) break;
        const size_t at = s.rfind(sep, end - sep.size());
        if (at == std::string::npos) break;
        out.push_back(s.substr(at + sep.size(), end - at - sep.size()));
        end = at;
    }
    out.push_back(s.substr(0, end));
    std::reverse(out.begin(), out.end());
    return out;
}

std::vector<std::string> py_splitlines(const std::string &s) {
    std::vector<std::string> out;
    std::string line;
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        size_t brk = 0;
        if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') brk = 2;
        else if (c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e)) brk = 1;
        else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85) brk = 2;
        else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                 (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9))
            brk = 3;
        if (brk) {
            out.push_back(line);
            line.clear();
            i += brk;
        } else {
            line += s[i++];
        }
    }
    if (!line.empty()) out.push_back(line);
    return out;
}

std::string py_replace(const std::string &s, const std::string &old, const std::string &repl, int64_t count) {
    std::string out;
    if (old.empty()) {
        // Python inserts repl between every code point (and at both ends).
        const auto cps = utf8_chars(s);
        int64_t done = 0;
        for (const auto &cp : cps) {
            if (count < 0 || done < count) {
                out += repl;
                ++done;
            }
            out += cp;
        }
        if (count < 0 || done < count) out += repl;
        return out;
    }
    size_t pos = 0;
    int64_t done = 0;
    for (;;) {
        const size_t at = s.find(old, pos);
        if (at == std::string::npos || (count >= 0 && done == count)) break;
        out += s.substr(pos, at - pos) + repl;
        pos = at + old.size();
        ++done;
    }
    return out + s.substr(pos);
}

int64_t py_count(const std::string &s, const std::string &needle) {
    if (needle.empty()) return static_cast<int64_t>(utf8_chars(s).size()) + 1;
    int64_t n = 0;
    for (size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + needle.size())) ++n;
    return n;
}

namespace {

// Simple case mapping for the scripts chat text is most often in (ASCII, Latin-1, Latin
// Extended-A, Greek, Cyrillic); other code points are left as they are.
uint32_t to_upper_cp(uint32_t c) {
    if (c >= 'a' && c <= 'z') return c - 32;
    if (c < 0x80) return c;
    if ((c >= 0xE0 && c <= 0xFE && c != 0xF7)) return c - 32;
    if (c == 0xFF) return 0x178;
    if (c == 0xB5) return 0x39C;
    if (c == 0x131) return 'I';
    if (c == 0x17F) return 'S';
    if (c == 0x130 || c == 0x138 || c == 0x149 || c == 0x178) return c;  // no simple upper case
    if (c >= 0x100 && c <= 0x17F) {
        const bool odd_lower = (c <= 0x137) || (c >= 0x14A && c <= 0x177);
        if (odd_lower) return (c & 1) ? c - 1 : c;
        return (c & 1) ? c : c - 1;  // 0x139-0x148, 0x179-0x17E: even code points are lower case
    }
    if (c >= 0x3B1 && c <= 0x3CB) return c == 0x3C2 ? 0x3A3 : c - 32;  // incl. ϊ ϋ
    if (c == 0x3AC) return 0x386;
    if (c >= 0x3AD && c <= 0x3AF) return c - 37;
    if (c == 0x3CC) return 0x38C;
    if (c == 0x3CD || c == 0x3CE) return c - 63;
    if (c >= 0x430 && c <= 0x44F) return c - 32;
    if (c >= 0x450 && c <= 0x45F) return c - 80;
    return c;
}

uint32_t to_lower_cp(uint32_t c) {
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c < 0x80) return c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
    if (c == 0x178) return 0xFF;
    if (c >= 0x100 && c <= 0x17F) {
        const bool odd_lower = (c <= 0x137) || (c >= 0x14A && c <= 0x177);
        if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F) return c;
        if (odd_lower) return (c & 1) ? c : c + 1;
        return (c & 1) ? c + 1 : c;
    }
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;  // incl. Ϊ Ϋ
    if (c == 0x386) return 0x3AC;
    if (c >= 0x388 && c <= 0x38A) return c + 37;
    if (c == 0x38C) return 0x3CC;
    if (c == 0x38E || c == 0x38F) return c + 63;
    if (c >= 0x410 && c <= 0x42F) return c + 32;
    if (c >= 0x400 && c <= 0x40F) return c + 80;
    return c;
}

void append_cp(std::string &out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Maps each well-formed 1-3 byte UTF-8 sequence; everything else is copied as it is.
std::string map_case(const std::string &s, bool upper) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        uint32_t cp = c;
        size_t n = 1;
        if ((c >> 5) == 6 && i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) >> 6) == 2) {
            cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
            n = 2;
        } else if (c >= 0x80) {
            size_t len = (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
            len = std::min(len, s.size() - i);
            out.append(s, i, len);
            i += len;
            continue;
        }
        if (upper && cp == 0xDF) {
            out += "SS";  // Python: 'ß'.upper() == 'SS'
        } else {
            const uint32_t m = upper ? to_upper_cp(cp) : to_lower_cp(cp);
            if (m == cp) out.append(s, i, n);
            else append_cp(out, m);
        }
        i += n;
    }
    return out;
}

}  // namespace

std::string py_upper(std::string s) { return map_case(s, true); }
std::string py_lower(std::string s) { return map_case(s, false); }

std::string py_title(const std::string &s) {
    std::string out = s;
    bool prev_cased = false;
    for (char &c : out) {
        const unsigned char u = static_cast<unsigned char>(c);
        if (std::isalpha(u)) {
            c = static_cast<char>(prev_cased ? std::tolower(u) : std::toupper(u));
            prev_cased = true;
        } else {
            prev_cased = u >= 0x80 && prev_cased;
        }
    }
    return out;
}

std::string py_capitalize(const std::string &s) {
    std::string out = py_lower(s);
    if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
    return out;
}

bool py_is_class(const std::string &s, const std::string &method) {
    if (s.empty()) return false;
    const auto all = [&](int (*pred)(int)) {
        return std::all_of(s.begin(), s.end(), [&](char c) { return pred(static_cast<unsigned char>(c)) != 0; });
    };
    if (method == "isdigit") return all(std::isdigit);
    if (method == "isalpha") return all(std::isalpha);
    if (method == "isalnum") return all(std::isalnum);
    if (method == "isspace") return py_strip(s, nullptr, true, true).empty();
    const bool has_cased = std::any_of(s.begin(), s.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; });
    if (method == "islower") return has_cased && py_lower(s) == s;
    if (method == "isupper") return has_cased && py_upper(s) == s;
    raise("TypeError", "str has no method '" + method + "'");
}

}  // namespace llmrt::jinja

#include "chat/jinja_lexer.h"

#include <cctype>
#include <cstring>

#include "chat/jinja_error.h"

namespace llmrt::jinja {

namespace {

bool is_py_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Jinja2 reads the template with universal newlines and drops a single trailing newline
// (keep_trailing_newline=False).
std::string normalize_newlines(const std::string &src) {
    std::string out;
    out.reserve(src.size());
    for (size_t i = 0; i < src.size(); ++i) {
        if (src[i] == '\r') {
            out += '\n';
            if (i + 1 < src.size() && src[i + 1] == '\n') ++i;
        } else {
            out += src[i];
        }
    }
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

void append_utf8(std::string &out, unsigned long cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Python's "unicode-escape" decoding of a string literal's body (what Jinja2 applies);
// unknown escapes keep their backslash, as Python does.
std::string unescape(const std::string &body) {
    std::string out;
    for (size_t i = 0; i < body.size(); ++i) {
        if (body[i] != '\\' || i + 1 == body.size()) {
            out += body[i];
            continue;
        }
        const char c = body[++i];
        const auto hex = [&](size_t n) {
            unsigned long cp = 0;
            for (size_t k = 1; k <= n; ++k) {
                if (i + k >= body.size() || !std::isxdigit(static_cast<unsigned char>(body[i + k])))
                    raise("TemplateSyntaxError", "truncated escape in a string literal");
                const char h = static_cast<char>(std::tolower(static_cast<unsigned char>(body[i + k])));
                cp = cp * 16 + static_cast<unsigned long>(h <= '9' ? h - '0' : h - 'a' + 10);
            }
            i += n;
            return cp;
        };
        switch (c) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case '\\': out += '\\'; break;
            case '\'': out += '\''; break;
            case '"': out += '"'; break;
            case 'a': out += '\a'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'v': out += '\v'; break;
            case '\n': break;  // line continuation
            case 'x': append_utf8(out, hex(2)); break;
            case 'u': append_utf8(out, hex(4)); break;
            case 'U': append_utf8(out, hex(8)); break;
            default:
                if (c >= '0' && c <= '7') {
                    unsigned long cp = static_cast<unsigned long>(c - '0');
                    for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7'; ++k)
                        cp = cp * 8 + static_cast<unsigned long>(body[++i] - '0');
                    append_utf8(out, cp);
                } else {
                    out += '\\';
                    out += c;
                }
        }
    }
    return out;
}

class Lexer {
public:
    Lexer(const std::string &source, const LexOptions &opt) : src_(normalize_newlines(source)), opt_(opt) {}

    std::vector<Token> run() {
        bool line_starting = true;
        while (pos_ < src_.size()) {
            const size_t tag = next_tag(pos_);
            std::string text = src_.substr(pos_, tag - pos_);
            if (tag == src_.size()) {
                emit(Tok::Text, text);
                break;
            }
            const char kind = src_[tag + 1];
            const char sign = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
            text = strip_before(text, kind, sign, line_starting);
            emit(Tok::Text, text);
            pos_ = tag + 2 + (sign == '-' || sign == '+' ? 1 : 0);
            if (kind == '#')
                skip_comment();
            else if (kind == '%' && is_tag_named(pos_, "raw"))
                lex_raw();
            else
                lex_tag(kind);
            line_starting = pos_ > 0 && src_[pos_ - 1] == '\n';
        }
        tokens_.push_back({Tok::Eof, "", line_});
        return std::move(tokens_);
    }

private:
    size_t next_tag(size_t from) const {
        for (size_t i = from; i + 1 < src_.size(); ++i)
            if (src_[i] == '{' && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
        return src_.size();
    }

    std::string strip_before(const std::string &text, char kind, char sign, bool line_starting) const {
        if (sign == '-') {
            size_t end = text.size();
            while (end > 0 && is_py_space(text[end - 1])) --end;
            return text.substr(0, end);
        }
        if (sign == '+' || !opt_.lstrip_blocks || kind == '{') return text;
        const size_t nl = text.rfind('\n');
        const size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
        if (l_pos == 0 && !line_starting) return text;
        if (l_pos == text.size()) return text;
        for (size_t i = l_pos; i < text.size(); ++i)
            if (!is_py_space(text[i])) return text;
        return text.substr(0, l_pos);
    }

    void emit(Tok type, const std::string &text) {
        if (type == Tok::Text && text.empty()) return;
        tokens_.push_back({type, text, line_});
        for (char c : text)
            if (c == '\n') ++line_;
    }

    // After a tag's end marker: '-' strips all following whitespace, trim_blocks one newline.
    void after_end(char sign, bool is_block) {
        if (sign == '-') {
            while (pos_ < src_.size() && is_py_space(src_[pos_])) advance();
        } else if (sign != '+' && is_block && opt_.trim_blocks && pos_ < src_.size() && src_[pos_] == '\n') {
            advance();
        }
    }

    void advance() {
        if (src_[pos_] == '\n') ++line_;
        ++pos_;
    }

    // Is the block tag whose body starts at `from` exactly "{% <name> %}" (any whitespace, signs)?
    // Returns the position after its "%}" through end_of_tag.
    bool is_tag_named(size_t from, const char *name, size_t *end_of_tag = nullptr, char *end_sign = nullptr) const {
        size_t i = from;
        while (i < src_.size() && is_py_space(src_[i])) ++i;
        const size_t n = std::strlen(name);
        if (src_.compare(i, n, name) != 0) return false;
        i += n;
        while (i < src_.size() && is_py_space(src_[i])) ++i;
        char sign = '\0';
        if (i < src_.size() && (src_[i] == '-' || src_[i] == '+')) sign = src_[i++];
        if (src_.compare(i, 2, "%}") != 0) return false;
        if (end_of_tag) *end_of_tag = i + 2;
        if (end_sign) *end_sign = sign;
        return true;
    }

    // {% raw %}...{% endraw %}: the body is text, whatever it holds.
    void lex_raw() {
        size_t body_start = pos_;
        char sign = '\0';
        is_tag_named(pos_, "raw", &body_start, &sign);
        for (size_t i = body_start; i + 1 < src_.size(); ++i) {
            if (src_[i] != '{' || src_[i + 1] != '%') continue;
            const bool strip = i + 2 < src_.size() && src_[i + 2] == '-';
            const size_t inner = i + 2 + (i + 2 < src_.size() && (src_[i + 2] == '-' || src_[i + 2] == '+') ? 1 : 0);
            size_t end = 0;
            char end_sign = '\0';
            if (!is_tag_named(inner, "endraw", &end, &end_sign)) continue;
            std::string body = src_.substr(body_start, i - body_start);
            if (sign == '-') body.erase(0, body.find_first_not_of(" \t\n\r\f\v") == std::string::npos ? body.size() : body.find_first_not_of(" \t\n\r\f\v"));
            if (strip)
                while (!body.empty() && is_py_space(body.back())) body.pop_back();
            emit(Tok::Text, body);
            for (size_t k = pos_; k < body_start; ++k)
                if (src_[k] == '\n') ++line_;
            pos_ = end;
            after_end(end_sign, true);
            return;
        }
        raise("TemplateSyntaxError", "missing end of raw directive (line " + std::to_string(line_) + ")");
    }

    void skip_comment() {
        const size_t end = src_.find("#}", pos_);
        if (end == std::string::npos) raise("TemplateSyntaxError", "missing end of comment tag (line " + std::to_string(line_) + ")");
        for (size_t i = pos_; i < end; ++i)
            if (src_[i] == '\n') ++line_;
        const char sign = end > pos_ ? src_[end - 1] : '\0';
        pos_ = end + 2;
        after_end(sign, true);
    }

    // Does an end marker ("%}" / "}}", optionally with '-' or '+') start at pos_?
    bool at_end(char kind, char &sign, size_t &len) const {
        const char *close = kind == '%' ? "%}" : "}}";
        if (src_.compare(pos_, 2, close) == 0) {
            sign = '\0';
            len = 2;
            return true;
        }
        if ((src_[pos_] == '-' || src_[pos_] == '+') && src_.compare(pos_ + 1, 2, close) == 0) {
            sign = src_[pos_];
            len = 3;
            return true;
        }
        return false;
    }

    void lex_tag(char kind) {
        const bool block = kind == '%';
        emit(block ? Tok::BlockBegin : Tok::VarBegin, "");
        int depth = 0;  // open brackets: "}}" inside a dict literal does not end the tag
        for (;;) {
            while (pos_ < src_.size() && is_py_space(src_[pos_])) advance();
            if (pos_ >= src_.size())
                raise("TemplateSyntaxError", std::string("unexpected end of template, expected '") +
                                                 (block ? "%}" : "}}") + "' (line " + std::to_string(line_) + ")");
            char sign = '\0';
            size_t len = 0;
            if (depth == 0 && at_end(kind, sign, len)) {
                pos_ += len;
                emit(block ? Tok::BlockEnd : Tok::VarEnd, "");
                after_end(sign, block);
                return;
            }
            lex_one(depth);
        }
    }

    void lex_one(int &depth) {
        const char c = src_[pos_];
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            size_t end = pos_;
            while (end < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[end])) || src_[end] == '_')) ++end;
            emit(Tok::Name, src_.substr(pos_, end - pos_));
            pos_ = end;
        } else if (std::isdigit(static_cast<unsigned char>(c))) {
            lex_number();
        } else if (c == '\'' || c == '"') {
            lex_string(c);
        } else {
            static const char *const ops2[] = {"//", "**", "==", "!=", "<=", ">="};
            for (const char *op : ops2)
                if (src_.compare(pos_, 2, op) == 0) {
                    emit(Tok::Op, op);
                    pos_ += 2;
                    return;
                }
            if (!std::strchr("+-*/%~<>=()[]{},.:|", c))
                raise("TemplateSyntaxError", std::string("unexpected char '") + c + "' (line " + std::to_string(line_) + ")");
            if (c == '(' || c == '[' || c == '{') ++depth;
            if (c == ')' || c == ']' || c == '}') --depth;
            emit(Tok::Op, std::string(1, c));
            ++pos_;
        }
    }

    void lex_number() {
        size_t end = pos_;
        const auto digits = [&] {
            while (end < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[end])) || src_[end] == '_')) ++end;
        };
        digits();
        bool is_float = false;
        if (end + 1 < src_.size() && src_[end] == '.' && std::isdigit(static_cast<unsigned char>(src_[end + 1]))) {
            is_float = true;
            ++end;
            digits();
        }
        if (end < src_.size() && (src_[end] == 'e' || src_[end] == 'E')) {
            size_t e = end + 1;
            if (e < src_.size() && (src_[e] == '+' || src_[e] == '-')) ++e;
            if (e < src_.size() && std::isdigit(static_cast<unsigned char>(src_[e]))) {
                is_float = true;
                end = e;
                digits();
            }
        }
        std::string spelling;
        for (size_t i = pos_; i < end; ++i)
            if (src_[i] != '_') spelling += src_[i];
        emit(is_float ? Tok::Float : Tok::Integer, spelling);
        pos_ = end;
    }

    void lex_string(char quote) {
        size_t i = pos_ + 1;
        while (i < src_.size() && src_[i] != quote) i += src_[i] == '\\' ? 2 : 1;
        if (i >= src_.size()) raise("TemplateSyntaxError", "unterminated string (line " + std::to_string(line_) + ")");
        const int line = line_;
        const std::string body = src_.substr(pos_ + 1, i - pos_ - 1);
        for (char ch : body)
            if (ch == '\n') ++line_;
        tokens_.push_back({Tok::String, unescape(body), line});
        pos_ = i + 1;
    }

    std::string src_;
    LexOptions opt_;
    size_t pos_ = 0;
    int line_ = 1;
    std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(const std::string &source, const LexOptions &options) {
    return Lexer(source, options).run();
}

}  // namespace llmrt::jinja

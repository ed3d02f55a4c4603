// The syntax tree the parser builds and the evaluator walks. Two plain node types with a kind tag
// keep it small; each field's comment says which kinds use it.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/jinja_value.h"

namespace llmrt::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
    enum class Kind { Literal, Name, List, Tuple, Dict, Attr, Item, Slice, Call, Filter, Test, Unary, Binary, Cond };
    Kind kind;
    int line = 0;
    Value literal;      // Literal
    std::string name;   // Name; Attr: attribute; Filter/Test: its name; Unary/Binary: the operator
    // Children. Binary: [lhs, rhs]; Unary: [operand]; Cond: [then, condition, else (may be null)];
    // Attr: [object]; Item: [object, key]; Slice: [object, start, stop, step] (each may be null);
    // Call: [callee, positional args...]; Filter/Test: [subject (null in a filter block), args...];
    // List/Tuple: elements; Dict: [key0, value0, key1, value1, ...].
    std::vector<ExprPtr> args;
    std::vector<std::pair<std::string, ExprPtr>> kwargs;  // Call/Filter/Test keyword arguments
    bool negated = false;                                 // Test: "is not"
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
    enum class Kind { Text, Output, If, For, Set, SetBlock, Macro, FilterBlock, Break, Continue, Scope };
    Kind kind;
    int line = 0;
    std::string text;                  // Text: the text; Macro: its name
    ExprPtr expr;                      // Output/Set: the value; For: the iterable; FilterBlock: the filter
    std::vector<std::string> targets;  // For/Set/SetBlock: target names (several for unpacking)
    std::string attr;                  // Set/SetBlock "ns.attr = ...": the attribute (targets[0] is ns)
    ExprPtr cond;                      // For: the inline "if" filter
    std::vector<std::pair<ExprPtr, Body>> branches;       // If: (condition, body); else has no condition
    Body body;                                            // For/SetBlock/Macro/FilterBlock/Scope
    Body else_body;                                       // For: runs when nothing was iterated
    std::vector<std::pair<std::string, ExprPtr>> params;  // Macro: (name, default or null)
};

}  // namespace llmrt::jinja

#!/usr/bin/env python3
"""Writes jinja_cases.json: small templates exercising the Jinja features chat templates use, with
what Jinja2 renders (or raises) for them, in the environment transformers' apply_chat_template sets
up (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, its tojson and
raise_exception; strftime_now at a fixed time). test_jinja_engine.cpp compares llmrt with them."""
import datetime
import json
import os

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.ext import loopcontrols
def raise_exception(m): raise jinja2.exceptions.TemplateError(m)
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters['tojson'] = tojson
env.globals['raise_exception'] = raise_exception
env.globals['strftime_now'] = lambda f: datetime.datetime(2025,3,14,15,9,26).strftime(f)
msgs = [{'role': 'system', 'content': ' Sys '}, {'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Yo'}]
cases = [
 ('numbers', '{{ 1 }}|{{ 1.0 }}|{{ 1.5e20 }}|{{ 0.1 + 0.2 }}|{{ 1e-7 }}|{{ 3 / 2 }}|{{ 7 // 2 }}|{{ -7 // 2 }}|{{ -7 % 3 }}|{{ 2 ** 10 }}', {}),
 ('python_repr', '{{ none }}|{{ true }}|{{ [1, "a", none, true, 2.5] }}|{{ {"a": 1, "b": [1, 2]} }}|{{ (1, 2) }}|{{ ["it\'s", "q\\"", "nl\\n"] }}', {}),
 ('undefined_lenient', '[{{ x }}]{{ x is defined }}{{ m.nope is defined }}[{{ m.nope }}]{{ x | length }}{% for i in x %}never{% endfor %}', {'m': {'a': 1}}),
 ('slices', '{{ "abcdef"[1:4] }}|{{ "abcdef"[::-1] }}|{{ "héllo"[1] }}|{{ "héllo" | length }}|{{ [1, 2, 3, 4, 5][1:-1:2] }}|{{ m[-1].role }}', {'m': msgs}),
 ('trim_and_lstrip_blocks', 'a\n  {% if true %}\n  b\n  {% endif %}\n  c\n', {}),
 ('dash_whitespace_control', 'a  {%- if true -%}  b  {%- endif -%}  c|{{- " d " -}}  |', {}),
 ('plus_disables_lstrip', 'x\n  {%+ if true %}y{% endif %}\n{# c #}\nz', {}),
 ('crlf_and_trailing_newline', 'a\r\n{% if true %}\r\nb\r\n{% endif %}\r\n', {}),
 ('loop_variables', '{% for m in msgs %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{% if loop.previtem is defined %}<{{ loop.previtem.role }}{% endif %}{% if loop.nextitem is defined %}>{{ loop.nextitem.role }}{% endif %};{% endfor %}', {'msgs': msgs}),
 ('loop_filter_break_continue_else', '{% for m in msgs if m.role != "system" %}{{ loop.index }}{{ m.role }}{% endfor %}|{% for i in [1, 2, 3, 4] %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}|{% for i in [] %}x{% else %}empty{% endfor %}', {'msgs': msgs}),
 ('loop_scoping', '{% set x = 1 %}{% for i in [1, 2] %}{{ x }}{% set x = i * 10 %}{{ x }}{% endfor %}{{ x }}', {}),
 ('unpacking', '{% for k, v in {"a": 1, "b": 2}.items() %}{{ k }}={{ v }};{% endfor %}{% for k, v in d | items %}{{ k }}{{ v }}{% endfor %}{% set a, b = 1, 2 %}{{ a + b }}', {'d': {'z': 1, 'a': 2}}),
 ('namespace_and_block_set', '{% set ns = namespace(n=0, s="") %}{% for i in [1, 2, 3] %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}{% set b %}\n  in {{ 1 + 1 }}\n{% endset %}[{{ b }}]', {}),
 ('macros', '{% macro f(a, b="B", c=none) %}[{{ a }}{{ b }}{{ c }}]{% endmacro %}{{ f(1) }}{{ f(1, 2) }}{{ f(1, c=3) }}{% macro r(n) %}{{ n }}{% if n > 0 %}{{ r(n - 1) }}{% endif %}{% endmacro %}{{ r(3) }}', {}),
 ('operators', '{{ "a" ~ 1 ~ none ~ x }}|{{ [1] + [2] }}|{{ "ab" * 2 }}|{{ "a" in "cat" }}{{ 1 not in [1] }}{{ "k" in {"k": 1} }}|{{ 0 or "d" }}|{{ 1 and 2 }}|{{ "y" if 0 else "n" }}|{{ 1 == 1.0 }}{{ [1, 2] < [1, 3] }}', {}),
 ('filters', '{{ ["b", "A", "a"] | sort }}|{{ msgs | map(attribute="role") | join(",") }}|{{ msgs | selectattr("role", "equalto", "user") | list | length }}|{{ msgs | rejectattr("role", "eq", "user") | map(attribute="content") | map("trim") | join("|") }}|{{ [1, 1, "a", "A"] | unique | list }}|{{ x | default("d") }}{{ "" | default("e", true) }}|{{ "a\\nb\\n\\nc" | indent(2, first=true) }}|{{ "  t  " | trim }}|{{ "aaa" | replace("a", "b", 2) }}|{{ 3.9 | int }}{{ "x" | int }}|{{ [1, 2] | first }}{{ [1, 2] | last }}', {'msgs': msgs}),
 ('tojson', '{{ {"b": 1, "a": [1, 2.5, none, true, "é\\n\\"\\u0001"], "c": {}} | tojson }}|{{ {"a": [1, {"b": []}]} | tojson(indent=2) }}|{{ {"b": 1, "a": 2} | tojson(sort_keys=true) }}|{{ "é😀" | tojson(true) }}|{{ [1, 2] | tojson(separators=(",", ":")) }}', {}),
 ('tests', '{{ none is none }}{{ 1 is number }}{{ true is integer }}{{ "a" is string }}{{ {} is mapping }}{{ x is iterable }}{{ none is iterable }}{{ 3 is odd }}{{ 9 is divisibleby 3 }}{{ 1 is not none }}{{ 2 is in [1, 2] }}', {}),
 ('string_methods', '{{ " a ".strip() }}|{{ "xxaxx".strip("x") }}|{{ "a\\n\\n".rstrip("\\n") }}|{{ "a b  c".split() }}|{{ "a,b,c".split(",", 1) }}|{{ "a,b,c".rsplit(",", 1) }}|{{ "x</think>y".split("</think>")[-1] }}|{{ "abc".startswith(("x", "a")) }}{{ "abc".endswith("bc") }}|{{ "ab cd".title() }}|{{ "hello".find("l") }}', {}),
 ('dict_methods_and_attribute_lookup', '{{ d.get("a") }}|{{ d.get("z") }}|{{ d.get("z", 5) }}|{{ d.keys() | list }}|{{ d.values() | list }}|{{ d["items"] is callable }}{{ d.items is callable }}', {'d': {'a': 1, 'items': 'I'}}),
 ('markup_escaping', '{{ "<b>" | safe + "<a>" }}|{{ "<a>" + "<b>" | safe }}|{{ ("&" | safe) ~ "<" }}', {}),
 ('raw_block', '{% raw %}{{ x }}{% if %}{% endraw %}|', {}),
 ('globals', '{{ strftime_now("%d %b %Y") }}|{{ range(1, 10, 3) | list }}|{{ namespace(x=1).x }}', {}),
]
errors = [
 ('raise_exception', '{{ raise_exception("boom") }}', {}),
 ('none_not_iterable', '{% for x in none %}{% endfor %}', {}),
 ('str_plus_dict', '{{ "a" + {} }}', {}),
 ('undefined_attribute_access', '{{ x.y }}', {}),
 ('undefined_arithmetic', '{{ x + 1 }}', {}),
 ('generator_tojson', '{{ [1] | map("string") | tojson }}', {}),
 ('unknown_filter_compile_time', '{% for i in [] %}{{ x | nosuch }}{% endfor %}', {}),
 ('unknown_filter_in_if_at_runtime', '{% if true %}{{ x | nosuch }}{% endif %}', {}),
 ('set_attribute_of_non_namespace', '{% set x = 1 %}{% set x.y = 2 %}', {}),
 ('unpack_count', '{% for a, b in [[1, 2, 3]] %}{% endfor %}', {}),
 ('zero_division', '{{ 1 // 0 }}', {}),
 ('comparison_types', '{{ 1 < "a" }}', {}),
]
def out(tmpl, vars):
    try: return ('output', env.from_string(tmpl).render(**vars))
    except Exception as e: return ('error', type(e).__name__ + ': ' + str(e))
res = {'render': [], 'errors': []}
for name, tmpl, vars in cases:
    k, v = out(tmpl, vars); assert k == 'output', (name, v)
    res['render'].append({'name': name, 'template': tmpl, 'vars': vars, 'output': v})
for name, tmpl, vars in errors:
    k, v = out(tmpl, vars); assert k == 'error', (name, v)
    res['errors'].append({'name': name, 'template': tmpl, 'vars': vars, 'error': v})
res['generated_by'] = 'tests/unit/chat/gen_jinja_cases.py with Jinja2 ' + jinja2.__version__ + ', set up as transformers sets it up for chat templates'
out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'jinja_cases.json')
with open(out_path, 'w') as f:
    json.dump(res, f, ensure_ascii=False, indent=1)
    f.write('\n')
print(len(res['render']), 'renderings,', len(res['errors']), 'errors ->', out_path)

package org.llmrt.tests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * prompts[0] of ../shared/reference/stories260K.json. The JDK has no JSON parser, and the first
 * occurrence of each key is the one of prompts[0], so a regular expression is enough.
 */
final class Reference {
  final String prompt;
  final List<Integer> promptTokenIds;
  final List<Integer> greedyTokenIds;
  final String greedyText;

  Reference(String path) throws IOException {
    String json = new String(Files.readAllBytes(Paths.get(path)), StandardCharsets.UTF_8);
    prompt = string(json, "prompt");
    promptTokenIds = ints(json, "prompt_token_ids");
    greedyTokenIds = ints(json, "greedy_token_ids");
    greedyText = string(json, "greedy_text");
  }

  private static String string(String json, String key) {
    Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
    if (!m.find()) throw new IllegalStateException("no " + key + " in the reference");
    return unescape(m.group(1));
  }

  private static List<Integer> ints(String json, String key) {
    Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*\\[([^\\]]*)\\]").matcher(json);
    if (!m.find()) throw new IllegalStateException("no " + key + " in the reference");
    List<Integer> values = new ArrayList<>();
    for (String part : m.group(1).split(",")) values.add(Integer.parseInt(part.trim()));
    return values;
  }

  private static String unescape(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\') {
        out.append(c);
        continue;
      }
      char e = s.charAt(++i);
      switch (e) {
        case 'n': out.append('\n'); break;
        case 't': out.append('\t'); break;
        case 'r': out.append('\r'); break;
        case 'u': out.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16)); i += 4; break;
        default: out.append(e);
      }
    }
    return out.toString();
  }
}

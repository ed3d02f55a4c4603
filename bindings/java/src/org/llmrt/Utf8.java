package org.llmrt;

import java.nio.charset.StandardCharsets;

/** Strings cross the native boundary as standard UTF-8 bytes (see llmrt_java.i). */
final class Utf8 {
  private Utf8() {}

  static byte[] encode(String text) {
    return text == null ? null : text.getBytes(StandardCharsets.UTF_8);
  }

  static String decode(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }
}

package org.llmrt;

import java.nio.charset.StandardCharsets;

/** Strings cross the native boundary as standard UTF-8 bytes (see llmrt_java.i). */
final class Utf8 {
  private Utf8() {}

  static byte[] encode(String text) {
    return text == null ? null : text.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The bytes of text for a NUL-terminated C string parameter. A NUL character would end the
   * string there and the rest would be silently dropped, so it is refused, naming the parameter.
   */
  static byte[] cString(String text, String name) {
    if (text != null && text.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(name + " contains a NUL character, which cannot be passed to llmrt as text");
    }
    return encode(text);
  }

  static String decode(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }
}

package org.llmrt;

/**
 * Receives each piece of text as {@link Context#generate(Sampler, String, GenerateOptions, TokenListener)}
 * produces it. A piece never ends inside a UTF-8 character; it may be empty while one is incomplete.
 */
@FunctionalInterface
public interface TokenListener {
  /**
   * @param piece the new text
   * @param token the token id that completed it
   * @return true to stop the generation (generate then throws {@link CancelledException})
   */
  boolean onToken(String piece, int token);
}

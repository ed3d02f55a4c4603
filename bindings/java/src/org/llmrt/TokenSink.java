package org.llmrt;

/** What the native trampoline calls: decodes the piece's UTF-8 bytes for the user's listener. */
final class TokenSink {
  private final TokenListener listener;

  TokenSink(TokenListener listener) {
    this.listener = listener;
  }

  // Called from native code (signature "([BI)Z"): keep the name and signature in step with llmrt_java.i.
  boolean onPiece(byte[] piece, int token) {
    return listener.onToken(Utf8.decode(piece), token);
  }
}

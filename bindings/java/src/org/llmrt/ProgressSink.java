package org.llmrt;

/** What the native trampoline calls: decodes the tensor name's UTF-8 bytes for the listener. */
final class ProgressSink {
  private final ProgressListener listener;

  ProgressSink(ProgressListener listener) {
    this.listener = listener;
  }

  // Called from native code (signature "(F[B)Z"): keep the name and signature in step with llmrt_java.i.
  boolean onProgress(float fraction, byte[] tensorName) {
    return listener.onProgress(fraction, Utf8.decode(tensorName));
  }
}

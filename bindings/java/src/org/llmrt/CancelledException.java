package org.llmrt;

/** LLMRT_CANCELLED: a listener returned true or Context.cancel() was called. */
public class CancelledException extends LlmrtException {
  public CancelledException(String message) {
    super(7, message);
  }
}

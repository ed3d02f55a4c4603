package org.llmrt;

/** LLMRT_ERR_UNSUPPORTED: valid input this build cannot handle (architecture, data type). */
public class UnsupportedException extends LlmrtException {
  public UnsupportedException(String message) {
    super(4, message);
  }
}

package org.llmrt;

/** LLMRT_ERR_UNSUPPORTED: valid input this build cannot handle (architecture, data type). */
public class UnsupportedException extends UnsupportedOperationException implements LlmrtError {
  public UnsupportedException(String message) {
    super(message);
  }

  @Override
  public int getStatus() {
    return 4;
  }
}

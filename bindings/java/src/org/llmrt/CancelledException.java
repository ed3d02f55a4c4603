package org.llmrt;

/** LLMRT_CANCELLED: a listener returned true or Context.cancel() was called. */
public class CancelledException extends java.util.concurrent.CancellationException implements LlmrtError {
  public CancelledException(String message) {
    super(message);
  }

  @Override
  public int getStatus() {
    return 7;
  }
}

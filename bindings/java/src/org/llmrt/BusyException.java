package org.llmrt;

/** LLMRT_ERR_BUSY: the context is in use by a running call (for example, called from its own listener). */
public class BusyException extends IllegalStateException implements LlmrtError {
  public BusyException(String message) {
    super(message);
  }

  @Override
  public int getStatus() {
    return 11;
  }
}

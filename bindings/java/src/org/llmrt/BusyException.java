package org.llmrt;

/** LLMRT_ERR_BUSY: the context is in use by a running call (for example, called from its own listener). */
public class BusyException extends LlmrtException {
  public BusyException(String message) {
    super(11, message);
  }
}

package org.llmrt;

/** LLMRT_ERR_INTERNAL: a bug in llmrt; please report it. */
public class InternalException extends LlmrtException {
  public InternalException(String message) {
    super(9, message);
  }
}

package org.llmrt;

/** LLMRT_ERR_CONTEXT_FULL: the tokens do not fit in the context window. */
public class ContextFullException extends LlmrtException {
  public ContextFullException(String message) {
    super(6, message);
  }
}

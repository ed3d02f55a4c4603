package org.llmrt;

/** LLMRT_ERR_INVALID_ARGUMENT: a closed object or a bad parameter value. */
public class InvalidArgumentException extends LlmrtException {
  public InvalidArgumentException(String message) {
    super(1, message);
  }
}

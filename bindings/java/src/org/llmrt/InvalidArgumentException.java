package org.llmrt;

/** LLMRT_ERR_INVALID_ARGUMENT: a closed object or a bad parameter value. */
public class InvalidArgumentException extends IllegalArgumentException implements LlmrtError {
  public InvalidArgumentException(String message) {
    super(message);
  }

  @Override
  public int getStatus() {
    return 1;
  }
}

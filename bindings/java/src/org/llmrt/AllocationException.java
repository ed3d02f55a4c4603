package org.llmrt;

/** LLMRT_ERR_OUT_OF_MEMORY: the library could not allocate memory. */
public class AllocationException extends LlmrtException {
  public AllocationException(String message) {
    super(5, message);
  }
}

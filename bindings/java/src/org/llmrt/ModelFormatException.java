package org.llmrt;

/** LLMRT_ERR_FORMAT: a file is malformed (truncated, bad offsets, wrong shapes). */
public class ModelFormatException extends LlmrtException {
  public ModelFormatException(String message) {
    super(3, message);
  }
}

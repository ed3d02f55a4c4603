package org.llmrt;

/** LLMRT_ERR_IO: a file could not be opened, read or written. */
public class FileException extends LlmrtException {
  public FileException(String message) {
    super(2, message);
  }
}

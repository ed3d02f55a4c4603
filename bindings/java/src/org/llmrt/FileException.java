package org.llmrt;

/** LLMRT_ERR_IO: a file could not be opened, read or written. */
public class FileException extends java.io.UncheckedIOException implements LlmrtError {
  public FileException(String message) {
    super(message, new java.io.IOException(message));
  }

  @Override
  public int getStatus() {
    return 2;
  }
}

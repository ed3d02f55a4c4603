package org.llmrt;

/**
 * An error reported by llmrt. Each status has a subclass (FileException, ModelFormatException, ...);
 * the message is the library's (llmrt_last_error()).
 */
public class LlmrtException extends RuntimeException {
  private final int status;

  public LlmrtException(int status, String message) {
    super(message);
    this.status = status;
  }

  /** Thrown from native code for a status without a subclass of its own. */
  public LlmrtException(String message) {
    this(-1, message);
  }

  /** The llmrt_status code (see llmrt.h). */
  public int getStatus() {
    return status;
  }
}

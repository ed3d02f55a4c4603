package org.llmrt;

/**
 * An error reported by llmrt for which the JDK has no better base class (ModelFormatException,
 * AllocationException, ContextFullException, InternalException, and statuses without a class of
 * their own); the message is the library's (llmrt_last_error()). Every llmrt exception, also those
 * derived from JDK classes, implements LlmrtError.
 */
public class LlmrtException extends RuntimeException implements LlmrtError {
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
  @Override
  public int getStatus() {
    return status;
  }
}

package org.llmrt;

/**
 * What every exception the library reports has: its llmrt_status code (see llmrt.h). The
 * exceptions derive from the JDK class a Java caller would catch for that kind of failure
 * (InvalidArgumentException is an IllegalArgumentException, FileException an UncheckedIOException,
 * CancelledException a CancellationException...) and from LlmrtException where the JDK has none;
 * all of them implement this interface.
 */
public interface LlmrtError {
  /** The llmrt_status code. */
  int getStatus();
}

package org.llmrt;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A running generation (a generation handle, llmrt_generation_*) as an iterator of text pieces,
 * from {@link Context#stream} or this constructor. The prompt is evaluated when it is created;
 * each {@link #next()} runs the model for one or more tokens, until a non-empty piece is ready.
 * {@link #stopReason()} says why it ended. The generation ends when the iterator is exhausted or
 * closed; use try-with-resources to stop early. Until then another generation on the context
 * fails with BusyException. It keeps its context and sampler alive: closing them meanwhile frees
 * them only once it ends. Close it on the thread that uses the context: a generation left to the
 * garbage collector is freed by the context's next generation instead.
 */
public final class Generation implements Iterator<String>, Iterable<String>, AutoCloseable {
  private final NativeGeneration handle;
  private String pending;
  private boolean finished;
  private boolean closed;
  private int lastToken = -1;
  private String stopReason = "";
  private int stopCode = Llmrt.STOP_NONE;
  private int generatedCount;

  public Generation(Context context, Sampler sampler, String prompt, GenerateOptions options) {
    handle = new NativeGeneration(context, sampler, prompt, options);
  }

  @Override
  public boolean hasNext() {
    if (pending == null && !finished) {
      if (closed) throw new InvalidArgumentException("this generation has been closed");
      pending = handle.next();
      if (pending == null) {
        finished = true;
        close();
      } else {
        lastToken = handle.getLastToken();
      }
    }
    return pending != null;
  }

  @Override
  public String next() {
    if (!hasNext()) throw new NoSuchElementException("the generation has finished");
    String piece = pending;
    pending = null;
    return piece;
  }

  /** The token that completed the last piece returned. */
  public int lastToken() {
    return lastToken;
  }

  /**
   * Why the generation ended: "length", "eos", "stop_string", "context_full", "cancelled",
   * "callback", or "" while it runs (and when it was closed before it ended).
   */
  public String stopReason() {
    return closed ? stopReason : handle.getStopReason();
  }

  /** Why the generation ended, as one of the Llmrt.STOP_* constants (STOP_NONE while it runs). */
  public int stopCode() {
    return closed ? stopCode : handle.getStopCode();
  }

  /** How many tokens it has produced. */
  public int generatedCount() {
    return closed ? generatedCount : handle.getGeneratedCount();
  }

  @Override
  public Iterator<String> iterator() {
    return this;
  }

  /** Ends the generation and lets its context and sampler go. Safe to call twice. */
  @Override
  public void close() {
    if (!closed) {
      stopReason = handle.getStopReason();
      stopCode = handle.getStopCode();
      generatedCount = handle.getGeneratedCount();
      closed = true;
      pending = null;
      handle.close();
      handle.delete();
    }
  }
}

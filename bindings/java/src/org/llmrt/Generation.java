package org.llmrt;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A running generation as an iterator of text pieces, from {@link Context#stream}. Each
 * {@link #next()} runs the model for one or more tokens, until a non-empty piece is ready. The
 * generation ends when the iterator is exhausted or closed; use try-with-resources to stop early.
 * It keeps its context and sampler alive: closing them meanwhile frees them only once it ends.
 */
public final class Generation implements Iterator<String>, Iterable<String>, AutoCloseable {
  private final PullGeneration pull;
  private String pending;
  private boolean finished;
  private int lastToken = -1;

  Generation(Context context, Sampler sampler, String prompt, GenerateOptions options) {
    pull = new PullGeneration(context, sampler, prompt, options);
  }

  @Override
  public boolean hasNext() {
    if (pending == null && !finished) {
      pending = pull.next();
      if (pending == null) {
        close();
      } else {
        lastToken = pull.getLastToken();
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

  @Override
  public Iterator<String> iterator() {
    return this;
  }

  /** Ends the generation and lets its context and sampler go. Safe to call twice. */
  @Override
  public void close() {
    if (!finished) {
      finished = true;
      pull.end();
      pull.delete();
    }
  }
}

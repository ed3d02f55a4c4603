package org.llmrt;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A running generation as an iterator of text pieces, from {@link Context#stream}. Each
 * {@link #next()} runs the model for one or more tokens, until a non-empty piece is ready. The
 * generation ends when the iterator is exhausted or closed; use try-with-resources to stop early.
 */
public final class Generation implements Iterator<String>, Iterable<String>, AutoCloseable {
  private final Context context;
  private final Sampler sampler; // referenced so it stays alive while the generation uses it
  private String pending;
  private boolean finished;

  Generation(Context context, Sampler sampler, String prompt, GenerateOptions options) {
    this.context = context;
    this.sampler = sampler;
    context.generateBegin(sampler, prompt, options);
  }

  @Override
  public boolean hasNext() {
    if (pending == null && !finished) {
      pending = context.generateNext();
      if (pending == null) close();
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
    return context.getLastToken();
  }

  @Override
  public Iterator<String> iterator() {
    return this;
  }

  /** Ends the generation. Safe to call twice. */
  @Override
  public void close() {
    if (!finished) {
      finished = true;
      context.generateEnd();
    }
  }
}

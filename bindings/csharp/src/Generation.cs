using System;
using System.Collections;
using System.Collections.Generic;

namespace Llmrt {

/// <summary>
/// A running generation (a generation handle, llmrt_generation_*) as its text pieces, from
/// Context.Stream or this constructor. The prompt is evaluated when it is created; each step of
/// the enumeration runs the model for one or more tokens, until a non-empty piece is ready.
/// StopReason says why it ended. It ends when the enumeration is over or this object (or the
/// enumerator; foreach disposes it) is disposed; until then another generation on the context
/// fails with BusyException. It keeps its context and sampler alive: disposing them meanwhile
/// frees them only once it ends. Dispose it on the thread that uses the context: a generation
/// left to the garbage collector is freed by the context's next generation instead.
/// </summary>
public sealed class Generation : IEnumerable<string>, IDisposable {
  readonly NativeGeneration handle;
  bool closed;
  string stopReason = "";
  int stopCode = Library.STOP_NONE;
  int generatedCount;

  public Generation(Context context, Sampler sampler, string prompt, GenerateOptions options = null) {
    handle = new NativeGeneration(context, sampler, prompt, options);
  }

  /// <summary>The next non-empty piece, or null once the generation has finished.</summary>
  public string Next() {
    if (closed) throw new InvalidArgumentException("this generation has been closed");
    string piece = handle.Next();
    if (piece == null) {
      Dispose();
    } else {
      LastToken = handle.LastToken;
    }
    return piece;
  }

  /// <summary>The token that completed the last piece returned.</summary>
  public int LastToken { get; private set; } = -1;

  /// <summary>
  /// Why the generation ended: "length", "eos", "stop_string", "context_full", "cancelled",
  /// "callback", or "" while it runs (and when it was disposed before it ended).
  /// </summary>
  public string StopReason => closed ? stopReason : handle.StopReason;

  /// <summary>Why the generation ended, as one of the Library.STOP_* constants (STOP_NONE while it runs).</summary>
  public int StopCode => closed ? stopCode : handle.StopCode;

  /// <summary>How many tokens it has produced.</summary>
  public int GeneratedCount => closed ? generatedCount : handle.GeneratedCount;

  /// <summary>The remaining pieces; disposing the enumerator ends the generation.</summary>
  public IEnumerator<string> GetEnumerator() {
    try {
      string piece;
      while (!closed && (piece = Next()) != null) yield return piece;
    } finally {
      Dispose();
    }
  }

  IEnumerator IEnumerable.GetEnumerator() {
    return GetEnumerator();
  }

  /// <summary>Ends the generation and lets its context and sampler go. Safe to call twice.</summary>
  public void Dispose() {
    if (closed) return;
    stopReason = handle.StopReason;
    stopCode = handle.StopCode;
    generatedCount = handle.GeneratedCount;
    closed = true;
    handle.Close();
    handle.Dispose();
  }
}

}

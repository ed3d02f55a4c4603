using System;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Llmrt {

/// <summary>
/// Receives progress while Quantizer.Quantize runs: the fraction done (0 to 1) and the tensor
/// being processed. Return true to stop (Quantize then throws CancelledException).
/// </summary>
public delegate bool ProgressListener(float fraction, string tensorName);

/// <summary>llmrt_progress_callback as P/Invoke sees it.</summary>
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
internal delegate int NativeProgressCallback(float fraction, IntPtr tensorName, IntPtr userData);

/// <summary>Adapts a ProgressListener; exceptions are kept for Quantize to rethrow (see TokenTrampoline).</summary>
internal sealed class ProgressTrampoline {
  private readonly ProgressListener listener;
  public readonly NativeProgressCallback Callback;
  public ExceptionDispatchInfo Failure { get; private set; }

  public ProgressTrampoline(ProgressListener listener) {
    this.listener = listener;
    Callback = OnProgress;
  }

  private int OnProgress(float fraction, IntPtr tensorName, IntPtr userData) {
    try {
      // Mono reads "ANSI" strings as UTF-8 on Linux.
      return listener(fraction, Marshal.PtrToStringAnsi(tensorName) ?? "") ? 1 : 0;
    } catch (Exception e) {
      Failure = ExceptionDispatchInfo.Capture(e);
      return 1;
    }
  }
}

}

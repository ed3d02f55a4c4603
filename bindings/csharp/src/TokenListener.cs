using System;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Llmrt {

/// <summary>
/// Receives each piece of text as Context.Generate produces it, with the token that completed it.
/// A piece never ends inside a UTF-8 character; it may be empty while one is incomplete. Return
/// true to stop the generation (Generate then throws CancelledException).
/// </summary>
public delegate bool TokenListener(string piece, int token);

/// <summary>llmrt_token_callback as P/Invoke sees it.</summary>
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
internal delegate int NativeTokenCallback(IntPtr piece, UIntPtr length, int token, IntPtr userData);

/// <summary>
/// Adapts a TokenListener to the native callback. An exception must not unwind through native
/// frames, so it is caught here, the generation is stopped, and Context.Generate rethrows it.
/// </summary>
internal sealed class TokenTrampoline {
  private readonly TokenListener listener;
  public readonly NativeTokenCallback Callback;
  public ExceptionDispatchInfo Failure { get; private set; }

  public TokenTrampoline(TokenListener listener) {
    this.listener = listener;
    Callback = OnToken;
  }

  private int OnToken(IntPtr piece, UIntPtr length, int token, IntPtr userData) {
    try {
      var bytes = new byte[(int)length.ToUInt32()];
      Marshal.Copy(piece, bytes, 0, bytes.Length);
      return listener(Encoding.UTF8.GetString(bytes), token) ? 1 : 0;
    } catch (Exception e) {
      Failure = ExceptionDispatchInfo.Capture(e);
      return 1;
    }
  }
}

}

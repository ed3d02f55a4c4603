using System;
using System.Runtime.InteropServices;

namespace Llmrt {

/// <summary>
/// Loads the native side once, with a clear error if it cannot: libllmrt_csharp.so (the SWIG
/// glue) and libllmrt.so.0 must be next to Llmrt.dll or on LD_LIBRARY_PATH.
/// </summary>
internal static class NativeLibrary {
  private static volatile bool loaded;

  [DllImport("llmrt_csharp", EntryPoint = "llmrt_csharp_api_version_problem")]
  private static extern IntPtr ApiVersionProblem();

  public static bool EnsureLoaded() {
    if (loaded) return true;
    IntPtr problem;
    try {
      problem = ApiVersionProblem();
    } catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException) {
      string directory = System.IO.Path.GetDirectoryName(typeof(NativeLibrary).Assembly.Location);
      throw new DllNotFoundException(
          "llmrt: cannot load the native library libllmrt_csharp.so (which needs libllmrt.so.0). Put both in " +
          directory + " (next to Llmrt.dll) or in a directory on LD_LIBRARY_PATH. (" + e.Message + ")", e);
    }
    if (problem != IntPtr.Zero) throw new DllNotFoundException("llmrt: " + Marshal.PtrToStringAnsi(problem));
    loaded = true;
    return true;
  }
}

}

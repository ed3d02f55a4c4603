using System;

namespace Llmrt {

/// <summary>Strings passed to the library as NUL-terminated C strings (see llmrt_csharp.i).</summary>
static class CString {
  /// <summary>
  /// text, unless it holds a NUL character: that would end the C string there and the rest would
  /// be silently dropped, so it is refused with an ArgumentException naming the parameter.
  /// </summary>
  internal static string Check(string text, string name) {
    if (text != null && text.IndexOf('\0') >= 0)
      throw new ArgumentException(name + " contains a NUL character, which cannot be passed to llmrt as text", name);
    return text;
  }
}

}

// C#-specific part of the bindings (namespace Llmrt); the API itself is in ../swig/llmrt.i.
// Strings use SWIG's defaults: Mono marshals them as UTF-8 on Linux.
%module Library

%{
#include "llmrt_swig.h"
%}

%include <std_string.i>

// ---- errors: the C++ side hands (status, message) to a C# delegate, which sets the pending
// exception SWIG's generated code throws once the call returns ----
%insert(runtime) %{
typedef void (SWIGSTDCALL *llmrt_csharp_exception_callback)(int status, const char *message);
static llmrt_csharp_exception_callback llmrt_csharp_raise_callback = 0;

extern "C" SWIGEXPORT void SWIGSTDCALL llmrt_csharp_register_exception_callback(
    llmrt_csharp_exception_callback callback) {
  llmrt_csharp_raise_callback = callback;
}
#define LLMRT_SWIG_RAISE(status, message) llmrt_csharp_raise_callback(status, message)
%}

%{
// Called once by NativeLibrary.EnsureLoaded: null when the loaded libllmrt matches these bindings.
extern "C" SWIGEXPORT const char *SWIGSTDCALL llmrt_csharp_api_version_problem() {
  static std::string problem;
  problem = llmrt_swig::api_version_problem();
  return problem.empty() ? 0 : problem.c_str();
}
%}

%pragma(csharp) imclasscode=%{
  class LlmrtExceptionHelper {
    public delegate void ExceptionDelegate(int status, string message);
    static ExceptionDelegate callback = new ExceptionDelegate(SetPending);

    [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="llmrt_csharp_register_exception_callback")]
    public static extern void Register(ExceptionDelegate callback);

    static void SetPending(int status, string message) {
      SWIGPendingException.Set(LlmrtException.Create(status, message));
    }

    static LlmrtExceptionHelper() {
      Register(callback);
    }
  }
  static LlmrtExceptionHelper llmrtExceptionHelper = new LlmrtExceptionHelper();
%}

// Every constructor first makes sure the native library loads, so a missing one is reported
// clearly (NativeLibrary.cs) rather than as a TypeInitializationException.
%typemap(csconstruct, excode=SWIGEXCODE) SWIGTYPE %{: this(NativeLibrary.EnsureLoaded() ? $imcall : global::System.IntPtr.Zero, true) {$excode
  }%}

// ---- strings: a NUL character would end the C string there and silently drop the rest, so
// every string parameter is checked (ArgumentException naming it); text to tokenize crosses as
// UTF-8 bytes with a length instead, so it may hold NUL characters (Model.Tokenize) ----
%typemap(csin) const char * "CString.Check($csinput, \"$csinput\")"
%typemap(ctype) const char *utf8 "const char *"
%typemap(imtype) const char *utf8 "byte[]"
%typemap(cstype) const char *utf8 "byte[]"
%typemap(csin) const char *utf8 "$csinput"
%typemap(in) const char *utf8 %{ $1 = ($1_ltype)$input; %}

// ---- returned text (token pieces, detokenized text) may hold NUL bytes, which SWIG's own string
// return (a NUL-terminated char *) would cut: the C++ side hands (bytes, length) to a C# delegate
// that builds the string and returns a GCHandle to it, which the proxy method takes back ----
%insert(runtime) %{
typedef void *(SWIGSTDCALL *llmrt_csharp_string_callback)(const char *data, int length);
static llmrt_csharp_string_callback llmrt_csharp_make_string = 0;

extern "C" SWIGEXPORT void SWIGSTDCALL llmrt_csharp_register_string_callback(llmrt_csharp_string_callback callback) {
  llmrt_csharp_make_string = callback;
}
%}

%pragma(csharp) imclasscode=%{
  internal class LlmrtStringHelper {
    public delegate global::System.IntPtr StringDelegate(global::System.IntPtr data, int length);
    static StringDelegate callback = new StringDelegate(Make);

    [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="llmrt_csharp_register_string_callback")]
    public static extern void Register(StringDelegate callback);

    static global::System.IntPtr Make(global::System.IntPtr data, int length) {
      byte[] bytes = new byte[length];
      global::System.Runtime.InteropServices.Marshal.Copy(data, bytes, 0, length);
      string text = global::System.Text.Encoding.UTF8.GetString(bytes);
      return global::System.Runtime.InteropServices.GCHandle.ToIntPtr(global::System.Runtime.InteropServices.GCHandle.Alloc(text));
    }

    internal static string Take(global::System.IntPtr handle) {
      var h = global::System.Runtime.InteropServices.GCHandle.FromIntPtr(handle);
      string text = (string)h.Target;
      h.Free();
      return text;
    }

    static LlmrtStringHelper() {
      Register(callback);
    }
  }
  static LlmrtStringHelper llmrtStringHelper = new LlmrtStringHelper();
%}

%typemap(ctype) std::string "void *"
%typemap(imtype) std::string "global::System.IntPtr"
%typemap(cstype) std::string "string"
%typemap(out) std::string %{ $result = llmrt_csharp_make_string($1.data(), (int)$1.size()); %}
%typemap(csout, excode=SWIGEXCODE) std::string {
    global::System.IntPtr text = $imcall;$excode
    return $imclassname.LlmrtStringHelper.Take(text);
  }

// ---- the token callback: C# passes a delegate, which P/Invoke turns into a function pointer ----
%typemap(ctype) (llmrt_token_callback callback, void *user_data) "llmrt_token_callback"
%typemap(imtype) (llmrt_token_callback callback, void *user_data) "NativeTokenCallback"
%typemap(cstype) (llmrt_token_callback callback, void *user_data) "NativeTokenCallback"
%typemap(csin) (llmrt_token_callback callback, void *user_data) "$csinput"
%typemap(in) (llmrt_token_callback callback, void *user_data) %{
  $1 = $input;
  $2 = 0;
%}

// ---- the quantizer's progress callback, the same way ----
%typemap(ctype) (llmrt_progress_callback progress, void *user_data) "llmrt_progress_callback"
%typemap(imtype) (llmrt_progress_callback progress, void *user_data) "NativeProgressCallback"
%typemap(cstype) (llmrt_progress_callback progress, void *user_data) "NativeProgressCallback"
%typemap(csin) (llmrt_progress_callback progress, void *user_data) "$csinput"
%typemap(in) (llmrt_progress_callback progress, void *user_data) %{
  $1 = $input;
  $2 = 0;
%}

// ---- idioms: PascalCase names, properties, Generate/Stream over internal primitives ----
%define LLMRT_SWIG_NAMING
%rename("%(camelcase)s", %$isfunction) "";
%rename("%(camelcase)s", %$isvariable) "";
%enddef

%rename(GenerateNative) llmrt_swig::Context::generate;
%csmethodmodifiers llmrt_swig::Context::generate "internal";
%typemap(csclassmodifiers) llmrt_swig::PullGeneration "internal class"
%typemap(csclassmodifiers) llmrt_swig::NativeGeneration "internal class"

%csmethodmodifiers llmrt_swig::Model::tokenize_utf8 "internal";
%typemap(cscode) llmrt_swig::Model %{
  /// <summary>Token ids for text, with BOS (and whatever else the tokenizer adds) if addSpecial.</summary>
  public TokenList Tokenize(string text, bool addSpecial = true) {
    byte[] utf8 = text == null ? null : global::System.Text.Encoding.UTF8.GetBytes(text);
    return TokenizeUtf8(utf8, utf8 == null ? 0 : utf8.Length, addSpecial);
  }
%}

%rename(QuantizeNative) llmrt_swig::Quantizer::quantize;
%csmethodmodifiers llmrt_swig::Quantizer::quantize "internal";

%typemap(cscode) llmrt_swig::Quantizer %{
  /// <summary>
  /// Writes outputPath, the quantized form of inputPath (atomically: a failed or cancelled run
  /// leaves no partial file). progress, if given, is called as tensors are processed; returning
  /// true cancels (CancelledException), and an exception it throws cancels and is rethrown here.
  /// </summary>
  public void Quantize(string inputPath, string outputPath, ProgressListener progress = null) {
    var trampoline = new ProgressTrampoline(progress);
    try {
      QuantizeNative(inputPath, outputPath, progress == null ? null : trampoline.Callback);
    } catch (CancelledException) when (trampoline.Failure != null) {
      trampoline.Failure.Throw();
    } finally {
      global::System.GC.KeepAlive(trampoline);
    }
  }
%}

%typemap(cscode) llmrt_swig::Context %{
  /// <summary>
  /// Generates text after prompt, calling listener for every token as it is produced. The
  /// listener returns true to stop, which ends the call with CancelledException; an exception
  /// it throws stops the generation and is rethrown here. listener may be null.
  /// </summary>
  public void Generate(Sampler sampler, string prompt, GenerateOptions options, TokenListener listener) {
    var trampoline = new TokenTrampoline(listener);
    try {
      GenerateNative(sampler, prompt, options, listener == null ? null : trampoline.Callback);
    } catch (CancelledException) when (trampoline.Failure != null) {
      trampoline.Failure.Throw();
    } finally {
      global::System.GC.KeepAlive(trampoline);  // native code holds only a function pointer
    }
  }

  /// <summary>Generates the whole text at once.</summary>
  public string Generate(Sampler sampler, string prompt, GenerateOptions options = null) {
    var text = new global::System.Text.StringBuilder();
    Generate(sampler, prompt, options, (piece, token) => { text.Append(piece); return false; });
    return text.ToString();
  }

  /// <summary>
  /// Starts a generation (a generation handle) and returns its pieces as they are produced. The
  /// prompt is evaluated here; each step of the enumeration runs the model. Disposing the
  /// enumerator (foreach does) or the Generation ends it; StopReason says why it ended. It keeps
  /// this context and the sampler alive: disposing them meanwhile frees them only once it ends.
  /// </summary>
  public Generation Stream(Sampler sampler, string prompt, GenerateOptions options = null) {
    return new Generation(this, sampler, prompt, options);
  }
%}

%rename(RespondNative) llmrt_swig::ChatSession::respond;
%csmethodmodifiers llmrt_swig::ChatSession::respond "internal";
%typemap(cscode) llmrt_swig::ChatSession %{
  /// <summary>
  /// Adds message (if not null) as the user's, generates the answer, streaming it to listener
  /// (may be null; returning true stops it with CancelledException), and returns it. The answer
  /// joins the conversation, also when stopped.
  /// </summary>
  public string Respond(string message, GenerateOptions options = null, TokenListener listener = null) {
    if (message != null) AddMessage("user", message);
    var text = new global::System.Text.StringBuilder();
    var trampoline = new TokenTrampoline((piece, token) => {
      text.Append(piece);
      return listener != null && listener(piece, token);
    });
    try {
      RespondNative(options, trampoline.Callback);
    } catch (CancelledException) when (trampoline.Failure != null) {
      trampoline.Failure.Throw();
    } finally {
      global::System.GC.KeepAlive(trampoline);  // native code holds only a function pointer
    }
    return text.ToString();
  }
%}

%include "../swig/llmrt.i"

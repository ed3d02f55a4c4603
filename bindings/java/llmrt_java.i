// Java-specific part of the bindings (package org.llmrt); the API itself is in ../swig/llmrt.i.
%module Llmrt

%{
#include <cstring>
#include "llmrt_swig.h"
%}

%include <std_string.i>

// ---- errors: one exception class per status, thrown straight from JNI ----
%{
static const char *llmrt_java_exception_class(int status) {
  switch (status) {
    case LLMRT_ERR_INVALID_ARGUMENT: return "org/llmrt/InvalidArgumentException";
    case LLMRT_ERR_IO: return "org/llmrt/FileException";
    case LLMRT_ERR_FORMAT: return "org/llmrt/ModelFormatException";
    case LLMRT_ERR_UNSUPPORTED: return "org/llmrt/UnsupportedException";
    case LLMRT_ERR_OUT_OF_MEMORY: return "org/llmrt/AllocationException";
    case LLMRT_ERR_CONTEXT_FULL: return "org/llmrt/ContextFullException";
    case LLMRT_CANCELLED: return "org/llmrt/CancelledException";
    case LLMRT_ERR_BUSY: return "org/llmrt/BusyException";
    case LLMRT_ERR_INTERNAL: return "org/llmrt/InternalException";
    default: return "org/llmrt/LlmrtException";
  }
}

static void llmrt_java_raise(JNIEnv *jenv, int status, const char *message) {
  // A listener that threw has left its exception pending: that one, not "cancelled", is what the
  // caller should see.
  if (jenv->ExceptionCheck()) return;
  jclass cls = jenv->FindClass(llmrt_java_exception_class(status));
  if (cls) jenv->ThrowNew(cls, message);  // if not, FindClass has left NoClassDefFoundError pending
}
#define LLMRT_SWIG_RAISE(status, message) llmrt_java_raise(jenv, status, message)

// Called once when the class LlmrtJNI loads: null when the loaded libllmrt matches these bindings.
extern "C" JNIEXPORT jstring JNICALL Java_org_llmrt_LlmrtJNI_apiVersionProblem(JNIEnv *jenv, jclass) {
  std::string problem = llmrt_swig::api_version_problem();
  return problem.empty() ? nullptr : jenv->NewStringUTF(problem.c_str());
}
%}

%pragma(java) jniclasscode=%{
  static {
    try {
      System.loadLibrary("llmrt_java");
    } catch (UnsatisfiedLinkError e) {
      UnsatisfiedLinkError clear = new UnsatisfiedLinkError(
          "llmrt: cannot load the native library libllmrt_java.so (which needs libllmrt.so.0): "
          + e.getMessage() + ". Start java with -Djava.library.path=<directory holding libllmrt_java.so>"
          + " (java.library.path is now " + System.getProperty("java.library.path") + ")");
      clear.initCause(e);
      throw clear;
    }
    String problem = apiVersionProblem();
    if (problem != null) throw new UnsatisfiedLinkError("llmrt: " + problem);
  }

  private static native String apiVersionProblem();
%}

// ---- strings cross as UTF-8 bytes: JNI's own string functions use "modified UTF-8", which
// mangles characters outside the BMP (emoji) ----
%typemap(jni) const char *, std::string "jbyteArray"
%typemap(jtype) const char *, std::string "byte[]"
%typemap(jstype) const char *, std::string "String"
// A NUL character would end the C string there and silently drop the rest: refused, naming the
// parameter (IllegalArgumentException).
%typemap(javain) const char * "Utf8.cString($javainput, \"$javainput\")"
%typemap(javaout) const char *, std::string { return Utf8.decode($jnicall); }
%typemap(in) const char * (std::string bytes) {
  $1 = 0;
  if ($input) {
    jsize n = jenv->GetArrayLength($input);
    bytes.resize(n);
    if (n > 0) jenv->GetByteArrayRegion($input, 0, n, (jbyte *)&bytes[0]);
    $1 = (char *)bytes.c_str();
  }
}
%typemap(freearg) const char * ""  // the bytes live in the std::string above
%typemap(out) const char * {
  $result = 0;
  if ($1) {
    jsize n = (jsize)strlen($1);
    $result = jenv->NewByteArray(n);
    if ($result && n > 0) jenv->SetByteArrayRegion($result, 0, n, (const jbyte *)$1);
  }
}
// Text to tokenize crosses with its length, so it may hold NUL characters: the caller passes
// its UTF-8 bytes (Model.tokenize).
%typemap(jstype) const char *utf8 "byte[]"
%typemap(javain) const char *utf8 "$javainput"
%typemap(out) std::string {
  jsize n = (jsize)$1.size();
  $result = jenv->NewByteArray(n);
  if ($result && n > 0) jenv->SetByteArrayRegion($result, 0, n, (const jbyte *)$1.data());
}

// ---- the token callback: a TokenListener, called through a JNI trampoline ----
%{
struct llmrt_java_listener {
  JNIEnv *jenv;
  jobject sink;      // an org.llmrt.TokenSink wrapping the user's TokenListener
  jmethodID on_piece; // boolean onPiece(byte[] piece, int token)
};

// Runs on the thread that called generate (llmrt_generate calls back synchronously), so the
// JNIEnv of that call is valid here.
static int32_t llmrt_java_on_token(const char *piece, size_t len, int32_t token, void *user_data) {
  llmrt_java_listener *listener = static_cast<llmrt_java_listener *>(user_data);
  JNIEnv *jenv = listener->jenv;
  jbyteArray bytes = jenv->NewByteArray((jsize)len);
  if (!bytes) return 1;  // OutOfMemoryError is pending: stop
  if (len > 0) jenv->SetByteArrayRegion(bytes, 0, (jsize)len, (const jbyte *)piece);
  jboolean stop = jenv->CallBooleanMethod(listener->sink, listener->on_piece, bytes, (jint)token);
  jenv->DeleteLocalRef(bytes);
  // An exception thrown by the listener stays pending; stopping makes generate return at once,
  // and LLMRT_SWIG_RAISE then leaves that exception to propagate.
  if (jenv->ExceptionCheck()) return 1;
  return stop ? 1 : 0;
}
%}

%typemap(jni) (llmrt_token_callback callback, void *user_data) "jobject"
%typemap(jtype) (llmrt_token_callback callback, void *user_data) "TokenSink"
%typemap(jstype) (llmrt_token_callback callback, void *user_data) "TokenListener"
%typemap(javain) (llmrt_token_callback callback, void *user_data)
  "$javainput == null ? null : new TokenSink($javainput)"
%typemap(in) (llmrt_token_callback callback, void *user_data) (llmrt_java_listener listener) {
  $1 = 0;
  $2 = 0;
  if ($input) {
    listener.jenv = jenv;
    listener.sink = $input;
    listener.on_piece = jenv->GetMethodID(jenv->GetObjectClass($input), "onPiece", "([BI)Z");
    if (!listener.on_piece) return $null;  // NoSuchMethodError is pending
    $1 = llmrt_java_on_token;
    $2 = &listener;
  }
}

// ---- the quantizer's progress callback: a ProgressListener, through a JNI trampoline ----
%{
struct llmrt_java_progress {
  JavaVM *vm;
  JNIEnv *jenv;        // of the thread that called quantize
  jobject sink;        // an org.llmrt.ProgressSink wrapping the user's ProgressListener
  jmethodID on_progress; // boolean onProgress(float fraction, byte[] tensorName)
};

static int32_t llmrt_java_on_progress(float fraction, const char *tensor_name, void *user_data) {
  llmrt_java_progress *listener = static_cast<llmrt_java_progress *>(user_data);
  // A JNIEnv belongs to one thread. Should the library ever report from a worker thread, skip
  // the report rather than call Java with the wrong JNIEnv.
  JNIEnv *jenv = 0;
  if (listener->vm->GetEnv((void **)&jenv, JNI_VERSION_1_6) != JNI_OK || jenv != listener->jenv) return 0;
  if (jenv->ExceptionCheck()) return 1;
  jsize n = tensor_name ? (jsize)strlen(tensor_name) : 0;
  jbyteArray name = jenv->NewByteArray(n);
  if (!name) return 1;
  if (n > 0) jenv->SetByteArrayRegion(name, 0, n, (const jbyte *)tensor_name);
  jboolean stop = jenv->CallBooleanMethod(listener->sink, listener->on_progress, (jfloat)fraction, name);
  jenv->DeleteLocalRef(name);
  if (jenv->ExceptionCheck()) return 1;
  return stop ? 1 : 0;
}
%}

%typemap(jni) (llmrt_progress_callback progress, void *user_data) "jobject"
%typemap(jtype) (llmrt_progress_callback progress, void *user_data) "ProgressSink"
%typemap(jstype) (llmrt_progress_callback progress, void *user_data) "ProgressListener"
%typemap(javain) (llmrt_progress_callback progress, void *user_data)
  "$javainput == null ? null : new ProgressSink($javainput)"
%typemap(in) (llmrt_progress_callback progress, void *user_data) (llmrt_java_progress listener) {
  $1 = 0;
  $2 = 0;
  if ($input) {
    if (jenv->GetJavaVM(&listener.vm) != 0) return $null;
    listener.jenv = jenv;
    listener.sink = $input;
    listener.on_progress = jenv->GetMethodID(jenv->GetObjectClass($input), "onProgress", "(F[B)Z");
    if (!listener.on_progress) return $null;  // NoSuchMethodError is pending
    $1 = llmrt_java_on_progress;
    $2 = &listener;
  }
}

// ---- seeds: Java has no unsigned long; -1 (all bits set) means "pick one from the clock" ----
%apply int64_t { uint64_t seed };

// ---- idioms: AutoCloseable handles, camelCase names, package-private pull primitives ----
%define LLMRT_SWIG_NAMING
%rename("%(lowercamelcase)s", %$isfunction) "";
%rename("%(lowercamelcase)s", %$isvariable) "";
%enddef

%define LLMRT_JAVA_CLOSEABLE(CLASS)
%typemap(javainterfaces) CLASS "AutoCloseable"
%typemap(javacode) CLASS %{
  /**
   * Closes this object: later calls on it throw InvalidArgumentException. The native object is
   * freed now, or once the last context or generation using it is done. Safe to call twice.
   */
  @Override
  public void close() {
    delete();
  }
%}
%enddef
LLMRT_JAVA_CLOSEABLE(llmrt_swig::Sampler)
LLMRT_JAVA_CLOSEABLE(llmrt_swig::GenerateOptions)
LLMRT_JAVA_CLOSEABLE(llmrt_swig::BeamOptions)
LLMRT_JAVA_CLOSEABLE(llmrt_swig::ModelParams)
LLMRT_JAVA_CLOSEABLE(llmrt_swig::QuantizeOptions)

%typemap(javainterfaces) llmrt_swig::Quantizer "AutoCloseable"
%typemap(javacode) llmrt_swig::Quantizer %{
  /**
   * Closes this object: later calls on it throw InvalidArgumentException. The native quantizer is
   * freed now, or when a running quantize (whose listener closed it) returns. Safe to call twice.
   */
  @Override
  public void close() {
    delete();
  }

  /** Quantizes without progress reports. */
  public void quantize(String inputPath, String outputPath) {
    quantize(inputPath, outputPath, null);
  }
%}

%typemap(javainterfaces) llmrt_swig::Context "AutoCloseable"
%typemap(javacode) llmrt_swig::Context %{
  /**
   * Closes this object: later calls on it throw InvalidArgumentException. The native context is
   * freed now, or once a generation still running on it (a stream) is closed. Safe to call twice.
   */
  @Override
  public void close() {
    delete();
  }

  /**
   * Starts a generation and returns its pieces as an iterator (also Iterable, for for-each).
   * The prompt is evaluated here; each next() runs the model for one token. Close it to stop early.
   */
  public Generation stream(Sampler sampler, String prompt, GenerateOptions options) {
    return new Generation(this, sampler, prompt, options);
  }

  /** Generates the whole text at once. */
  public String generate(Sampler sampler, String prompt, GenerateOptions options) {
    StringBuilder text = new StringBuilder();
    generate(sampler, prompt, options, (piece, token) -> {
      text.append(piece);
      return false;
    });
    return text.toString();
  }
%}
%typemap(javainterfaces) llmrt_swig::Model "AutoCloseable"
%typemap(javacode) llmrt_swig::Model %{
  /**
   * Frees the native object now, or once the last context using it is closed. Later calls on
   * this object throw InvalidArgumentException. Safe to call twice.
   */
  @Override
  public void close() {
    delete();
  }

  /** Token ids for text, with BOS (and whatever else the tokenizer adds) if addSpecial. */
  public TokenList tokenize(String text, boolean addSpecial) {
    byte[] utf8 = Utf8.encode(text);
    return tokenizeUtf8(utf8, utf8 == null ? 0 : utf8.length, addSpecial);
  }

  /** Token ids for text, with BOS. */
  public TokenList tokenize(String text) {
    return tokenize(text, true);
  }
%}
%javamethodmodifiers llmrt_swig::Model::tokenize_utf8 "";

%typemap(javainterfaces) llmrt_swig::ChatSession "AutoCloseable"
%typemap(javacode) llmrt_swig::ChatSession %{
  /**
   * Closes this object: later calls on it throw InvalidArgumentException. The native session is
   * freed now, or when a running respond (whose listener closed it) returns. Safe to call twice.
   */
  @Override
  public void close() {
    delete();
  }

  /** Adds message as the user's, generates the answer and returns it (it joins the conversation). */
  public String respond(String message, GenerateOptions options) {
    addMessage("user", message);
    StringBuilder text = new StringBuilder();
    respond(options, (piece, token) -> {
      text.append(piece);
      return false;
    });
    return text.toString();
  }
%}

// The pull primitives behind Generation, which is what users see.
%typemap(javaclassmodifiers) llmrt_swig::PullGeneration "final class"
%typemap(javaclassmodifiers) llmrt_swig::NativeGeneration "final class"

%include "../swig/llmrt.i"

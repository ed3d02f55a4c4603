using System;

namespace Llmrt {

/// <summary>An error reported by llmrt; each status has a subclass. The message is the library's.</summary>
public class LlmrtException : Exception {
  /// <summary>The llmrt_status code (see llmrt.h).</summary>
  public int Status { get; }

  public LlmrtException(int status, string message) : base(message) {
    Status = status;
  }

  internal static LlmrtException Create(int status, string message) {
    switch (status) {
      case InvalidArgumentException.Code: return new InvalidArgumentException(message);
      case FileException.Code: return new FileException(message);
      case ModelFormatException.Code: return new ModelFormatException(message);
      case UnsupportedException.Code: return new UnsupportedException(message);
      case AllocationException.Code: return new AllocationException(message);
      case ContextFullException.Code: return new ContextFullException(message);
      case CancelledException.Code: return new CancelledException(message);
      case BusyException.Code: return new BusyException(message);
      case InternalException.Code: return new InternalException(message);
      default: return new LlmrtException(status, message);
    }
  }
}

/// <summary>LLMRT_ERR_INVALID_ARGUMENT: a disposed object or a bad parameter value.</summary>
public class InvalidArgumentException : LlmrtException {
  internal const int Code = 1;
  public InvalidArgumentException(string message) : base(Code, message) {}
}

/// <summary>LLMRT_ERR_IO: a file could not be opened, read or written.</summary>
public class FileException : LlmrtException {
  internal const int Code = 2;
  public FileException(string message) : base(Code, message) {}
}

/// <summary>LLMRT_ERR_FORMAT: a file is malformed (truncated, bad offsets, wrong shapes).</summary>
public class ModelFormatException : LlmrtException {
  internal const int Code = 3;
  public ModelFormatException(string message) : base(Code, message) {}
}

/// <summary>LLMRT_ERR_UNSUPPORTED: valid input this build cannot handle (architecture, data type).</summary>
public class UnsupportedException : LlmrtException {
  internal const int Code = 4;
  public UnsupportedException(string message) : base(Code, message) {}
}

/// <summary>LLMRT_ERR_OUT_OF_MEMORY: the library could not allocate memory.</summary>
public class AllocationException : LlmrtException {
  internal const int Code = 5;
  public AllocationException(string message) : base(Code, message) {}
}

/// <summary>LLMRT_ERR_CONTEXT_FULL: the tokens do not fit in the context window.</summary>
public class ContextFullException : LlmrtException {
  internal const int Code = 6;
  public ContextFullException(string message) : base(Code, message) {}
}

/// <summary>LLMRT_CANCELLED: a listener returned true or Context.Cancel() was called.</summary>
public class CancelledException : LlmrtException {
  internal const int Code = 7;
  public CancelledException(string message) : base(Code, message) {}
}

/// <summary>LLMRT_ERR_BUSY: the context is in use by a running call (e.g. called from its own
/// listener).</summary>
public class BusyException : LlmrtException {
  internal const int Code = 11;
  public BusyException(string message) : base(Code, message) {}
}

/// <summary>LLMRT_ERR_INTERNAL: a bug in llmrt; please report it.</summary>
public class InternalException : LlmrtException {
  internal const int Code = 9;
  public InternalException(string message) : base(Code, message) {}
}

}

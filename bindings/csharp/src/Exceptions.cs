using System;

namespace Llmrt {

/// <summary>What every exception the library reports has: its llmrt_status code (see llmrt.h). The
/// exceptions derive from the .NET class a caller would catch for that kind of failure
/// (InvalidArgumentException is an ArgumentException, FileException an IOException,
/// CancelledException an OperationCanceledException...) and from LlmrtException where .NET has
/// none; all of them implement this interface.</summary>
public interface ILlmrtException {
  int Status { get; }
}

/// <summary>An error reported by llmrt for which .NET has no better base class (ContextFullException,
/// InternalException, statuses without a class of their own). The message is the library's.</summary>
public class LlmrtException : Exception, ILlmrtException {
  /// <summary>The llmrt_status code (see llmrt.h).</summary>
  public int Status { get; }

  public LlmrtException(int status, string message) : base(message) {
    Status = status;
  }

  internal static Exception Create(int status, string message) {
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
public class InvalidArgumentException : ArgumentException, ILlmrtException {
  internal const int Code = 1;
  public int Status => Code;
  public InvalidArgumentException(string message) : base(message) {}
}

/// <summary>LLMRT_ERR_IO: a file could not be opened, read or written.</summary>
public class FileException : System.IO.IOException, ILlmrtException {
  internal const int Code = 2;
  public int Status => Code;
  public FileException(string message) : base(message) {}
}

/// <summary>LLMRT_ERR_FORMAT: a file is malformed (truncated, bad offsets, wrong shapes).</summary>
public class ModelFormatException : FormatException, ILlmrtException {
  internal const int Code = 3;
  public int Status => Code;
  public ModelFormatException(string message) : base(message) {}
}

/// <summary>LLMRT_ERR_UNSUPPORTED: valid input this build cannot handle (architecture, data type).</summary>
public class UnsupportedException : NotSupportedException, ILlmrtException {
  internal const int Code = 4;
  public int Status => Code;
  public UnsupportedException(string message) : base(message) {}
}

/// <summary>LLMRT_ERR_OUT_OF_MEMORY: the library could not allocate memory.</summary>
public class AllocationException : OutOfMemoryException, ILlmrtException {
  internal const int Code = 5;
  public int Status => Code;
  public AllocationException(string message) : base(message) {}
}

/// <summary>LLMRT_ERR_CONTEXT_FULL: the tokens do not fit in the context window.</summary>
public class ContextFullException : LlmrtException {
  internal const int Code = 6;
  public ContextFullException(string message) : base(Code, message) {}
}

/// <summary>LLMRT_CANCELLED: a listener returned true or Context.Cancel() was called.</summary>
public class CancelledException : OperationCanceledException, ILlmrtException {
  internal const int Code = 7;
  public int Status => Code;
  public CancelledException(string message) : base(message) {}
}

/// <summary>LLMRT_ERR_BUSY: the context is in use by a running call (e.g. called from its own
/// listener).</summary>
public class BusyException : InvalidOperationException, ILlmrtException {
  internal const int Code = 11;
  public int Status => Code;
  public BusyException(string message) : base(message) {}
}

/// <summary>LLMRT_ERR_INTERNAL: a bug in llmrt; please report it.</summary>
public class InternalException : LlmrtException {
  internal const int Code = 9;
  public InternalException(string message) : base(Code, message) {}
}

}

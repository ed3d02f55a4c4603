using System;
using System.Collections.Generic;
using System.Reflection;

namespace Llmrt.Tests {

/// <summary>Marks a test method: public, static or instance, no parameters.</summary>
[AttributeUsage(AttributeTargets.Method)]
sealed class TestAttribute : Attribute {}

/// <summary>A failed check.</summary>
sealed class AssertionException : Exception {
  public AssertionException(string message) : base(message) {}
}

/// <summary>Plain asserts: no NUnit needed.</summary>
static class Assert {
  public static void True(bool condition, string message = "expected true") {
    if (!condition) throw new AssertionException(message);
  }

  public static void Equal<T>(T expected, T actual, string what = "value") {
    if (!EqualityComparer<T>.Default.Equals(expected, actual))
      throw new AssertionException($"{what}: expected <{expected}>, got <{actual}>");
  }

  public static void SequenceEqual<T>(IList<T> expected, IList<T> actual, string what = "sequence") {
    Equal(string.Join(",", expected), string.Join(",", actual), what);
  }

  public static TException Throws<TException>(Action action) where TException : Exception {
    try {
      action();
    } catch (TException e) {
      return e;
    } catch (Exception e) {
      throw new AssertionException($"expected {typeof(TException).Name}, got {e.GetType().Name}: {e.Message}");
    }
    throw new AssertionException($"expected {typeof(TException).Name}, nothing was thrown");
  }
}

/// <summary>Runs every [Test] method of a class and prints "N passed, N failed".</summary>
static class TestRunner {
  public static int Run(object fixture) {
    int passed = 0, failed = 0;
    foreach (MethodInfo method in fixture.GetType().GetMethods()) {
      if (method.GetCustomAttribute<TestAttribute>() == null) continue;
      try {
        method.Invoke(method.IsStatic ? null : fixture, null);
        passed++;
        Console.WriteLine($"PASS {method.Name}");
      } catch (TargetInvocationException e) {
        failed++;
        Console.WriteLine($"FAIL {method.Name}: {e.InnerException}");
      }
    }
    Console.WriteLine($"{passed} passed, {failed} failed");
    return failed == 0 && passed > 0 ? 0 : 1;
  }
}

}

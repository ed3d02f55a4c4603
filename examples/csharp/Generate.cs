// Load a model, stream a generation to the console, then quantize the model to int8 (with a
// progress bar) and stream from the quantized copy. Built by CMake next to Llmrt.dll:
//
//   mono build/bindings/csharp/Generate.exe [MODEL] [PROMPT] [MAX_TOKENS]
using System;
using System.IO;
using Llmrt;

static class Generate {
  static void Stream(string modelPath, string prompt, int maxTokens) {
    using (var model = new Model(modelPath))
    using (var context = new Context(model))
    using (var sampler = new Sampler(new SamplerParams { Temperature = 0.8f, Seed = 42 }))
    using (var options = new GenerateOptions { MaxNewTokens = maxTokens }) {
      Console.Error.WriteLine($"[{model.Architecture}, {model.ParamCount:N0} parameters, {model.WeightType}]");
      Console.Write(prompt);
      foreach (string piece in context.Stream(sampler, prompt, options)) {
        Console.Write(piece);
      }
      Console.WriteLine();
    }
  }

  static int Main(string[] args) {
    string modelPath = args.Length > 0 ? args[0] : "models/stories260K/stories260K.gguf";
    string prompt = args.Length > 1 ? args[1] : "Once upon a time";
    int maxTokens = args.Length > 2 ? int.Parse(args[2]) : 64;
    try {
      Stream(modelPath, prompt, maxTokens);
      if (!Library.HasQuantizer()) {
        Console.Error.WriteLine("[quantization: not implemented by this libllmrt yet]");
        return 0;
      }
      string quantized = Path.Combine(Path.GetTempPath(), $"llmrt-example-{Guid.NewGuid()}.llmrt");
      try {
        try {
          using (var options = new QuantizeOptions { WeightDtype = "int8" })
          using (var quantizer = new Quantizer(options)) {
            quantizer.Quantize(modelPath, quantized, (fraction, tensor) => {
              Console.Error.Write($"\r[{new string('#', (int)(fraction * 30)),-30}] {fraction,4:P0} {tensor,-40}");
              return false;  // true would cancel
            });
          }
        } catch (UnsupportedException e) {
          Console.Error.WriteLine($"[quantization: not available yet: {e.Message}]");
          return 0;
        }
        Console.Error.WriteLine($"\n[{new FileInfo(modelPath).Length:N0} bytes -> {new FileInfo(quantized).Length:N0} bytes (int8)]");
        Stream(quantized, prompt, maxTokens);
      } finally {
        File.Delete(quantized);
      }
    } catch (LlmrtException e) {
      Console.Error.WriteLine($"error: {e.Message} (status {e.Status})");
      return 1;
    }
    return 0;
  }
}

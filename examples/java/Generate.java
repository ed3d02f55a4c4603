/*
 * Load a model, stream a generation to the console, then quantize the model to int8 (with a
 * progress bar) and stream from the quantized copy. Runs straight from source (Java 11+):
 *
 *   java -Djava.library.path=build/bindings/java -cp build/bindings/java/llmrt.jar \
 *       examples/java/Generate.java [MODEL] [PROMPT] [MAX_TOKENS]
 */
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.llmrt.Context;
import org.llmrt.GenerateOptions;
import org.llmrt.Generation;
import org.llmrt.Llmrt;
import org.llmrt.LlmrtException;
import org.llmrt.Model;
import org.llmrt.QuantizeOptions;
import org.llmrt.Quantizer;
import org.llmrt.Sampler;
import org.llmrt.SamplerParams;
import org.llmrt.UnsupportedException;

public class Generate {
  static void stream(String modelPath, String prompt, int maxTokens) {
    SamplerParams sampling = new SamplerParams();
    sampling.setTemperature(0.8f);
    sampling.setSeed(42);
    try (Model model = new Model(modelPath);
        Context context = new Context(model);
        Sampler sampler = new Sampler(sampling);
        GenerateOptions options = new GenerateOptions()) {
      System.err.printf("[%s, %,d parameters, %s]%n", model.getArchitecture(), model.getParamCount(),
          model.getWeightType());
      options.setMaxNewTokens(maxTokens);
      System.out.print(prompt);
      try (Generation generation = context.stream(sampler, prompt, options)) {
        for (String piece : generation) {
          System.out.print(piece);
          System.out.flush();
        }
      }
      System.out.println();
    }
  }

  public static void main(String[] args) throws IOException {
    String modelPath = args.length > 0 ? args[0] : "models/stories260K/stories260K.gguf";
    String prompt = args.length > 1 ? args[1] : "Once upon a time";
    int maxTokens = args.length > 2 ? Integer.parseInt(args[2]) : 64;
    try {
      stream(modelPath, prompt, maxTokens);
      if (!Llmrt.hasQuantizer()) {
        System.err.println("[quantization: not implemented by this libllmrt yet]");
        return;
      }
      Path dir = Files.createTempDirectory("llmrt-example");
      Path quantized = dir.resolve("model-int8.llmrt");
      try (QuantizeOptions options = new QuantizeOptions()) {
        options.setWeightDtype("int8");
        try (Quantizer quantizer = new Quantizer(options)) {
          quantizer.quantize(modelPath, quantized.toString(), (fraction, tensor) -> {
            System.err.printf("\r[%-30s] %3.0f%% %-40.40s", "#".repeat((int) (fraction * 30)), fraction * 100, tensor);
            return false; // true would cancel
          });
        } catch (UnsupportedException e) {
          System.err.println("[quantization: not available yet: " + e.getMessage() + "]");
          return;
        }
        System.err.printf("%n[%,d bytes -> %,d bytes (int8)]%n", Files.size(Paths.get(modelPath)), Files.size(quantized));
        stream(quantized.toString(), prompt, maxTokens);
      } finally {
        Files.deleteIfExists(quantized);
        Files.delete(dir);
      }
    } catch (LlmrtException e) {
      System.err.println("error: " + e.getMessage() + " (status " + e.getStatus() + ")");
      System.exit(1);
    }
  }
}

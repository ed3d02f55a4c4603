package org.llmrt.tests;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import org.llmrt.Context;
import org.llmrt.GenerateOptions;
import org.llmrt.Model;
import org.llmrt.Sampler;

/**
 * Cross-language check, Java side: writes the text of one sampled generation to a file
 * (bindings/cross_language.py compares it with C, Python and C#).
 *
 *   java ... org.llmrt.tests.SampleText MODEL_PATH OUT_PATH
 */
public final class SampleText {
  public static void main(String[] args) throws Exception {
    try (Model model = new Model(args[0]);
        Context context = new Context(model);
        Sampler sampler = new Sampler(LlmrtTest.crossLanguageSettings());
        GenerateOptions options = new GenerateOptions()) {
      options.setMaxNewTokens(40);
      // The listener (callback) form; the tests check it against the iterator.
      String text = context.generate(sampler, "Once upon a time", options);
      Files.write(Paths.get(args[1]), text.getBytes(StandardCharsets.UTF_8));
    }
  }
}

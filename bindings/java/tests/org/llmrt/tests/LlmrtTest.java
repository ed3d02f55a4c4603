package org.llmrt.tests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.llmrt.BeamHypothesis;
import org.llmrt.BeamOptions;
import org.llmrt.BusyException;
import org.llmrt.CancelledException;
import org.llmrt.ChatSession;
import org.llmrt.Context;
import org.llmrt.ContextParams;
import org.llmrt.FileException;
import org.llmrt.GenerateOptions;
import org.llmrt.Generation;
import org.llmrt.InvalidArgumentException;
import org.llmrt.Llmrt;
import org.llmrt.LlmrtError;
import org.llmrt.LlmrtException;
import org.llmrt.Model;
import org.llmrt.ModelFormatException;
import org.llmrt.QuantizeOptions;
import org.llmrt.Quantizer;
import org.llmrt.Sampler;
import org.llmrt.SamplerParams;
import org.llmrt.TokenList;
import org.llmrt.UnsupportedException;

/** Run with -Dllmrt.model=MODEL.gguf -Dllmrt.reference=stories260K.json -Djava.library.path=DIR. */
public class LlmrtTest {
  private static final String MODEL_PATH = System.getProperty("llmrt.model");
  private static Reference reference;
  private static Model model;

  static SamplerParams crossLanguageSettings() {
    SamplerParams params = new SamplerParams();
    params.setTemperature(0.8f);
    params.setTopP(0.9f);
    params.setTopK(40);
    params.setMinP(0.05f);
    params.setSeed(42);
    return params;
  }

  private static Sampler greedy() {
    SamplerParams params = new SamplerParams();
    params.setTemperature(0);
    return new Sampler(params);
  }

  private static GenerateOptions maxTokens(int n) {
    GenerateOptions options = new GenerateOptions();
    options.setMaxNewTokens(n);
    return options;
  }

  @BeforeClass
  public static void loadModel() throws IOException {
    reference = new Reference(System.getProperty("llmrt.reference"));
    model = new Model(MODEL_PATH);
  }

  @AfterClass
  public static void freeModel() {
    model.close();
  }

  @Test
  public void chatSessionAnswersEachTurnFromTheCache() {
    ContextParams params = new ContextParams();
    params.setKvType(Llmrt.KV_F16);  // the cache type is settable from Java
    try (Context context = new Context(model, params); Sampler sampler = greedy();
         ChatSession chat = new ChatSession(context, sampler, null, "You tell stories.")) {
      String first = chat.respond("Tell me a story.", maxTokens(12));
      int firstPrompt = chat.getEvaluatedCount();
      assertEquals(0, chat.getReusedCount());
      String second = chat.respond("And then?", maxTokens(12));
      assertTrue(chat.getReusedCount() >= firstPrompt);  // only the new turn was evaluated
      assertEquals(5, chat.getMessageCount());
      assertEquals("system", chat.messageRole(0));
      assertEquals(first, chat.messageContent(2));
      assertEquals(second, chat.messageContent(4));
      assertThrows(InvalidArgumentException.class, () -> chat.messageContent(5));
      chat.truncate(1);
      assertEquals(3, chat.getMessageCount());
      assertEquals("And then?", chat.messageContent(1));
      chat.reset();
      assertEquals(1, chat.getMessageCount());
    }
  }

  @Test
  public void loadsTheBundledModel() {
    assertEquals(1, Llmrt.apiVersion());
    assertFalse(Llmrt.version().isEmpty());
    assertEquals("llama", model.getArchitecture());
    assertEquals(512, model.getVocabSize());
    assertTrue(model.getParamCount() > 0);
    assertEquals(1, model.getBosToken());
  }

  @Test
  public void tokenizerMatchesReference() {
    assertEquals(reference.promptTokenIds, model.tokenize(reference.prompt));
    TokenList greedy = new TokenList();
    greedy.addAll(reference.greedyTokenIds);
    assertEquals(reference.greedyText, model.detokenize(greedy));
  }

  @Test
  public void greedyGenerationEqualsReference() {
    List<Integer> tokens = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    try (Context context = new Context(model); Sampler sampler = greedy()) {
      context.generate(sampler, reference.prompt, maxTokens(32), (piece, token) -> {
        text.append(piece);
        tokens.add(token);
        return false;
      });
    }
    assertEquals(reference.greedyTokenIds, tokens);
    assertEquals(reference.greedyText, text.toString());
  }

  @Test
  public void streamingDeliversPiecesAsTheyAreProduced() {
    try (Context context = new Context(model); Sampler sampler = greedy()) {
      List<String> pieces = new ArrayList<>();
      try (Generation generation = context.stream(sampler, reference.prompt, maxTokens(32))) {
        assertTrue(generation.hasNext());
        // Only the prompt and the first token have been evaluated so far.
        assertTrue(context.getPastLength() <= reference.promptTokenIds.size() + 1);
        for (String piece : generation) pieces.add(piece);
      }
      assertTrue(pieces.size() > 1);
      assertEquals(reference.greedyText, String.join("", pieces));
    }
  }

  /** Tokens generated from the prompt "Once upon a time" in a 64-token window. */
  private static int tokensInSmallWindow(int shiftMode) {
    ContextParams params = new ContextParams();
    params.setNCtx(64);
    List<Integer> tokens = new ArrayList<>();
    try (Context context = new Context(model, params); Sampler sampler = greedy();
         GenerateOptions options = maxTokens(256)) {
      options.setStopAtEos(false);
      options.setShiftMode(shiftMode);
      options.setNKeep(4);
      assertEquals(shiftMode, options.getShiftMode());
      assertEquals(4, options.getNKeep());
      assertEquals(-1, options.getNDiscard());  // the default: half of those not kept
      context.generate(sampler, "Once upon a time", options, (piece, token) -> {
        if (token >= 0) tokens.add(token);
        return false;
      });
      assertTrue(context.getPastLength() <= 64);
    }
    return tokens.size();
  }

  @Test
  public void streamingLlmShiftGeneratesPastTheWindow() {
    assertEquals(256, tokensInSmallWindow(Llmrt.SHIFT_REEVALUATE));
    assertEquals(256, tokensInSmallWindow(Llmrt.SHIFT_ROPED_K));
    int withoutShift = tokensInSmallWindow(Llmrt.SHIFT_OFF);
    assertTrue("stopped at the window: " + withoutShift, withoutShift > 0 && withoutShift < 64);
  }

  @Test
  public void contextShiftDropsPositions() {
    ContextParams params = new ContextParams();
    params.setNCtx(64);
    try (Context context = new Context(model, params)) {
      context.decode(model.tokenize(reference.prompt + " there was a little girl"));
      int past = context.getPastLength();
      context.shift(2, 3, Llmrt.SHIFT_REEVALUATE);
      assertEquals(past - 3, context.getPastLength());
      context.shift(1, -1, Llmrt.SHIFT_ROPED_K);  // -1: half of those after n_keep
      assertEquals(past - 3 - (past - 3 - 1) / 2, context.getPastLength());
      assertThrows(InvalidArgumentException.class, () -> context.shift(0, 1, Llmrt.SHIFT_OFF));
    }
  }

  private static ContextParams sequences(int n) {
    ContextParams params = new ContextParams();
    params.setNCtx(128);
    params.setNSeqMax(n);
    return params;
  }

  @Test
  public void beamSearchWithOneBeamIsGreedy() {
    List<Integer> greedyTokens = new ArrayList<>();
    try (Context context = new Context(model, sequences(1)); Sampler sampler = greedy();
         GenerateOptions options = maxTokens(24)) {
      options.setStopAtEos(false);
      context.generate(sampler, reference.prompt, options, (piece, token) -> {
        if (token >= 0) greedyTokens.add(token);
        return false;
      });
    }
    try (Context context = new Context(model, sequences(1)); BeamOptions options = new BeamOptions()) {
      options.setNumBeams(1);
      options.setMaxNewTokens(24);
      options.setStopAtEos(false);
      List<BeamHypothesis> hypotheses = context.beamSearch(reference.prompt, options);
      assertEquals(1, hypotheses.size());
      assertEquals(greedyTokens, hypotheses.get(0).getTokens());
      assertTrue(hypotheses.get(0).getScore() < 0);
    }
  }

  @Test
  public void beamSearchReturnsTheBestHypothesesFirst() {
    try (Context context = new Context(model, sequences(4)); BeamOptions options = new BeamOptions()) {
      options.setNumBeams(4);
      options.setNumReturnSequences(3);
      options.setMaxNewTokens(16);
      options.setEarlyStopping(Llmrt.EARLY_STOPPING_TRUE);
      List<BeamHypothesis> hypotheses = context.beamSearch(reference.prompt, options);
      assertEquals(3, hypotheses.size());
      for (int i = 1; i < hypotheses.size(); i++) {
        assertTrue(hypotheses.get(i - 1).getScore() >= hypotheses.get(i).getScore());
        assertNotEquals(hypotheses.get(i - 1).getTokens(), hypotheses.get(i).getTokens());
      }
    }
    try (Context context = new Context(model, sequences(2)); BeamOptions options = new BeamOptions()) {
      assertEquals(4, options.getNumBeams());  // the default needs 4 sequences
      assertThrows(InvalidArgumentException.class, () -> context.beamSearch(reference.prompt, options));
    }
  }

  private static int argmax(List<Float> logits) {
    int best = 0;
    for (int i = 1; i < logits.size(); i++) {
      if (logits.get(i) > logits.get(best)) best = i;
    }
    return best;
  }

  private static int nextTokenAlone(TokenList prompt) {
    try (Context context = new Context(model, sequences(1))) {
      context.decode(prompt);
      return argmax(context.logits());
    }
  }

  @Test
  public void twoSequencesDecodedTogetherMatchEachAlone() {
    TokenList a = model.tokenize(reference.prompt);
    TokenList b = model.tokenize("The little dog ran to the");
    TokenList tokens = new TokenList(a);
    tokens.addAll(b);
    TokenList seqIds = new TokenList();
    for (int i = 0; i < a.size(); i++) seqIds.add(0);
    for (int i = 0; i < b.size(); i++) seqIds.add(1);
    try (Context context = new Context(model, sequences(2))) {
      assertEquals(2, context.getNSeqMax());
      context.decodeMulti(tokens, seqIds);
      assertEquals(a.size(), context.seqNPast(0));
      assertEquals(b.size(), context.seqNPast(1));
      assertEquals(nextTokenAlone(a), argmax(context.logits(a.size() - 1)));
      assertEquals(nextTokenAlone(b), argmax(context.logits(tokens.size() - 1)));
      context.seqCopy(0, 1);
      assertEquals(a.size(), context.seqNPast(1));
      context.seqTruncate(1, 2);
      assertEquals(2, context.seqNPast(1));
      context.seqRemove(1);
      assertEquals(0, context.seqNPast(1));
      assertEquals(a.size(), context.seqNPast(0));
      assertThrows(InvalidArgumentException.class, () -> context.seqNPast(2));
      assertThrows(InvalidArgumentException.class, () -> context.decodeMulti(a, new TokenList()));
    }
  }

  @Test
  public void generationHandleIteratesAndSaysWhyItStopped() {
    int n = reference.greedyTokenIds.size();
    try (Context context = new Context(model); Sampler sampler = greedy()) {
      List<String> pieces = new ArrayList<>();
      try (Generation generation = new Generation(context, sampler, reference.prompt, maxTokens(32))) {
        assertEquals("", generation.stopReason());
        for (String piece : generation) pieces.add(piece);
        assertEquals(n < 32 ? "eos" : "length", generation.stopReason());
        assertEquals(n, generation.generatedCount());
        assertEquals(reference.greedyTokenIds.get(n - 1).intValue(), generation.lastToken());
      }
      assertEquals(reference.greedyText, String.join("", pieces));

      context.reset();
      try (GenerateOptions options = maxTokens(32)) {
        options.addStopString(" ");
        try (Generation generation = context.stream(sampler, reference.prompt, options)) {
          generation.forEachRemaining(pieces::add);
          assertEquals("stop_string", generation.stopReason());
        assertEquals(Llmrt.STOP_STRING, generation.stopCode());
        }
      }

      // One generation per context at a time: closing it lets the next one start.
      context.reset();
      try (Generation first = context.stream(sampler, reference.prompt, maxTokens(8))) {
        assertTrue(first.hasNext());
        assertThrows(BusyException.class, () -> context.generate(sampler, reference.prompt, maxTokens(1)));
        first.close();
        assertEquals("", first.stopReason());
        assertThrows(InvalidArgumentException.class, first::next);
      }
      context.reset();
      assertEquals(reference.greedyText, context.generate(sampler, reference.prompt, maxTokens(32)));
    }
  }

  @Test
  public void listenerReturningTrueCancels() {
    List<Integer> tokens = new ArrayList<>();
    try (Context context = new Context(model); Sampler sampler = greedy()) {
      CancelledException e = assertThrows(CancelledException.class,
          () -> context.generate(sampler, reference.prompt, maxTokens(32), (piece, token) -> {
            tokens.add(token);
            return tokens.size() >= 3;
          }));
      assertEquals(7, e.getStatus());
    }
    assertEquals(reference.greedyTokenIds.subList(0, 3), tokens);
  }

  @Test
  public void listenerExceptionStopsAndPropagates() {
    List<Integer> calls = new ArrayList<>();
    try (Context context = new Context(model); Sampler sampler = greedy()) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> context.generate(sampler, reference.prompt, maxTokens(32), (piece, token) -> {
            calls.add(token);
            throw new IllegalStateException("from the listener");
          }));
      assertEquals("from the listener", e.getMessage());
      // The context is usable afterwards.
      context.reset();
      assertEquals(reference.greedyText, context.generate(sampler, reference.prompt, maxTokens(32)));
    }
    assertEquals(1, calls.size());
  }

  @Test
  public void missingFileThrowsFileExceptionNamingIt() {
    String path = "/nonexistent/llmrt-java-test.gguf";
    FileException e = assertThrows(FileException.class, () -> new Model(path));
    assertTrue(e.getMessage(), e.getMessage().contains(path));
    assertEquals(2, e.getStatus());
  }

  @Test
  public void errorsAreTheJdkExceptionsACallerWouldCatch() {
    java.io.UncheckedIOException io =
        assertThrows(java.io.UncheckedIOException.class, () -> new Model("/nonexistent/llmrt-java-test.gguf"));
    assertEquals(2, ((LlmrtError) io).getStatus());
    assertTrue(IllegalArgumentException.class.isAssignableFrom(InvalidArgumentException.class));
    assertTrue(UnsupportedOperationException.class.isAssignableFrom(UnsupportedException.class));
    assertTrue(java.util.concurrent.CancellationException.class.isAssignableFrom(CancelledException.class));
    assertTrue(IllegalStateException.class.isAssignableFrom(org.llmrt.BusyException.class));
    assertTrue(LlmrtException.class.isAssignableFrom(ModelFormatException.class));
  }

  @Test
  public void corruptFileThrowsFormatExceptionNamingIt() throws IOException {
    Path path = Files.createTempFile("llmrt-corrupt", ".gguf");
    try {
      byte[] garbage = new byte[4096];
      new Random(1).nextBytes(garbage);
      Files.write(path, garbage);
      ModelFormatException e = assertThrows(ModelFormatException.class, () -> new Model(path.toString()));
      assertTrue(e.getMessage(), e.getMessage().contains(path.toString()));
    } finally {
      Files.delete(path);
    }
  }

  @Test
  public void closedObjectsThrowInsteadOfCrashing() {
    Model closed = new Model(MODEL_PATH);
    closed.close();
    closed.close();
    assertThrows(InvalidArgumentException.class, () -> closed.tokenize("hello"));
    assertThrows(InvalidArgumentException.class, () -> new Context(closed));
  }

  @Test
  public void contextKeepsItsModelAlive() {
    Model own = new Model(MODEL_PATH);
    Context context = new Context(own);
    own.close();
    try (Sampler sampler = greedy()) {
      assertEquals(reference.greedyText, context.generate(sampler, reference.prompt, maxTokens(32)));
    }
    context.close();
  }

  @Test
  public void sampledGenerationIsReproducibleAcrossForms() {
    try (Context context = new Context(model)) {
      String viaListener;
      try (Sampler sampler = new Sampler(crossLanguageSettings())) {
        viaListener = context.generate(sampler, reference.prompt, maxTokens(40));
      }
      context.reset();
      StringBuilder viaIterator = new StringBuilder();
      try (Sampler sampler = new Sampler(crossLanguageSettings());
          Generation generation = context.stream(sampler, reference.prompt, maxTokens(40))) {
        generation.forEachRemaining(viaIterator::append);
      }
      assertFalse(viaListener.isEmpty());
      assertEquals(viaListener, viaIterator.toString());
      assertNotEquals(reference.greedyText, viaListener);
    }
  }

  @Test
  public void quantizeWithProgressAndCancel() throws IOException {
    if (!Llmrt.hasQuantizer()) {
      assertThrows(UnsupportedException.class, QuantizeOptions::new);
      assumeTrue("libllmrt does not implement quantization yet", false);
    }
    Path dir = Files.createTempDirectory("llmrt-java-quantize");
    try {
      Path out = dir.resolve("stories260K-int8.llmrt");
      List<Float> fractions = new ArrayList<>();
      try (QuantizeOptions options = new QuantizeOptions()) {
        options.setWeightDtype("int8");
        try (Quantizer quantizer = new Quantizer(options)) {
          quantizer.quantize(MODEL_PATH, out.toString(), (fraction, tensor) -> {
            fractions.add(fraction);
            return false;
          });
        } catch (UnsupportedException e) {
          // The quantizer API may exist before the library supports a weight type (issue 3).
          assumeTrue("the library cannot quantize to int8 yet: " + e.getMessage(), false);
        }
      }
      assertTrue(Files.size(out) > 0);
      assertFalse(fractions.isEmpty());
      try (Model quantized = new Model(out.toString());
          Context context = new Context(quantized);
          Sampler sampler = greedy()) {
        assertFalse(context.generate(sampler, reference.prompt, maxTokens(8)).isEmpty());
      }

      Path cancelled = dir.resolve("cancelled.llmrt");
      try (Quantizer quantizer = new Quantizer()) {
        assertThrows(CancelledException.class,
            () -> quantizer.quantize(MODEL_PATH, cancelled.toString(), (fraction, tensor) -> true));
      }
      assertFalse(Files.exists(cancelled));
    } finally {
      try (java.util.stream.Stream<Path> files = Files.list(dir)) {
        for (Path file : (Iterable<Path>) files::iterator) Files.delete(file);
      }
      Files.delete(dir);
    }
  }

  // ---- an object in use stays alive: close() ends it for its owner, the generation finishes ----

  private String sampledText() {
    try (Context context = new Context(model); Sampler sampler = new Sampler(crossLanguageSettings())) {
      return context.generate(sampler, reference.prompt, maxTokens(40));
    }
  }

  @Test
  public void closingTheSamplerOfAnOpenStream() {
    String expected = sampledText();
    try (Context context = new Context(model)) {
      Sampler sampler = new Sampler(crossLanguageSettings());
      try (Generation generation = context.stream(sampler, reference.prompt, maxTokens(40))) {
        StringBuilder text = new StringBuilder(generation.next());
        sampler.close();
        assertThrows(InvalidArgumentException.class, sampler::reset);
        generation.forEachRemaining(text::append);
        assertEquals(expected, text.toString());
      }
    }
  }

  @Test
  public void closingEverythingUnderAnOpenStream() {
    String expected = sampledText();
    Model own = new Model(MODEL_PATH);
    Context context = new Context(own);
    Sampler sampler = new Sampler(crossLanguageSettings());
    try (Generation generation = context.stream(sampler, reference.prompt, maxTokens(40))) {
      StringBuilder text = new StringBuilder(generation.next());
      context.close();
      sampler.close();
      own.close();
      assertThrows(InvalidArgumentException.class, context::getPastLength);
      generation.forEachRemaining(text::append);
      assertEquals(expected, text.toString());
    }
  }

  @Test
  public void closingFromTheListener() {
    String expected = sampledText();
    Context context = new Context(model);
    Sampler sampler = new Sampler(crossLanguageSettings());
    StringBuilder text = new StringBuilder();
    context.generate(sampler, reference.prompt, maxTokens(40), (piece, token) -> {
      sampler.close();
      context.close();
      text.append(piece);
      return false;
    });
    assertEquals(expected, text.toString());
  }

  @Test
  public void aStreamReplacedByAnotherGenerationSaysSo() {
    try (Context context = new Context(model); Sampler sampler = greedy()) {
      try (Generation first = context.stream(sampler, reference.prompt, maxTokens(8))) {
        first.next();
        context.reset();
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, first::hasNext);
        assertTrue(e.getMessage(), e.getMessage().contains("ended"));
      }
      assertEquals(reference.greedyText, context.generate(sampler, reference.prompt, maxTokens(32)));
    }
  }

  @Test
  public void closingTheQuantizerFromProgressFinishesTheFile() throws IOException {
    assumeTrue("libllmrt does not implement quantization", Llmrt.hasQuantizer());
    Path out = Files.createTempFile("llmrt-java-closed", ".llmrt");
    try (QuantizeOptions options = new QuantizeOptions()) {
      options.setWeightDtype("int8");
      Quantizer quantizer = new Quantizer(options);
      quantizer.quantize(MODEL_PATH, out.toString(), (fraction, tensor) -> {
        quantizer.close();
        return false;
      });
      try (Model quantized = new Model(out.toString())) {
        assertEquals(512, quantized.getVocabSize());
      }
    } finally {
      Files.deleteIfExists(out);
    }
  }

  @Test
  public void scaleAndComputeTypesTakeTheLibrarysNames() {
    assumeTrue("libllmrt does not implement quantization", Llmrt.hasQuantizer());
    try (QuantizeOptions options = new QuantizeOptions()) {
      assertEquals("fp32", options.getScaleDtype());  // the defaults, named by the library
      assertEquals("auto", options.getComputeDtype());
      options.setScaleDtype("fp16");
      options.setComputeDtype("int8");
      assertEquals("fp16", options.getScaleDtype());
      assertEquals("int8", options.getComputeDtype());
      assertThrows(InvalidArgumentException.class, () -> options.setScaleDtype("fp64"));
      assertEquals("fp16", options.getScaleDtype());  // unchanged by the refused name
    }
  }

  // ---- NUL characters: text to tokenize takes a length, C strings refuse them ----

  @Test
  public void tokenizeKeepsWhatFollowsANul() {
    // stories260K: <unk>, <s>, </s>, the 256 byte tokens <0x00>..<0xFF>, then merged pieces.
    TokenList ids = model.tokenize("a\0b");
    List<Integer> expected = new ArrayList<>(model.tokenize("a"));
    expected.add(3);
    expected.add(pieceId("b"));
    assertEquals(expected, ids);
    assertEquals("a\0b", model.detokenize(ids));
  }

  private static int pieceId(String piece) {
    for (int id = 259; id < model.getVocabSize(); id++) {
      if (model.tokenToPiece(id).equals(piece)) return id;
    }
    return -1;
  }

  @Test
  public void nulInCStringTextIsRefused() {
    try (Context context = new Context(model); Sampler sampler = greedy(); GenerateOptions options = maxTokens(4)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> context.generate(sampler, "Once\0 upon", options));
      assertTrue(e.getMessage(), e.getMessage().startsWith("prompt contains a NUL character"));
      e = assertThrows(IllegalArgumentException.class, () -> context.stream(sampler, "Once\0", options));
      assertTrue(e.getMessage(), e.getMessage().startsWith("prompt contains a NUL character"));
      e = assertThrows(IllegalArgumentException.class, () -> options.addStopString("a\0b"));
      assertTrue(e.getMessage(), e.getMessage().startsWith("text contains a NUL character"));
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Model(MODEL_PATH + "\0x"));
    assertTrue(e.getMessage(), e.getMessage().startsWith("path contains a NUL character"));
  }

  @Test
  public void twoHundredLoadFreeCyclesDoNotGrowMemory() throws IOException {
    for (int i = 0; i < 20; i++) loadAndFree(); // warm up the JIT and allocator pools
    System.gc();
    long before = rssKib();
    for (int i = 0; i < 200; i++) loadAndFree();
    System.gc();
    long growth = rssKib() - before;
    // A leaked model would cost over 1 MiB per cycle; allow for JVM and allocator noise.
    assertTrue("RSS grew by " + growth + " KiB over 200 cycles", growth < 24 * 1024);
  }

  private static void loadAndFree() {
    try (Model m = new Model(MODEL_PATH); Context context = new Context(m)) {
      TokenList tokens = new TokenList();
      tokens.add(1);
      tokens.add(403);
      context.decode(tokens);
    }
  }

  private static long rssKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  // ---- chat templates: the engine is checked against Jinja2 in C and Python; here, that the
  // strings cross intact both ways and a template's error arrives with its message ----

  @Test
  public void chatTemplateRendersMessagesAndRaises() {
    assertEquals("", model.chatTemplate());  // stories260K has none
    String content = "h\u00e9llo \ud83e\udd99";
    String messages = "[{\"role\": \"user\", \"content\": \"" + content + "\"}]";
    String tmpl = "{{ bos_token }}{% for m in messages %}{{ m.role }}={{ m.content }};{% endfor %}"
        + "{% if add_generation_prompt %}>{% endif %}";
    String extra = "{\"bos_token\": \"<B>\"}";
    assertEquals("<B>user=" + content + ";>", model.applyChatTemplate(messages, tmpl, true, null, extra));
    assertEquals("<B>user=" + content + ";", model.applyChatTemplate(messages, tmpl, false, null, extra));
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> model.applyChatTemplate(messages, "{{ raise_exception('no system role') }}"));
    assertTrue(e.getMessage(), e.getMessage().contains("TemplateError: no system role"));
  }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace Llmrt.Tests {

/// <summary>
/// The C# binding tests. Usage:
///   mono LlmrtTests.exe MODEL.gguf REFERENCE.json        runs the tests
///   mono LlmrtTests.exe --sample MODEL.gguf OUT.txt      writes the cross-language sample text
/// </summary>
public class LlmrtTests {
  readonly string modelPath;
  readonly string prompt;
  readonly List<int> promptTokenIds;
  readonly List<int> greedyTokenIds;
  readonly string greedyText;

  LlmrtTests(string modelPath, string referencePath) {
    this.modelPath = modelPath;
    // prompts[0] of the reference: the first occurrence of each key (Mono has no JSON parser).
    string json = File.ReadAllText(referencePath, Encoding.UTF8);
    prompt = JsonString(json, "prompt");
    promptTokenIds = JsonInts(json, "prompt_token_ids");
    greedyTokenIds = JsonInts(json, "greedy_token_ids");
    greedyText = JsonString(json, "greedy_text");
  }

  static string JsonString(string json, string key) {
    Match m = Regex.Match(json, "\"" + key + "\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    if (!m.Success) throw new InvalidDataException("no " + key + " in the reference");
    return Regex.Unescape(m.Groups[1].Value);
  }

  static List<int> JsonInts(string json, string key) {
    Match m = Regex.Match(json, "\"" + key + "\"\\s*:\\s*\\[([^\\]]*)\\]");
    if (!m.Success) throw new InvalidDataException("no " + key + " in the reference");
    return m.Groups[1].Value.Split(',').Select(s => int.Parse(s.Trim())).ToList();
  }

  internal static SamplerParams CrossLanguageSettings() {
    return new SamplerParams { Temperature = 0.8f, TopP = 0.9f, TopK = 40, MinP = 0.05f, Seed = 42 };
  }

  static Sampler Greedy() {
    return new Sampler(new SamplerParams { Temperature = 0 });
  }

  static GenerateOptions MaxTokens(int n) {
    return new GenerateOptions { MaxNewTokens = n };
  }

  [Test]
  public void LoadsTheBundledModel() {
    using (var model = new Model(modelPath)) {
      Assert.Equal(1, Library.ApiVersion(), "api version");
      Assert.Equal("llama", model.Architecture, "architecture");
      Assert.Equal(512, model.VocabSize, "vocab size");
      Assert.True(model.ParamCount > 0, "param count");
      Assert.Equal(1, model.BosToken, "bos");
    }
  }

  [Test]
  public void TokenizerMatchesReference() {
    using (var model = new Model(modelPath)) {
      Assert.SequenceEqual(promptTokenIds, model.Tokenize(prompt).ToList(), "prompt ids");
      Assert.Equal(greedyText, model.Detokenize(new TokenList(greedyTokenIds)), "detokenized");
    }
  }

  [Test]
  public void ChatSessionAnswersEachTurnFromTheCache() {
    using (var model = new Model(modelPath))
    using (var context = new Context(model, new ContextParams { KvType = Library.KV_F16 }))  // settable from C#
    using (var sampler = Greedy())
    using (var chat = new ChatSession(context, sampler, null, "You tell stories.")) {
      string first = chat.Respond("Tell me a story.", MaxTokens(12));
      int firstPrompt = chat.EvaluatedCount;
      Assert.Equal(0, chat.ReusedCount, "the first turn reuses nothing");
      string second = chat.Respond("And then?", MaxTokens(12));
      Assert.True(chat.ReusedCount >= firstPrompt, "the second turn evaluates only itself");
      Assert.Equal(5, chat.MessageCount, "messages");
      Assert.Equal("system", chat.MessageRole(0), "the system message first");
      Assert.Equal(first, chat.MessageContent(2), "the first answer");
      Assert.Equal(second, chat.MessageContent(4), "the second answer");
      chat.Truncate(1);
      Assert.Equal(3, chat.MessageCount, "after truncate");
      Assert.Equal("And then?", chat.MessageContent(1), "the oldest turn went");
      chat.Reset();
      Assert.Equal(1, chat.MessageCount, "after reset");
    }
  }

  [Test]
  public void GreedyGenerationEqualsReference() {
    var tokens = new List<int>();
    var text = new StringBuilder();
    using (var model = new Model(modelPath))
    using (var context = new Context(model))
    using (var sampler = Greedy()) {
      context.Generate(sampler, prompt, MaxTokens(32), (piece, token) => {
        text.Append(piece);
        tokens.Add(token);
        return false;
      });
    }
    Assert.SequenceEqual(greedyTokenIds, tokens, "greedy ids");
    Assert.Equal(greedyText, text.ToString(), "greedy text");
  }

  [Test]
  public void StreamingDeliversPiecesAsTheyAreProduced() {
    using (var model = new Model(modelPath))
    using (var context = new Context(model))
    using (var sampler = Greedy()) {
      var pieces = new List<string>();
      foreach (string piece in context.Stream(sampler, prompt, MaxTokens(32))) {
        if (pieces.Count == 0) {
          // Only the prompt and the first token have been evaluated so far.
          Assert.True(context.PastLength <= promptTokenIds.Count + 1, "incremental");
        }
        pieces.Add(piece);
      }
      Assert.True(pieces.Count > 1, "more than one piece");
      Assert.Equal(greedyText, string.Concat(pieces), "streamed text");
    }
  }

  // Tokens generated from the prompt "Once upon a time" in a 64-token window.
  int TokensInSmallWindow(Model model, int shiftMode) {
    var tokens = new List<int>();
    using (var context = new Context(model, new ContextParams { NCtx = 64 }))
    using (var sampler = Greedy())
    using (var options = new GenerateOptions { MaxNewTokens = 256, StopAtEos = false, ShiftMode = shiftMode, NKeep = 4 }) {
      Assert.Equal(shiftMode, options.ShiftMode, "shift mode");
      Assert.Equal(-1, options.NDiscard, "n_discard's default");
      context.Generate(sampler, "Once upon a time", options, (piece, token) => {
        if (token >= 0) tokens.Add(token);
        return false;
      });
      Assert.True(context.PastLength <= 64, "within the window");
    }
    return tokens.Count;
  }

  [Test]
  public void StreamingLlmShiftGeneratesPastTheWindow() {
    using (var model = new Model(modelPath)) {
      Assert.Equal(256, TokensInSmallWindow(model, Library.SHIFT_REEVALUATE), "re-evaluate");
      Assert.Equal(256, TokensInSmallWindow(model, Library.SHIFT_ROPED_K), "roped k");
      int withoutShift = TokensInSmallWindow(model, Library.SHIFT_OFF);
      Assert.True(withoutShift > 0 && withoutShift < 64, "stopped at the window: " + withoutShift);
    }
  }

  [Test]
  public void ContextShiftDropsPositions() {
    using (var model = new Model(modelPath))
    using (var context = new Context(model, new ContextParams { NCtx = 64 })) {
      context.Decode(model.Tokenize(prompt + " there was a little girl"));
      int past = context.PastLength;
      context.Shift(2, 3, Library.SHIFT_REEVALUATE);
      Assert.Equal(past - 3, context.PastLength, "after dropping 3");
      context.Shift(1, -1, Library.SHIFT_ROPED_K);  // -1: half of those after n_keep
      Assert.Equal(past - 3 - (past - 3 - 1) / 2, context.PastLength, "after dropping half");
      Assert.Throws<InvalidArgumentException>(() => context.Shift(0, 1, Library.SHIFT_OFF));
    }
  }

  static ContextParams Sequences(int n) {
    return new ContextParams { NCtx = 128, NSeqMax = n };
  }

  [Test]
  public void BeamSearchWithOneBeamIsGreedy() {
    var greedyTokens = new List<int>();
    using (var model = new Model(modelPath)) {
      using (var context = new Context(model, Sequences(1)))
      using (var sampler = Greedy())
      using (var options = new GenerateOptions { MaxNewTokens = 24, StopAtEos = false }) {
        context.Generate(sampler, prompt, options, (piece, token) => {
          if (token >= 0) greedyTokens.Add(token);
          return false;
        });
      }
      using (var context = new Context(model, Sequences(1)))
      using (var options = new BeamOptions { NumBeams = 1, MaxNewTokens = 24, StopAtEos = false }) {
        var hypotheses = context.BeamSearch(prompt, options);
        Assert.Equal(1, hypotheses.Count, "hypotheses");
        Assert.SequenceEqual(greedyTokens, hypotheses[0].Tokens.ToList(), "one beam = greedy");
        Assert.True(hypotheses[0].Score < 0, "a log-probability");
      }
    }
  }

  [Test]
  public void BeamSearchReturnsTheBestHypothesesFirst() {
    using (var model = new Model(modelPath)) {
      using (var context = new Context(model, Sequences(4)))
      using (var options = new BeamOptions { NumBeams = 4, NumReturnSequences = 3, MaxNewTokens = 16,
                                             EarlyStopping = Library.EARLY_STOPPING_TRUE }) {
        var hypotheses = context.BeamSearch(prompt, options);
        Assert.Equal(3, hypotheses.Count, "hypotheses");
        for (int i = 1; i < hypotheses.Count; i++) {
          Assert.True(hypotheses[i - 1].Score >= hypotheses[i].Score, "scores in decreasing order");
          Assert.True(!hypotheses[i - 1].Tokens.SequenceEqual(hypotheses[i].Tokens), "distinct hypotheses");
        }
      }
      using (var context = new Context(model, Sequences(2)))
      using (var options = new BeamOptions()) {
        Assert.Equal(4, options.NumBeams, "the default needs 4 sequences");
        Assert.Throws<InvalidArgumentException>(() => context.BeamSearch(prompt, options));
      }
    }
  }

  static int Argmax(IList<float> logits) {
    int best = 0;
    for (int i = 1; i < logits.Count; i++) {
      if (logits[i] > logits[best]) best = i;
    }
    return best;
  }

  static int NextTokenAlone(Model model, TokenList prompt) {
    using (var context = new Context(model, Sequences(1))) {
      context.Decode(prompt);
      return Argmax(context.Logits());
    }
  }

  [Test]
  public void TwoSequencesDecodedTogetherMatchEachAlone() {
    using (var model = new Model(modelPath)) {
      TokenList a = model.Tokenize(prompt);
      TokenList b = model.Tokenize("The little dog ran to the");
      var tokens = new TokenList();
      var seqIds = new TokenList();
      foreach (int t in a) { tokens.Add(t); seqIds.Add(0); }
      foreach (int t in b) { tokens.Add(t); seqIds.Add(1); }
      using (var context = new Context(model, Sequences(2))) {
        Assert.Equal(2, context.NSeqMax, "n_seq_max");
        context.DecodeMulti(tokens, seqIds);
        Assert.Equal(a.Count, context.SeqNPast(0), "sequence 0");
        Assert.Equal(b.Count, context.SeqNPast(1), "sequence 1");
        Assert.Equal(NextTokenAlone(model, a), Argmax(context.Logits(a.Count - 1)), "prompt a");
        Assert.Equal(NextTokenAlone(model, b), Argmax(context.Logits(tokens.Count - 1)), "prompt b");
        context.SeqCopy(0, 1);
        Assert.Equal(a.Count, context.SeqNPast(1), "after copy");
        context.SeqTruncate(1, 2);
        Assert.Equal(2, context.SeqNPast(1), "after truncate");
        context.SeqRemove(1);
        Assert.Equal(0, context.SeqNPast(1), "after remove");
        Assert.Equal(a.Count, context.SeqNPast(0), "sequence 0 untouched");
        Assert.Throws<InvalidArgumentException>(() => context.SeqNPast(2));
        Assert.Throws<InvalidArgumentException>(() => context.DecodeMulti(a, new TokenList()));
      }
    }
  }

  [Test]
  public void GenerationHandleIteratesAndSaysWhyItStopped() {
    int n = greedyTokenIds.Count;
    using (var model = new Model(modelPath))
    using (var context = new Context(model))
    using (var sampler = Greedy()) {
      var pieces = new List<string>();
      using (var generation = new Generation(context, sampler, prompt, MaxTokens(32))) {
        Assert.Equal("", generation.StopReason, "while running");
        foreach (string piece in generation) pieces.Add(piece);
        Assert.Equal(n < 32 ? "eos" : "length", generation.StopReason, "stop reason");
        Assert.Equal(n, generation.GeneratedCount, "generated");
        Assert.Equal(greedyTokenIds[n - 1], generation.LastToken, "last token");
      }
      Assert.Equal(greedyText, string.Concat(pieces), "text");

      context.Reset();
      var options = MaxTokens(32);
      options.AddStopString(" ");
      using (var generation = context.Stream(sampler, prompt, options)) {
        foreach (string piece in generation) pieces.Add(piece);
        Assert.Equal("stop_string", generation.StopReason, "stopped by the string");
        Assert.Equal(Library.STOP_STRING, generation.StopCode, "its code");
      }

      // One generation per context at a time: disposing it lets the next one start.
      context.Reset();
      var first = context.Stream(sampler, prompt, MaxTokens(8));
      Assert.True(first.Next() != null, "first piece");
      Assert.Throws<BusyException>(() => context.Generate(sampler, prompt, MaxTokens(1)));
      first.Dispose();
      Assert.Equal("", first.StopReason, "disposed before the end");
      Assert.Throws<InvalidArgumentException>(() => first.Next());
      context.Reset();
      Assert.Equal(greedyText, context.Generate(sampler, prompt, MaxTokens(32)), "the next generation");
    }
  }

  [Test]
  public void ListenerReturningTrueCancels() {
    var tokens = new List<int>();
    using (var model = new Model(modelPath))
    using (var context = new Context(model))
    using (var sampler = Greedy()) {
      var e = Assert.Throws<CancelledException>(() => context.Generate(sampler, prompt, MaxTokens(32), (piece, token) => {
        tokens.Add(token);
        return tokens.Count >= 3;
      }));
      Assert.Equal(7, e.Status, "status");
    }
    Assert.SequenceEqual(greedyTokenIds.Take(3).ToList(), tokens, "tokens before cancel");
  }

  [Test]
  public void ListenerExceptionStopsAndPropagates() {
    int calls = 0;
    using (var model = new Model(modelPath))
    using (var context = new Context(model))
    using (var sampler = Greedy()) {
      var e = Assert.Throws<InvalidOperationException>(() => context.Generate(sampler, prompt, MaxTokens(32),
          (piece, token) => { calls++; throw new InvalidOperationException("from the listener"); }));
      Assert.Equal("from the listener", e.Message, "message");
      context.Reset();
      Assert.Equal(greedyText, context.Generate(sampler, prompt, MaxTokens(32)), "usable afterwards");
    }
    Assert.Equal(1, calls, "listener calls");
  }

  [Test]
  public void MissingFileThrowsFileExceptionNamingIt() {
    string path = "/nonexistent/llmrt-csharp-test.gguf";
    var e = Assert.Throws<FileException>(() => new Model(path));
    Assert.True(e.Message.Contains(path), e.Message);
    Assert.Equal(2, e.Status, "status");
  }

  [Test]
  public void ErrorsAreTheDotNetExceptionsACallerWouldCatch() {
    var io = Assert.Throws<System.IO.IOException>(() => new Model("/nonexistent/llmrt-csharp-test.gguf"));
    Assert.Equal(2, ((ILlmrtException)io).Status, "status");
    Assert.True(typeof(ArgumentException).IsAssignableFrom(typeof(InvalidArgumentException)), "ArgumentException");
    Assert.True(typeof(OperationCanceledException).IsAssignableFrom(typeof(CancelledException)), "cancelled");
    Assert.True(typeof(NotSupportedException).IsAssignableFrom(typeof(UnsupportedException)), "unsupported");
    Assert.True(typeof(InvalidOperationException).IsAssignableFrom(typeof(BusyException)), "busy");
    Assert.True(typeof(FormatException).IsAssignableFrom(typeof(ModelFormatException)), "format");
  }

  [Test]
  public void CorruptFileThrowsFormatExceptionNamingIt() {
    string path = Path.GetTempFileName();
    try {
      var garbage = new byte[4096];
      new Random(1).NextBytes(garbage);
      File.WriteAllBytes(path, garbage);
      var e = Assert.Throws<ModelFormatException>(() => new Model(path));
      Assert.True(e.Message.Contains(path), e.Message);
    } finally {
      File.Delete(path);
    }
  }

  [Test]
  public void DisposedObjectsThrowInsteadOfCrashing() {
    var model = new Model(modelPath);
    model.Dispose();
    model.Dispose();
    Assert.Throws<InvalidArgumentException>(() => model.Tokenize("hello"));
    Assert.Throws<InvalidArgumentException>(() => new Context(model));
  }

  [Test]
  public void ContextKeepsItsModelAlive() {
    var model = new Model(modelPath);
    var context = new Context(model);
    model.Dispose();
    using (var sampler = Greedy()) {
      Assert.Equal(greedyText, context.Generate(sampler, prompt, MaxTokens(32)), "text");
    }
    context.Dispose();
  }

  [Test]
  public void SampledGenerationIsReproducibleAcrossForms() {
    using (var model = new Model(modelPath))
    using (var context = new Context(model)) {
      string viaListener, viaStream;
      using (var sampler = new Sampler(CrossLanguageSettings())) viaListener = context.Generate(sampler, prompt, MaxTokens(40));
      context.Reset();
      using (var sampler = new Sampler(CrossLanguageSettings())) viaStream = string.Concat(context.Stream(sampler, prompt, MaxTokens(40)));
      Assert.True(viaListener.Length > 0, "non-empty");
      Assert.Equal(viaListener, viaStream, "listener vs stream");
      Assert.True(viaListener != greedyText, "sampled differs from greedy");
    }
  }

  [Test]
  public void QuantizeWithProgressAndCancel() {
    if (!Library.HasQuantizer()) {
      Assert.Throws<UnsupportedException>(() => new QuantizeOptions());
      Console.WriteLine("  (libllmrt does not implement quantization yet: only the error was checked)");
      return;
    }
    string dir = Path.Combine(Path.GetTempPath(), "llmrt-csharp-quantize-" + Guid.NewGuid());
    Directory.CreateDirectory(dir);
    try {
      string output = Path.Combine(dir, "stories260K-int8.llmrt");
      var fractions = new List<float>();
      using (var options = new QuantizeOptions { WeightDtype = "int8" })
      using (var quantizer = new Quantizer(options)) {
        try {
          quantizer.Quantize(modelPath, output, (fraction, tensor) => { fractions.Add(fraction); return false; });
        } catch (UnsupportedException e) {
          // The quantizer API may exist before the library supports a weight type (issue 3).
          Console.WriteLine("  (skipped: the library cannot quantize to int8 yet: " + e.Message + ")");
          return;
        }
      }
      Assert.True(new FileInfo(output).Length > 0, "output written");
      Assert.True(fractions.Count > 0, "progress reported");
      using (var model = new Model(output))
      using (var context = new Context(model))
      using (var sampler = Greedy()) {
        Assert.True(context.Generate(sampler, prompt, MaxTokens(8)).Length > 0, "quantized model generates");
      }

      string cancelled = Path.Combine(dir, "cancelled.llmrt");
      using (var quantizer = new Quantizer()) {
        Assert.Throws<CancelledException>(() => quantizer.Quantize(modelPath, cancelled, (fraction, tensor) => true));
      }
      Assert.True(!File.Exists(cancelled), "no output after cancel");
    } finally {
      Directory.Delete(dir, true);
    }
  }

  // ---- an object in use stays alive: Dispose() ends it for its owner, the generation finishes ----

  string SampledText(Model model) {
    using (var context = new Context(model))
    using (var sampler = new Sampler(CrossLanguageSettings())) return context.Generate(sampler, prompt, MaxTokens(40));
  }

  [Test]
  public void DisposingEverythingUnderAnOpenStream() {
    var model = new Model(modelPath);
    string expected = SampledText(model);
    var context = new Context(model);
    var sampler = new Sampler(CrossLanguageSettings());
    var text = new StringBuilder();
    using (var pieces = context.Stream(sampler, prompt, MaxTokens(40)).GetEnumerator()) {
      Assert.True(pieces.MoveNext(), "first piece");
      text.Append(pieces.Current);
      sampler.Dispose();
      context.Dispose();
      model.Dispose();
      Assert.Throws<InvalidArgumentException>(() => sampler.Reset());
      Assert.Throws<InvalidArgumentException>(() => context.PastLength.ToString());
      while (pieces.MoveNext()) text.Append(pieces.Current);
    }
    Assert.Equal(expected, text.ToString(), "text");
  }

  [Test]
  public void DisposingFromTheListener() {
    using (var model = new Model(modelPath)) {
      string expected = SampledText(model);
      var context = new Context(model);
      var sampler = new Sampler(CrossLanguageSettings());
      var text = new StringBuilder();
      context.Generate(sampler, prompt, MaxTokens(40), (piece, token) => {
        sampler.Dispose();
        context.Dispose();
        text.Append(piece);
        return false;
      });
      Assert.Equal(expected, text.ToString(), "text");
    }
  }

  [Test]
  public void AStreamEndedByAResetSaysSo() {
    using (var model = new Model(modelPath))
    using (var context = new Context(model))
    using (var sampler = Greedy()) {
      using (var pieces = context.Stream(sampler, prompt, MaxTokens(8)).GetEnumerator()) {
        Assert.True(pieces.MoveNext(), "first piece");
        context.Reset();
        var e = Assert.Throws<InvalidArgumentException>(() => pieces.MoveNext());
        Assert.True(e.Message.Contains("ended"), e.Message);
      }
      Assert.Equal(greedyText, context.Generate(sampler, prompt, MaxTokens(32)), "text after");
    }
  }

  [Test]
  public void DisposingTheQuantizerFromProgressFinishesTheFile() {
    if (!Library.HasQuantizer()) return;
    string output = Path.Combine(Path.GetTempPath(), "llmrt-csharp-disposed-" + Guid.NewGuid() + ".llmrt");
    try {
      using (var options = new QuantizeOptions { WeightDtype = "int8" }) {
        var quantizer = new Quantizer(options);
        quantizer.Quantize(modelPath, output, (fraction, tensor) => { quantizer.Dispose(); return false; });
      }
      using (var quantized = new Model(output)) Assert.Equal(512, quantized.VocabSize, "vocab size");
    } finally {
      File.Delete(output);
    }
  }

  [Test]
  public void ScaleAndComputeTypesTakeTheLibrarysNames() {
    if (!Library.HasQuantizer()) return;
    using (var options = new QuantizeOptions()) {
      Assert.Equal("fp32", options.ScaleDtype, "default scale type, named by the library");
      Assert.Equal("auto", options.ComputeDtype, "default compute type");
      options.ScaleDtype = "fp16";
      options.ComputeDtype = "int8";
      Assert.Equal("fp16", options.ScaleDtype, "scale type");
      Assert.Equal("int8", options.ComputeDtype, "compute type");
      Assert.Throws<InvalidArgumentException>(() => options.ScaleDtype = "fp64");
      Assert.Equal("fp16", options.ScaleDtype, "unchanged by the refused name");
    }
  }

  // ---- NUL characters: text to tokenize takes a length, C strings refuse them ----

  // ---- chat templates: the engine is checked against Jinja2 in C and Python; here, that the
  // strings cross intact both ways and a template's error arrives with its message ----

  [Test]
  public void ChatTemplateRendersMessagesAndRaises() {
    using (var model = new Model(modelPath)) {
      Assert.Equal("", model.ChatTemplate(), "the model's template");  // stories260K has none
      string content = "h\u00e9llo \U0001F999";
      string messages = "[{\"role\": \"user\", \"content\": \"" + content + "\"}]";
      string tmpl = "{{ bos_token }}{% for m in messages %}{{ m.role }}={{ m.content }};{% endfor %}"
          + "{% if add_generation_prompt %}>{% endif %}";
      string extra = "{\"bos_token\": \"<B>\"}";
      Assert.Equal("<B>user=" + content + ";>", model.ApplyChatTemplate(messages, tmpl, true, null, extra), "rendered");
      Assert.Equal("<B>user=" + content + ";", model.ApplyChatTemplate(messages, tmpl, false, null, extra),
                   "rendered without the generation prompt");
      var e = Assert.Throws<InvalidArgumentException>(
          () => model.ApplyChatTemplate(messages, "{{ raise_exception('no system role') }}"));
      Assert.True(e.Message.Contains("TemplateError: no system role"), e.Message);
    }
  }

  [Test]
  public void TokenizeKeepsWhatFollowsANul() {
    using (var model = new Model(modelPath)) {
      // stories260K: <unk>, <s>, </s>, the 256 byte tokens <0x00>..<0xFF>, then merged pieces.
      int b = Enumerable.Range(259, model.VocabSize - 259).First(id => model.TokenToPiece(id) == "b");
      var expected = model.Tokenize("a").ToList();
      expected.Add(3);
      expected.Add(b);
      TokenList ids = model.Tokenize("a\0b");
      Assert.SequenceEqual(expected, ids.ToList(), "ids");
      Assert.Equal("a\0b", model.Detokenize(ids), "detokenized");
    }
  }

  [Test]
  public void NulInCStringTextIsRefused() {
    using (var model = new Model(modelPath))
    using (var context = new Context(model))
    using (var sampler = Greedy())
    using (var options = MaxTokens(4)) {
      var e = Assert.Throws<ArgumentException>(() => context.Generate(sampler, "Once\0 upon", options));
      Assert.Equal("prompt", e.ParamName, "parameter");
      e = Assert.Throws<ArgumentException>(() => context.Stream(sampler, "Once\0", options));
      Assert.Equal("prompt", e.ParamName, "parameter");
      e = Assert.Throws<ArgumentException>(() => options.AddStopString("a\0b"));
      Assert.Equal("text", e.ParamName, "parameter");
      e = Assert.Throws<ArgumentException>(() => new Model(modelPath + "\0x"));
      Assert.Equal("path", e.ParamName, "parameter");
      Assert.True(e.Message.StartsWith("path contains a NUL character"), e.Message);
    }
  }

  [Test]
  public void TwoHundredLoadFreeCyclesDoNotGrowMemory() {
    for (int i = 0; i < 20; i++) LoadAndFree();  // warm up the JIT and allocator pools
    GC.Collect();
    long before = RssKib();
    for (int i = 0; i < 200; i++) LoadAndFree();
    GC.Collect();
    long growth = RssKib() - before;
    // A leaked model would cost over 1 MiB per cycle; allow for runtime and allocator noise.
    Assert.True(growth < 24 * 1024, $"RSS grew by {growth} KiB over 200 cycles");
  }

  void LoadAndFree() {
    using (var model = new Model(modelPath))
    using (var context = new Context(model)) {
      context.Decode(new TokenList(new[] { 1, 403 }));
    }
  }

  static long RssKib() {
    foreach (string line in File.ReadLines("/proc/self/status")) {
      if (line.StartsWith("VmRSS:")) return long.Parse(Regex.Replace(line, "[^0-9]", ""));
    }
    throw new InvalidDataException("no VmRSS in /proc/self/status");
  }

  /// <summary>Cross-language check, C# side: the pull (IEnumerable) form.</summary>
  static void WriteSample(string modelPath, string outPath) {
    using (var model = new Model(modelPath))
    using (var context = new Context(model))
    using (var sampler = new Sampler(CrossLanguageSettings())) {
      File.WriteAllText(outPath, string.Concat(context.Stream(sampler, "Once upon a time", MaxTokens(40))),
                        new UTF8Encoding(false));
    }
  }

  public static int Main(string[] args) {
    if (args.Length == 3 && args[0] == "--sample") {
      WriteSample(args[1], args[2]);
      return 0;
    }
    if (args.Length != 2) {
      Console.Error.WriteLine("usage: LlmrtTests.exe MODEL REFERENCE | LlmrtTests.exe --sample MODEL OUT");
      return 2;
    }
    return TestRunner.Run(new LlmrtTests(args[0], args[1]));
  }
}

}

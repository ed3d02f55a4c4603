package org.llmrt;

/** Receives progress while {@link Quantizer#quantize} runs. */
@FunctionalInterface
public interface ProgressListener {
  /**
   * @param fraction how much is done, from 0 to 1
   * @param tensorName the tensor being processed
   * @return true to stop (quantize then throws {@link CancelledException} and writes no file)
   */
  boolean onProgress(float fraction, String tensorName);
}

/**
 * Warnings about files a run wrote that a trainer will read differently than the user may expect. Shown
 * in the run summary and in the dataset card, from the manifest's config and file list alone, so a merged
 * or re-carded folder warns the same way.
 */
export function exportWarnings(config: Record<string, unknown>, files: readonly { format: string }[]): string[] {
  const warnings: string[] = [];
  if (files.some((file) => file.format === 'segments') && (config['eos'] ?? null) === null) {
    warnings.push(
      'segments written without --eos: Axolotl joins segments exactly as they are, so no end-of-sequence token follows the learned answer ' +
        "and the model does not learn to stop; regenerate with your tokenizer's EOS text (e.g. --eos '</s>', or '<|im_end|>' for ChatML models)",
    );
  }
  return warnings;
}

export async function rewriteExamples(markdown: string): Promise<string> {
  return markdown;
}
